import { deleteField, type EcsEvent, getField, setField } from '../core/ecs.ts';
import { completeUrl, mapHostPort, mapHttpProtocol } from './http-requests.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `firewall_events`: one line per security rule that matched a request (WAF, rate limiting, firewall rules, bot
 * management…), zone-scoped and, since 2026-06-30, account-scoped (which adds ZoneName).
 * Fields: `../shared/cloudflare/firewall_events.md`. Output follows SEKOIA's shape (`NOTES.md` §6 firewall_events)
 * without its upstream bugs: RuleID and ClientASN are mapped, the country code goes to `country_iso_code`, and the
 * dataset is spelled like every other (`firewall_events`, not `firewall-events`).
 *
 * `event.type` comes from Action through SEKOIA's table; `event.outcome` says whether the request got through:
 * allowed → success, denied or connection closed → failure, and unknown for a challenge issued or a rule that only
 * logged (the request's fate is decided later, by the visitor or by another rule).
 */
export const firewallEvents = defineMapper({
  dataset: 'firewall_events',
  observerType: 'firewall',
  category: ['network'],
  type: ['info'],
  // Several rows per request, one per matching rule (MatchIndex 0 = the last one): RayID alone is not a key.
  idFields: ['RayID', 'MatchIndex', 'Source', 'RuleID'],
  // Action and ClientIP are left out of `any`: gateway_http/gateway_network lines also have Datetime + Action and
  // mcp_portal_logs Datetime + ClientIP. A false match would re-route another dataset's lines here.
  signature: {
    all: ['Datetime'],
    any: [
      'Source',
      'RuleID',
      'Kind',
      'MatchIndex',
      'RayID',
      'OriginatorRayID',
      'ClientRequestHost',
      'ClientRequestPath',
      'ClientASNDescription',
      'EdgeColoCode',
    ],
  },
  fields: {
    AISecurityCustomTopicCategories: { type: 'object' },
    AISecurityInjectionScore: { type: 'int' },
    AISecurityPIICategories: { type: 'string[]' },
    AISecurityTokenCount: { type: 'int' },
    AISecurityUnsafeTopicCategories: { type: 'string[]' },
    // → event.type and event.outcome in refine as well.
    Action: { type: 'string', to: 'event.action' },
    // SEKOIA misspells the reference (`jjson_event`) and never maps it (NOTES §6).
    ClientASN: { type: 'int', to: 'source.as.number' },
    ClientASNDescription: { type: 'string', to: 'source.as.organization.name' },
    // A 2-letter code: SEKOIA puts it in country_name (NOTES §6); the engine upper-cases it.
    ClientCountry: { type: 'string', to: 'source.geo.country_iso_code' },
    ClientIP: { type: 'string', to: 'source.ip' },
    ClientIPClass: { type: 'string' },
    // The four referer parts → http.request.referrer in refine.
    ClientRefererHost: { type: 'string' },
    ClientRefererPath: { type: 'string' },
    ClientRefererQuery: { type: 'string' },
    ClientRefererScheme: { type: 'string' },
    ClientRequestHost: { type: 'string', to: ['destination.domain', 'url.domain'] },
    ClientRequestMethod: { type: 'string', to: 'http.request.method' },
    ClientRequestPath: { type: 'string', to: 'url.path' },
    // "HTTP/1.1" → http.version "1.1" and network.protocol "http" in refine.
    ClientRequestProtocol: { type: 'string' },
    // Without its leading "?" (ECS url.query) in refine.
    ClientRequestQuery: { type: 'string', to: 'url.query' },
    ClientRequestScheme: { type: 'string', to: 'url.scheme' },
    ClientRequestUserAgent: { type: 'string', to: 'user_agent.original' },
    ContentScanObjResults: { type: 'string[]' },
    ContentScanObjSizes: { type: 'int[]' },
    ContentScanObjTypes: { type: 'string[]' },
    Datetime: { type: 'time', to: '@timestamp' },
    Description: { type: 'string', to: 'rule.description' },
    EdgeColoCode: { type: 'string' },
    EdgeResponseStatus: { type: 'int', to: 'http.response.status_code' },
    FirewallForAIInjectionScore: { type: 'int' }, // deprecated
    FirewallForAIPIICategories: { type: 'string[]' }, // deprecated
    FirewallForAITokenCount: { type: 'int' }, // deprecated
    FirewallForAIUnsafeTopicCategories: { type: 'string[]' }, // deprecated
    FraudUserID: { type: 'string' },
    Kind: { type: 'string' },
    LeakedCredentialCheckResult: { type: 'string' },
    MatchIndex: { type: 'int' },
    // Product-specific key/values (rule group, message, ruleset…), kept whole as an object.
    Metadata: { type: 'object' },
    OriginResponseStatus: { type: 'int' },
    OriginatorRayID: { type: 'string' },
    // ECS http.request.id, and kept as RayID: the key that joins these rows to http_requests.
    RayID: { type: 'string', to: 'http.request.id', keep: true },
    // The customer's own label for the rule, not an id or a URL: kept as cloudflare.Ref.
    Ref: { type: 'string' },
    // SEKOIA reads `RuleId` and so never maps it (NOTES §6).
    RuleID: { type: 'string', to: 'rule.id' },
    // The security product whose rule matched: the rule's ruleset, and SEKOIA's event.module (refine).
    Source: { type: 'string', to: 'rule.ruleset' },
    ZoneName: { type: 'string' }, // account-scoped dataset only

    // Added after the documented version (2026-08-20 changelog, names only).
    WAFRequestSignatureCategories: { type: 'any' }, // added 2026-08-20; type not documented yet
    WAFRequestSignatureRefs: { type: 'any' }, // added 2026-08-20; type not documented yet
  },
  derives: [
    'destination.port',
    'event.module',
    'event.outcome',
    'http.request.referrer',
    'http.version',
    'network.protocol',
    'url.full',
    'url.port',
  ],
  refine({ record, event, vendor }) {
    const action = typeof record.Action === 'string' ? record.Action : '';
    if (action !== '') {
      const type = actionType(action);
      setField(event, 'event.type', [type]);
      setField(event, 'event.outcome', TYPE_OUTCOME[type]);
    }
    const source = getField(event, 'rule.ruleset');
    if (typeof source === 'string') setField(event, 'event.module', `cloudflare.${source}`);
    mapHttpProtocol(event, vendor, 'ClientRequestProtocol');
    mapHostPort(event);
    const query = getField(event, 'url.query');
    if (typeof query === 'string' && query.startsWith('?')) {
      if (query.length === 1) deleteField(event, 'url.query');
      else setField(event, 'url.query', query.slice(1));
    }
    const path = getField(event, 'url.path');
    const search = getField(event, 'url.query');
    if (typeof path === 'string') completeUrl(event, typeof search === 'string' ? `${path}?${search}` : path);
    mapReferrer(event, vendor);
  },
});

type ActionType = 'allowed' | 'denied' | 'end' | 'info';

const TYPE_OUTCOME: Readonly<Record<ActionType, string>> = {
  allowed: 'success',
  denied: 'failure',
  end: 'failure',
  info: 'unknown',
};

/**
 * SEKOIA's Action → event.type table (NOTES §6): allow, bypass, *solved, *bypassed → allowed; block, *failed →
 * denied; connectionclose → end; challenges issued, log and unknown → info. Matched without regard to case, since
 * http_requests' SecurityActions spell the same actions in camelCase.
 */
export function actionType(action: string): ActionType {
  const a = action.toLowerCase();
  if (a === 'allow' || a === 'bypass' || a.endsWith('solved') || a.endsWith('bypassed')) return 'allowed';
  if (a === 'block' || a.endsWith('failed')) return 'denied';
  if (a === 'connectionclose' || a === 'forceconnectionclose') return 'end';
  return 'info';
}

/** Rebuilds the referrer URL from the parts firewall events log separately; the parts go when it is built. */
function mapReferrer(event: EcsEvent, vendor: CfRecord): void {
  const host = vendor.ClientRefererHost;
  if (typeof host !== 'string') return;
  const scheme = typeof vendor.ClientRefererScheme === 'string' ? `${vendor.ClientRefererScheme}://` : '//';
  const path = typeof vendor.ClientRefererPath === 'string' ? vendor.ClientRefererPath : '';
  const query =
    typeof vendor.ClientRefererQuery === 'string' ? vendor.ClientRefererQuery.replace(/^\?/, '') : '';
  setField(event, 'http.request.referrer', `${scheme}${host}${path}${query === '' ? '' : `?${query}`}`);
  vendor.ClientRefererHost = undefined;
  vendor.ClientRefererScheme = undefined;
  vendor.ClientRefererPath = undefined;
  vendor.ClientRefererQuery = undefined;
}
