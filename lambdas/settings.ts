import { ConfigError } from './core/errors.ts';
import { POLL_SOURCES, type PollSourceName } from './poll/types.ts';

/**
 * A reader of required text variables: the value (or `fallback`) when it matches `pattern`; otherwise the problem
 * is added to `problems`, naming the variable and what was expected, so all of them are reported at once.
 */
function textReader(
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): (name: string, pattern: RegExp, expected: string, fallback?: string) => string {
  return (name, pattern, expected, fallback) => {
    const value = env[name] ?? fallback;
    if (value === undefined || value === '') {
      problems.push(`${name} is not set (expected ${expected})`);
      return '';
    }
    if (!pattern.test(value)) problems.push(`${name} must be ${expected}, got ${JSON.stringify(value)}`);
    return value;
  };
}

/**
 * Names of the environment variables the infrastructure sets on the normalize function, and the fixed layout
 * of the lake bucket. Written once here; the CDK construct and the handler both import them.
 */
export const NORMALIZE_ENV = {
  /** Name of the Firehose delivery stream (Direct PUT) that receives ECS events. */
  deliveryStream: 'CF_LOGS_DELIVERY_STREAM',
  /** Bucket that holds the lake and the quarantine prefix. */
  lakeBucket: 'CF_LOGS_LAKE_BUCKET',
  /** Key prefix (no trailing slash) under which quarantined lines are written in the lake bucket. */
  quarantinePrefix: 'CF_LOGS_QUARANTINE_PREFIX',
  /** Key prefix (no trailing slash) under which Logpush writes into the Logpush bucket. */
  logpushPrefix: 'CF_LOGS_LOGPUSH_PREFIX',
  /**
   * The queue's maxReceiveCount (optional): an object that fails on its last receive is logged as going to the
   * dead-letter queue.
   */
  maxReceiveCount: 'CF_LOGS_MAX_RECEIVE_COUNT',
} as const;

/** Prefix of ECS events in the lake bucket; Firehose adds `dataset=<dataset>/dt=<yyyy-MM-dd>/`. */
export const LAKE_ECS_PREFIX = 'ecs';
/** Prefix under which Firehose writes records it could not deliver or partition. */
export const LAKE_ERROR_PREFIX = 'errors';
/** Default quarantine prefix in the lake bucket. */
export const DEFAULT_QUARANTINE_PREFIX = 'quarantine';
/** Default prefix Logpush jobs write under in the Logpush bucket. */
export const DEFAULT_LOGPUSH_PREFIX = 'logpush';
/** Suffix of Logpush data objects; other keys (ownership challenge, tests) never trigger the function. */
export const LOGPUSH_OBJECT_SUFFIX = '.log.gz';

/** The normalize function's settings, read once at cold start. */
export interface NormalizeSettings {
  readonly deliveryStream: string;
  readonly lakeBucket: string;
  readonly quarantinePrefix: string;
  readonly logpushPrefix: string;
  /** The queue's maxReceiveCount, when the stack says it. */
  readonly maxReceiveCount?: number;
}

/**
 * Reads and checks the normalize function's environment.
 * @throws ConfigError naming the variable and what was expected, so a bad deployment fails at cold start.
 */
export function readNormalizeSettings(env: Readonly<Record<string, string | undefined>>): NormalizeSettings {
  const problems: string[] = [];
  const read = textReader(env, problems);
  // The same rule as the stack's config: no `*` (a wildcard in the IAM and bucket-policy ARNs built from it).
  const prefix = /^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*$/;
  const settings = {
    deliveryStream: read(NORMALIZE_ENV.deliveryStream, /^[a-zA-Z0-9_.-]{1,64}$/, 'a Firehose stream name'),
    lakeBucket: read(NORMALIZE_ENV.lakeBucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
    quarantinePrefix: read(
      NORMALIZE_ENV.quarantinePrefix,
      prefix,
      'a key prefix without leading or trailing slash',
      DEFAULT_QUARANTINE_PREFIX,
    ),
    logpushPrefix: read(
      NORMALIZE_ENV.logpushPrefix,
      prefix,
      'a key prefix without leading or trailing slash',
      DEFAULT_LOGPUSH_PREFIX,
    ),
  };
  const receives = env[NORMALIZE_ENV.maxReceiveCount];
  let maxReceiveCount: number | undefined;
  if (receives !== undefined && receives !== '') {
    maxReceiveCount = Number(receives);
    if (!/^\d+$/.test(receives) || maxReceiveCount < 1 || maxReceiveCount > 20) {
      problems.push(
        `${NORMALIZE_ENV.maxReceiveCount} must be a whole number from 1 to 20, got ${JSON.stringify(receives)}`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(`normalize function settings: ${problems.join('; ')}`);
  return maxReceiveCount === undefined ? settings : { ...settings, maxReceiveCount };
}

/**
 * Names of the environment variables the infrastructure sets on the poll function. The Cloudflare credential is
 * not among them: only the id of the secret that holds it (DESIGN.md "Secrets").
 */
export const POLL_ENV = {
  /** Comma-separated poll sources, polled in this order (`access_requests`, `audit_logs`, `audit_logs_v2`). */
  sources: 'CF_LOGS_POLL_SOURCES',
  /** Cloudflare account id (32 lowercase hex). */
  accountId: 'CF_LOGS_CLOUDFLARE_ACCOUNT_ID',
  /** Name or ARN of the Secrets Manager secret holding the Cloudflare credential JSON. */
  secretId: 'CF_LOGS_CREDENTIAL_SECRET',
  /** Bucket holding the checkpoints. */
  checkpointBucket: 'CF_LOGS_CHECKPOINT_BUCKET',
  /** Key prefix (no trailing slash) of the checkpoints: one object `<prefix>/<source>.json` per source. */
  checkpointPrefix: 'CF_LOGS_CHECKPOINT_PREFIX',
  /** Name of the Firehose delivery stream (Direct PUT) that receives ECS events: the normalize function's. */
  deliveryStream: NORMALIZE_ENV.deliveryStream,
  /** Bucket of the quarantine (the lake bucket). */
  lakeBucket: NORMALIZE_ENV.lakeBucket,
  /** Key prefix (no trailing slash) of quarantined events in the lake bucket. */
  quarantinePrefix: NORMALIZE_ENV.quarantinePrefix,
  /** Cloudflare API base URL, up to and including `/client/v4`. */
  apiBase: 'CF_LOGS_CLOUDFLARE_API_BASE',
  /** Seconds before now that a run stops asking for (`until` = now − delay): late events are not skipped. */
  delaySeconds: 'CF_LOGS_POLL_DELAY_SECONDS',
  /** Hours a first run (no checkpoint) reaches back. */
  lookbackHours: 'CF_LOGS_POLL_LOOKBACK_HOURS',
  /** Seconds before the checkpoint's newest event that a run asks for again (then deduplicates). */
  overlapSeconds: 'CF_LOGS_POLL_OVERLAP_SECONDS',
  /** Seconds before the Lambda deadline at which a run stops with its progress saved. */
  safetySeconds: 'CF_LOGS_POLL_SAFETY_SECONDS',
} as const;

/** Default key prefix of the poller's checkpoints in the lake bucket. */
export const DEFAULT_CHECKPOINT_PREFIX = 'state/poller';
/** Cloudflare's documented API base (FACTS D4). */
export const DEFAULT_POLL_API_BASE = 'https://api.cloudflare.com/client/v4';

/** Defaults and bounds of the poll function's timing settings (also the stack's config). */
export const POLL_TIMING = {
  delaySeconds: { default: 60, min: 0, max: 3_600 },
  // Enterprise keeps Access logs 180 days and audit logs 18 months (FACTS D1, D3); more finds nothing.
  lookbackHours: { default: 24, min: 1, max: 13_200 },
  overlapSeconds: { default: 300, min: 0, max: 86_400 },
  safetySeconds: { default: 30, min: 5, max: 300 },
} as const;

/** The poll function's settings, read once at cold start. */
export interface PollSettings {
  readonly sources: readonly PollSourceName[];
  readonly accountId: string;
  readonly secretId: string;
  readonly checkpointBucket: string;
  readonly checkpointPrefix: string;
  readonly deliveryStream: string;
  readonly lakeBucket: string;
  readonly quarantinePrefix: string;
  readonly apiBase: string;
  readonly delaySeconds: number;
  readonly lookbackHours: number;
  readonly overlapSeconds: number;
  readonly safetySeconds: number;
}

/**
 * Reads and checks the poll function's environment.
 * @throws ConfigError naming every wrong variable and what was expected, so a bad deployment fails at cold start.
 */
export function readPollSettings(env: Readonly<Record<string, string | undefined>>): PollSettings {
  const problems: string[] = [];
  const text = textReader(env, problems);
  const integer = (name: string, spec: { default: number; min: number; max: number }): number => {
    const value = env[name];
    if (value === undefined || value === '') return spec.default;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(parsed >= spec.min && parsed <= spec.max)) {
      problems.push(
        `${name} must be a whole number from ${spec.min} to ${spec.max}, got ${JSON.stringify(value)}`,
      );
      return spec.default;
    }
    return parsed;
  };
  const prefix = /^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*$/;
  const bucket = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

  const sourcesText = text(POLL_ENV.sources, /\S/, `a comma-separated list of ${POLL_SOURCES.join(', ')}`);
  const sources: PollSourceName[] = [];
  for (const item of sourcesText.split(',').map((s) => s.trim())) {
    if (sourcesText === '') break;
    const known = POLL_SOURCES.find((name) => name === item);
    if (known === undefined) {
      problems.push(
        `${POLL_ENV.sources} names ${JSON.stringify(item)}, expected one of ${POLL_SOURCES.join(', ')}`,
      );
    } else if (sources.includes(known)) {
      problems.push(`${POLL_ENV.sources} repeats ${known}`);
    } else {
      sources.push(known);
    }
  }
  const apiBase = text(
    POLL_ENV.apiBase,
    /^https?:\/\/\S+$/,
    'an https:// URL',
    DEFAULT_POLL_API_BASE,
  ).replace(/\/+$/, '');
  if (
    apiBase.startsWith('http://') &&
    !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(apiBase)
  ) {
    // The credential travels in the request headers: plain HTTP only to a local test server.
    problems.push(
      `${POLL_ENV.apiBase} must be an https:// URL (http:// only on the loopback), got ${JSON.stringify(apiBase)}`,
    );
  }
  const settings: PollSettings = {
    sources,
    accountId: text(
      POLL_ENV.accountId,
      /^[0-9a-f]{32}$/,
      '32 lowercase hexadecimal characters (a Cloudflare account id)',
    ),
    secretId: text(
      POLL_ENV.secretId,
      /^([A-Za-z0-9/_+=.@-]{1,512}|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)$/,
      'a Secrets Manager secret name or ARN',
    ),
    checkpointBucket: text(POLL_ENV.checkpointBucket, bucket, 'an S3 bucket name'),
    checkpointPrefix: text(
      POLL_ENV.checkpointPrefix,
      prefix,
      'a key prefix without leading or trailing slash',
      DEFAULT_CHECKPOINT_PREFIX,
    ),
    deliveryStream: text(POLL_ENV.deliveryStream, /^[a-zA-Z0-9_.-]{1,64}$/, 'a Firehose stream name'),
    lakeBucket: text(POLL_ENV.lakeBucket, bucket, 'an S3 bucket name'),
    quarantinePrefix: text(
      POLL_ENV.quarantinePrefix,
      prefix,
      'a key prefix without leading or trailing slash',
      DEFAULT_QUARANTINE_PREFIX,
    ),
    apiBase,
    delaySeconds: integer(POLL_ENV.delaySeconds, POLL_TIMING.delaySeconds),
    lookbackHours: integer(POLL_ENV.lookbackHours, POLL_TIMING.lookbackHours),
    overlapSeconds: integer(POLL_ENV.overlapSeconds, POLL_TIMING.overlapSeconds),
    safetySeconds: integer(POLL_ENV.safetySeconds, POLL_TIMING.safetySeconds),
  };
  if (problems.length > 0) throw new ConfigError(`poll function settings: ${problems.join('; ')}`);
  return settings;
}

/** The JSON shapes of the Cloudflare credential secret (the stack's output and the adapter's errors quote them). */
export const CREDENTIAL_SECRET_SHAPES = '{"apiToken": "..."} or {"email": "...", "apiKey": "..."}';
