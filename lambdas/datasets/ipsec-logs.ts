import { setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';
import { setNetworkType } from './network-analytics-logs.ts';

/**
 * `ipsec_logs`: one line per message of Cloudflare's IPsec/IKE engine about a Magic WAN / Magic Transit IPsec
 * tunnel (negotiation, rekey, dead-peer detection, errors), account-scoped. No field table exists in
 * `../shared/cloudflare/`: this one was written from Cloudflare's public field reference
 * (developers.cloudflare.com/logs/reference/log-fields/account/ipsec_logs/), recalled rather than copied from a
 * saved page, and from the key fields `../shared/cloudflare/INDEX.md` names. Less certain: TunnelID's exact type
 * (kept, `any`); any other field Cloudflare adds is kept under `cloudflare.*`.
 *
 * Direction: LocalIP is Cloudflare's end of the tunnel (the anycast tunnel endpoint that writes the log) and
 * RemoteIP the customer's router. Cloudflare's IPsec endpoints answer IKE negotiations that the customer device
 * starts, so the remote peer is `source` and Cloudflare's endpoint `destination`.
 * Category network; type error for messages of level error or worse, info otherwise. A log message is no decision
 * or attempt, so there is no outcome. No natural key: the line is hashed for `event.id`.
 */
export const ipsecLogs = defineMapper({
  dataset: 'ipsec_logs',
  observerType: 'vpn',
  category: ['network'],
  type: ['info'],
  // Timestamp is shared by many account datasets; these names are only in IPsec logs.
  signature: { all: ['Timestamp'], any: ['RemoteIP', 'LocalIP', 'TunnelID'] },
  fields: {
    Level: { type: 'string', to: 'log.level' },
    LocalIP: { type: 'string', to: 'destination.ip' },
    Message: { type: 'string', to: 'message' },
    RemoteIP: { type: 'string', to: 'source.ip' },
    Timestamp: { type: 'time', to: '@timestamp' },
    TunnelID: { type: 'any' },
  },
  derives: ['network.type'],
  refine({ values, event }) {
    setNetworkType(event);
    if (typeof values.Level === 'string' && ERROR_LEVELS.has(values.Level.toLowerCase())) {
      setField(event, 'event.type', ['error']);
    }
  },
});

// Syslog severities from error up, in the spellings loggers use.
const ERROR_LEVELS: ReadonlySet<string> = new Set([
  'error',
  'err',
  'critical',
  'crit',
  'fatal',
  'alert',
  'emergency',
  'emerg',
  'panic',
]);
