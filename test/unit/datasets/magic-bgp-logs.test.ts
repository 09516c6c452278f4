import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { magicBgpLogs } from '../../../lambdas/datasets/magic-bgp-logs.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [stateChange] = fixtureLines('magic_bgp_logs', 'session');

const base: CfRecord = { EventTimestamp: '2026-01-01T00:00:00Z', TunnelID: 'tunnel-1' };
const map = (extra: CfRecord) => mapRecord(magicBgpLogs, { ...base, ...extra });

describe('magic_bgp_logs mapper', () => {
  it('maps a BGP session state change to the complete ECS event', () => {
    expect(mapLine(magicBgpLogs, stateChange!)).toEqual({
      '@timestamp': '2026-01-01T08:00:00.250Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['info'],
        action: 'session_state_change',
        dataset: 'magic_bgp_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'router' },
      network: { protocol: 'bgp' },
      cloudflare: {
        EventData: {
          PeerASN: 64501,
          PeerIP: '192.0.2.2',
          PreviousState: 'OpenConfirm',
          State: 'Established',
        },
        TunnelID: '00000000-0000-4000-8000-000000000003',
      },
    });
  });

  it('keeps EventData as it comes, a string as well as an object, and sets no outcome', () => {
    const event = map({ EventKind: 'error', EventData: 'hold timer expired' });
    expect(getField(event, 'cloudflare.EventData')).toBe('hold timer expired');
    expect(getField(event, 'event.action')).toBe('error');
    expect(getField(event, 'event.outcome')).toBeUndefined();
  });

  it('keeps 19-digit integers inside EventData exact', () => {
    const line = '{"EventTimestamp":1767225600,"EventData":{"Counter":1767225600123456789}}';
    expect(getField(mapLine(magicBgpLogs, line), 'cloudflare.EventData')).toEqual({
      Counter: '1767225600123456789',
    });
  });

  it('hashes the line for event.id (no natural key)', () => {
    const a = getField(map({ EventKind: 'up' }), 'event.id');
    expect(getField(map({ EventKind: 'up' }), 'event.id')).toBe(a);
    expect(getField(map({ EventKind: 'down' }), 'event.id')).not.toBe(a);
  });

  it('quarantines an EventKind that is an object', () => {
    expect(() => map({ EventKind: { kind: 'up' } })).toThrow(MappingError);
  });

  it('recognises its records, full or minimal', () => {
    expect(magicBgpLogs.matches(JSON.parse(stateChange!))).toBe(true);
    expect(magicBgpLogs.matches({ EventTimestamp: 1767225600, EventKind: 'x' })).toBe(true);
    expect(magicBgpLogs.matches({ EventTimestamp: 1767225600 })).toBe(false);
    expect(magicBgpLogs.matches({ Timestamp: 1767225600, TunnelID: 't' })).toBe(false);
  });
});
