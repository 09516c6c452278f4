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
