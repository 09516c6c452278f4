/**
 * What the Logpush jobs `cf-logs logpush` creates should look like: the `logpush` section of the configuration
 * (FACTS.md A5, A6, B). Types, limits and defaults only; the checks are in `settings-check.ts`. No CDK import, so
 * the command line loads it without the CDK.
 */
import type { DatasetName } from '../datasets/catalog.ts';

/** Logpush `output_options.timestamp_format` values (FACTS B); the normalizer reads all of them. */
export const TIMESTAMP_FORMATS = ['unixnano', 'unix', 'rfc3339', 'rfc3339ms', 'rfc3339ns'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

/** The API's default, which keeps nanoseconds (the dashboard's `rfc3339` keeps only seconds). */
export const DEFAULT_TIMESTAMP_FORMAT: TimestampFormat = 'unixnano';

/** Operators of a Logpush `filter` condition (`filters.mdx`, FACTS A6). */
export const FILTER_OPERATORS = [
  'eq',
  '!eq',
  'lt',
  'leq',
  'gt',
  'geq',
  'startsWith',
  'endsWith',
  '!startsWith',
  '!endsWith',
  'contains',
  '!contains',
  'in',
  '!in',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** One condition of a filter: `{"key": "ClientRequestHost", "operator": "eq", "value": "example.com"}`. */
export interface LogpushFilterCondition {
  readonly key: string;
  readonly operator: FilterOperator;
  /** A string, number or boolean; a list for `in` and `!in`. */
  readonly value: string | number | boolean | readonly (string | number)[];
}

/** A condition, or conditions joined by `and` or `or` (nested groups allowed). */
export type LogpushFilterNode =
  | LogpushFilterCondition
  | { readonly and: readonly LogpushFilterNode[] }
  | { readonly or: readonly LogpushFilterNode[] };

/** A Logpush filter as the configuration holds it (the API takes it as a JSON string). */
export interface LogpushFilter {
  readonly where: LogpushFilterNode;
}

/** Largest filter Logpush accepts, serialized: "approximately 30 operators and 1000 bytes" (filters.mdx). */
export const MAX_FILTER_BYTES = 1000;
/** Most conditions a filter may hold (same source). */
export const MAX_FILTER_CONDITIONS = 30;

/** Options of the jobs of one dataset (every zone, or the account). */
export interface LogpushJobOptions {
  /**
   * Exactly these fields, in this order. @default every field Cloudflare lists for the dataset
   * (`GET .../logpush/datasets/<dataset>/fields`): Logpush itself has no "all fields" option (FACTS B, E4).
   */
  readonly fields?: readonly string[];
  /** Fields to leave out of the default list (only without `fields`), e.g. headers holding personal data. */
  readonly excludeFields?: readonly string[];
  /** Only records matching this are pushed. @default none */
  readonly filter?: LogpushFilter;
  /** Fraction of records pushed, applied after the filter: (0, 1]. @default 1 */
  readonly sampleRate?: number;
}

/** An integer setting's accepted range; 0 is also accepted for the upload limits ("0 to disable"). */
export interface UploadLimitSpec {
  readonly min: number;
  readonly max: number;
  /** The job field it sets. */
  readonly field: 'max_upload_bytes' | 'max_upload_records' | 'max_upload_interval_seconds';
}

/** Upload limits (FACTS A5): files are sent when the first is reached; 0 disables one. */
export const UPLOAD_LIMITS = {
  /** Uncompressed bytes per file: 5 MB to 1 GB. */
  maxUploadBytes: { min: 5_000_000, max: 1_000_000_000, field: 'max_upload_bytes' },
  /** Lines per file: 1,000 to 1,000,000. */
  maxUploadRecords: { min: 1_000, max: 1_000_000, field: 'max_upload_records' },
  /** Seconds between files: 30 to 300. */
  maxUploadIntervalSeconds: { min: 30, max: 300, field: 'max_upload_interval_seconds' },
} as const satisfies Record<string, UploadLimitSpec>;
export type UploadLimitName = keyof typeof UPLOAD_LIMITS;

/** The `logpush` section, checked, with defaults applied. */
export interface LogpushSettings {
  /** `output_options.timestamp_format` of every job. @default 'unixnano' */
  readonly timestampFormat: TimestampFormat;
  /** Upload limits sent with every job; one left out is not managed (Cloudflare's default applies: 30 s, 100k). */
  readonly maxUploadBytes?: number;
  readonly maxUploadRecords?: number;
  readonly maxUploadIntervalSeconds?: number;
  /** Options per dataset; only datasets listed under `datasets.zone` or `datasets.account`. */
  readonly jobs: Readonly<Partial<Record<DatasetName, LogpushJobOptions>>>;
}

/** The section when the configuration has none. */
export const DEFAULT_LOGPUSH_SETTINGS: LogpushSettings = {
  timestampFormat: DEFAULT_TIMESTAMP_FORMAT,
  jobs: {},
};

/**
 * Zero Trust datasets (Access, Gateway, DEX and the other Cloudflare One logs): since 2025-11-05 their jobs need
 * Zero Trust PII Read besides Logs Edit, else Cloudflare answers `reading job for product '<product>' is not
 * allowed (1004)` (FACTS A6, E9). FACTS names Access, Gateway and DEX; the others are Cloudflare One products
 * whose logs carry the same user data, so they are listed too (the hint is only shown next to Cloudflare's error).
 */
export const ZERO_TRUST_DATASETS: ReadonlySet<DatasetName> = new Set<DatasetName>([
  'access_requests',
  'biso_user_actions',
  'casb_findings',
  'device_posture_results',
  'dex_application_tests',
  'dex_device_state_events',
  'dlp_forensic_copies',
  'gateway_dns',
  'gateway_http',
  'gateway_network',
  'mcp_portal_logs',
  'ssh_logs',
  'warp_config_changes',
  'warp_toggle_changes',
  'zero_trust_network_sessions',
]);

/** Most Logpush jobs one zone may have: "creating a new job is not allowed: exceeded max jobs allowed" (FACTS A6). */
export const MAX_JOBS_PER_ZONE = 4;
