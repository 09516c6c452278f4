import { isEmpty, setField } from '../core/ecs.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `audit_logs` (v1): the Cloudflare account audit log, one line per action on the account (account-scoped).
 * Fields: `../shared/cloudflare/audit_logs.md`. Output follows SEKOIA's shape (`NOTES.md` §6 audit_logs) for the
 * mapped fields and its derived `cloudflare.zone_*`/`request_*` keys, and keeps Metadata, NewValue and OldValue
 * whole (SEKOIA drops them: the before/after of a change is the point of an audit log).
 *
 * Categorization differs from SEKOIA's fixed network/access on purpose: an audit entry records a change of
 * configuration, so ECS says category `configuration` with type creation/change/deletion/access from the verb in
 * ActionType (`gateway_create`, `rec_set`, `rec_del`, `api_key_view`), and `authentication` start/end for
 * login/logout. A verb we cannot read gives type `info`. Outcome: ActionResult true/false → success/failure.
 */
export const auditLogs = defineMapper({
  dataset: 'audit_logs',
  observerType: 'proxy',
  category: ['configuration'],
  type: ['info'],
  idFields: ['ID'],
  // When is v1's only time field (audit_logs_v2 has ActionTimestamp, access_requests CreatedAt).
  signature: {
    all: ['When'],
    any: ['ActionType', 'ActorEmail', 'ActorID', 'ActorIP', 'ResourceType', 'OwnerID', 'ActionResult'],
  },
  fields: {
    // → event.outcome in refine; kept too (SEKOIA keeps it, and ECS has no boolean for it).
    ActionResult: { type: 'bool' },
    // → event.category/type in refine as well.
    ActionType: { type: 'string', to: 'event.action' },
    ActorEmail: { type: 'string', to: 'user.email' },
    ActorID: { type: 'string', to: 'user.id' },
    // IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is unwrapped by the engine (NOTES §4, SEKOIA's grok stage).
    ActorIP: { type: 'string', to: 'source.ip' },
    ActorType: { type: 'string' },
    // The audit entry's own id (the natural key of event.id), kept as cloudflare.ID as SEKOIA does.
    ID: { type: 'string' },
    Interface: { type: 'string' },
    Metadata: { type: 'object' },
    NewValue: { type: 'object' },
    OldValue: { type: 'object' },
    OwnerID: { type: 'string', to: 'cloud.account.id' },
    ResourceID: { type: 'string' },
    ResourceType: { type: 'string' },
    When: { type: 'time', to: '@timestamp' },
  },
  derives: ['event.outcome'],
  derivesVendor: {
    zone_name: 'string',
    zone_tag: 'string',
    request_client_default: 'bool',
    request_name: 'string',
    request_networks: 'object[]',
  },
  refine({ record, values, event, vendor }) {
    const result = values.ActionResult;
    setField(
      event,
      'event.outcome',
      typeof result === 'boolean' ? (result ? 'success' : 'failure') : 'unknown',
    );
    if (typeof values.ActionType === 'string') {
      const { category, type } = actionCategorization(values.ActionType);
      setField(event, 'event.category', category);
      setField(event, 'event.type', type);
    }
    addMetadataKeys(record, vendor);
  },
});

// Verbs as they appear in v1 ActionType values, one token of `<resource>_<verb>[_<detail>]`.
const VERB_TYPES: Readonly<Record<string, string>> = {
  create: 'creation',
  add: 'creation',
  insert: 'creation',
  new: 'creation',
  delete: 'deletion',
  del: 'deletion',
  remove: 'deletion',
  revoke: 'deletion',
  destroy: 'deletion',
  update: 'change',
  set: 'change',
  edit: 'change',
  change: 'change',
  modify: 'change',
  patch: 'change',
  rotate: 'change',
  roll: 'change',
  reset: 'change',
  enable: 'change',
  disable: 'change',
  rename: 'change',
  move: 'change',
  view: 'access',
  read: 'access',
  get: 'access',
  list: 'access',
  export: 'access',
  download: 'access',
  reveal: 'access',
};

/**
 * ECS event.category and event.type for an audit ActionType: the first token that is a known verb decides
 * (`gateway_create_location` → creation); `login`/`logout` are authentication start/end.
 */
export function actionCategorization(actionType: string): { category: string[]; type: string[] } {
  for (const token of actionType.toLowerCase().split(/[^a-z0-9]+/)) {
    if (token === 'login') return { category: ['authentication'], type: ['start'] };
    if (token === 'logout') return { category: ['authentication'], type: ['end'] };
    const type = VERB_TYPES[token];
    if (type !== undefined) return { category: ['configuration'], type: [type] };
  }
  return { category: ['configuration'], type: ['info'] };
}

// SEKOIA's derived vendor keys (NOTES §5): [cloudflare key, path in Metadata].
const METADATA_KEYS: readonly (readonly [string, readonly string[]])[] = [
  ['zone_name', ['zone_name']],
  ['zone_tag', ['zone_tag']],
  ['request_client_default', ['Request', 'client_default']],
  ['request_name', ['Request', 'name']],
  ['request_networks', ['Request', 'networks']],
];

/** Adds SEKOIA's `cloudflare.zone_*`/`request_*` keys from Metadata; Metadata itself stays whole beside them. */
function addMetadataKeys(record: CfRecord, vendor: CfRecord): void {
  for (const [key, path] of METADATA_KEYS) {
    let node: unknown = record.Metadata;
    for (const part of path)
      node = typeof node === 'object' && node !== null ? (node as CfRecord)[part] : undefined;
    if (!isEmpty(node)) vendor[key] = node;
  }
}
