/**
 * A local fake of Cloudflare's Logpush job API (FACTS.md A3, A5, A6, B) on 127.0.0.1, for tests that drive
 * `cf-logs logpush` over HTTP. Challenge files go into a {@link FakeS3}, where the code under test reads and
 * deletes them with a real S3 client. It never talks to Cloudflare.
 *
 * Routes (under `baseUrl` = `http://127.0.0.1:<port>/client/v4`, scope = `zones/{zone_id}` or
 * `accounts/{account_id}`):
 * - `GET /{scope}/logpush/jobs`, `GET /{scope}/logpush/datasets/{dataset}/jobs`: the jobs, ordered by id.
 * - `POST /{scope}/logpush/jobs`; `GET|PUT|DELETE /{scope}/logpush/jobs/{job_id}` (DELETE answers `{id}`).
 * - `GET /{scope}/logpush/datasets/{dataset}/fields`: field name → description.
 * - `POST /{scope}/logpush/ownership` `{destination_conf}`: writes the challenge file, answers
 *   `{filename, valid: true, message: ""}`.
 * - `POST /{scope}/logpush/ownership/validate` `{destination_conf, ownership_challenge}`: `{valid}`.
 *
 * Auth: `Authorization: Bearer <token>` with a token of `tokens` (each with a {@link FakeTokenGrant}), or
 * `X-Auth-Email` + `X-Auth-Key` matching `globalKey` (every permission, as a user's global key has). A wrong
 * token gets 403 10000, a wrong key 403 9103, no credential 400 9106, like `fake-cloudflare.ts`. A grant
 * without `logsEdit`, a scope the grant does not cover, or a zone/account id the fake does not serve gets 403
 * 10000 on every route ("all Logpush API operations require Logs: Write", A6). A Zero Trust dataset without
 * `zeroTrustPiiRead` gets 403 1004 `reading job for product '<product>' is not allowed` (A6, E9).
 *
 * Guesses, where Cloudflare documents nothing (each one an assumption the code under test must not rely on
 * beyond what FACTS.md says):
 * - Error codes other than 1004, 10000, 9103, 9106, 7003: see {@link FAKE_LOGPUSH_ERRORS} (1002 for invalid
 *   input, 1003 for an unknown job). The job limit answers 400 with code 1004 like the permission error; a
 *   client tells them apart by the message.
 * - Challenge object name: `ownership-challenge-<8 hex>.txt` (`settings.challengeName: 'plain'` gives the
 *   documented `ownership-challenge.txt`), under the destination path with `{DATE}` = the fake clock's UTC
 *   `YYYYMMDD`; `filename` is `<bucket>/<key>` as in the curl example (`settings.filenameStyle: 'key'` drops
 *   the bucket).
 * - The token is JWT-shaped (`header.payload.signature`, base64url), but only the fake's own record of it
 *   counts: valid for exactly the scope and `destination_conf` it was issued for, for 7 days by the fake clock.
 * - A bucket is writable when it exists in the fake S3 (checked with one HeadBucket over HTTP, so it shows in
 *   the fake S3's request log and consumes an unfiltered S3 fault) unless `writableBuckets` lists them.
 * - Only AWS `s3://` destinations get challenges here; S3-compatible ones (`endpoint=` or `access-key-id=`)
 *   and other schemes are accepted on jobs without a challenge (A1, A3).
 * - Returned `output_options` has Cloudflare's defaults (B) filled in for keys not sent, and is `null` when
 *   none was sent; unset upload limits come back as 30 s and 100,000 records (A5) and 0 bytes.
 * - `field_names` not in the dataset's field list is refused (`settings.unknownFields: 'accept'` turns it off).
 * - Unknown job ids in the path: 404 1003 `job not found`; a non-numeric id: 404 7003 (no route).
 *
 * Faults ({@link CloudflareFault}) and the `maxRequests` bound work as in `fake-cloudflare.ts`:
 * `script.at.get(index)`, else the head of `script.queue`, else `script.planner(request)`.
 */
import { Buffer } from 'node:buffer';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type DatasetName,
  type DatasetScope,
  datasetHasScope,
  isDatasetName,
} from '../../lambdas/datasets/catalog.ts';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import {
  MAX_JOBS_PER_ZONE,
  TIMESTAMP_FORMATS,
  UPLOAD_LIMITS,
  ZERO_TRUST_DATASETS,
} from '../../lambdas/logpush/settings.ts';
import {
  answerWithFault,
  type CloudflareFault,
  cloudflareFailure,
  FAKE_CF_ACCOUNT_ID,
  FAKE_CF_API_TOKEN,
  FAKE_CF_GLOBAL_KEY,
  type FakeCloudflareAuth,
} from './fake-cloudflare.ts';
import type { FakeS3 } from './fake-s3.ts';
import { listenOnLoopback } from './loopback-server.ts';

/** First zone the fake serves unless told otherwise (the zone id of Cloudflare's API examples). */
export const FAKE_ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
/** Second zone the fake serves unless told otherwise. */
export const FAKE_ZONE_ID_2 = '353c0d2738a13ac9da8fece4f501e320';

/** Error codes the fake answers with; those marked "guess" are not documented by Cloudflare. */
export const FAKE_LOGPUSH_ERRORS = {
  /** Unknown token, no Logs Write, or an id outside the token's reach. */
  authentication: 10_000,
  /** X-Auth-Key / X-Auth-Email not matching. */
  badKey: 9103,
  /** No credential at all. */
  missingAuth: 9106,
  /** No such route. */
  noRoute: 7003,
  /** Known path, other method. */
  methodNotAllowed: 7001,
  /** Invalid input: body, dataset, destination, challenge, options (guess). */
  invalidInput: 1002,
  /** No job with that id in the scope (guess). */
  jobNotFound: 1003,
  /** Zero Trust product without PII Read, and (a guess) the per-zone job limit. */
  notAllowed: 1004,
  /** The fake's request bound was passed. */
  requestLimit: 1001,
} as const;

/** The ownership challenge's lifetime: "The token expires after 7 days" (A3). */
export const CHALLENGE_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/** What a token may do. */
export interface FakeTokenGrant {
  /** Logs Write ("Logs Edit" in the dashboard): needed by every Logpush operation. */
  logsEdit: boolean;
  /** Zero Trust PII Read: needed besides Logs Edit for the jobs of Zero Trust datasets. */
  zeroTrustPiiRead: boolean;
  /** Zone and account ids the token may touch. @default every id the fake serves */
  scopes?: readonly string[];
}

/** A Logpush job as the fake stores and returns it. */
export interface FakeLogpushJob {
  id: number;
  dataset: string;
  name: string | null;
  enabled: boolean;
  destination_conf: string;
  kind: string;
  output_options: Record<string, unknown> | null;
  filter: string | null;
  frequency: string;
  logpull_options: string | null;
  max_upload_bytes: number;
  max_upload_records: number;
  max_upload_interval_seconds: number;
  last_complete: string | null;
  last_error: string | null;
  error_message: string | null;
}

/** What the challenge request writes into the bucket. */
export type FakeChallengeWrite =
  /** A valid token for the destination asked for. */
  | 'write'
  /** Nothing (the response still names the file). */
  | 'never'
  /** A token bound to the destination, issued 8 days ago. */
  | 'expired'
  /** A fresh token bound to another `destination_conf` (another path in the same bucket). */
  | 'other-destination';

/** One challenge the fake issued. */
export interface FakeOwnershipChallenge {
  readonly token: string;
  readonly scope: DatasetScope;
  readonly scopeId: string;
  /** The `destination_conf` the token is valid for. */
  readonly destinationConf: string;
  /** The `destination_conf` the challenge was requested for (differs for `other-destination`). */
  readonly requestedFor: string;
  readonly bucket: string;
  readonly key: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly write: FakeChallengeWrite;
  /** Whether the file was put into the fake S3 (false while `challengeDelayMs` runs, and for `never`). */
  written: boolean;
}

/** Settings a test may change while the fake runs. */
export interface FakeLogpushSettings {
  /** @default 'write' */
  challengeWrite: FakeChallengeWrite;
  /** Delay before the challenge file appears (cancelled by `close()`). @default 0 (written before the answer) */
  challengeDelayMs: number;
  /** `ownership-challenge-<8 hex>.txt` or the documented `ownership-challenge.txt`. @default 'suffixed' */
  challengeName: 'suffixed' | 'plain';
  /** The response's `filename`: `<bucket>/<key>` as in Cloudflare's example, or the key alone. @default 'bucket/key' */
  filenameStyle: 'bucket/key' | 'key';
  /** Whether `field_names` outside the dataset's field list are refused. @default 'reject' */
  unknownFields: 'reject' | 'accept';
}

/** The logpush route a request matched. */
export type FakeLogpushRoute =
  | 'list-jobs'
  | 'list-dataset-jobs'
  | 'create-job'
  | 'get-job'
  | 'update-job'
  | 'delete-job'
  | 'fields'
  | 'ownership'
  | 'validate-ownership';

/** What the fake recorded about one request. */
export interface FakeLogpushRequest {
  /** Position in `requests` (0-based): the key of `script.at`. */
  readonly index: number;
  readonly method: string;
  /** Path without the query, as sent. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The JSON body, parsed (undefined when empty or not JSON). */
  body: unknown;
  /** How the request authenticated (the secret itself is never recorded). */
  readonly auth: FakeCloudflareAuth;
  /** Whether the credential was accepted (false when a fault answered first). */
  authorized: boolean;
  route: FakeLogpushRoute | undefined;
  scope: { readonly kind: DatasetScope; readonly id: string } | undefined;
  fault: CloudflareFault['kind'] | undefined;
  /** Status sent (undefined for `reset` or a closed server). */
  status: number | undefined;
  /** Codes of the `errors` sent. */
  errorCodes: number[];
}

/** The fake's mutable script of faults. */
export interface FakeLogpushScript {
  /** Faults by request index (0-based, counting every request). */
  readonly at: Map<number, CloudflareFault>;
  /** Faults taken one per request when `at` has none for it. */
  queue: CloudflareFault[];
  /** Consulted last; return undefined to answer normally. */
  planner: ((request: FakeLogpushRequest) => CloudflareFault | undefined) | undefined;
}

/** Options of {@link startFakeLogpush}. */
export interface FakeLogpushOptions {
  /** Where challenge files are written. */
  s3: FakeS3;
  /** @default FAKE_CF_ACCOUNT_ID */
  accountId?: string;
  /** @default [FAKE_ZONE_ID, FAKE_ZONE_ID_2] */
  zones?: readonly string[];
  /** Accepted tokens. @default { [FAKE_CF_API_TOKEN]: { logsEdit: true, zeroTrustPiiRead: true } } */
  tokens?: Record<string, FakeTokenGrant>;
  /** The accepted legacy key (all permissions); `null` accepts none. @default FAKE_CF_GLOBAL_KEY */
  globalKey?: { email: string; apiKey: string } | null;
  /** Field names (or name → description) per dataset. @default the keys of `MAPPERS[dataset].spec.fields` */
  fields?: Partial<Record<DatasetName, readonly string[] | Readonly<Record<string, string>>>>;
  /** @default MAX_JOBS_PER_ZONE */
  maxJobsPerZone?: number;
  /** The fake's clock (challenge dates and expiry). @default real time */
  now?: () => Date;
  /** Buckets a challenge may be written to. @default the buckets that exist in the fake S3 */
  writableBuckets?: readonly string[];
  /** Region of each bucket; a destination naming another region is refused. @default no check */
  bucketRegions?: Readonly<Record<string, string>>;
  /** Requests answered before every further one gets a 400. @default 10_000 */
  maxRequests?: number;
  settings?: Partial<FakeLogpushSettings>;
  script?: Partial<Omit<FakeLogpushScript, 'at'>> & { at?: Iterable<[number, CloudflareFault]> };
}

/** A job to seed with {@link FakeLogpush.addJob}: any fields, the dataset at least. */
export type FakeLogpushJobSeed = Partial<Omit<FakeLogpushJob, 'id'>> & { dataset: string };

/** A running fake Logpush API. */
export interface FakeLogpush {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** `http://127.0.0.1:<port>/client/v4`: the client's `baseUrl`. */
  readonly baseUrl: string;
  readonly port: number;
  readonly accountId: string;
  readonly zones: readonly string[];
  /** Every request, in arrival order. */
  readonly requests: FakeLogpushRequest[];
  /** Every challenge issued, in order. */
  readonly challenges: FakeOwnershipChallenge[];
  readonly script: FakeLogpushScript;
  readonly settings: FakeLogpushSettings;
  /** True once a request beyond `maxRequests` arrived. */
  readonly requestLimitHit: boolean;
  /** A copy of the jobs of a zone or the account, ordered by id. */
  jobs(scopeId: string): FakeLogpushJob[];
  /** Seeds a job (one made in the dashboard, say) without validation; returns a copy with its id. */
  addJob(scope: DatasetScope, scopeId: string, job: FakeLogpushJobSeed): FakeLogpushJob;
  /** Changes a stored job as Cloudflare might (drift); returns a copy. Throws for an unknown job. */
  updateJob(scopeId: string, id: number, patch: Partial<Omit<FakeLogpushJob, 'id'>>): FakeLogpushJob;
  /** Stops the server, cancels pending faults and challenge writes, closes every connection. */
  close(): Promise<void>;
}

/** Logpush `output_options` defaults for ndjson (FACTS B), as a job returns them. */
export const NDJSON_OUTPUT_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  batch_prefix: '',
  batch_suffix: '',
  record_prefix: '{',
  record_suffix: '}\n',
  record_template: '',
  record_delimiter: '',
  field_delimiter: ',',
  'CVE-2021-44228': false,
  sample_rate: 1,
  timestamp_format: 'unixnano',
  output_type: 'ndjson',
});

const CSV_OUTPUT_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  ...NDJSON_OUTPUT_DEFAULTS,
  record_prefix: '',
  record_suffix: '\n',
  output_type: 'csv',
});

const MAX_DELAY_MS = 60_000;
const MAX_BODY_BYTES = 1024 * 1024;
const DAY_MS = 24 * 3600 * 1000;
const KNOWN_SCHEMES = new Set(['s3', 'r2', 'gs', 'azure', 'sumo', 'https', 'splunk', 'datadog', 'kinesis']);
const NAME_PATTERN = /^[a-zA-Z0-9\-.]*$/;
const ROUTE_PATTERN = /^\/client\/v4\/(zones|accounts)\/([^/]+)\/logpush\/(.*?)\/?$/;

/** A refusal: status, code and message of Cloudflare's envelope. */
class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const invalid = (message: string): ApiError => new ApiError(400, FAKE_LOGPUSH_ERRORS.invalidInput, message);

/** The Zero Trust product a dataset's jobs belong to, as the 1004 message names it. */
export function zeroTrustProduct(dataset: string): string {
  if (dataset === 'access_requests') return 'access';
  if (dataset.startsWith('gateway_')) return 'gateway';
  if (dataset.startsWith('dex_')) return 'dex';
  return 'zero_trust';
}

interface S3Destination {
  readonly bucket: string;
  /** Path without leading or trailing slashes, `{DATE}` still in it. */
  readonly path: string;
  readonly params: URLSearchParams;
}

function parseS3Destination(conf: string): S3Destination | undefined {
  const match = /^s3:\/\/([^/?]+)([^?]*)(?:\?(.*))?$/.exec(conf);
  if (!match?.[1]) return undefined;
  return {
    bucket: match[1],
    path: (match[2] ?? '').replace(/^\/+|\/+$/g, ''),
    params: new URLSearchParams(match[3] ?? ''),
  };
}

/** AWS S3 destinations need a challenge; S3-compatible ones (static keys, endpoint) and other schemes do not. */
function needsChallenge(conf: string): boolean {
  const s3 = parseS3Destination(conf);
  return s3 !== undefined && !s3.params.has('endpoint') && !s3.params.has('access-key-id');
}

function yyyymmdd(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function defaultFields(dataset: DatasetName): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(MAPPERS[dataset].spec.fields))
    out[name] = `${name} (${spec.type})`;
  return out;
}

/**
 * Starts a fake Logpush API on 127.0.0.1 at an ephemeral port.
 *
 * @example
 * const s3 = await startFakeS3({ buckets: ['logs'] });
 * const cf = await startFakeLogpush({ s3 });
 * cf.settings.challengeWrite = 'expired';
 * // ... run the code under test with baseUrl cf.baseUrl, then look at cf.jobs(FAKE_ZONE_ID) ...
 * await cf.close();
 * await s3.close();
 */
export async function startFakeLogpush(options: FakeLogpushOptions): Promise<FakeLogpush> {
  const { s3 } = options;
  const accountId = options.accountId ?? FAKE_CF_ACCOUNT_ID;
  const zones = [...(options.zones ?? [FAKE_ZONE_ID, FAKE_ZONE_ID_2])];
  const tokens: Record<string, FakeTokenGrant> = options.tokens ?? {
    [FAKE_CF_API_TOKEN]: { logsEdit: true, zeroTrustPiiRead: true },
  };
  const globalKey = options.globalKey === undefined ? FAKE_CF_GLOBAL_KEY : options.globalKey;
  const maxJobsPerZone = options.maxJobsPerZone ?? MAX_JOBS_PER_ZONE;
  const now = options.now ?? (() => new Date());
  const maxRequests = options.maxRequests ?? 10_000;
  const settings: FakeLogpushSettings = {
    challengeWrite: 'write',
    challengeDelayMs: 0,
    challengeName: 'suffixed',
    filenameStyle: 'bucket/key',
    unknownFields: 'reject',
    ...options.settings,
  };
  const script: FakeLogpushScript = {
    at: new Map(options.script?.at ?? []),
    queue: [...(options.script?.queue ?? [])],
    planner: options.script?.planner,
  };
  const requests: FakeLogpushRequest[] = [];
  const challenges: FakeOwnershipChallenge[] = [];
  const byToken = new Map<string, FakeOwnershipChallenge>();
  const store = new Map<string, FakeLogpushJob[]>();
  const scopeOf = new Map<string, DatasetScope>([[accountId, 'account']]);
  for (const zone of zones) scopeOf.set(zone, 'zone');
  for (const id of scopeOf.keys()) store.set(id, []);
  const signingKey = randomBytes(32);
  const timers = new Map<NodeJS.Timeout, () => void>();
  let nextJobId = 1;
  let limitHit = false;
  let closed = false;

  const schedule = (ms: number, run: () => void, cancelled: () => void = () => {}): void => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!closed) run();
      },
      Math.min(Math.max(ms, 0), MAX_DELAY_MS),
    );
    timers.set(timer, cancelled);
  };
  const delay = (ms: number): Promise<boolean> =>
    new Promise((resolve) =>
      schedule(
        ms,
        () => resolve(true),
        () => resolve(false),
      ),
    );

  const fieldsOf = (dataset: DatasetName): Record<string, string> => {
    const given = options.fields?.[dataset];
    if (given === undefined) return defaultFields(dataset);
    if (!Array.isArray(given)) return { ...(given as Record<string, string>) };
    return Object.fromEntries((given as readonly string[]).map((name) => [name, name]));
  };

  const send = (
    res: ServerResponse,
    log: FakeLogpushRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    log.status = status;
    if (isObject(body) && Array.isArray(body.errors)) {
      log.errorCodes = body.errors.map((e) => (isObject(e) ? Number(e.code) : Number.NaN));
    }
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/html' : 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };
  const failure = cloudflareFailure;
  const success = (result: unknown) => ({ success: true, errors: [], messages: [], result });

  const applyFault = (fault: CloudflareFault, res: ServerResponse, log: FakeLogpushRequest) => {
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
  ): { auth: FakeCloudflareAuth; grant: FakeTokenGrant | undefined; refusal: ApiError } => {
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string') {
      const match = /^Bearer (.+)$/.exec(authorization);
      const grant =
        match?.[1] !== undefined && Object.hasOwn(tokens, match[1]) ? tokens[match[1]] : undefined;
      return {
        auth: 'token',
        grant,
        refusal: new ApiError(403, FAKE_LOGPUSH_ERRORS.authentication, 'Authentication error'),
      };
    }
    const email = req.headers['x-auth-email'];
    const key = req.headers['x-auth-key'];
    if (typeof email === 'string' || typeof key === 'string') {
      const ok = globalKey !== null && email === globalKey.email && key === globalKey.apiKey;
      return {
        auth: 'key',
        grant: ok ? { logsEdit: true, zeroTrustPiiRead: true } : undefined,
        refusal: new ApiError(403, FAKE_LOGPUSH_ERRORS.badKey, 'Unknown X-Auth-Key or X-Auth-Email'),
      };
    }
    return {
      auth: 'none',
      grant: undefined,
      refusal: new ApiError(
        400,
        FAKE_LOGPUSH_ERRORS.missingAuth,
        'Missing X-Auth-Key, X-Auth-Email or Authorization headers',
      ),
    };
  };

  const route = (
    method: string,
    rest: string,
  ): { route: FakeLogpushRoute; jobId?: number; dataset?: string } | 'no-route' | 'bad-method' => {
    const allow = (
      methods: Partial<Record<string, FakeLogpushRoute>>,
      extra: { jobId?: number; dataset?: string } = {},
    ) => {
      const name = methods[method];
      return name === undefined ? ('bad-method' as const) : { route: name, ...extra };
    };
    if (rest === 'jobs') return allow({ GET: 'list-jobs', POST: 'create-job' });
    const job = /^jobs\/(\d{1,15})$/.exec(rest);
    if (job?.[1])
      return allow({ GET: 'get-job', PUT: 'update-job', DELETE: 'delete-job' }, { jobId: Number(job[1]) });
    const dataset = /^datasets\/([^/]+)\/(jobs|fields)$/.exec(rest);
    if (dataset?.[1] && dataset[2]) {
      const name = decodeURIComponent(dataset[1]);
      return dataset[2] === 'jobs'
        ? allow({ GET: 'list-dataset-jobs' }, { dataset: name })
        : allow({ GET: 'fields' }, { dataset: name });
    }
    if (rest === 'ownership') return allow({ POST: 'ownership' });
    if (rest === 'ownership/validate') return allow({ POST: 'validate-ownership' });
    return 'no-route';
  };

  /** The dataset named by a path or body, known and usable in the scope. */
  const checkDataset = (name: unknown, scope: DatasetScope): DatasetName => {
    if (typeof name !== 'string' || name === '') throw invalid('dataset is required');
    if (!isDatasetName(name)) throw invalid(`dataset '${name}' is not supported`);
    if (!datasetHasScope(name, scope)) {
      throw invalid(`dataset '${name}' is not available for ${scope === 'zone' ? 'zones' : 'accounts'}`);
    }
    return name;
  };

  const checkZeroTrust = (dataset: string, grant: FakeTokenGrant): void => {
    if (!grant.zeroTrustPiiRead && ZERO_TRUST_DATASETS.has(dataset as DatasetName)) {
      throw new ApiError(
        403,
        FAKE_LOGPUSH_ERRORS.notAllowed,
        `reading job for product '${zeroTrustProduct(dataset)}' is not allowed`,
      );
    }
  };

  const challengeIsValid = (token: unknown, scopeId: string, destinationConf: string): boolean => {
    if (typeof token !== 'string') return false;
    const challenge = byToken.get(token);
    return (
      challenge !== undefined &&
      challenge.scopeId === scopeId &&
      challenge.destinationConf === destinationConf &&
      now().getTime() < challenge.expiresAt.getTime()
    );
  };

  const checkDestination = (conf: unknown): string => {
    if (typeof conf !== 'string' || conf === '') throw invalid('destination_conf is required');
    if (conf.length > 4096) throw invalid('destination_conf is longer than 4096 characters');
    const scheme = /^([a-z0-9]+):\/\//.exec(conf)?.[1];
    if (scheme === undefined || !KNOWN_SCHEMES.has(scheme)) {
      throw invalid(`destination_conf: unsupported destination '${conf.split('://')[0] ?? conf}'`);
    }
    if (scheme === 's3') {
      const s3Destination = parseS3Destination(conf);
      if (!s3Destination?.params.get('region'))
        throw invalid('destination_conf: s3 destination needs a region');
    }
    return conf;
  };

  const checkOutputOptions = (value: unknown, dataset: DatasetName): Record<string, unknown> | null => {
    if (value === null) return null;
    if (!isObject(value)) throw invalid('output_options must be an object');
    const type = value.output_type ?? 'ndjson';
    if (type !== 'ndjson' && type !== 'csv')
      throw invalid(`output_options.output_type '${String(type)}' is invalid`);
    const out: Record<string, unknown> = {
      ...(type === 'csv' ? CSV_OUTPUT_DEFAULTS : NDJSON_OUTPUT_DEFAULTS),
      ...value,
    };
    const format = out.timestamp_format;
    if (typeof format !== 'string' || !(TIMESTAMP_FORMATS as readonly string[]).includes(format)) {
      throw invalid(`output_options.timestamp_format '${String(format)}' is invalid`);
    }
    const rate = out.sample_rate;
    if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) {
      throw invalid('output_options.sample_rate must be greater than 0 and at most 1');
    }
    if (out.field_names !== undefined) {
      const names = out.field_names;
      if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
        throw invalid('output_options.field_names must be a list of strings');
      }
      if (settings.unknownFields === 'reject') {
        const known = fieldsOf(dataset);
        const unknown = (names as string[]).filter((n) => !Object.hasOwn(known, n));
        if (unknown.length > 0)
          throw invalid(`output_options.field_names: unknown fields ${unknown.join(', ')}`);
      }
    }
    return out;
  };

  const checkFilter = (value: unknown): string | null => {
    if (value === null || value === '') return null;
    if (typeof value !== 'string') throw invalid('filter must be a string holding JSON');
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw invalid('filter is not valid JSON');
    }
    if (!isObject(parsed) || !isObject(parsed.where)) throw invalid('filter must contain "where"');
    return value;
  };

  /** The job a create or update body describes, `base` merged in, checked. */
  const buildJob = (
    body: Record<string, unknown>,
    base: FakeLogpushJob,
    dataset: DatasetName,
  ): Omit<FakeLogpushJob, 'id'> => {
    const job = { ...base };
    if ('name' in body) {
      const name = body.name;
      if (name !== null && (typeof name !== 'string' || name.length > 512 || !NAME_PATTERN.test(name))) {
        throw invalid(`name must match ${NAME_PATTERN.source} and be at most 512 characters`);
      }
      job.name = name;
    }
    if ('enabled' in body) {
      if (typeof body.enabled !== 'boolean') throw invalid('enabled must be a boolean');
      job.enabled = body.enabled;
    }
    if ('kind' in body && body.kind !== base.kind) {
      if (body.kind !== '' && body.kind !== 'edge') throw invalid(`kind '${String(body.kind)}' is invalid`);
      if (base.id !== 0) throw invalid('kind cannot be changed');
      if (body.kind === 'edge' && dataset !== 'http_requests')
        throw invalid('kind edge is only for http_requests');
      job.kind = body.kind;
    }
    if ('frequency' in body) {
      if (body.frequency !== 'high' && body.frequency !== 'low')
        throw invalid('frequency must be high or low');
      job.frequency = body.frequency;
    }
    if ('logpull_options' in body) {
      if (body.logpull_options !== null && typeof body.logpull_options !== 'string') {
        throw invalid('logpull_options must be a string');
      }
      job.logpull_options = body.logpull_options;
    }
    if ('filter' in body) job.filter = checkFilter(body.filter);
    if ('output_options' in body) job.output_options = checkOutputOptions(body.output_options, dataset);
    for (const spec of Object.values(UPLOAD_LIMITS)) {
      if (!(spec.field in body)) continue;
      const value = body[spec.field];
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        (value !== 0 && (value < spec.min || value > spec.max))
      ) {
        throw invalid(`${spec.field} must be 0 or between ${spec.min} and ${spec.max}`);
      }
      job[spec.field] = value;
    }
    const { id: _, ...rest } = job;
    return rest;
  };

  const jobShape = (id: number, seed: FakeLogpushJobSeed): FakeLogpushJob => {
    const { id: _, ...fields } = seed as FakeLogpushJobSeed & { id?: unknown };
    return {
      id,
      name: null,
      enabled: false,
      destination_conf: '',
      kind: '',
      output_options: null,
      filter: null,
      frequency: 'high',
      logpull_options: null,
      max_upload_bytes: 0,
      max_upload_records: 100_000,
      max_upload_interval_seconds: 30,
      last_complete: null,
      last_error: null,
      error_message: null,
      ...fields,
    };
  };

  const bucketIsWritable = async (bucket: string): Promise<boolean> => {
    if (options.writableBuckets) return options.writableBuckets.includes(bucket);
    const answer = await fetch(`${s3.endpoint}/${encodeURIComponent(bucket)}`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(5_000),
    });
    return answer.ok;
  };

  const issueToken = (
    scope: DatasetScope,
    scopeId: string,
    destinationConf: string,
    issuedAt: Date,
  ): string => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const head = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
      sub: `${scope}/${scopeId}`,
      dst: destinationConf,
      iat: Math.floor(issuedAt.getTime() / 1000),
      exp: Math.floor((issuedAt.getTime() + CHALLENGE_LIFETIME_MS) / 1000),
      jti: randomBytes(8).toString('hex'),
    })}`;
    return `${head}.${createHmac('sha256', signingKey).update(head).digest('base64url')}`;
  };

  const requestChallenge = async (scope: DatasetScope, scopeId: string, body: Record<string, unknown>) => {
    const conf = body.destination_conf;
    if (typeof conf !== 'string' || conf === '') throw invalid('destination_conf is required');
    const destination = needsChallenge(conf) ? parseS3Destination(conf) : undefined;
    if (!destination) {
      throw invalid(
        'error creating ownership challenge: only AWS s3:// destinations are supported by the fake',
      );
    }
    const region = destination.params.get('region');
    if (!region) throw invalid('error creating ownership challenge: s3 destination needs a region');
    if (!(await bucketIsWritable(destination.bucket))) {
      throw invalid(
        `error creating ownership challenge: bucket '${destination.bucket}' does not exist or is not writable`,
      );
    }
    const expected = options.bucketRegions?.[destination.bucket];
    if (expected !== undefined && expected !== region) {
      throw invalid(
        `error creating ownership challenge: bucket '${destination.bucket}' is in region ${expected}, not ${region}`,
      );
    }
    const write = settings.challengeWrite;
    const current = now();
    const issuedAt = write === 'expired' ? new Date(current.getTime() - 8 * DAY_MS) : current;
    const boundTo =
      write === 'other-destination' ? conf.replace(/^s3:\/\/([^/?]+)/, 's3://$1/elsewhere') : conf;
    const dir = destination.path.replaceAll('{DATE}', yyyymmdd(current));
    const name =
      settings.challengeName === 'plain'
        ? 'ownership-challenge.txt'
        : `ownership-challenge-${randomBytes(4).toString('hex')}.txt`;
    const key = dir === '' ? name : `${dir}/${name}`;
    const token = issueToken(scope, scopeId, boundTo, issuedAt);
    const challenge: FakeOwnershipChallenge = {
      token,
      scope,
      scopeId,
      destinationConf: boundTo,
      requestedFor: conf,
      bucket: destination.bucket,
      key,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + CHALLENGE_LIFETIME_MS),
      write,
      written: false,
    };
    challenges.push(challenge);
    byToken.set(token, challenge);
    if (write !== 'never') {
      const put = () => {
        s3.putObject(destination.bucket, key, token, { contentType: 'text/plain' });
        challenge.written = true;
      };
      if (settings.challengeDelayMs > 0) schedule(settings.challengeDelayMs, put);
      else put();
    }
    const filename = settings.filenameStyle === 'key' ? key : `${destination.bucket}/${key}`;
    return { filename, valid: true, message: '' };
  };

  const findJob = (scopeId: string, id: number): FakeLogpushJob => {
    const job = store.get(scopeId)?.find((j) => j.id === id);
    if (!job) throw new ApiError(404, FAKE_LOGPUSH_ERRORS.jobNotFound, 'job not found');
    return job;
  };

  const serve = async (
    matched: { route: FakeLogpushRoute; jobId?: number; dataset?: string },
    scope: DatasetScope,
    scopeId: string,
    grant: FakeTokenGrant,
    body: unknown,
  ): Promise<unknown> => {
    const jobs = store.get(scopeId) ?? [];
    const input = isObject(body) ? body : {};
    const needsBody = ['create-job', 'update-job', 'ownership', 'validate-ownership'].includes(matched.route);
    if (needsBody && !isObject(body)) throw invalid('error parsing input: a JSON object is required');
    switch (matched.route) {
      case 'list-jobs':
        for (const job of jobs) checkZeroTrust(job.dataset, grant);
        return structuredClone(jobs);
      case 'list-dataset-jobs': {
        const dataset = checkDataset(matched.dataset, scope);
        checkZeroTrust(dataset, grant);
        return structuredClone(jobs.filter((j) => j.dataset === dataset));
      }
      case 'fields': {
        const dataset = checkDataset(matched.dataset, scope);
        checkZeroTrust(dataset, grant);
        return fieldsOf(dataset);
      }
      case 'get-job': {
        const job = findJob(scopeId, matched.jobId ?? 0);
        checkZeroTrust(job.dataset, grant);
        return structuredClone(job);
      }
      case 'delete-job': {
        const job = findJob(scopeId, matched.jobId ?? 0);
        checkZeroTrust(job.dataset, grant);
        jobs.splice(jobs.indexOf(job), 1);
        return { id: job.id };
      }
      case 'create-job': {
        const dataset = checkDataset(input.dataset, scope);
        checkZeroTrust(dataset, grant);
        const destination = checkDestination(input.destination_conf);
        const built = buildJob(input, jobShape(0, { dataset, destination_conf: destination }), dataset);
        if (
          needsChallenge(destination) &&
          !challengeIsValid(input.ownership_challenge, scopeId, destination)
        ) {
          throw invalid('ownership challenge token is invalid or expired');
        }
        if (scope === 'zone' && jobs.length >= maxJobsPerZone) {
          throw new ApiError(
            400,
            FAKE_LOGPUSH_ERRORS.notAllowed,
            'creating a new job is not allowed: exceeded max jobs allowed',
          );
        }
        const job: FakeLogpushJob = { ...built, id: nextJobId++ };
        jobs.push(job);
        return structuredClone(job);
      }
      case 'update-job': {
        const job = findJob(scopeId, matched.jobId ?? 0);
        checkZeroTrust(job.dataset, grant);
        if ('dataset' in input && input.dataset !== job.dataset) throw invalid('dataset cannot be changed');
        const dataset = checkDataset(job.dataset, scope);
        const changes = { ...input };
        if ('destination_conf' in input && input.destination_conf !== job.destination_conf) {
          const destination = checkDestination(input.destination_conf);
          if (
            needsChallenge(destination) &&
            !challengeIsValid(input.ownership_challenge, scopeId, destination)
          ) {
            throw invalid('ownership challenge token is invalid or expired');
          }
          changes.destination_conf = destination;
        }
        const built = buildJob(changes, job, dataset);
        Object.assign(job, built, { destination_conf: changes.destination_conf ?? job.destination_conf });
        return structuredClone(job);
      }
      case 'ownership':
        return requestChallenge(scope, scopeId, input);
      case 'validate-ownership': {
        const conf = input.destination_conf;
        const token = input.ownership_challenge;
        if (typeof conf !== 'string' || conf === '') throw invalid('destination_conf is required');
        if (typeof token !== 'string' || token === '') throw invalid('ownership_challenge is required');
        return { valid: challengeIsValid(token, scopeId, conf) };
      }
    }
  };

  const readBody = async (req: IncomingMessage): Promise<Buffer | undefined> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    const { auth, grant, refusal } = authenticate(req);
    const log: FakeLogpushRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      body: undefined,
      auth,
      authorized: false,
      route: undefined,
      scope: undefined,
      fault: undefined,
      status: undefined,
      errorCodes: [],
    };
    requests.push(log);
    const raw = await readBody(req);
    let jsonError = false;
    if (raw === undefined) {
      send(res, log, 413, failure(FAKE_LOGPUSH_ERRORS.invalidInput, 'request body too large'));
      return;
    }
    if (raw.length > 0) {
      try {
        log.body = JSON.parse(raw.toString('utf8'));
      } catch {
        jsonError = true;
      }
    }

    if (log.index >= maxRequests) {
      limitHit = true;
      send(
        res,
        log,
        400,
        failure(FAKE_LOGPUSH_ERRORS.requestLimit, `fake Logpush: more than ${maxRequests} requests`),
      );
      return;
    }
    const fault = script.at.get(log.index) ?? script.queue.shift() ?? script.planner?.(log);
    if (fault && (await applyFault(fault, res, log))) return;
    if (closed) return;

    try {
      if (!grant) throw refusal;
      log.authorized = true;
      const path = ROUTE_PATTERN.exec(url.pathname);
      const matched = path ? route(log.method, path[3] ?? '') : 'no-route';
      if (matched === 'no-route')
        throw new ApiError(404, FAKE_LOGPUSH_ERRORS.noRoute, 'No route for the URI');
      if (matched === 'bad-method') {
        throw new ApiError(405, FAKE_LOGPUSH_ERRORS.methodNotAllowed, 'Method not allowed for this route');
      }
      log.route = matched.route;
      const kind: DatasetScope = path?.[1] === 'zones' ? 'zone' : 'account';
      const scopeId = decodeURIComponent(path?.[2] ?? '');
      log.scope = { kind, id: scopeId };
      const covered = grant.scopes === undefined || grant.scopes.includes(scopeId);
      if (scopeOf.get(scopeId) !== kind || !covered || !grant.logsEdit) {
        throw new ApiError(403, FAKE_LOGPUSH_ERRORS.authentication, 'Authentication error');
      }
      if (jsonError && log.method !== 'GET' && log.method !== 'DELETE') {
        throw invalid('error parsing input: invalid json');
      }
      const result = await serve(matched, kind, scopeId, grant, log.body);
      if (closed) return;
      send(res, log, 200, success(result));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      send(res, log, error.status, failure(error.code, error.message));
    }
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
    zones,
    requests,
    challenges,
    script,
    settings,
    get requestLimitHit() {
      return limitHit;
    },
    jobs(scopeId) {
      return structuredClone(store.get(scopeId) ?? []);
    },
    addJob(scope, scopeId, seed) {
      if (scopeOf.get(scopeId) !== scope) throw new Error(`fake Logpush serves no ${scope} ${scopeId}`);
      const job = jobShape(nextJobId++, structuredClone(seed));
      store.get(scopeId)?.push(job);
      return structuredClone(job);
    },
    updateJob(scopeId, id, patch) {
      const job = store.get(scopeId)?.find((j) => j.id === id);
      if (!job) throw new Error(`fake Logpush has no job ${id} in ${scopeId}`);
      Object.assign(job, structuredClone(patch), { id });
      return structuredClone(job);
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
