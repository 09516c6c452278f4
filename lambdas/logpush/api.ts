/**
 * The Logpush job API of a zone or an account (FACTS.md A3, A6), over the project's Cloudflare client: jobs,
 * dataset fields and the ownership challenge. Cloudflare's errors are turned into {@link LogpushApiError}s that say
 * what to do: the permission the token lacks (Logs Edit; Zero Trust PII Read for error 1004), the 4-jobs-per-zone
 * limit.
 */
import {
  type CloudflareApi,
  CloudflareApiError,
  CloudflareAuthError,
  type CloudflareMethod,
  type CloudflareRequest,
} from '../poll/cloudflare-api.ts';
import { MAX_JOBS_PER_ZONE, ZERO_TRUST_DATASETS } from './settings.ts';

/** A zone or the account: where a Logpush job lives (`/zones/{id}` or `/accounts/{id}`). */
export interface LogpushScope {
  readonly kind: 'zone' | 'account';
  /** Zone id or account id (32 hex). */
  readonly id: string;
  /** Zone name, when the configuration gives one (messages only). */
  readonly name?: string;
}

/** How a scope is named in messages: `zone 89abcdef… (example.com)`, `account 01234567…`. */
export function describeScope(scope: LogpushScope): string {
  return `${scope.kind} ${scope.id}${scope.name === undefined ? '' : ` (${scope.name})`}`;
}

/** A Logpush job as Cloudflare returns it; only `id` is required, everything else is read defensively. */
export interface LogpushJob {
  readonly id: number;
  readonly dataset: string | null;
  readonly name: string | null;
  readonly enabled: boolean;
  readonly destination_conf: string;
  readonly output_options: Readonly<Record<string, unknown>> | null;
  /** A string of JSON (`{"where": …}`), or null / empty for none. */
  readonly filter: string | null;
  readonly kind: string | null;
  readonly max_upload_bytes: number | null;
  readonly max_upload_records: number | null;
  readonly max_upload_interval_seconds: number | null;
  /** The last time up to which logs were pushed. */
  readonly last_complete: string | null;
  /** When the job last failed, while it is failing. */
  readonly last_error: string | null;
  readonly error_message: string | null;
}

/** Answer of `POST …/logpush/ownership`. */
export interface OwnershipChallenge {
  /** Where Cloudflare wrote the token: `<bucket>/<key>` (FACTS A3), possibly just the key. */
  readonly filename: string;
  readonly valid: boolean;
  readonly message: string;
}

/** The body of a create or an update (snake_case, as the API takes it). */
export type LogpushJobBody = Readonly<Record<string, unknown>>;

/** What went wrong with a Logpush call, and what to do about it. */
export type LogpushProblem =
  | 'credential'
  | 'permission'
  | 'zero-trust-permission'
  | 'job-limit'
  | 'not-found'
  | 'failed';

/** A Logpush call failed. The message names the call, the scope and the fix; `cause` is the client's error. */
export class LogpushApiError extends Error {
  override readonly name = 'LogpushApiError';
  readonly problem: LogpushProblem;
  readonly status: number | undefined;
  readonly codes: readonly number[];
  constructor(
    message: string,
    problem: LogpushProblem,
    details: { status?: number; codes?: readonly number[]; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.problem = problem;
    this.status = details.status;
    this.codes = details.codes ?? [];
  }
}

/** What a call was doing, for the message of its error. */
interface CallContext {
  readonly scope: LogpushScope;
  readonly dataset?: string;
  /** `list the Logpush jobs`, `create the http_requests job`, … */
  readonly doing: string;
}

// The envelope codes for "the token is not valid at all" rather than "lacks a permission" (FACTS D4).
const INVALID_CREDENTIAL_CODES = new Set([6003, 6103, 6111, 9103, 9106, 9109]);
// Cloudflare answers both the Zero Trust permission error and the job limit with "… is not allowed"; the text
// tells them apart (FACTS A6).
const JOB_LIMIT_TEXT = /exceeded max jobs/i;
const NOT_ALLOWED_CODE = 1004;

/** Turns a client error into a {@link LogpushApiError} with the fix in its message (every call of the API class). */
function explainLogpushError(error: unknown, context: CallContext): LogpushApiError | unknown {
  if (!(error instanceof CloudflareApiError)) return error;
  const where = describeScope(context.scope);
  const base = `cannot ${context.doing} in ${where}`;
  const details = { status: error.status, codes: error.codes, cause: error };
  const text = error.errors.map((e) => e.message).join(' ');
  if (JOB_LIMIT_TEXT.test(text)) {
    return new LogpushApiError(
      `${base}: ${where} already has ${MAX_JOBS_PER_ZONE} Logpush jobs, Cloudflare's limit per zone. ` +
        'Delete one you no longer need (`cf-logs logpush list` shows them all), or use the account-scoped ' +
        'job where the dataset has one (firewall_events).',
      'job-limit',
      details,
    );
  }
  if (error.codes.includes(NOT_ALLOWED_CODE)) {
    const dataset = context.dataset === undefined ? 'a Zero Trust dataset' : context.dataset;
    return new LogpushApiError(
      `${base}: Cloudflare answered error 1004 ("${text.slice(0, 160)}"). Jobs of ${dataset} need the token to ` +
        'hold Zero Trust: PII Read besides Logs: Edit (since 2025-11-05); add it to the token.',
      'zero-trust-permission',
      details,
    );
  }
  if (error instanceof CloudflareAuthError) {
    if (error.codes.some((code) => INVALID_CREDENTIAL_CODES.has(code))) {
      return new LogpushApiError(
        `${base}: Cloudflare rejected the credential (${error.message.replace(/^[A-Z]+ \S+: /, '')}). ` +
          'Check the token (or the e-mail and global key) you gave.',
        'credential',
        details,
      );
    }
    const zeroTrust =
      context.dataset !== undefined && ZERO_TRUST_DATASETS.has(context.dataset as never)
        ? ' and Zero Trust: PII Read (a Zero Trust dataset)'
        : '';
    const scoped =
      context.scope.kind === 'zone' ? `zone-scoped, including ${where}` : `account-scoped, for ${where}`;
    return new LogpushApiError(
      `${base}: the token lacks the permission (HTTP ${error.status ?? '?'}${error.codes.length ? `, code ${error.codes.join(', ')}` : ''}). ` +
        `It needs Logs: Edit (Logs Write)${zeroTrust}, ${scoped}.`,
      'permission',
      details,
    );
  }
  if (error.status === 404) {
    return new LogpushApiError(`${base}: not found (${error.message})`, 'not-found', details);
  }
  return new LogpushApiError(`${base}: ${error.message}`, 'failed', details);
}

/** The Logpush endpoints of one account and its zones. */
export class LogpushApi {
  readonly #api: CloudflareApi;

  constructor(api: CloudflareApi) {
    this.#api = api;
  }

  /** Every Logpush job of the scope (whatever its destination). */
  async listJobs(scope: LogpushScope): Promise<LogpushJob[]> {
    const result = await this.#call(scope, 'GET', '/logpush/jobs', {}, { doing: 'list the Logpush jobs' });
    if (!Array.isArray(result)) throw this.#shape(scope, 'the job list', result);
    return result.map((item) => readJob(item, () => this.#shape(scope, 'a job in the list', item)));
  }

  /** The field names Cloudflare lists for a dataset, in its order. */
  async fields(scope: LogpushScope, dataset: string): Promise<string[]> {
    const result = await this.#call(
      scope,
      'GET',
      `/logpush/datasets/${encodeURIComponent(dataset)}/fields`,
      {},
      { dataset, doing: `read the fields of ${dataset}` },
    );
    if (!isRecord(result)) throw this.#shape(scope, `the fields of ${dataset}`, result);
    return Object.keys(result);
  }

  /** Creates a job. Not repeated after a 5xx: the caller lists the jobs again before another try. */
  async createJob(scope: LogpushScope, dataset: string, body: LogpushJobBody): Promise<LogpushJob> {
    const result = await this.#call(
      scope,
      'POST',
      '/logpush/jobs',
      { body },
      { dataset, doing: `create the ${dataset} job` },
    );
    return readJob(result, () => this.#shape(scope, 'the created job', result));
  }

  /** Updates a job (the fields given). */
  async updateJob(
    scope: LogpushScope,
    id: number,
    dataset: string,
    body: LogpushJobBody,
  ): Promise<LogpushJob> {
    const result = await this.#call(
      scope,
      'PUT',
      `/logpush/jobs/${id}`,
      { body },
      { dataset, doing: `update ${dataset} job ${id}` },
    );
    return readJob(result, () => this.#shape(scope, 'the updated job', result));
  }

  /** Deletes a job. */
  async deleteJob(scope: LogpushScope, id: number, dataset: string | null): Promise<void> {
    await this.#call(
      scope,
      'DELETE',
      `/logpush/jobs/${id}`,
      {},
      { ...(dataset === null ? {} : { dataset }), doing: `delete job ${id}` },
    );
  }

  /** Asks Cloudflare to write an ownership challenge into the destination (safe to repeat: a new file). */
  async requestOwnership(scope: LogpushScope, destinationConf: string): Promise<OwnershipChallenge> {
    const result = await this.#call(
      scope,
      'POST',
      '/logpush/ownership',
      { body: { destination_conf: destinationConf }, idempotent: true },
      { doing: 'request an ownership challenge' },
    );
    if (!isRecord(result) || typeof result.filename !== 'string') {
      throw this.#shape(scope, 'the ownership challenge', result);
    }
    return {
      filename: result.filename,
      valid: result.valid !== false,
      message: typeof result.message === 'string' ? result.message : '',
    };
  }

  /** Whether Cloudflare accepts `token` for `destinationConf` (the documented pre-check). */
  async validateOwnership(scope: LogpushScope, destinationConf: string, token: string): Promise<boolean> {
    const result = await this.#call(
      scope,
      'POST',
      '/logpush/ownership/validate',
      { body: { destination_conf: destinationConf, ownership_challenge: token }, idempotent: true },
      { doing: 'validate the ownership challenge' },
    );
    return isRecord(result) && result.valid === true;
  }

  async #call(
    scope: LogpushScope,
    method: CloudflareMethod,
    path: string,
    request: CloudflareRequest,
    context: Omit<CallContext, 'scope'>,
  ): Promise<unknown> {
    const base = `/${scope.kind === 'zone' ? 'zones' : 'accounts'}/${scope.id}`;
    try {
      return (await this.#api.request(method, base + path, request)).result;
    } catch (error) {
      throw explainLogpushError(error, { scope, ...context });
    }
  }

  #shape(scope: LogpushScope, what: string, value: unknown): LogpushApiError {
    const got = JSON.stringify(value)?.slice(0, 120) ?? String(value);
    return new LogpushApiError(
      `Cloudflare answered with ${what} in an unexpected shape in ${describeScope(scope)}: ${got}`,
      'failed',
      {},
    );
  }
}

function readJob(value: unknown, shapeError: () => Error): LogpushJob {
  if (!isRecord(value)) throw shapeError();
  const id = typeof value.id === 'number' ? value.id : Number(value.id);
  if (!Number.isSafeInteger(id) || id < 1) throw shapeError();
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const int = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    id,
    dataset: text(value.dataset),
    name: text(value.name),
    enabled: value.enabled === true,
    destination_conf: text(value.destination_conf) ?? '',
    output_options: isRecord(value.output_options) ? value.output_options : null,
    filter: text(value.filter),
    kind: text(value.kind),
    max_upload_bytes: int(value.max_upload_bytes),
    max_upload_records: int(value.max_upload_records),
    max_upload_interval_seconds: int(value.max_upload_interval_seconds),
    last_complete: text(value.last_complete),
    last_error: text(value.last_error),
    error_message: text(value.error_message),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
