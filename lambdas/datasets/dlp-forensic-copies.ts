import { setField } from '../core/ecs.ts';
import { headerValue } from './headers.ts';
import { defineMapper } from './mapper.ts';

/**
 * `dlp_forensic_copies`: one line per forensic copy that a Gateway HTTP policy with a Data Loss Prevention profile
 * took of a request or response it matched: the headers and payload of that phase (account-scoped).
 * There is no `../shared/cloudflare/dlp_forensic_copies.md`: the field table was written from Cloudflare's public
 * Logpush field reference (developers.cloudflare.com/logs/reference/log-fields/account/dlp_forensic_copies/), not
 * from a saved copy. Less certain: the shapes of Headers (an object of names to values) and Payload (kept as they
 * come).
 *
 * A DLP match is a detection, so kind alert; the copy is of web traffic through Gateway's proxy: category web,
 * type info, observer proxy. TriggeredRuleID is the Gateway rule (`rule.id`), GatewayRequestID the request's id in
 * gateway_http (`http.request.id`), ForensicCopyID the natural key. No event.action and no event.outcome: the copy
 * says what matched, not what the policy then did to the request (gateway_http says that).
 * The User-Agent of a copied request goes to `user_agent.original`; the Content-Type does not go to
 * http.*.mime_type, which ECS reserves for the type sniffed from the body.
 */
export const dlpForensicCopies = defineMapper({
  dataset: 'dlp_forensic_copies',
  observerType: 'proxy',
  kind: 'alert',
  category: ['web'],
  type: ['info'],
  idFields: ['ForensicCopyID'],
  // Datetime is shared by firewall_events, gateway_*, ssh_logs and mcp_portal_logs; these names are only here.
  signature: { all: ['Datetime'], any: ['ForensicCopyID', 'TriggeredRuleID', 'GatewayRequestID'] },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    Datetime: { type: 'time', to: '@timestamp' },
    // The copy's own id (the natural key of event.id), kept like audit_logs' ID.
    ForensicCopyID: { type: 'string' },
    GatewayRequestID: { type: 'string', to: 'http.request.id' },
    Headers: { type: 'any' },
    Payload: { type: 'any' },
    // request|response: which half of the exchange was copied.
    Phase: { type: 'string' },
    TriggeredRuleID: { type: 'string', to: 'rule.id' },
  },
  derives: ['user_agent.original'],
  refine({ values, event }) {
    if (typeof values.Phase === 'string' && values.Phase.toLowerCase() === 'request') {
      setField(event, 'user_agent.original', headerValue(values.Headers, 'user-agent'));
    }
  },
});
