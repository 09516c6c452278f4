import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { devicePostureResults, osType } from '../../../lambdas/datasets/device-posture-results.ts';
import { detectDataset } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [diskEncryption, firewallPassed] = fixtureLines('device_posture_results', 'disk-encryption');

const base: CfRecord = {
  DeviceID: '00000000-0000-4000-8000-000000000001',
  PostureCheckName: 'Disk encryption',
  Timestamp: '2026-01-01T00:00:00Z',
};
const map = (extra: CfRecord) => mapRecord(devicePostureResults, { ...base, ...extra });

describe('device_posture_results mapper', () => {
  it('maps a failed disk encryption check to the complete ECS event', () => {
    expect(mapLine(devicePostureResults, diskEncryption!)).toEqual({
      '@timestamp': '2026-01-04T07:30:00Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['host'],
        type: ['info'],
        outcome: 'failure',
        dataset: 'device_posture_results',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'agent' },
      device: {
        id: '00000000-0000-4000-8000-000000000021',
        manufacturer: 'Apple Inc.',
        model: { name: 'MacBookPro18,3' },
      },
      host: {
        hostname: 'grace-mbp',
        name: 'grace-mbp',
        os: { platform: 'mac', type: 'macos', version: '15.2.0' },
      },
      user: { email: 'grace@example.com', id: '00000000-0000-4000-8000-000000000024' },
      rule: {
        id: '00000000-0000-4000-8000-000000000022',
        name: 'Disk encryption',
        category: 'disk_encryption',
      },
      related: { hosts: ['grace-mbp'], user: ['grace@example.com'] },
      cloudflare: {
        ClientVersion: '2025.10.186.0',
        DeviceSerialNumber: 'C02ZZ0000ZZ1',
        PostureEvaluatedResult: false,
        PostureExpectedJSON: { requireAll: true },
        PostureReceivedJSON: { encryptedDisks: { '/': false } },
        RegistrationID: '00000000-0000-4000-8000-000000000023',
      },
    });
  });

  it('maps a passed check in unixnano: success, windows', () => {
    const event = mapLine(devicePostureResults, firewallPassed!);
    expect(event['@timestamp']).toBe('2026-01-04T08:30:00.000000000Z');
    expect(getField(event, 'event.outcome')).toBe('success');
    expect(getField(event, 'host.os')).toEqual({
      platform: 'windows',
      type: 'windows',
      version: '10.0.22631',
    });
    expect(getField(event, 'cloudflare.PostureEvaluatedResult')).toBe(true);
  });

  it.each([
    [true, 'success'],
    [false, 'failure'],
    ['false', 'failure'],
    [undefined, 'unknown'],
  ])('turns PostureEvaluatedResult %j into event.outcome %s', (result, outcome) => {
    expect(getField(map({ PostureEvaluatedResult: result }), 'event.outcome')).toBe(outcome);
  });

  it.each([
    ['windows', 'windows'],
    ['mac', 'macos'],
    ['linux', 'linux'],
    ['ios', 'ios'],
    ['android', 'android'],
    ['chromeos', undefined],
  ])('maps DeviceType %s to host.os.type %s and keeps it as host.os.platform', (deviceType, type) => {
    expect(osType(deviceType)).toBe(type);
    const event = map({ DeviceType: deviceType });
    expect(getField(event, 'host.os.type')).toBe(type);
    expect(getField(event, 'host.os.platform')).toBe(deviceType);
  });

  it('hashes the line for event.id (there is no unique id)', () => {
    const a = map({ PostureEvaluatedResult: true });
    expect(getField(map({ PostureEvaluatedResult: true }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ PostureEvaluatedResult: false }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it('quarantines a PostureEvaluatedResult that is not a boolean', () => {
    expect(() => map({ PostureEvaluatedResult: 'passed' })).toThrow(MappingError);
  });

  it('recognises its records, full and minimal, and nothing else claims them', () => {
    const full = JSON.parse(diskEncryption!) as CfRecord;
    expect(devicePostureResults.matches(full)).toBe(true);
    expect(detectDataset(full)?.dataset).toBe('device_posture_results');
    for (const name of devicePostureResults.spec.signature.any ?? []) {
      const minimal = { Timestamp: 1767225600, [name]: 'x' };
      expect(detectDataset(minimal)?.dataset, name).toBe('device_posture_results');
    }
    // Timestamp alone with device fields is not enough: other Timestamp datasets carry DeviceID too.
    expect(devicePostureResults.matches({ Timestamp: 1767225600, DeviceID: 'x' })).toBe(false);
  });
});
