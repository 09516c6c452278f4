import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { warpToggleChanges } from '../../../lambdas/datasets/warp-toggle-changes.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [off, on] = fixtureLines('warp_toggle_changes', 'toggles');

const map = (extra: CfRecord) =>
  mapRecord(warpToggleChanges, { Timestamp: '2026-01-01T00:00:00Z', ...extra });

describe('warp_toggle_changes mapper', () => {
  it('maps WARP switched off to the complete ECS event', () => {
    expect(mapLine(warpToggleChanges, off!)).toEqual({
      // Ingestion time, the only time the line has.
      '@timestamp': '2026-01-01T17:00:00.123456Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['configuration', 'host'],
        type: ['change'],
        action: 'warp_toggled_off',
        outcome: 'success',
        dataset: 'warp_toggle_changes',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'agent' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      device: { id: '00000000-0000-4000-8000-000000000081' },
      user: { email: 'heidi@example.com', id: '00000000-0000-4000-8000-000000000083' },
      related: { user: ['heidi@example.com'] },
      cloudflare: { DeviceRegistrationID: '00000000-0000-4000-8000-000000000082', Toggled: false },
    });
  });

  it('maps WARP switched on, written in unix seconds', () => {
    const event = mapLine(warpToggleChanges, on!);
    expect(event['@timestamp']).toBe('2026-01-01T17:05:00Z');
    expect(event.event).toMatchObject({ action: 'warp_toggled_on', outcome: 'success' });
    expect(event.cloudflare).toEqual({ Toggled: true });
  });

  it.each([
    [true, 'warp_toggled_on'],
    ['true', 'warp_toggled_on'],
    [false, 'warp_toggled_off'],
    ['false', 'warp_toggled_off'],
    [undefined, 'warp_toggled'],
  ])('Toggled %j gives event.action %s', (toggled, action) => {
    expect(getField(map({ Toggled: toggled }), 'event.action')).toBe(action);
  });

  it('hashes the line for event.id: no natural key', () => {
    const a = getField(map({ Toggled: true }), 'event.id');
    expect(getField(map({ Toggled: true }), 'event.id')).toBe(a);
    expect(getField(map({ Toggled: false }), 'event.id')).not.toBe(a);
  });

  it('quarantines a Toggled that is not a boolean', () => {
    expect(() => map({ Toggled: 'on' })).toThrow(MappingError);
  });

  it('recognises its records by Timestamp and Toggled', () => {
    expect(warpToggleChanges.matches(JSON.parse(off!))).toBe(true);
    expect(warpToggleChanges.matches(JSON.parse(on!))).toBe(true);
    expect(warpToggleChanges.matches({ Timestamp: 1767225600, Toggled: false })).toBe(true);
    expect(warpToggleChanges.matches({ Timestamp: 1767225600, DeviceID: 'd' })).toBe(false);
  });
});
