/**
 * A local fake of the three Cloudflare log APIs the pollers read (FACTS.md D1–D4), on 127.0.0.1, for tests that
 * drive the real client (`lambdas/poll/cloudflare-api.ts`) and sources over HTTP. It never talks to Cloudflare.
 *
 * Routes (under `baseUrl` = `http://127.0.0.1:<port>/client/v4`):
 * - `GET /accounts/{id}/access/logs/access_requests`: `since`, `until`, `direction` (default `desc`, as
 *   documented), `limit` or `per_page` (default 25, silently capped at `accessMaxPageSize`), `page` (default 1).
 *   `result` is a plain array, no `result_info` (D1).
 * - `GET /accounts/{id}/audit_logs` (v1): `since`, `before`, `direction`, `per_page` (default 100, above 1000 a
 *   400), `page`; `result_info {page, per_page, count, total_count, total_pages}` (D2).
 * - `GET /accounts/{id}/logs/audit` (v2): `since` and `before` required, `direction`, `limit` (default 100),
 *   `cursor`; the next cursor in `result_info.cursor` or `result_info.cursors.after` (`v2Cursor`), and on the
 *   last page omitted, empty, or still present with an empty page after it (`v2EndCursor`) (D3).
 *
 * Every bound (`since`, `until`, `before`) is inclusive, times compared to the nanosecond; dates `yyyy-mm-dd` and
 * RFC 3339 are accepted. Ties keep insertion order. Items are held in the API's own shape (snake_case Access
 * items, nested audit items; build them with {@link fakeAccessRequest}, {@link fakeAuditLogV1},
 * {@link fakeAuditLogV2}) in `events[source]`, which tests may change at any time (late arrivals).
 *
 * Auth: `Authorization: Bearer <apiToken>` or `X-Auth-Email` + `X-Auth-Key` matching `globalKey`; anything
 * else gets Cloudflare's envelope (403 code 10000 for a wrong token, 403 9103 for a wrong key, 400 9106 when
 * missing); another account id gets 403 10000 too. The request log records how a request authenticated, never
 * the secret.
 *
 * Faults (see {@link CloudflareFault}) are chosen per request: `script.at.get(index)`, else the head of
 * `script.queue`, else `script.planner(request)`. After `maxRequests` requests every request gets a 400 and
 * `requestLimitHit` turns true, so a runaway client stops.
 *
 * Helpers: {@link fakeCredentials} (a CredentialProvider for the fake's token or key), {@link fakeItemId} and
 * {@link fakeItemTime} (what a source must report for an item, for "each event exactly once" assertions).
 *
 * Page-numbered APIs (Access, v1) page by offset, as the real ones presumably do: items added during a run
 * before the page being read shift later pages, so a client may see an item twice (never miss one).
 */
import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseEventTime } from '../../lambdas/core/time.ts';
import { accessRequestId } from '../../lambdas/poll/sources.ts';
import type { CloudflareCredential, CredentialProvider, PollSourceName } from '../../lambdas/poll/types.ts';
import { listenOnLoopback } from './loopback-server.ts';

/** An item as the API returns it (snake_case for Access, nested objects for the audit logs). */
export type ApiItem = Record<string, unknown>;

/** The account the fake serves unless told otherwise. */
export const FAKE_CF_ACCOUNT_ID = '0123456789abcdef0123456789abcdef';
/** The API token the fake accepts unless told otherwise. */
export const FAKE_CF_API_TOKEN = 'fake-cf-token-0123456789abcdefghijklmnopqrstuv';
/** The legacy global key the fake accepts unless told otherwise. */
export const FAKE_CF_GLOBAL_KEY = {
  email: 'poller@example.com',
  apiKey: 'fakeglobalkey0123456789abcdef0123456',
};

/**
 * What to do with one request instead of (or before) answering it normally.
 * - `rate-limit`: 429 with `retry-after` (seconds; default 1) and `retry-after-ms` if given, Cloudflare's body.
 * - `server-error`: a 5xx (default 500), with Cloudflare's HTML error page when `html`, else an envelope.
 * - `malformed-json`: 200 with a truncated JSON body.
 * - `missing-result`: 200 `{success: true}` without `result`.
 * - `unsuccessful`: `success: false` with `errors` (default code 1001), status default 400.
 * - `reject-auth`: 403 code 10000 whatever the credential.
 * - `reset`: the connection is destroyed without an answer (a network error).
 * - `slow`: waits `delayMs` (at most 60 s; cut short by `close()`), then answers normally.
 * - `respond`: any status, headers and body (a string is sent as is, anything else as JSON).
 */
export type CloudflareFault =
  | { kind: 'rate-limit'; retryAfter?: number | string; retryAfterMs?: number }
  | { kind: 'server-error'; status?: number; html?: boolean }
  | { kind: 'malformed-json' }
  | { kind: 'missing-result' }
  | { kind: 'unsuccessful'; status?: number; errors?: readonly { code: number; message: string }[] }
  | { kind: 'reject-auth' }
  | { kind: 'reset' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'respond'; status: number; body: unknown; headers?: Record<string, string> };

/** How a request authenticated (the secret itself is never recorded). */
export type FakeCloudflareAuth = 'token' | 'key' | 'none';

/** What the fake recorded about one request. */
export interface FakeCloudflareRequest {
  /** Position in `requests` (0-based): the key of `script.at`. */
  readonly index: number;
  readonly method: string;
  /** Path without the query, as sent (`/client/v4/accounts/…`). */
  readonly path: string;
  /** Query parameters (the last value of a repeated one). */
  readonly query: Readonly<Record<string, string>>;
  /** The API the path names, if any. */
  readonly source: PollSourceName | undefined;
  /** The auth headers sent. */
  readonly auth: FakeCloudflareAuth;
  /** Whether they matched the fake's credential (false when a fault answered first). */
  authorized: boolean;
  /** The fault applied, if any. */
  fault: CloudflareFault['kind'] | undefined;
  /** Status sent (undefined for `reset` or a closed server). */
  status: number | undefined;
  /** Items in `result`. */
  returned: number;
  /** The `result_info` sent, if any. */
  resultInfo: Record<string, unknown> | undefined;
}

/** The fake's mutable script of faults. */
export interface FakeCloudflareScript {
  /** Faults by request index (0-based, counting every request). */
  readonly at: Map<number, CloudflareFault>;
  /** Faults taken one per request when `at` has none for it. */
  queue: CloudflareFault[];
  /** Consulted last; return undefined to answer normally. */
  planner: ((request: FakeCloudflareRequest) => CloudflareFault | undefined) | undefined;
}

/** Settings a test may change while the fake runs. */
export interface FakeCloudflareSettings {
  /** Where the v2 next cursor goes. @default 'cursors.after' (the SDKs' shape) */
  v2Cursor: 'cursor' | 'cursors.after';
  /** The v2 last page: no cursor, an empty cursor, or a cursor to an empty page. @default 'omit' */
  v2EndCursor: 'omit' | 'empty' | 'always';
  /** Most Access rows one page returns whatever the client asks (the API's maximum is undocumented). @default 1000 */
  accessMaxPageSize: number;
  /** Whether Access honours `page` (the 2024 OpenAPI has no `page`: every request gives page 1). @default true */
  accessHonoursPage: boolean;
}

/** Options of {@link startFakeCloudflare}. */
export interface FakeCloudflareOptions {
  /** @default FAKE_CF_ACCOUNT_ID */
  accountId?: string;
  /** The accepted API token; `null` accepts none. @default FAKE_CF_API_TOKEN */
  apiToken?: string | null;
  /** The accepted legacy key; `null` accepts none. @default FAKE_CF_GLOBAL_KEY */
  globalKey?: { email: string; apiKey: string } | null;
  /** Initial items per API. */
  events?: Partial<Record<PollSourceName, ApiItem[]>>;
  /** Requests answered before every further one gets a 400. @default 10_000 */
  maxRequests?: number;
  settings?: Partial<FakeCloudflareSettings>;
  script?: Partial<Omit<FakeCloudflareScript, 'at'>> & { at?: Iterable<[number, CloudflareFault]> };
}

/** A running fake Cloudflare API. */
export interface FakeCloudflare {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** `http://127.0.0.1:<port>/client/v4`: the client's `baseUrl`. */
  readonly baseUrl: string;
  readonly port: number;
  readonly accountId: string;
  /** Items per API, in insertion order (served sorted by time). Mutable. */
  readonly events: Record<PollSourceName, ApiItem[]>;
  /** Every request, in arrival order. */
  readonly requests: FakeCloudflareRequest[];
  readonly script: FakeCloudflareScript;
  readonly settings: FakeCloudflareSettings;
  /** True once a request beyond `maxRequests` arrived. */
  readonly requestLimitHit: boolean;
  /** Appends items to an API (they become visible to the next request). */
  add(source: PollSourceName, ...items: ApiItem[]): void;
  /** Requests that reached one API. */
  requestsFor(source: PollSourceName): FakeCloudflareRequest[];
  /** Stops the server, cancels pending `slow` faults and closes every connection. */
  close(): Promise<void>;
}

/**
 * A credential provider that always gives `credential` (default: the fake's token); `calls` counts the reads.
 */
export function fakeCredentials(
  credential: CloudflareCredential = { kind: 'token', apiToken: FAKE_CF_API_TOKEN },
): CredentialProvider & { calls: number } {
  const provider = {
    calls: 0,
    async get() {
      provider.calls++;
      return credential;
    },
  };
  return provider;
}

/** The id an item is deduplicated by (ray_id for Access, id for the audit logs). */
export function fakeItemId(source: PollSourceName, item: ApiItem): string {
  return source === 'access_requests' ? accessRequestId(item) : String(item.id);
}

/** The item's event time as the API writes it. */
export function fakeItemTime(source: PollSourceName, item: ApiItem): unknown {
  if (source === 'access_requests') return item.created_at;
  if (source === 'audit_logs') return item.when;
  const action = item.action;
  return typeof action === 'object' && action !== null ? (action as ApiItem).time : undefined;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const uuid = (prefix: number, n: number): string =>
  `${hex(prefix, 8)}-0000-4000-8000-${hex(n, 12)}`.slice(0, 36);

/** A complete Access authentication item as the API returns it (D1), ray id and user derived from `n`. */
export function fakeAccessRequest(n: number, createdAt: string, overrides: ApiItem = {}): ApiItem {
  return {
    action: 'login',
    allowed: true,
    app_domain: 'wiki.example.com',
    app_type: 'self_hosted',
    app_uid: '00000000-0000-4000-8000-00000000000a',
    connection: 'saml',
    country: 'nl',
    created_at: createdAt,
    ip_address: `192.0.2.${n % 250}`,
    ray_id: `8f1e${hex(n, 12)}`,
    user_email: `user${n}@example.com`,
    user_id: uuid(0x101, n),
    ...overrides,
  };
}

/** A complete v1 audit log item as the API returns it (D2), id derived from `n`. */
export function fakeAuditLogV1(n: number, when: string, overrides: ApiItem = {}): ApiItem {
  return {
    action: { result: true, type: 'rec_set' },
    actor: {
      email: 'dana@example.com',
      id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      ip: '203.0.113.20',
      type: 'user',
    },
    id: uuid(0xa1, n),
    interface: 'API',
    metadata: { zone_name: 'example.com', zone_tag: 'ffeeddccbbaa99887766554433221100' },
    newValue: '',
    newValueJson: { content: '198.51.100.81', ttl: 1 },
    oldValue: '',
    oldValueJson: { content: '198.51.100.80', ttl: 1 },
    owner: { id: FAKE_CF_ACCOUNT_ID },
    resource: { id: 'abcdefabcdefabcdefabcdefabcdefab', type: 'DNS_record' },
    when,
    ...overrides,
  };
}

/** A complete v2 audit log item as the API returns it (D3), id derived from `n`. */
export function fakeAuditLogV2(n: number, time: string, overrides: ApiItem = {}): ApiItem {
  return {
    account: { id: FAKE_CF_ACCOUNT_ID, name: 'Example Corp' },
    action: { description: 'Update DNS record', result: 'success', time, type: 'update' },
    actor: {
      context: 'api_token',
      email: 'dana@example.com',
      id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      ip_address: '203.0.113.20',
      token_id: '00000000-0000-4000-8000-000000000002',
      token_name: 'terraform-dns',
      type: 'user',
    },
    id: uuid(0xa2, n),
    raw: {
      cf_ray_id: `8f1f${hex(n, 12)}`,
      method: 'PATCH',
      status_code: 200,
      uri: '/client/v4/zones/ffeeddccbbaa99887766554433221100/dns_records/abcdefabcdefabcdefabcdefabcdefab',
      user_agent: 'terraform/1.9',
    },
    resource: {
      id: 'abcdefabcdefabcdefabcdefabcdefab',
      product: 'dns_records',
      request: { content: '198.51.100.81', name: 'www.example.com', type: 'A' },
      response: { content: '198.51.100.81', id: 'abcdefabcdefabcdefabcdefabcdefab', name: 'www.example.com' },
      scope: 'zones',
      type: 'dns_record',
      value: {},
    },
    zone: { id: 'ffeeddccbbaa99887766554433221100', name: 'example.com' },
    ...overrides,
  };
}

const MAX_DELAY_MS = 60_000;
const ROUTES: readonly [RegExp, PollSourceName][] = [
  [/^\/client\/v4\/accounts\/([^/]+)\/access\/logs\/access_requests\/?$/, 'access_requests'],
  [/^\/client\/v4\/accounts\/([^/]+)\/audit_logs\/?$/, 'audit_logs'],
  [/^\/client\/v4\/accounts\/([^/]+)\/logs\/audit\/?$/, 'audit_logs_v2'],
];

class BadRequest extends Error {}

interface Indexed {
  readonly item: ApiItem;
  readonly ns: bigint;
  readonly seq: number;
}

/** Cloudflare's error envelope. */
export function cloudflareFailure(code: number, message: string) {
  return { success: false, errors: [{ code, message }], messages: [], result: null };
}

/**
 * Answers a request as a {@link CloudflareFault} says (shared by the fakes of Cloudflare's APIs). `send` writes
 * the answer; `delay` resolves false when the fake closed meanwhile.
 * @returns true when the fault answered (or dropped) the request, false when it is to be answered normally.
 */
export async function answerWithFault(
  fault: CloudflareFault,
  res: ServerResponse,
  send: (status: number, body: unknown, headers?: Record<string, string>) => void,
  delay: (ms: number) => Promise<boolean>,
): Promise<boolean> {
  switch (fault.kind) {
    case 'slow':
      return !(await delay(fault.delayMs));
    case 'rate-limit': {
      const headers: Record<string, string> = { 'retry-after': String(fault.retryAfter ?? 1) };
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      send(429, cloudflareFailure(971, 'Please wait and consider throttling your request speed'), headers);
      return true;
    }
    case 'server-error': {
      const status = fault.status ?? 500;
      send(
        status,
        fault.html
          ? `<html><body><h1>${status} Internal Server Error</h1>cloudflare</body></html>`
          : cloudflareFailure(10_500 + (status % 100), 'Internal Server Error'),
      );
      return true;
    }
    case 'malformed-json':
      send(200, '{"success":true,"errors":[],"messages":[],"result":[{"id":"trunc', {
        'content-type': 'application/json',
      });
      return true;
    case 'missing-result':
      send(200, { success: true, errors: [], messages: [] });
      return true;
    case 'unsuccessful':
      send(fault.status ?? 400, {
        success: false,
        errors: fault.errors ?? [{ code: 1001, message: 'Injected failure' }],
        messages: [],
        result: null,
      });
      return true;
    case 'reject-auth':
      send(403, cloudflareFailure(10_000, 'Authentication error'));
      return true;
    case 'reset':
      res.socket?.destroy();
      return true;
    case 'respond':
      send(fault.status, fault.body, fault.headers);
      return true;
  }
}

/**
 * Starts a fake Cloudflare API on 127.0.0.1 at an ephemeral port.
 *
 * @example
 * const cf = await startFakeCloudflare({ events: { audit_logs_v2: [fakeAuditLogV2(1, '2026-01-01T00:00:00Z')] } });
 * cf.script.at.set(0, { kind: 'rate-limit', retryAfter: 2 });
 * const api = new CloudflareApi({ baseUrl: cf.baseUrl, credentials: fakeCredentials(), sleep: clock.sleep });
 * // ... run the code under test, then look at cf.requests ...
 * await cf.close();
 */
export async function startFakeCloudflare(options: FakeCloudflareOptions = {}): Promise<FakeCloudflare> {
  const accountId = options.accountId ?? FAKE_CF_ACCOUNT_ID;
  const apiToken = options.apiToken === undefined ? FAKE_CF_API_TOKEN : options.apiToken;
  const globalKey = options.globalKey === undefined ? FAKE_CF_GLOBAL_KEY : options.globalKey;
  const maxRequests = options.maxRequests ?? 10_000;
  const events: Record<PollSourceName, ApiItem[]> = {
    access_requests: [...(options.events?.access_requests ?? [])],
    audit_logs: [...(options.events?.audit_logs ?? [])],
    audit_logs_v2: [...(options.events?.audit_logs_v2 ?? [])],
  };
  const settings: FakeCloudflareSettings = {
    v2Cursor: 'cursors.after',
    v2EndCursor: 'omit',
    accessMaxPageSize: 1000,
    accessHonoursPage: true,
    ...options.settings,
  };
  const script: FakeCloudflareScript = {
    at: new Map(options.script?.at ?? []),
    queue: [...(options.script?.queue ?? [])],
    planner: options.script?.planner,
  };
  const requests: FakeCloudflareRequest[] = [];
  const timers = new Map<NodeJS.Timeout, () => void>();
  let limitHit = false;
  let closed = false;

  const delay = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          resolve(!closed);
        },
        Math.min(Math.max(ms, 0), MAX_DELAY_MS),
      );
      timers.set(timer, () => resolve(false));
    });

  const send = (
    res: ServerResponse,
    log: FakeCloudflareRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    log.status = status;
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/html' : 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };
  const failure = cloudflareFailure;

  const applyFault = (fault: CloudflareFault, res: ServerResponse, log: FakeCloudflareRequest) => {
    log.fault = fault.kind;
    return answerWithFault(
      fault,
      res,
      (status, body, headers) => send(res, log, status, body, headers),
      delay,
    );
  };

  const authenticate = (
    req: IncomingMessage,
  ): { auth: FakeCloudflareAuth; ok: boolean; refusal: unknown } => {
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string') {
      const ok = apiToken !== null && authorization === `Bearer ${apiToken}`;
      return { auth: 'token', ok, refusal: failure(10_000, 'Authentication error') };
    }
    const email = req.headers['x-auth-email'];
    const key = req.headers['x-auth-key'];
    if (typeof email === 'string' || typeof key === 'string') {
      const ok = globalKey !== null && email === globalKey.email && key === globalKey.apiKey;
      return { auth: 'key', ok, refusal: failure(9103, 'Unknown X-Auth-Key or X-Auth-Email') };
    }
    return {
      auth: 'none',
      ok: false,
      refusal: failure(9106, 'Missing X-Auth-Key, X-Auth-Email or Authorization headers'),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    let source: PollSourceName | undefined;
    let account: string | undefined;
    for (const [pattern, name] of ROUTES) {
      const match = pattern.exec(url.pathname);
      if (match) {
        source = name;
        account = decodeURIComponent(match[1] ?? '');
      }
    }
    const { auth, ok, refusal } = authenticate(req);
    const log: FakeCloudflareRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      source,
      auth,
      authorized: false,
      fault: undefined,
      status: undefined,
      returned: 0,
      resultInfo: undefined,
    };
    requests.push(log);
    for await (const _ of req) {
      // The body is ignored (GET); drained so keep-alive works.
    }

    if (log.index >= maxRequests) {
      limitHit = true;
      send(res, log, 400, failure(1001, `fake Cloudflare: more than ${maxRequests} requests`));
      return;
    }
    const fault = script.at.get(log.index) ?? script.queue.shift() ?? script.planner?.(log);
    if (fault && (await applyFault(fault, res, log))) return;
    if (closed) return;

    if (!ok) {
      send(res, log, auth === 'none' ? 400 : 403, refusal);
      return;
    }
    log.authorized = true;
    if (source === undefined) {
      send(res, log, 404, failure(7003, 'No route for the URI'));
      return;
    }
    if (log.method !== 'GET') {
      send(res, log, 405, failure(7001, 'Method not allowed for this route'));
      return;
    }
    if (account !== accountId) {
      send(res, log, 403, failure(10_000, 'Authentication error'));
      return;
    }
    try {
      const page = serve(source, query);
      log.returned = page.result.length;
      log.resultInfo = page.result_info;
      send(res, log, 200, { success: true, errors: [], messages: [], ...page });
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      send(res, log, 400, failure(1001, error.message));
    }
  };

  const serve = (
    source: PollSourceName,
    query: Record<string, string>,
  ): { result: ApiItem[]; result_info?: Record<string, unknown> } => {
    const since = timeParam(query, 'since', source === 'audit_logs_v2');
    const upper = source === 'access_requests' ? 'until' : 'before';
    const until = timeParam(query, upper, source === 'audit_logs_v2');
    const direction = query.direction ?? 'desc';
    if (direction !== 'asc' && direction !== 'desc') throw new BadRequest(`direction must be asc or desc`);
    const matching = events[source]
      .map((item, seq): Indexed => ({ item, seq, ns: itemNs(source, item) }))
      .filter(
        (e) => e.ns >= 0n && (since === undefined || e.ns >= since) && (until === undefined || e.ns <= until),
      )
      .sort((a, b) => (a.ns === b.ns ? a.seq - b.seq : a.ns < b.ns ? -1 : 1));
    if (direction === 'desc') matching.reverse();

    if (source === 'access_requests') {
      const asked = intParam(query, 'per_page') ?? intParam(query, 'limit') ?? 25;
      const size = Math.min(asked, settings.accessMaxPageSize);
      const page = settings.accessHonoursPage ? (intParam(query, 'page') ?? 1) : 1;
      return { result: matching.slice((page - 1) * size, page * size).map((e) => e.item) };
    }
    if (source === 'audit_logs') {
      const size = intParam(query, 'per_page') ?? 100;
      if (size > 1000) throw new BadRequest('per_page must be at most 1000');
      const page = intParam(query, 'page') ?? 1;
      const result = matching.slice((page - 1) * size, page * size).map((e) => e.item);
      return {
        result,
        result_info: {
          page,
          per_page: size,
          count: result.length,
          total_count: matching.length,
          total_pages: Math.ceil(matching.length / size),
        },
      };
    }
    const size = intParam(query, 'limit') ?? 100;
    const filter = `${query.since}|${query.before}|${direction}`;
    let start = 0;
    if (query.cursor !== undefined && query.cursor !== '') {
      const position = decodeCursor(query.cursor, filter);
      // Keyset: continue after the last item served, so items added meanwhile are not skipped or repeated.
      start = matching.findIndex((e) =>
        direction === 'asc'
          ? e.ns > position.ns || (e.ns === position.ns && e.seq > position.seq)
          : e.ns < position.ns || (e.ns === position.ns && e.seq < position.seq),
      );
      if (start < 0) start = matching.length;
    }
    const slice = matching.slice(start, start + size);
    const last = slice[slice.length - 1];
    const more = start + size < matching.length;
    let cursor: string | undefined;
    if (last && (more || settings.v2EndCursor === 'always')) cursor = encodeCursor(last, filter);
    else if (settings.v2EndCursor === 'empty') cursor = '';
    const info: Record<string, unknown> = { count: slice.length };
    if (cursor !== undefined) {
      if (settings.v2Cursor === 'cursor') info.cursor = cursor;
      else info.cursors = { after: cursor };
    }
    return { result: slice.map((e) => e.item), result_info: info };
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ success: false, errors: [{ code: 1, message: `fake: ${String(error)}` }] }));
      } else {
        res.socket?.destroy();
      }
    });
  });
  const loopback = await listenOnLoopback(server);

  return {
    endpoint: loopback.endpoint,
    baseUrl: `${loopback.endpoint}/client/v4`,
    port: loopback.port,
    accountId,
    events,
    requests,
    script,
    settings,
    get requestLimitHit() {
      return limitHit;
    },
    add(source, ...items) {
      events[source].push(...items);
    },
    requestsFor(source) {
      return requests.filter((r) => r.source === source);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const [timer, cancel] of timers) {
        clearTimeout(timer);
        cancel();
      }
      timers.clear();
      await loopback.close();
    },
  };
}

function itemNs(source: PollSourceName, item: ApiItem): bigint {
  try {
    return parseEventTime(fakeItemTime(source, item))?.ns ?? -1n;
  } catch {
    return -1n;
  }
}

function timeParam(query: Record<string, string>, name: string, required: boolean): bigint | undefined {
  const value = query[name];
  if (value === undefined || value === '') {
    if (required) throw new BadRequest(`${name} is required`);
    return undefined;
  }
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  try {
    const instant = typeof text === 'string' && /^\d{4}-/.test(text) ? parseEventTime(text) : undefined;
    if (instant) return instant.ns;
  } catch {
    // Reported below.
  }
  throw new BadRequest(`${name} must be a date or an RFC 3339 time, got ${value}`);
}

function intParam(query: Record<string, string>, name: string): number | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
    throw new BadRequest(`${name} must be a positive integer`);
  return Number(value);
}

function encodeCursor(position: Indexed, filter: string): string {
  return Buffer.from(JSON.stringify({ ns: String(position.ns), seq: position.seq, filter })).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string, filter: string): { ns: bigint; seq: number } {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      ns: string;
      seq: number;
      filter: string;
    };
    if (decoded.filter === filter) return { ns: BigInt(decoded.ns), seq: decoded.seq };
  } catch {
    // Reported below.
  }
  throw new BadRequest('cursor is invalid or was issued for other parameters');
}
