import { setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `warp_config_changes`: one line per switch of a device's WARP client from one configuration (Zero Trust
 * organization / account) to another (account-scoped).
 * There is no `../shared/cloudflare/warp_config_changes.md`: the field table was written from Cloudflare's public
 * Logpush field reference (developers.cloudflare.com/logs/reference/log-fields/account/warp_config_changes/), not
 * from a saved copy. Less certain: DeviceRegistrationID and UserID.
 *
 * Timestamp is when Cloudflare ingested the change, not when the device made it (FACTS E5): it is still
 * `@timestamp`, the only time the line has. A configuration of the host changed: category configuration and host,
 * type change, observer agent (the WARP client reports it), `event.action` warp_config_changed, outcome success (the
 * line records a change that happened). The from/to configuration names and account ids are kept under
 * cloudflare.*: ECS has no before/after fields for them.
 */
export const warpConfigChanges = defineMapper({
  dataset: 'warp_config_changes',
  observerType: 'agent',
  category: ['configuration', 'host'],
  type: ['change'],
  // No natural key: the line is hashed. Timestamp is shared by many datasets; these names are only here.
  signature: { all: ['Timestamp'], any: ['ConfigNameFrom', 'ConfigNameTo', 'AccountIDFrom', 'AccountIDTo'] },
  fields: {
    AccountIDFrom: { type: 'string' },
    AccountIDTo: { type: 'string' },
    ConfigNameFrom: { type: 'string' },
    ConfigNameTo: { type: 'string' },
    DeviceID: { type: 'string', to: 'device.id' },
    DeviceRegistrationID: { type: 'string' },
    Timestamp: { type: 'time', to: '@timestamp' },
    UserEmail: { type: 'string', to: 'user.email' },
    UserID: { type: 'string', to: 'user.id' },
  },
  derives: ['event.action', 'event.outcome'],
  refine({ event }) {
    setField(event, 'event.action', 'warp_config_changed');
    setField(event, 'event.outcome', 'success');
  },
});
