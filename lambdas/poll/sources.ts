/**
 * The three Cloudflare log APIs as {@link PollSource}s: Access authentication logs (FACTS.md D1), account audit
 * logs v1 (D2) and v2 (D3). Each reads a window oldest first, page by page, and renames the API's items to the
 * Logpush dataset's field names, so the dataset's mapper gives the same ECS event as for the Logpush line.
 *
 * Windows: the APIs do not document whether `since`/`until`/`before` are inclusive, so a source asks for one
 * millisecond more on each side (RFC 3339 with milliseconds, which every endpoint accepts) and keeps exactly the
 * events with `since <= time <= until`, to the nanosecond. Fields the Logpush dataset does not have keep a
 * PascalCase name (`app_type` → `AppType`) and land under `cloudflare.*`; a value whose JSON type differs from the
 * Logpush field's (v1's string `newValue` where Logpush has an object) keeps the API value under `<Name>Text`
 * (scalars) or `<Name>Object` (objects, lists), so nothing is lost and nothing breaks the mapper's type check.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../core/errors.ts';
import { type Instant, parseEventTime } from '../core/time.ts';
import type { DatasetName } from '../datasets/catalog.ts';
import { MAPPERS } from '../datasets/index.ts';
import type { CfRecord, CfType } from '../datasets/mapper.ts';
import {
  type CloudflareApi,
  CloudflareApiError,
  CloudflareResponseError,
  type QueryValue,
} from './cloudflare-api.ts';
import type { PolledEvent, PollSource, PollSourceName, PollWindow } from './types.ts';

/** What a source needs from the client (a {@link CloudflareApi}, or a stub in tests). */
export type CloudflareReader = Pick<CloudflareApi, 'get'>;

/** How a source reads its API. */
export interface PollSourceOptions {
  /** The Cloudflare account id (32 hex digits). */
  readonly accountId: string;
  /**
   * Items per request. @default 100 for Access (API default 25, maximum undocumented), 1000 for audit v1 (its
   * documented maximum; larger values are lowered to it), 100 for audit v2 (its documented default).
   */
  readonly pageSize?: number;
  /**
   * Most requests for one window; more throws {@link CloudflarePageLimitError} (the poller's deadline normally
   * ends a run long before). @default 1000
   */
  readonly maxPages?: number;
}

/** A window needed more pages than `maxPages`: something loops, or the window is far too wide. */
export class CloudflarePageLimitError extends CloudflareApiError {
  override readonly name: string = 'CloudflarePageLimitError';
}

/** The Logpush dataset whose mapper each API's records go through. */
export const POLL_SOURCE_DATASETS: Readonly<Record<PollSourceName, DatasetName>> = {
  access_requests: 'access_requests',
  audit_logs: 'audit_logs',
  audit_logs_v2: 'audit_logs_v2',
};

/** The source reading `name`'s API. */
export function createPollSource(
  name: PollSourceName,
  api: CloudflareReader,
  options: PollSourceOptions,
): PollSource {
  switch (name) {
    case 'access_requests':
      return accessRequestsSource(api, options);
    case 'audit_logs':
      return auditLogsSource(api, options);
    case 'audit_logs_v2':
      return auditLogsV2Source(api, options);
  }
}

const V1_MAX_PER_PAGE = 1000;

/**
 * Access authentication logs: `GET /accounts/{id}/access/logs/access_requests?since&until&direction=asc&limit&
 * per_page&page` (both size parameters: the 2024 API reads `limit`, the current SDKs send `per_page`). The result
 * is a bare array without `result_info`, so paging stops at the first page shorter than asked for.
 */
export function accessRequestsSource(api: CloudflareReader, options: PollSourceOptions): PollSource {
  const path = `${accountPath(options.accountId)}/access/logs/access_requests`;
  const pageSize = positive(options.pageSize ?? 100, 'pageSize');
  return pagedSource('access_requests', api, path, options, accessRequestEvent, () => (bounds, last) => {
    if (last && last.items.length < pageSize) return undefined;
    const page = (last?.page ?? 0) + 1;
    const size = { limit: pageSize, per_page: pageSize };
    return { since: bounds.since, until: bounds.until, direction: 'asc', ...size, page };
  });
}

/**
 * Account audit logs v1: `GET /accounts/{id}/audit_logs?since&before&direction=asc&per_page&page`, paged by
 * `result_info.total_pages` (or a short page when `result_info` says nothing).
 */
export function auditLogsSource(api: CloudflareReader, options: PollSourceOptions): PollSource {
  const path = `${accountPath(options.accountId)}/audit_logs`;
  const perPage = Math.min(positive(options.pageSize ?? V1_MAX_PER_PAGE, 'pageSize'), V1_MAX_PER_PAGE);
  return pagedSource('audit_logs', api, path, options, auditLogEvent, () => (bounds, last) => {
    if (last) {
      const totalPages = last.info?.total_pages;
      if (last.items.length < perPage) return undefined;
      if (typeof totalPages === 'number' && last.page >= totalPages) return undefined;
    }
    const page = (last?.page ?? 0) + 1;
    return { since: bounds.since, before: bounds.until, direction: 'asc', per_page: perPage, page };
  });
}

/**
 * Account audit logs v2: `GET /accounts/{id}/logs/audit?since&before&direction=asc&limit[&cursor]`. The next
 * cursor is `result_info.cursor` (the docs' example) or `result_info.cursors.after` (the SDKs); paging ends
 * when there is none, or an empty one, or an empty page.
 */
export function auditLogsV2Source(api: CloudflareReader, options: PollSourceOptions): PollSource {
  const path = `${accountPath(options.accountId)}/logs/audit`;
  const limit = positive(options.pageSize ?? 100, 'pageSize');
  return pagedSource('audit_logs_v2', api, path, options, auditLogV2Event, () => {
    // Cursors given in this window: one seen again means the API loops.
    const seenCursors = new Set<string>();
    return (bounds, last) => {
      if (!last) return { since: bounds.since, before: bounds.until, direction: 'asc', limit };
      const cursor = nextCursor(last.info, path);
      if (cursor === undefined) return undefined;
      if (seenCursors.has(cursor)) {
        throw new CloudflareResponseError(`GET ${path}: the API returned cursor it had already given`, {
          path,
        });
      }
      seenCursors.add(cursor);
      return { since: bounds.since, before: bounds.until, direction: 'asc', limit, cursor };
    };
  });
}

/** The page just read, for deciding on the next request. */
interface LastPage {
  readonly page: number;
  readonly items: readonly unknown[];
  readonly info: Readonly<Record<string, unknown>> | undefined;
}

/** The query of the next page, from the page just read (none: the first), or undefined after the last page. */
type NextQuery = (bounds: QueryBounds, last: LastPage | undefined) => Record<string, QueryValue> | undefined;

/**
 * A source that reads `path` page by page; `paging` starts a window's {@link NextQuery}. Every source shares the
 * page cap, the repeated-page check, the exact window filter, the end at an empty page and the rule that pages
 * without an event in the window are not yielded.
 */
function pagedSource(
  name: PollSourceName,
  api: CloudflareReader,
  path: string,
  options: PollSourceOptions,
  toEvent: (item: unknown, path: string, index: number) => PolledEvent,
  paging: () => NextQuery,
): PollSource {
  const maxPages = positive(options.maxPages ?? 1000, 'maxPages');
  return {
    name,
    dataset: POLL_SOURCE_DATASETS[name],
    async *pages(window) {
      const bounds = queryBounds(window);
      const nextQuery = paging();
      let previous: readonly string[] | undefined;
      let last: LastPage | undefined;
      for (let page = 1; ; page++) {
        const query = nextQuery(bounds, last);
        if (query === undefined) return;
        if (page > maxPages) throw pageLimit(path, maxPages);
        const { result, result_info: info } = await api.get(path, query);
        const items = itemsOf(result, path);
        const events = items.map((item, i) => toEvent(item, path, i));
        previous = checkProgress(path, page, events, previous);
        const inWindow = events.filter((e) => bounds.contains(e.time));
        if (inWindow.length > 0) yield inWindow;
        if (items.length === 0) return;
        last = { page, items, info };
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Renaming API items to Logpush records.

/** How an API item's keys become Logpush field names. */
interface RenameRules {
  readonly dataset: DatasetName;
  /** API key (`key`, or `group.key` inside a group) → Logpush name (`Name`, or `Name.key` inside an object). */
  readonly names: Readonly<Record<string, string>>;
  /** API objects whose keys are flattened to `<Prefix><Key>` (`actor.email` → `ActorEmail`). */
  readonly groups: Readonly<Record<string, string>>;
}

const ACCESS_RULES: RenameRules = {
  dataset: 'access_requests',
  names: {
    action: 'Action',
    allowed: 'Allowed',
    app_domain: 'AppDomain',
    app_uid: 'AppUUID',
    connection: 'Connection',
    country: 'Country',
    created_at: 'CreatedAt',
    ip_address: 'IPAddress',
    purpose_justification_prompt: 'PurposeJustificationPrompt',
    purpose_justification_response: 'PurposeJustificationResponse',
    ray_id: 'RayID',
    temporary_access_approvers: 'TemporaryAccessApprovers',
    temporary_access_duration: 'TemporaryAccessDuration',
    user_email: 'Email',
    user_id: 'UserUID',
  },
  groups: {},
};

const AUDIT_V1_RULES: RenameRules = {
  dataset: 'audit_logs',
  names: {
    'action.result': 'ActionResult',
    'action.type': 'ActionType',
    'actor.email': 'ActorEmail',
    'actor.id': 'ActorID',
    'actor.ip': 'ActorIP',
    'actor.type': 'ActorType',
    id: 'ID',
    interface: 'Interface',
    metadata: 'Metadata',
    newValue: 'NewValue',
    oldValue: 'OldValue',
    'owner.id': 'OwnerID',
    'resource.id': 'ResourceID',
    'resource.type': 'ResourceType',
    when: 'When',
  },
  groups: { action: 'Action', actor: 'Actor', owner: 'Owner', resource: 'Resource' },
};

const AUDIT_V2_RULES: RenameRules = {
  dataset: 'audit_logs_v2',
  names: {
    'account.id': 'AccountID',
    'account.name': 'AccountName',
    'action.description': 'ActionDescription',
    'action.result': 'ActionResult',
    'action.time': 'ActionTimestamp',
    'action.type': 'ActionType',
    'actor.context': 'ActorContext',
    'actor.email': 'ActorEmail',
    'actor.id': 'ActorID',
    'actor.ip_address': 'ActorIPAddress',
    'actor.token_id': 'ActorTokenDetails.id',
    'actor.token_name': 'ActorTokenDetails.name',
    'actor.type': 'ActorType',
    id: 'AuditLogID',
    // Kept whole with the API's snake_case keys: the mapper reads cf_ray_id and CfRayID alike.
    raw: 'Raw',
    'resource.id': 'ResourceID',
    'resource.product': 'ResourceProduct',
    'resource.request': 'ResourceRequest',
    'resource.response': 'ResourceResponse',
    'resource.scope': 'ResourceScope',
    'resource.type': 'ResourceType',
    'resource.value': 'ResourceValue',
    'zone.id': 'ZoneID',
    'zone.name': 'ZoneName',
  },
  groups: { account: 'Account', action: 'Action', actor: 'Actor', resource: 'Resource', zone: 'Zone' },
};

/** An Access logs API item under the Logpush `access_requests` names. */
export function accessRequestRecord(item: Readonly<Record<string, unknown>>): CfRecord {
  return renameItem(item, ACCESS_RULES);
}

/**
 * A v1 audit logs API item under the Logpush `audit_logs` names. The API gives `newValue`/`oldValue` as strings
 * and, for many resources, the same values parsed as `newValueJson`/`oldValueJson`: the object becomes
 * NewValue/OldValue (Logpush's type) and the string NewValueText/OldValueText.
 */
export function auditLogRecord(item: Readonly<Record<string, unknown>>): CfRecord {
  const names: Record<string, string> = { ...AUDIT_V1_RULES.names };
  for (const [plain, json, name] of [
    ['newValue', 'newValueJson', 'NewValue'],
    ['oldValue', 'oldValueJson', 'OldValue'],
  ] as const) {
    if (isPlainObject(item[json])) {
      names[json] = name;
      names[plain] = `${name}Text`;
    }
  }
  return renameItem(item, { ...AUDIT_V1_RULES, names });
}

/** A v2 audit logs API item under the Logpush `audit_logs_v2` names. */
export function auditLogV2Record(item: Readonly<Record<string, unknown>>): CfRecord {
  return renameItem(item, AUDIT_V2_RULES);
}

function renameItem(item: Readonly<Record<string, unknown>>, rules: RenameRules): CfRecord {
  const named: [string, string, unknown][] = [];
  const generic: [string, string, unknown][] = [];
  for (const [key, value] of Object.entries(item)) {
    const prefix = rules.groups[key];
    if (prefix !== undefined && isPlainObject(value)) {
      for (const [sub, subValue] of Object.entries(value)) {
        const name = rules.names[`${key}.${sub}`];
        if (name !== undefined) named.push([`${key}_${sub}`, name, subValue]);
        else generic.push([`${key}_${sub}`, prefix + pascalCase(sub), subValue]);
      }
      continue;
    }
    const name = rules.names[key];
    if (name !== undefined) named.push([key, name, value]);
    else generic.push([key, pascalCase(key), value]);
  }

  const fields = MAPPERS[rules.dataset].spec.fields;
  const record: CfRecord = {};
  // Documented names first, so a generic name can never take one of theirs.
  for (const [apiKey, name, value] of [...named, ...generic]) {
    const dot = name.indexOf('.');
    if (dot > 0) {
      // A part of a Logpush object (ActorTokenDetails.id): absent parts leave it out rather than hold nulls.
      if (value === undefined || value === null || value === '') continue;
      const parent = name.slice(0, dot);
      if (record[parent] === undefined) record[parent] = {};
      const target = record[parent];
      if (isPlainObject(target)) {
        target[name.slice(dot + 1)] = value;
        continue;
      }
    }
    const type = fields[name]?.type;
    let target = dot > 0 ? apiKey : name;
    if (type !== undefined && !fits(type, value))
      target = `${name}${isStructured(value) ? 'Object' : 'Text'}`;
    record[freeName(record, target, apiKey)] = value;
  }
  return record;
}

/** Whether a value has the JSON shape of a Logpush type (the mapper checks and converts scalars itself). */
function fits(type: CfType, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (type === 'object') return isPlainObject(value);
  if (type === 'string[]' || type === 'int[]' || type === 'object[]') return Array.isArray(value);
  if (type === 'any') return true;
  return !isStructured(value);
}

function freeName(record: CfRecord, name: string, apiKey: string): string {
  if (!(name in record)) return name;
  if (!(apiKey in record)) return apiKey;
  for (let n = 2; ; n++) if (!(`${apiKey}_${n}` in record)) return `${apiKey}_${n}`;
}

const ACRONYMS: Readonly<Record<string, string>> = {
  id: 'ID',
  ip: 'IP',
  uid: 'UID',
  uuid: 'UUID',
  uri: 'URI',
  url: 'URL',
};

/** `app_type` → `AppType`, `user_agent` → `UserAgent`, `newValueJson` → `NewValueJson`, `token_id` → `TokenID`. */
export function pascalCase(key: string): string {
  return key
    .split(/[_\-\s]+/)
    .filter((part) => part !== '')
    .map((part) => ACRONYMS[part.toLowerCase()] ?? part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Items to events.

function accessRequestEvent(item: unknown, path: string, index: number): PolledEvent {
  const fields = objectItem(item, path, index);
  return {
    id: accessRequestId(fields),
    time: timeOf(fields.created_at, 'created_at', path, index),
    record: accessRequestRecord(fields),
  };
}

function auditLogEvent(item: unknown, path: string, index: number): PolledEvent {
  const fields = objectItem(item, path, index);
  return {
    id: idOf(fields.id, fields),
    time: timeOf(fields.when, 'when', path, index),
    record: auditLogRecord(fields),
  };
}

function auditLogV2Event(item: unknown, path: string, index: number): PolledEvent {
  const fields = objectItem(item, path, index);
  const action = isPlainObject(fields.action) ? fields.action : {};
  return {
    id: idOf(fields.id, fields),
    time: timeOf(action.time, 'action.time', path, index),
    record: auditLogV2Record(fields),
  };
}

/** The API's id; an item without one is known by a hash of its content (stable across re-reads). */
/**
 * An Access event's id: the ray id with the user and the application, as the access_requests mapper keys
 * event.id (a ray id alone is not documented to be unique across users and apps); the item's hash without one.
 */
export function accessRequestId(fields: Readonly<Record<string, unknown>>): string {
  const ray = idOf(fields.ray_id, fields);
  if (ray.startsWith('sha256:')) return ray;
  return [ray, fields.user_email, fields.app_uid]
    .map((v) => (v === undefined || v === null ? '' : String(v)))
    .join('/');
}

function idOf(value: unknown, item: Readonly<Record<string, unknown>>): string {
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
  return `sha256:${createHash('sha256').update(JSON.stringify(item)).digest('hex').slice(0, 32)}`;
}

function timeOf(value: unknown, field: string, path: string, index: number): Instant {
  let instant: Instant | undefined;
  try {
    instant = parseEventTime(value);
  } catch {
    instant = undefined;
  }
  if (instant === undefined) {
    throw new CloudflareResponseError(
      `GET ${path}: item ${index} has no valid ${field} (${JSON.stringify(value)?.slice(0, 40) ?? 'absent'})`,
      { path },
    );
  }
  return instant;
}

function objectItem(item: unknown, path: string, index: number): Readonly<Record<string, unknown>> {
  if (isPlainObject(item)) return item;
  throw new CloudflareResponseError(`GET ${path}: item ${index} of result is not an object`, { path });
}

// ---------------------------------------------------------------------------------------------------------------
// Paging helpers.

interface QueryBounds {
  readonly since: string;
  readonly until: string;
  contains(time: Instant): boolean;
}

/** The window widened by 1 ms each way for the query, and the exact test of an event against it. */
function queryBounds(window: PollWindow): QueryBounds {
  const since = window.since.getTime();
  const until = window.until.getTime();
  if (!Number.isFinite(since) || !Number.isFinite(until))
    throw new RangeError('poll window bounds must be valid dates');
  const sinceNs = BigInt(since) * 1_000_000n;
  const untilNs = BigInt(until) * 1_000_000n;
  return {
    since: new Date(since - 1).toISOString(),
    until: new Date(until + 1).toISOString(),
    contains: (time) => time.ns >= sinceNs && time.ns <= untilNs,
  };
}

/** `result` as a list; `null` counts as an empty one (some v4 endpoints say "nothing" that way). */
function itemsOf(result: unknown, path: string): unknown[] {
  if (result === null) return [];
  if (Array.isArray(result)) return result;
  throw new CloudflareResponseError(`GET ${path}: result is ${typeof result}, not a list`, { path });
}

/**
 * A page-numbered API that ignores `page` answers every page with the first one: caught when a full page repeats
 * the previous page's ids, instead of looping until the page cap.
 */
function checkProgress(
  path: string,
  page: number,
  events: readonly PolledEvent[],
  previous: readonly string[] | undefined,
): readonly string[] {
  const ids = events.map((e) => e.id);
  if (
    previous &&
    ids.length > 0 &&
    ids.length === previous.length &&
    ids.every((id, i) => id === previous[i])
  ) {
    throw new CloudflareResponseError(
      `GET ${path}: page ${page} repeats page ${page - 1}; the API seems to ignore the page parameter`,
      { path },
    );
  }
  return ids;
}

function nextCursor(info: Readonly<Record<string, unknown>> | undefined, path: string): string | undefined {
  if (info === undefined) return undefined;
  const cursors = info.cursors;
  const after = isPlainObject(cursors) ? cursors.after : undefined;
  for (const value of [info.cursor, after]) {
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') {
      throw new CloudflareResponseError(`GET ${path}: result_info cursor is not a string`, { path });
    }
    return value;
  }
  return undefined;
}

function pageLimit(path: string, maxPages: number): CloudflarePageLimitError {
  return new CloudflarePageLimitError(
    `GET ${path}: more than ${maxPages} pages for one window; narrow the window or raise maxPages`,
    { path, attempts: maxPages },
  );
}

function accountPath(accountId: string): string {
  // Cloudflare account ids are 32 hex digits; anything else must not reach a URL path.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(accountId)) {
    throw new ConfigError(
      `the Cloudflare account id must be 32 hex digits, got ${JSON.stringify(accountId)}`,
    );
  }
  return `/accounts/${accountId}`;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStructured(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}
