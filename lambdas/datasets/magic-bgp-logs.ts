import { setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `magic_bgp_logs`: one line per event of a BGP session between Cloudflare and a customer router over a Magic
 * WAN / Magic Transit tunnel (session state changes, route updates, errors), account-scoped; the dataset was
 * added in August 2026. No field table exists in `../shared/cloudflare/`: this one holds the fields
 * `../shared/cloudflare/INDEX.md` names (EventTimestamp, EventKind, EventData, TunnelID), written against
 * Cloudflare's public field reference (developers.cloudflare.com/logs/reference/log-fields/account/magic_bgp_logs/)
 * as recalled, not from a saved copy. Less certain: EventData's shape (an object or a string: kept, `any`) and
 * TunnelID's type (`any`); any other field is kept under `cloudflare.*`.
 *
 * EventKind is `event.action`. Category network, type info, `network.protocol` bgp; the kinds of event are not
 * documented well enough to derive start/end or an outcome, so there is none. No natural key: the line is hashed
 * for `event.id`.
 */
export const magicBgpLogs = defineMapper({
  dataset: 'magic_bgp_logs',
  observerType: 'router',
  category: ['network'],
  type: ['info'],
  // EventTimestamp is this dataset's alone; the `any` list guards against a stray field of that name elsewhere.
  signature: { all: ['EventTimestamp'], any: ['EventKind', 'EventData', 'TunnelID'] },
  fields: {
    EventData: { type: 'any' },
    EventKind: { type: 'string', to: 'event.action' },
    EventTimestamp: { type: 'time', to: '@timestamp' },
    TunnelID: { type: 'any' },
  },
  derives: ['network.protocol'],
  refine({ event }) {
    setField(event, 'network.protocol', 'bgp');
  },
});
