import { ConfigError } from './core/errors.ts';

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
}

/**
 * Reads and checks the normalize function's environment.
 * @throws ConfigError naming the variable and what was expected, so a bad deployment fails at cold start.
 */
export function readNormalizeSettings(env: Readonly<Record<string, string | undefined>>): NormalizeSettings {
  const problems: string[] = [];
  const read = (name: string, pattern: RegExp, expected: string, fallback?: string): string => {
    const value = env[name] ?? fallback;
    if (value === undefined || value === '') {
      problems.push(`${name} is not set (expected ${expected})`);
      return '';
    }
    if (!pattern.test(value)) problems.push(`${name} must be ${expected}, got ${JSON.stringify(value)}`);
    return value;
  };
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
  if (problems.length > 0) throw new ConfigError(`normalize function settings: ${problems.join('; ')}`);
  return settings;
}
