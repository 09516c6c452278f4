import { type EcsEvent, setField } from '../core/ecs.ts';
import { actionCategorization } from './audit-logs.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `audit_logs_v2`: the Cloudflare account audit log (Audit Logs v2), one line per action on the account's
 * resources, by a user, a token or Cloudflare itself (account-scoped). Fields: `../shared/cloudflare/audit_logs_v2.md`;
 * the API of the same logs (`/accounts/{id}/logs/audit`, FACTS.md D3) names the values: ActionType create | update |
 * delete | view, ActionResult success | failure, ActorContext api_key | api_token | dash | oauth | origin_ca_key.
 *
 * Same choices as v1 (`audit-logs.ts`), so both versions query alike: observer.type proxy, category
 * `configuration` with type creation/change/deletion/access from the verb in ActionType (v1's table, which also
 * reads v2's bare verbs), `iam` added when the resource is an identity or an access right (members, tokens, users,
 * roles, permission groups). Outcome: ActionResult success/failure as it is, anything else unknown. The request
 * behind the action (`Raw`: ray id, method, status, URI, user agent) fills http.*, url.* and user_agent.*.
 */
export const auditLogsV2 = defineMapper({
  dataset: 'audit_logs_v2',
  observerType: 'proxy',
  category: ['configuration'],
  type: ['info'],
  // "Unique identifier of an audit log", which Cloudflare says is usable for deduplication.
  idFields: ['AuditLogID'],
  // ActionTimestamp is v2's own time field (v1 has When): any of these names confirms it.
  signature: {
    all: ['ActionTimestamp'],
    any: [
      'AuditLogID',
      'ActionType',
      'ActionResult',
      'ActorIPAddress',
      'ActorContext',
      'ResourceProduct',
      'ResourceScope',
    ],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    AccountName: { type: 'string', to: 'cloud.account.name' },
    // "Update DNS record" and the like: the line's human-readable message.
    ActionDescription: { type: 'string', to: 'message' },
    // → event.outcome in refine (kept only when it is neither success nor failure).
    ActionResult: { type: 'string' },
    ActionTimestamp: { type: 'time', to: '@timestamp' },
    // → event.category/type in refine as well.
    ActionType: { type: 'string', to: 'event.action' },
    ActorContext: { type: 'string' },
    ActorEmail: { type: 'string', to: 'user.email' },
    ActorID: { type: 'string', to: 'user.id' },
    // IPv4-mapped IPv6 is unwrapped by the engine, as for v1's ActorIP.
    ActorIPAddress: { type: 'string', to: 'source.ip' },
    ActorTokenDetails: { type: 'object' },
    ActorType: { type: 'string' },
    // The natural key of event.id, kept under its own name as v1's ID is.
    AuditLogID: { type: 'string' },
    // Mined for http.*, url.* and user_agent.* in refine, and kept whole: its keys are the API's, not documented
    // for Logpush.
    Raw: { type: 'object' },
    ResourceID: { type: 'string' },
    ResourceProduct: { type: 'string' },
    ResourceRequest: { type: 'object' },
    ResourceResponse: { type: 'object' },
    ResourceScope: { type: 'string' },
    ResourceType: { type: 'string' },
    ResourceValue: { type: 'object' },
    ZoneID: { type: 'string' },
    ZoneName: { type: 'string' },
  },
  derives: [
    'event.outcome',
    'http.request.id',
    'http.request.method',
    'http.response.status_code',
    'url.original',
    'user_agent.original',
  ],
  refine({ event, vendor }) {
    const result = typeof vendor.ActionResult === 'string' ? vendor.ActionResult.toLowerCase() : undefined;
    if (result === 'success' || result === 'failure') {
      setField(event, 'event.outcome', result);
      vendor.ActionResult = undefined;
    } else {
      setField(event, 'event.outcome', 'unknown');
    }
    const action = event.event as EcsEvent;
    if (typeof action.action === 'string') {
      const { category, type } = actionCategorization(action.action);
      action.category = category;
      action.type = type;
    }
    if (isIdentityResource(vendor) && !(action.category as string[]).includes('iam')) {
      action.category = [...(action.category as string[]), 'iam'];
    }
    if (typeof vendor.Raw === 'object' && vendor.Raw !== null) mapRaw(vendor.Raw as CfRecord, event);
  },
});

// Resources that are identities or access rights: ECS `iam` ("users, groups, and administration").
const IDENTITY = /member|token|user|role|permission|group|api_?key|invite/i;

/** True when the resource acted on is an identity or an access right (scope `memberships`/`user`, or its type). */
export function isIdentityResource(vendor: CfRecord): boolean {
  const scope = vendor.ResourceScope;
  if (scope === 'memberships' || scope === 'user') return true;
  for (const name of ['ResourceType', 'ResourceProduct']) {
    const value = vendor[name];
    if (typeof value === 'string' && IDENTITY.test(value)) return true;
  }
  return false;
}

/** The value of `raw` under `name` written snake_case (the API's `cf_ray_id`) or camel/Pascal case (`CfRayID`). */
function rawValue(raw: CfRecord, name: string): unknown {
  for (const key in raw) if (key.replace(/_/g, '').toLowerCase() === name) return raw[key];
  return undefined;
}

/** The API request that performed the action: ray id, method, response status, URI and user agent. */
function mapRaw(raw: CfRecord, event: EcsEvent): void {
  const text = (name: string): string | undefined => {
    const value = rawValue(raw, name);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  setField(event, 'http.request.id', text('cfrayid'));
  setField(event, 'http.request.method', text('method'));
  const status = rawValue(raw, 'statuscode');
  const code = typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : status;
  if (typeof code === 'number' && Number.isInteger(code)) setField(event, 'http.response.status_code', code);
  const uri = text('uri');
  if (uri !== undefined) {
    // The engine splits a full URL or a path with its query.
    setField(event, 'url.original', uri);
  }
  setField(event, 'user_agent.original', text('useragent'));
}
