import { normalizeIp, setField } from '../core/ecs.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `dex_device_state_events`: one line per periodic snapshot of a device running the WARP client, for Digital
 * Experience Monitoring: WARP status and mode, addresses, network, CPU/RAM/disk/battery figures (account-scoped).
 * There is no `../shared/cloudflare/dex_device_state_events.md`: the field table was written from Cloudflare's
 * public Logpush field reference (developers.cloudflare.com/logs/reference/log-fields/account/
 * dex_device_state_events/), not from a saved copy. Less certain: the numeric types of the resource figures
 * (kept as they come), DeviceName and OSVersion.
 *
 * A snapshot is a state: kind state, category host, type info, observer agent (the WARP client reports it), no
 * outcome (nothing was attempted). DeviceIPv4Address/DeviceIPv6Address are the device's own (usually private)
 * addresses, so `host.ip`. ISPIPv4Address/ISPIPv6Address are the public addresses its traffic leaves from, which
 * is what Access, Gateway and http_requests logs record as the client's address: they go to `source.ip` (IPv4
 * first; an IPv6 beside it stays under cloudflare.* and in `related.ip`) so one query on source.ip joins them.
 * They are not the host's, so not `host.ip`. Status and Mode (WARP connected/disconnected, warp/proxy/…) are kept.
 */
export const dexDeviceStateEvents = defineMapper({
  dataset: 'dex_device_state_events',
  observerType: 'agent',
  kind: 'state',
  category: ['host'],
  type: ['info'],
  // No natural key: the line is hashed. Timestamp is shared by many datasets; these names are only in DEX state.
  signature: {
    all: ['Timestamp'],
    any: [
      'ISPIPv4Address',
      'ISPIPv6Address',
      'DeviceIPv4Address',
      'DeviceIPv6Address',
      'GatewayIPv4Address',
      'CPUPct',
      'RAMUsedPct',
      'BatteryPct',
      'WifiStrengthDbm',
    ],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    BatteryCharging: { type: 'any' },
    BatteryCycles: { type: 'any' },
    BatteryPct: { type: 'any' },
    CPUPct: { type: 'any' },
    CPUPctByApp: { type: 'any' },
    DeviceID: { type: 'string', to: 'device.id' },
    // Both → host.ip in refine.
    DeviceIPv4Address: { type: 'string' },
    DeviceIPv6Address: { type: 'string' },
    DeviceName: { type: 'string', to: 'host.hostname' },
    DiskReadBPS: { type: 'any' },
    DiskUsagePct: { type: 'any' },
    DiskWriteBPS: { type: 'any' },
    DoHSubdomain: { type: 'any' },
    EstimatedLossPct: { type: 'any' },
    // The device's default gateway (its router): neither the host's address nor the traffic's source.
    GatewayIPv4Address: { type: 'any' },
    GatewayIPv6Address: { type: 'any' },
    // → source.ip in refine (see the module comment).
    ISPIPv4Address: { type: 'string' },
    ISPIPv6Address: { type: 'string' },
    Mode: { type: 'string' },
    NetworkRcvdBPS: { type: 'any' },
    NetworkSentBPS: { type: 'any' },
    NetworkSSID: { type: 'any' },
    OSVersion: { type: 'string', to: 'host.os.version' },
    // → host.os.type (ECS names) in refine as well.
    Platform: { type: 'string', to: 'host.os.platform' },
    RAMAvailableKB: { type: 'any' },
    RAMUsedPct: { type: 'any' },
    RAMUsedPctByApp: { type: 'any' },
    Status: { type: 'string' },
    Timestamp: { type: 'time', to: '@timestamp' },
    // The WARP client's version (ECS has no agent.version in this catalogue).
    Version: { type: 'any' },
    WifiStrengthDbm: { type: 'any' },
  },
  derives: ['host.ip', 'host.os.type', 'related.ip', 'source.ip'],
  refine({ values, event, vendor }) {
    setField(event, 'host.ip', takeIps(vendor, ['DeviceIPv4Address', 'DeviceIPv6Address']));
    const [ispV4] = takeIps(vendor, ['ISPIPv4Address']);
    if (ispV4 === undefined) {
      setField(event, 'source.ip', takeIps(vendor, ['ISPIPv6Address'])[0]);
    } else {
      setField(event, 'source.ip', ispV4);
      // The IPv6 stays under cloudflare.*; related.ip (merged by the engine) still finds the device by it.
      const ispV6 = normalizeIp(vendor.ISPIPv6Address);
      if (ispV6 !== undefined) setField(event, 'related.ip', [ispV6]);
    }
    const platform = typeof values.Platform === 'string' ? values.Platform.toLowerCase() : '';
    setField(event, 'host.os.type', OS_TYPES[platform]);
  },
});

/**
 * The valid addresses of the vendor fields `keys`, canonical, in that order; a field that is one leaves vendor
 * (it is in ECS), a field that is not stays there as it came.
 */
function takeIps(vendor: CfRecord, keys: readonly string[]): string[] {
  const ips: string[] = [];
  for (const key of keys) {
    const ip = normalizeIp(vendor[key]);
    if (ip === undefined) continue;
    if (!ips.includes(ip)) ips.push(ip);
    vendor[key] = undefined;
  }
  return ips;
}

// WARP's platform names → ECS host.os.type (linux, macos, unix, windows, ios, android).
const OS_TYPES: Readonly<Record<string, string>> = {
  windows: 'windows',
  mac: 'macos',
  macos: 'macos',
  linux: 'linux',
  ios: 'ios',
  android: 'android',
};
