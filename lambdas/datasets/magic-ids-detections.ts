import { type EcsEvent, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';
import { passDropCategorization, setIpProtocol, setNetworkType } from './network-analytics-logs.ts';

/**
 * `magic_ids_detections`: one line per packet on a Magic Transit / Magic WAN network that matched an intrusion
 * detection signature of Cloudflare's Magic IDS (account-scoped). No field table exists in `../shared/cloudflare/`:
 * this one was written from Cloudflare's public field reference
 * (developers.cloudflare.com/logs/reference/log-fields/account/magic_ids_detections/), recalled rather than copied
 * from a saved page. Less certain: the colo fields' names, and Protocol's values, recalled as tcp | udp | any
 * (type `any`, read in refine as a name or a number). `any` means a detection below layer 4 (at the IP layer),
 * whose ports are then written 0: it sets no `network.transport` (it is kept under `cloudflare.*`), and the
 * placeholder 0 ports are kept there too instead of becoming `source.port`/`destination.port`.
 *
 * Every line is a detection, so the kind is alert and the category intrusion_detection + network. Action
 * (pass | block) is `event.action` and sets `event.type` allowed/denied and `event.outcome` success/failure (the
 * packet went through or not); a missing or unknown action gives type info and outcome unknown. The signature is
 * the rule: SignatureID/SignatureMessage/SignatureRevision → rule.id/name/version. No natural key: the line is
 * hashed for `event.id`.
 */
export const magicIdsDetections = defineMapper({
  dataset: 'magic_ids_detections',
  observerType: 'ids',
  kind: 'alert',
  category: ['intrusion_detection', 'network'],
  type: ['info'],
  // Timestamp is shared by many account datasets; the signature fields are only in IDS detections.
  signature: { all: ['Timestamp'], any: ['SignatureID', 'SignatureMessage', 'SignatureRevision'] },
  fields: {
    // → event.type and event.outcome in refine as well.
    Action: { type: 'string', to: 'event.action' },
    ColoCity: { type: 'string' },
    ColoCode: { type: 'string' },
    DestinationIP: { type: 'string', to: 'destination.ip' },
    DestinationPort: { type: 'int', to: 'destination.port' },
    // The layer-4 protocol, a name (tcp) or an IANA number: network.transport/iana_number in refine.
    Protocol: { type: 'any' },
    // Identifiers as strings: a numeric sid or a string one both fit ECS rule.id (a keyword).
    SignatureID: { type: 'string', to: 'rule.id' },
    SignatureMessage: { type: 'string', to: 'rule.name' },
    SignatureRevision: { type: 'string', to: 'rule.version' },
    SourceIP: { type: 'string', to: 'source.ip' },
    SourcePort: { type: 'int', to: 'source.port' },
    Timestamp: { type: 'time', to: '@timestamp' },
  },
  derives: ['event.outcome', 'network.iana_number', 'network.transport', 'network.type'],
  refine({ values, event, vendor }) {
    if (setIpProtocol(event, values.Protocol)) vendor.Protocol = undefined;
    else if (typeof values.Protocol === 'string' && values.Protocol.toLowerCase() === 'any') {
      // A detection at the IP layer: its ports are written 0 as placeholders, not ports.
      for (const [side, field] of PORTS) {
        const endpoint = event[side] as EcsEvent | undefined;
        if (values[field] !== 0 || endpoint === undefined) continue;
        delete endpoint.port;
        if (Object.keys(endpoint).length === 0) delete event[side];
        vendor[field] = 0;
      }
    }
    setNetworkType(event);
    const { type, outcome } = passDropCategorization(values.Action);
    setField(event, 'event.type', type);
    setField(event, 'event.outcome', outcome);
  },
});

const PORTS = [
  ['source', 'SourcePort'],
  ['destination', 'DestinationPort'],
] as const;
