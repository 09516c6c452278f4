import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { dexDeviceStateEvents } from '../../../lambdas/datasets/dex-device-state-events.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [connected, disconnected] = fixtureLines('dex_device_state_events', 'snapshot');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  DeviceID: '00000000-0000-4000-8000-0000000000b1',
};
const map = (extra: CfRecord) => mapRecord(dexDeviceStateEvents, { ...base, ...extra });

describe('dex_device_state_events mapper', () => {
  it('maps a device snapshot to the complete ECS event', () => {
    expect(mapLine(dexDeviceStateEvents, connected!)).toEqual({
      '@timestamp': '2026-01-01T09:15:00Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'state',
        category: ['host'],
        type: ['info'],
        dataset: 'dex_device_state_events',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'agent' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      device: { id: '00000000-0000-4000-8000-000000000031' },
      host: {
        hostname: 'dave-laptop',
        name: 'dave-laptop',
        ip: ['192.0.2.101', '2001:db8:1::101'],
        os: { version: '14.2.1', platform: 'mac', type: 'macos' },
      },
      source: { ip: '203.0.113.9', address: '203.0.113.9' },
      related: {
        ip: ['192.0.2.101', '2001:db8:1::101', '2001:db8:ff::9', '203.0.113.9'],
        hosts: ['dave-laptop'],
      },
      cloudflare: {
        BatteryCharging: false,
        BatteryCycles: 212,
        BatteryPct: 0.81,
        CPUPct: 0.23,
        DiskReadBPS: 10240,
        DiskUsagePct: 0.62,
        DiskWriteBPS: 4096,
        EstimatedLossPct: 0,
        GatewayIPv4Address: '192.0.2.1',
        ISPIPv6Address: '2001:db8:ff::9',
        Mode: 'warp+doh',
        NetworkRcvdBPS: 52000,
        NetworkSSID: 'Office-WiFi',
        NetworkSentBPS: 12000,
        RAMAvailableKB: 4194304,
        RAMUsedPct: 0.74,
        Status: 'connected',
        Version: '2025.9.558.0',
        WifiStrengthDbm: -58,
      },
    });
  });

  it('unwraps an IPv4-mapped device address and takes the ISP IPv6 as source.ip without an IPv4', () => {
    const event = mapLine(dexDeviceStateEvents, disconnected!);
    expect(event.host).toEqual({ ip: ['192.0.2.102'], os: { platform: 'windows', type: 'windows' } });
    expect(event.source).toEqual({ ip: '2001:db8:ff::10', address: '2001:db8:ff::10' });
    expect(event.cloudflare).toEqual({ Mode: 'proxy', Status: 'disconnected' });
    expect(getField(event, 'event.outcome')).toBeUndefined();
  });

  it('keeps addresses that are not IPs under cloudflare.*', () => {
    const event = map({
      DeviceIPv4Address: 'unknown',
      ISPIPv4Address: 'n/a',
      DeviceIPv6Address: '2001:DB8::5',
    });
    expect(getField(event, 'host.ip')).toEqual(['2001:db8::5']);
    expect(event.source).toBeUndefined();
    expect(event.cloudflare).toEqual({ DeviceIPv4Address: 'unknown', ISPIPv4Address: 'n/a' });
  });

  it.each([
    ['windows', 'windows'],
    ['mac', 'macos'],
    ['Linux', 'linux'],
    ['ios', 'ios'],
    ['android', 'android'],
    ['chromeos', undefined],
  ])('maps Platform %s to host.os.type %s', (platform, type) => {
    const event = map({ Platform: platform });
    expect(getField(event, 'host.os.platform')).toBe(platform);
    expect(getField(event, 'host.os.type')).toBe(type);
  });

  it('keeps resource figures of any type as they come', () => {
    const event = map({ CPUPct: '0.5', RAMUsedPct: 42, BatteryCharging: 'true' });
    expect(event.cloudflare).toEqual({ CPUPct: '0.5', RAMUsedPct: 42, BatteryCharging: 'true' });
  });

  it('hashes the line for event.id: snapshots have no natural key', () => {
    const a = getField(map({ Status: 'connected' }), 'event.id');
    expect(getField(map({ Status: 'connected' }), 'event.id')).toBe(a);
    expect(getField(map({ Status: 'paused' }), 'event.id')).not.toBe(a);
  });

  it('quarantines a DeviceID that is an object', () => {
    expect(() => map({ DeviceID: { id: 'x' } })).toThrow(MappingError);
  });

  it('recognises its records by Timestamp and a DEX address or figure', () => {
    expect(dexDeviceStateEvents.matches(JSON.parse(connected!))).toBe(true);
    expect(dexDeviceStateEvents.matches(JSON.parse(disconnected!))).toBe(true);
    expect(dexDeviceStateEvents.matches({ Timestamp: 1767225600, CPUPct: 0.1 })).toBe(true);
    expect(dexDeviceStateEvents.matches({ Timestamp: 1767225600, DeviceID: 'd', Status: 'connected' })).toBe(
      false,
    );
  });
});
