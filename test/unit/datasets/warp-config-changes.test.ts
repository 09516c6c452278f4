import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { warpConfigChanges } from '../../../lambdas/datasets/warp-config-changes.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [orgSwitch] = fixtureLines('warp_config_changes', 'switch');

describe('warp_config_changes mapper', () => {
  it('maps a switch of configuration to the complete ECS event', () => {
    expect(mapLine(warpConfigChanges, orgSwitch!)).toEqual({
      // Ingestion time, the only time the line has.
      '@timestamp': '2026-01-01T16:00:00Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['configuration', 'host'],
        type: ['change'],
        action: 'warp_config_changed',
        outcome: 'success',
        dataset: 'warp_config_changes',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'agent' },
      device: { id: '00000000-0000-4000-8000-000000000071' },
      user: { email: 'grace@example.com', id: '00000000-0000-4000-8000-000000000073' },
      related: { user: ['grace@example.com'] },
      cloudflare: {
        AccountIDFrom: '0123456789abcdef0123456789abcdef',
        AccountIDTo: 'fedcba9876543210fedcba9876543210',
        ConfigNameFrom: 'example-corp',
        ConfigNameTo: 'example-lab',
        DeviceRegistrationID: '00000000-0000-4000-8000-000000000072',
      },
    });
  });

  it('keeps a first configuration (no From) and still says what happened', () => {
    const event = mapRecord(warpConfigChanges, {
      Timestamp: 1767225600,
      ConfigNameFrom: '',
      ConfigNameTo: 'example-corp',
    });
    expect(event.event).toMatchObject({
      action: 'warp_config_changed',
      outcome: 'success',
      type: ['change'],
    });
    expect(event.cloudflare).toEqual({ ConfigNameTo: 'example-corp' });
  });

  it('hashes the line for event.id: no natural key', () => {
    const a = getField(
      mapRecord(warpConfigChanges, { Timestamp: 1767225600, ConfigNameTo: 'a' }),
      'event.id',
    );
    expect(
      getField(mapRecord(warpConfigChanges, { Timestamp: 1767225600, ConfigNameTo: 'b' }), 'event.id'),
    ).not.toBe(a);
  });

  it('quarantines a UserEmail that is an object', () => {
    expect(() => mapRecord(warpConfigChanges, { Timestamp: 1767225600, UserEmail: { a: 1 } })).toThrow(
      MappingError,
    );
  });

  it('recognises its records by Timestamp and a From/To field, not by the shared DeviceID/UserEmail', () => {
    expect(warpConfigChanges.matches(JSON.parse(orgSwitch!))).toBe(true);
    expect(warpConfigChanges.matches({ Timestamp: 1767225600, ConfigNameTo: 'x' })).toBe(true);
    expect(
      warpConfigChanges.matches({ Timestamp: 1767225600, DeviceID: 'd', UserEmail: 'a@example.com' }),
    ).toBe(false);
  });
});
