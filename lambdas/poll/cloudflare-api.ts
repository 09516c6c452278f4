/**
 * A small client of the Cloudflare v4 API for the pollers and `cf-logs logpush`: one request at a time, the
 * `{success, errors, result, result_info}` envelope checked, rejected credentials told apart from failures, 429
 * `retry-after` honoured and 5xx / network errors retried with backoff (only for requests safe to repeat), all
 * within the caller's time budget (FACTS.md D4).
 *
 * The credential goes into request headers only: it is never part of an error, a message or a retry report.
 */
import type { CloudflareCredential, CredentialProvider } from './types.ts';

/** Cloudflare's API base URL (FACTS.md D4). */
export const DEFAULT_CLOUDFLARE_API_BASE = 'https://api.cloudflare.com/client/v4';

/** A query value; `undefined` leaves the parameter out. */
export type QueryValue = string | number | boolean | undefined;

/** HTTP methods the client sends. */
export type CloudflareMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One request of {@link CloudflareApi.request}. */
export interface CloudflareRequest {
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /**
   * Whether repeating the request cannot do harm, so a 5xx, a network error or a timeout is retried. A 429 is
   * always retried (the request was not served). @default true for GET, PUT and DELETE; false for POST (a create
   * that timed out may have happened).
   */
  readonly idempotent?: boolean;
}

/** One entry of an envelope's `errors` (or `messages`). */
export interface CloudflareMessage {
  readonly code: number | undefined;
  readonly message: string;
}

/** The parts of a successful envelope the pollers read; both are left unchecked for the caller to validate. */
export interface CloudflareEnvelope {
  /** `result` as sent (never `undefined`: a missing `result` is a {@link CloudflareResponseError}). */
  readonly result: unknown;
  /** `result_info` when sent (page-based endpoints: page/total_pages; audit v2: a cursor). */
  readonly result_info: Readonly<Record<string, unknown>> | undefined;
}

/** What {@link CloudflareApiOptions.onRetry} is told before each wait, for metrics and logs. */
export interface CloudflareRetryInfo {
  /** The path retried (no query). */
  readonly path: string;
  /** HTTP status of the failed attempt; undefined for a network error or a timeout. */
  readonly status: number | undefined;
  /** The attempt that failed (1 = the first request). */
  readonly attempt: number;
  /** How long the client waits before the next attempt. */
  readonly delayMs: number;
  /** True for a 429 (the wait follows `retry-after`). */
  readonly rateLimited: boolean;
}

/** How {@link CloudflareApi} talks to Cloudflare. Every option but `credentials` has a documented default. */
export interface CloudflareApiOptions {
  readonly credentials: CredentialProvider;
  /** @default DEFAULT_CLOUDFLARE_API_BASE (a fake's `http://127.0.0.1:<port>/client/v4` in tests) */
  readonly baseUrl?: string;
  /** Time allowed for one request, body included. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** Retries after a 5xx, a network error or a timeout. @default 4 */
  readonly maxRetries?: number;
  /** Retries after a 429 (each also bounded by the time budget). @default 8 */
  readonly maxRateLimitRetries?: number;
  /** Longest wait honoured from `retry-after`; longer ones are shortened to this. @default 60_000 */
  readonly maxRetryAfterMs?: number;
  /** First backoff ceiling after a 5xx or a network error; doubles per attempt (full jitter). @default 500 */
  readonly baseBackoffMs?: number;
  /** Largest backoff ceiling. @default 20_000 */
  readonly maxBackoffMs?: number;
  /**
   * Milliseconds the caller still has (say, the Lambda's remaining time minus a margin). No wait and no request
   * runs past it: the client throws {@link CloudflareDeadlineError} instead. @default unbounded
   */
  readonly remainingMs?: () => number;
  /** Called before each wait. Must not throw. */
  readonly onRetry?: (info: CloudflareRetryInfo) => void;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** @default the global fetch */
  readonly fetch?: typeof fetch;
  /** @default 'cf-logs' */
  readonly userAgent?: string;
}

/** Options of one {@link CloudflareApiError}. */
export interface CloudflareApiErrorDetails {
  readonly path: string;
  readonly status?: number;
  readonly errors?: readonly CloudflareMessage[];
  readonly attempts?: number;
  /** For a 429: the wait Cloudflare asked for. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/**
 * A Cloudflare API call failed: a `success: false` envelope, a status that is not 2xx after the retries, or a
 * network error after the retries (`status` undefined). Never carries the credential or the query.
 */
export class CloudflareApiError extends Error {
  override readonly name: string = 'CloudflareApiError';
  /** The request path without its query (`/accounts/<id>/audit_logs`). */
  readonly path: string;
  readonly status: number | undefined;
  /** The envelope's `errors` (code and message), empty when the body had none. */
  readonly errors: readonly CloudflareMessage[];
  /** Requests made for this call. */
  readonly attempts: number;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: CloudflareApiErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.path = details.path;
    this.status = details.status;
    this.errors = details.errors ?? [];
    this.attempts = details.attempts ?? 1;
    this.retryAfterMs = details.retryAfterMs;
  }
  /** The envelope's error codes. */
  get codes(): number[] {
    return this.errors.flatMap((e) => (e.code === undefined ? [] : [e.code]));
  }
}

/**
 * The credential was rejected or lacks the permission (401, 403, or an authentication error code). Never
 * retried: a run that gets it stops and leaves its checkpoint as it was.
 */
export class CloudflareAuthError extends CloudflareApiError {
  override readonly name: string = 'CloudflareAuthError';
}

/** The API answered 2xx with something that is not the documented envelope or shape (malformed JSON, no `result`). */
export class CloudflareResponseError extends CloudflareApiError {
  override readonly name: string = 'CloudflareResponseError';
}

/** The time budget ran out before the call could succeed (a `retry-after` longer than the time left, say). */
export class CloudflareDeadlineError extends CloudflareApiError {
  override readonly name: string = 'CloudflareDeadlineError';
}

/**
 * Envelope codes that mean "this credential is not accepted here" whatever the status: 6003/6103/6111 malformed
 * auth headers, 9103 unknown key or email, 9106 missing auth headers, 9109 invalid token, 10000
 * authentication error (also what a valid token without the permission gets).
 */
export const CLOUDFLARE_AUTH_ERROR_CODES: ReadonlySet<number> = new Set([
  6003, 6103, 6111, 9103, 9106, 9109, 10000,
]);

// Header values must be visible ASCII: anything else makes fetch throw a TypeError that quotes the value.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** Reads the Cloudflare v4 API. Create one per run (it holds no connection state of its own). */
export class CloudflareApi {
  readonly baseUrl: string;
  readonly #options: CloudflareApiOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #fetch: typeof fetch;

  constructor(options: CloudflareApiOptions) {
    this.#options = options;
    this.baseUrl = (options.baseUrl ?? DEFAULT_CLOUDFLARE_API_BASE).replace(/\/+$/, '');
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? fetch;
  }

  /**
   * GETs `path` (relative to the base URL, starting with `/`) and returns the envelope's `result` and
   * `result_info`.
   * @throws CloudflareAuthError, CloudflareResponseError, CloudflareDeadlineError or CloudflareApiError.
   */
  get(path: string, query: Readonly<Record<string, QueryValue>> = {}): Promise<CloudflareEnvelope> {
    return this.request('GET', path, { query });
  }

  /**
   * Sends one request (`path` relative to the base URL, starting with `/`) and returns the envelope's `result`
   * and `result_info`. Errors name the method and the path, never the query, the body or the credential.
   * @throws CloudflareAuthError, CloudflareResponseError, CloudflareDeadlineError or CloudflareApiError.
   */
  async request(
    method: CloudflareMethod,
    path: string,
    request: CloudflareRequest = {},
  ): Promise<CloudflareEnvelope> {
    if (!path.startsWith('/')) throw new TypeError(`Cloudflare API path must start with "/": ${path}`);
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const what = `${method} ${path}`;
    const headers = authHeaders(await this.#options.credentials.get(), what, path);
    headers.accept = 'application/json';
    headers['user-agent'] = this.#options.userAgent ?? 'cf-logs';
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const idempotent = request.idempotent ?? method !== 'POST';
    const send: Send = { url, method, headers, body, path, what };

    const maxRetries = this.#options.maxRetries ?? 4;
    const maxRateLimitRetries = this.#options.maxRateLimitRetries ?? 8;
    let retries = 0;
    let rateLimitRetries = 0;
    for (let attempt = 1; ; attempt++) {
      const timeoutMs = this.#timeoutFor(send, attempt);
      const outcome = await this.#attempt(send, attempt, timeoutMs);
      if (outcome.kind === 'done') return outcome.envelope;
      const { error } = outcome;
      if (outcome.kind === 'fatal') throw error;
      if (outcome.kind === 'retry' && !idempotent) {
        throw new CloudflareApiError(
          `${error.message}; not retried: a ${method} may have been done (look before trying again)`,
          { path, status: error.status, errors: error.errors, attempts: attempt, cause: error },
        );
      }
      const rateLimited = outcome.kind === 'rate-limited';
      if (rateLimited ? rateLimitRetries >= maxRateLimitRetries : retries >= maxRetries) throw error;
      const delayMs = rateLimited
        ? this.#rateLimitDelay(outcome.retryAfterMs, rateLimitRetries + 1)
        : this.#backoff(retries + 1);
      const remaining = this.#options.remainingMs?.();
      if (remaining !== undefined && delayMs >= remaining) {
        throw new CloudflareDeadlineError(
          `${error.message}; not retried: the ${Math.ceil(delayMs / 1000)} s wait exceeds the time left`,
          {
            path,
            status: error.status,
            errors: error.errors,
            attempts: attempt,
            retryAfterMs: error.retryAfterMs,
            cause: error,
          },
        );
      }
      if (rateLimited) rateLimitRetries++;
      else retries++;
      this.#options.onRetry?.({ path, status: error.status, attempt, delayMs, rateLimited });
      await this.#sleep(delayMs);
    }
  }

  #timeoutFor(send: Send, attempt: number): number {
    const configured = this.#options.requestTimeoutMs ?? 30_000;
    const remaining = this.#options.remainingMs?.();
    if (remaining === undefined) return configured;
    if (remaining <= 0) {
      throw new CloudflareDeadlineError(`${send.what}: no time left for a request`, {
        path: send.path,
        attempts: attempt - 1,
      });
    }
    return Math.min(configured, remaining);
  }

  async #attempt(send: Send, attempt: number, timeoutMs: number): Promise<AttemptOutcome> {
    const { url, method, headers, body, path, what } = send;
    let status: number;
    let text: string;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      const timedOut = (cause as Error | undefined)?.name === 'TimeoutError';
      const reason = timedOut ? `timed out after ${timeoutMs} ms` : `network error (${describeCause(cause)})`;
      return {
        kind: 'retry',
        error: new CloudflareApiError(`${what}: ${reason}`, { path, attempts: attempt, cause }),
      };
    }

    let json: unknown;
    let parsed = true;
    try {
      json = JSON.parse(text);
    } catch {
      parsed = false;
    }
    const envelope = parsed && isObject(json) ? json : undefined;
    const errors = envelope ? messagesOf(envelope.errors) : [];
    const detail = errors.length > 0 ? `: ${formatMessages(errors)}` : '';
    const details = { path, status, errors, attempts: attempt };

    if (
      status === 401 ||
      status === 403 ||
      errors.some((e) => CLOUDFLARE_AUTH_ERROR_CODES.has(e.code ?? -1))
    ) {
      return {
        kind: 'fatal',
        error: new CloudflareAuthError(
          `${what}: the Cloudflare credential was rejected or lacks the permission (HTTP ${status})${detail}`,
          details,
        ),
      };
    }
    if (status === 429) {
      const retryAfterMs = retryAfter(response.headers);
      return {
        kind: 'rate-limited',
        retryAfterMs,
        error: new CloudflareApiError(`${what}: rate limited (HTTP 429)${detail}`, {
          ...details,
          retryAfterMs,
        }),
      };
    }
    if (status >= 500) {
      return {
        kind: 'retry',
        error: new CloudflareApiError(`${what}: HTTP ${status}${detail}`, details),
      };
    }
    if (status < 200 || status >= 300) {
      return {
        kind: 'fatal',
        error: new CloudflareApiError(`${what}: HTTP ${status}${detail}`, details),
      };
    }
    if (!envelope) {
      const got = parsed ? `a JSON ${describeJson(json)} instead of an envelope` : 'a body that is not JSON';
      return {
        kind: 'fatal',
        error: new CloudflareResponseError(`${what}: HTTP ${status} with ${got}`, details),
      };
    }
    if (envelope.success !== true) {
      return {
        kind: 'fatal',
        error: new CloudflareApiError(`${what}: success is not true (HTTP ${status})${detail}`, details),
      };
    }
    if (envelope.result === undefined) {
      return {
        kind: 'fatal',
        error: new CloudflareResponseError(`${what}: the envelope has no result`, details),
      };
    }
    const info = envelope.result_info;
    if (info !== undefined && info !== null && !isObject(info)) {
      return {
        kind: 'fatal',
        error: new CloudflareResponseError(`${what}: result_info is ${describeJson(info)}`, details),
      };
    }
    return { kind: 'done', envelope: { result: envelope.result, result_info: info ?? undefined } };
  }

  #rateLimitDelay(retryAfterMs: number | undefined, retry: number): number {
    // Without retry-after, the whole backoff ceiling (no jitter): Cloudflare blocks for minutes, not moments.
    return Math.min(retryAfterMs ?? this.#ceiling(retry), this.#options.maxRetryAfterMs ?? 60_000);
  }

  /** Full jitter: a uniform wait below the exponential ceiling. */
  #backoff(retry: number): number {
    return Math.floor(this.#random() * this.#ceiling(retry));
  }

  #ceiling(retry: number): number {
    const base = this.#options.baseBackoffMs ?? 500;
    return Math.min(this.#options.maxBackoffMs ?? 20_000, base * 2 ** (retry - 1));
  }
}

/** One request as sent, on every attempt. */
interface Send {
  readonly url: URL;
  readonly method: CloudflareMethod;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly path: string;
  /** `<METHOD> <path>`, how messages name the request. */
  readonly what: string;
}

type AttemptOutcome =
  | { kind: 'done'; envelope: CloudflareEnvelope }
  | { kind: 'retry'; error: CloudflareApiError }
  | { kind: 'rate-limited'; retryAfterMs: number | undefined; error: CloudflareApiError }
  | { kind: 'fatal'; error: CloudflareApiError };

/** The auth headers of a credential; a value that cannot be a header is refused without being quoted. */
function authHeaders(
  credential: CloudflareCredential,
  request: string,
  path: string,
): Record<string, string> {
  const refuse = (what: string): never => {
    throw new CloudflareAuthError(
      `${request}: the Cloudflare ${what} is empty or holds characters not allowed in an HTTP header`,
      { path, attempts: 0 },
    );
  };
  if (credential.kind === 'token') {
    const token = credential.apiToken.trim();
    if (!HEADER_SAFE.test(token)) refuse('API token');
    return { authorization: `Bearer ${token}` };
  }
  const email = credential.email.trim();
  const key = credential.apiKey.trim();
  if (!HEADER_SAFE.test(email)) refuse('account email');
  if (!HEADER_SAFE.test(key)) refuse('API key');
  return { 'x-auth-email': email, 'x-auth-key': key };
}

/** `retry-after-ms` (the SDKs' header), else `retry-after` in seconds or as an HTTP date. */
function retryAfter(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function messagesOf(value: unknown): CloudflareMessage[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry) => {
    if (!isObject(entry)) return { code: undefined, message: String(entry) };
    const code = typeof entry.code === 'number' ? entry.code : Number(entry.code);
    return {
      code: Number.isInteger(code) ? code : undefined,
      message: typeof entry.message === 'string' ? entry.message : '',
    };
  });
}

function formatMessages(messages: readonly CloudflareMessage[]): string {
  return messages
    .slice(0, 5)
    .map((m) => (m.code === undefined ? m.message : `${m.code} ${m.message}`).slice(0, 200))
    .join('; ');
}

function describeCause(cause: unknown): string {
  const error = cause as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const inner = error?.cause?.code ?? error?.cause?.message;
  const text = typeof inner === 'string' ? inner : String(error?.message ?? cause);
  return text.slice(0, 200);
}

function describeJson(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
