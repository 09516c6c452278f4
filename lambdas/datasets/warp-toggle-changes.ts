import { setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `warp_toggle_changes`: one line per time a user switched the WARP client of a device on or off (account-scoped).
 * There is no `../shared/cloudflare/warp_toggle_changes.md`: the field table was written from Cloudflare's public
 * Logpush field reference (developers.cloudflare.com/logs/reference/log-fields/account/warp_toggle_changes/), not
 * from a saved copy. Less certain: AccountID, DeviceRegistrationID and UserID.
 *
 * Timestamp is when Cloudflare ingested the change, not when the user made it (FACTS E5): it is still
 * `@timestamp`, the only time the line has. A setting of the host changed: category configuration and host, type
 * change, observer agent. Toggled true/false gives `event.action` warp_toggled_on/warp_toggled_off (Toggled is kept
 * too: ECS has no boolean for it); without Toggled the action is warp_toggled. Outcome success: the line records a
 * change that happened.
 */
export const warpToggleChanges = defineMapper({
  dataset: 'warp_toggle_changes',
  observerType: 'agent',
  category: ['configuration', 'host'],
  type: ['change'],
  // No natural key: the line is hashed. Timestamp is shared by many datasets; Toggled is only here.
  signature: { all: ['Timestamp'], any: ['Toggled'] },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    DeviceID: { type: 'string', to: 'device.id' },
    DeviceRegistrationID: { type: 'string' },
    Timestamp: { type: 'time', to: '@timestamp' },
    // → event.action in refine.
    Toggled: { type: 'bool' },
    UserEmail: { type: 'string', to: 'user.email' },
    UserID: { type: 'string', to: 'user.id' },
  },
  derives: ['event.action', 'event.outcome'],
  refine({ values, event }) {
    const toggled = values.Toggled;
    const action =
      typeof toggled === 'boolean' ? (toggled ? 'warp_toggled_on' : 'warp_toggled_off') : 'warp_toggled';
    setField(event, 'event.action', action);
    setField(event, 'event.outcome', 'success');
  },
});
