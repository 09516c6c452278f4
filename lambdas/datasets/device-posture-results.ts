import { getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `device_posture_results`: one line per posture check evaluated on a device's upload from the Zero Trust client
 * (WARP): disk encryption, OS version, a running process, a service provider's verdict (account-scoped).
 * Fields: `../shared/cloudflare/device_posture_results.md`. There is no IP field.
 *
 * The device is the subject: category `host`, type `info`; DeviceName is host.hostname (as in the gateway logs),
 * DeviceID device.id, the client's OS type and version host.os.*, the registering user user.*. The posture check is
 * the rule (rule.id/name/category). event.outcome: PostureEvaluatedResult true → success (the device passes),
 * false → failure, absent → unknown; the boolean is kept too, as v1 audit keeps ActionResult.
 */
export const devicePostureResults = defineMapper({
  dataset: 'device_posture_results',
  observerType: 'agent',
  category: ['host'],
  type: ['info'],
  // No unique id (DeviceID and RegistrationID repeat on every upload): event.id hashes the line.
  // Timestamp is shared by many datasets: these names are posture results' own.
  signature: {
    all: ['Timestamp'],
    any: [
      'PostureEvaluatedResult',
      'PostureCheckName',
      'PostureCheckType',
      'PostureExpectedJSON',
      'PostureReceivedJSON',
    ],
  },
  fields: {
    ClientVersion: { type: 'string' },
    DeviceID: { type: 'string', to: 'device.id' },
    DeviceManufacturer: { type: 'string', to: 'device.manufacturer' },
    DeviceModel: { type: 'string', to: 'device.model.name' },
    DeviceName: { type: 'string', to: 'host.hostname' },
    DeviceSerialNumber: { type: 'string' },
    // "The Zero Trust client operating system type" (windows, mac, linux, …): host.os.platform as written,
    // host.os.type (ECS's fixed list) in refine.
    DeviceType: { type: 'string', to: 'host.os.platform' },
    Email: { type: 'string', to: 'user.email' },
    OSVersion: { type: 'string', to: 'host.os.version' },
    PolicyID: { type: 'string', to: 'rule.id' },
    PostureCheckName: { type: 'string', to: 'rule.name' },
    PostureCheckType: { type: 'string', to: 'rule.category' },
    // → event.outcome in refine; kept (ECS has no boolean for it).
    PostureEvaluatedResult: { type: 'bool' },
    PostureExpectedJSON: { type: 'object' },
    PostureReceivedJSON: { type: 'object' },
    RegistrationID: { type: 'string' },
    Timestamp: { type: 'time', to: '@timestamp' },
    UserUID: { type: 'string', to: 'user.id' },
  },
  derives: ['event.outcome', 'host.os.type'],
  refine({ event, vendor }) {
    const passed = vendor.PostureEvaluatedResult;
    setField(
      event,
      'event.outcome',
      typeof passed === 'boolean' ? (passed ? 'success' : 'failure') : 'unknown',
    );
    const platform = getField(event, 'host.os.platform');
    if (typeof platform === 'string') setField(event, 'host.os.type', osType(platform));
  },
});

// ECS host.os.type allows linux, macos, unix, windows, ios, android. Cloudflare's device types include `mac` and
// `chromeos` (no ECS value: left unset).
const OS_TYPES: Readonly<Record<string, string>> = {
  windows: 'windows',
  mac: 'macos',
  macos: 'macos',
  linux: 'linux',
  ios: 'ios',
  ipados: 'ios',
  android: 'android',
};

/** ECS host.os.type for the client's device type; undefined when ECS has no value for it. */
export function osType(deviceType: string): string | undefined {
  return OS_TYPES[deviceType.trim().toLowerCase()];
}
