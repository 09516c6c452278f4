/**
 * Tunable settings of the log lake: their types, defaults and allowed ranges, written once here. The config
 * file reader (`config.ts`) and the construct (`cloudflare-log-lake.ts`) both check values against these specs,
 * so a limit is never stated twice.
 */
import { show } from '../lambdas/core/setting-messages.ts';
import { LAKE_ECS_PREFIX, LAKE_ERROR_PREFIX } from '../lambdas/settings.ts';

/** How long data is kept, in days. */
export interface RetentionSettings {
  /**
   * Days Logpush objects stay in the Logpush bucket; 0 keeps them forever.
   * @default 90
   */
  readonly logpushObjects?: number;
  /**
   * Days ECS events (`ecs/`) stay in the lake bucket; 0 keeps them forever.
   * @default 0
   */
  readonly lake?: number;
  /**
   * Days quarantined lines and Firehose error output (`errors/`) stay in the lake bucket; 0 keeps them forever.
   * @default 90
   */
  readonly quarantine?: number;
  /**
   * Days after which parts of an unfinished multipart upload are removed (all buckets).
   * @default 3
   */
  readonly abortIncompleteUploads?: number;
  /**
   * Days S3 server access logs are kept; 0 keeps them forever.
   * @default 365
   */
  readonly accessLogs?: number;
  /**
   * Days the function and Firehose CloudWatch log groups keep events (a CloudWatch retention value); 0 never
   * expires.
   * @default 30
   */
  readonly logs?: number;
}

/** Log levels Powertools Logger understands through `LOG_LEVEL`. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
/** A Powertools log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Sizing and scaling of the normalize function and its SQS event source. */
export interface NormalizeFunctionSettings {
  /**
   * Memory of the function in MiB (CPU scales with it).
   * @default 1024
   */
  readonly memoryMiB?: number;
  /**
   * Function timeout in seconds; the queue's visibility timeout is six times this.
   * @default 300
   */
  readonly timeoutSeconds?: number;
  /**
   * SQS messages (S3 events) per invocation.
   * @default 1
   */
  readonly batchSize?: number;
  /**
   * Maximum concurrent invocations the SQS event source starts.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Receives of a message before SQS moves it to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Powertools log level (`LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
}

/** Buffering of the Firehose stream into the lake bucket (one Parquet object per partition and buffer). */
export interface FirehoseSettings {
  /**
   * Seconds Firehose buffers before writing an object.
   * @default 300
   */
  readonly bufferIntervalSeconds?: number;
  /**
   * MiB Firehose buffers before writing an object.
   * @default 128
   */
  readonly bufferSizeMiB?: number;
}

/** Athena and the Glue catalog: the database, partition projection, the query workgroup. */
export interface AthenaSettings {
  /**
   * Largest amount of data one query may scan, in MiB (the workgroup's `BytesScannedCutoffPerQuery`): Athena
   * cancels a query that goes past it, so a query without a partition filter cannot run up a bill. 0: no limit.
   * @default 10240 (10 GiB)
   */
  readonly scanLimitMiB?: number;
  /**
   * Days query results stay in the results bucket.
   * @default 30
   */
  readonly resultsRetentionDays?: number;
  /**
   * First day (`yyyy-MM-dd`, UTC) partition projection offers: queries see partitions from this day to today.
   * @default '2020-01-01'
   */
  readonly projectionStartDate?: string;
  /**
   * Name of the Glue database holding the tables.
   * @default 'cloudflare_logs'
   */
  readonly databaseName?: string;
}

/** Alarms, where they send notifications, and the dashboard. Every setting is optional. */
export interface MonitoringSettings {
  /**
   * E-mail addresses subscribed to a new SNS topic the alarms notify (each address confirms once). Not with
   * `topicArn`.
   * @default [] (no topic: the alarms show in the console only)
   */
  readonly emails?: readonly string[];
  /**
   * ARN of an existing standard SNS topic the alarms notify instead; it must let CloudWatch publish (and use its
   * KMS key, when encrypted).
   * @default - none
   */
  readonly topicArn?: string;
  /**
   * Whether the stack has a CloudWatch dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * The quarantine alarm fires when more than this percentage of the Logpush lines read is quarantined.
   * @default 1
   */
  readonly quarantinePercent?: number;
  /**
   * The freshness alarm fires when the oldest record Firehose holds is older than this many minutes; 0 derives it
   * from the buffer interval (see {@link freshnessAlarmMinutes}).
   * @default 0
   */
  readonly freshnessMinutes?: number;
  /**
   * The queue alarm fires when a Logpush object has waited this many minutes in the queue.
   * @default 60
   */
  readonly queueAgeMinutes?: number;
}

/** An integer setting: its default and what it may be. */
export interface IntegerSpec {
  readonly kind: 'integer';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** When set, 0 is also allowed and means this (e.g. "keep forever"). */
  readonly zeroMeans?: string;
  /** When set, only these values (and 0 if `zeroMeans`) are allowed. */
  readonly oneOf?: readonly number[];
}

/** A string setting restricted to a few values. */
export interface EnumSpec<T extends string = string> {
  readonly kind: 'enum';
  readonly default: T;
  readonly values: readonly T[];
}

/** A string setting of a given shape. */
export interface TextSpec {
  readonly kind: 'text';
  readonly default: string;
  /** What the value must be, as a phrase that follows "must be". */
  readonly expected: string;
  readonly valid: (value: string) => boolean;
}

/** Values CloudWatch Logs accepts as a retention in days (PutRetentionPolicy API). */
const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Lifecycle expirations take whole days; a century is more than anyone should keep logs. */
const RETENTION_MAX_DAYS = 36_500;

/** Specs of the retention settings. */
export const RETENTION_SPECS = {
  // At least the DLQ's 14 days: a dead-lettered message is only worth redriving while its object still exists.
  logpushObjects: {
    kind: 'integer',
    default: 90,
    min: 14,
    max: RETENTION_MAX_DAYS,
    zeroMeans: 'keep forever',
  },
  lake: { kind: 'integer', default: 0, min: 1, max: RETENTION_MAX_DAYS, zeroMeans: 'keep forever' },
  quarantine: { kind: 'integer', default: 90, min: 1, max: RETENTION_MAX_DAYS, zeroMeans: 'keep forever' },
  // Logpush uploads with multipart and may abandon parts (FACTS A2, PRACTICES pitfall 10); a week is plenty.
  abortIncompleteUploads: { kind: 'integer', default: 3, min: 1, max: 7 },
  accessLogs: { kind: 'integer', default: 365, min: 1, max: RETENTION_MAX_DAYS, zeroMeans: 'keep forever' },
  logs: {
    kind: 'integer',
    default: 30,
    min: 1,
    max: 3653,
    zeroMeans: 'never expire',
    oneOf: CLOUDWATCH_RETENTION_DAYS,
  },
} as const satisfies Record<keyof RetentionSettings, IntegerSpec>;

/** Specs of the normalize function settings. */
export const NORMALIZE_SPECS = {
  // Lambda allows 128..10,240 MB; below 512 the streaming gunzip, mapping and 4 MiB Firehose batches starve.
  memoryMiB: { kind: 'integer', default: 1024, min: 512, max: 10_240 },
  // Lambda's maximum is 900 s; under 30 s a large Logpush object (up to 1 GB uncompressed, FACTS E8) cannot finish.
  timeoutSeconds: { kind: 'integer', default: 300, min: 30, max: 900 },
  // An SQS event source takes more than 10 messages only with a batching window (PRACTICES 3.1).
  batchSize: { kind: 'integer', default: 1, min: 1, max: 10 },
  // ScalingConfig.MaximumConcurrency of an SQS event source accepts 2..1000.
  maxConcurrency: { kind: 'integer', default: 10, min: 2, max: 1000 },
  maxReceiveCount: { kind: 'integer', default: 5, min: 1, max: 20 },
  logLevel: { kind: 'enum', default: 'INFO', values: LOG_LEVELS },
} as const satisfies {
  readonly [K in keyof NormalizeFunctionSettings]-?: IntegerSpec | EnumSpec;
};

/** Specs of the Firehose buffering settings. */
export const FIREHOSE_SPECS = {
  // With dynamic partitioning Firehose needs an interval of 60..900 s and a size of 64..128 MiB (PRACTICES 3.4);
  // record format conversion (Parquet) has the same 64 MiB minimum.
  bufferIntervalSeconds: { kind: 'integer', default: 300, min: 60, max: 900 },
  bufferSizeMiB: { kind: 'integer', default: 128, min: 64, max: 128 },
} as const satisfies Record<keyof FirehoseSettings, IntegerSpec>;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `value` is a real calendar day written `yyyy-MM-dd`, from 1970 on. */
function isDay(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1970 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

// Glue allows 255 characters; Athena wants lower case letters, digits and underscores, and a name that starts with
// a letter needs no quoting in queries (Athena UG, "Name databases, tables, and columns").
const DATABASE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,254}$/;

/** Specs of the Athena settings. */
export const ATHENA_SPECS = {
  // Athena's minimum cutoff is 10 MB (10,000,000 bytes; 10 MiB is above it); the maximum, 1 PiB, is only a
  // bound on typing mistakes.
  scanLimitMiB: { kind: 'integer', default: 10_240, min: 10, max: 1_073_741_824, zeroMeans: 'no limit' },
  resultsRetentionDays: { kind: 'integer', default: 30, min: 1, max: RETENTION_MAX_DAYS },
  projectionStartDate: {
    kind: 'text',
    default: '2020-01-01',
    expected: 'a day written yyyy-MM-dd, 1970-01-01 or later',
    valid: isDay,
  },
  databaseName: {
    kind: 'text',
    default: 'cloudflare_logs',
    expected: 'a Glue database name: a lower case letter, then lower case letters, digits or _ (at most 255)',
    valid: (value) => DATABASE_NAME_PATTERN.test(value),
  },
} as const satisfies { readonly [K in keyof AthenaSettings]-?: IntegerSpec | TextSpec };

// The default freshness threshold: a record may take about 1.5 buffer intervals to reach S3 with dynamic
// partitioning (PRACTICES 3.4); three leave room for a slow delivery, a quarter of an hour for short intervals.
const FRESHNESS_BUFFER_FACTOR = 3;
const FRESHNESS_FLOOR_MINUTES = 15;
/** Below this many buffer intervals the freshness alarm would fire on a healthy stream. */
const FRESHNESS_MIN_BUFFER_FACTOR = 2;

/** Specs of the integer monitoring settings. */
export const MONITORING_INTEGER_SPECS = {
  quarantinePercent: { kind: 'integer', default: 1, min: 1, max: 100 },
  freshnessMinutes: {
    kind: 'integer',
    default: 0,
    min: 5,
    max: 1440,
    zeroMeans: `derived: ${FRESHNESS_BUFFER_FACTOR} × firehose.bufferIntervalSeconds, at least ${FRESHNESS_FLOOR_MINUTES}`,
  },
  // A day is longer than anything should wait; SQS drops messages after the queue's four days anyway.
  queueAgeMinutes: { kind: 'integer', default: 60, min: 5, max: 1440 },
} as const satisfies Record<string, IntegerSpec>;

/** Monitoring settings with defaults applied (the topic stays optional). */
export type ResolvedMonitoringSettings = Required<Omit<MonitoringSettings, 'topicArn'>> &
  Pick<MonitoringSettings, 'topicArn'>;

/** Applies the monitoring defaults. */
export function resolveMonitoringSettings(
  settings: MonitoringSettings | undefined,
): ResolvedMonitoringSettings {
  return {
    emails: settings?.emails ?? [],
    dashboard: settings?.dashboard ?? true,
    ...withDefaults<Pick<MonitoringSettings, keyof typeof MONITORING_INTEGER_SPECS>>(
      MONITORING_INTEGER_SPECS,
      settings,
    ),
    ...(settings?.topicArn === undefined ? {} : { topicArn: settings.topicArn }),
  };
}

/** The freshness threshold in force, in minutes: the configured one, or the default derived from the buffer. */
export function freshnessAlarmMinutes(
  monitoring: ResolvedMonitoringSettings,
  firehose: Required<FirehoseSettings>,
): number {
  if (monitoring.freshnessMinutes !== 0) return monitoring.freshnessMinutes;
  return Math.max(
    FRESHNESS_FLOOR_MINUTES,
    Math.ceil((FRESHNESS_BUFFER_FACTOR * firehose.bufferIntervalSeconds) / 60),
  );
}

/** Settings with every default applied. */
export interface ResolvedLakeSettings {
  readonly logpushPrefix: string;
  readonly quarantinePrefix: string;
  readonly retention: Required<RetentionSettings>;
  readonly normalize: Required<NormalizeFunctionSettings>;
  readonly firehose: Required<FirehoseSettings>;
  readonly athena: Required<AthenaSettings>;
  readonly monitoring: ResolvedMonitoringSettings;
}

/** Applies the specs' defaults to whatever is unset. */
export function withDefaults<V extends object>(
  specs: NoInfer<{ readonly [K in keyof V]-?: { readonly default: V[K] } }>,
  values: V | undefined,
): Required<V> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs) as [string, { readonly default: unknown }][]) {
    out[key] = (values as Record<string, unknown> | undefined)?.[key] ?? spec.default;
  }
  return out as Required<V>;
}

/** What a value must be, as a phrase that follows the setting's name, or `undefined` when it is fine. */
export function integerProblem(value: unknown, spec: IntegerSpec): string | undefined {
  const allowed = spec.oneOf
    ? `one of ${[...(spec.zeroMeans ? [`0 (${spec.zeroMeans})`] : []), ...spec.oneOf].join(', ')}`
    : `${spec.zeroMeans ? `0 (${spec.zeroMeans}) or ` : ''}an integer from ${spec.min} to ${spec.max}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) return `must be ${allowed}, got ${show(value)}`;
  if (value === 0 && spec.zeroMeans) return undefined;
  const inRange = spec.oneOf ? spec.oneOf.includes(value) : value >= spec.min && value <= spec.max;
  return inRange ? undefined : `must be ${allowed}, got ${show(value)}`;
}

/** Like {@link integerProblem}, for a value restricted to a few strings. */
export function enumProblem(value: unknown, spec: EnumSpec): string | undefined {
  if (typeof value === 'string' && spec.values.includes(value)) return undefined;
  return `must be one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}, got ${show(value)}`;
}

// Segments of S3 "safe" characters (S3 User Guide, object key naming) joined by single slashes: no leading,
// trailing or double slash. `*` is S3-safe but is left out on purpose: the prefix ends up in IAM and bucket
// policy ARNs, where `*` is a wildcard that would widen Cloudflare's PutObject grant.
const PREFIX_PATTERN = /^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*$/;
const PREFIX_MAX_LENGTH = 512;

/** What a key prefix must look like, as a phrase, or `undefined` when it is fine. */
export function prefixProblem(value: unknown): string | undefined {
  if (
    typeof value === 'string' &&
    value.length <= PREFIX_MAX_LENGTH &&
    PREFIX_PATTERN.test(value) &&
    !value.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    return undefined;
  }
  return (
    `must be a key prefix of segments of A-Z a-z 0-9 ! _ . ' ( ) - joined by single "/", ` +
    `without leading or trailing "/" (at most ${PREFIX_MAX_LENGTH} characters), got ${show(value)}`
  );
}

/** Like {@link integerProblem}, for a string of a given shape. */
export function textProblem(value: unknown, spec: TextSpec): string | undefined {
  if (typeof value === 'string' && spec.valid(value)) return undefined;
  return `must be ${spec.expected}, got ${show(value)}`;
}

/** The problem of a value against its spec, or `undefined` when it is fine. */
export function specProblem(value: unknown, spec: IntegerSpec | EnumSpec | TextSpec): string | undefined {
  switch (spec.kind) {
    case 'integer':
      return integerProblem(value, spec);
    case 'enum':
      return enumProblem(value, spec);
    case 'text':
      return textProblem(value, spec);
  }
}

/** The quarantine prefix must stay clear of the prefixes Firehose writes, or the function could write there. */
export function quarantinePrefixProblem(value: string): string | undefined {
  const first = value.split('/')[0];
  if (first === LAKE_ECS_PREFIX || first === LAKE_ERROR_PREFIX) {
    return `must not be or lie under "${LAKE_ECS_PREFIX}" or "${LAKE_ERROR_PREFIX}" (Firehose writes there), got ${show(value)}`;
  }
  return undefined;
}

/**
 * Checks resolved settings against the specs.
 * @returns one `"<path>" must …` line per problem, empty when all is well.
 */
export function lakeSettingProblems(settings: ResolvedLakeSettings): string[] {
  const problems: string[] = [];
  const add = (path: string, problem: string | undefined) => {
    if (problem) problems.push(`"${path}" ${problem}`);
  };
  add('logpushPrefix', prefixProblem(settings.logpushPrefix));
  add(
    'quarantinePrefix',
    prefixProblem(settings.quarantinePrefix) ?? quarantinePrefixProblem(settings.quarantinePrefix),
  );
  const sections = [
    ['retention', RETENTION_SPECS, settings.retention],
    ['normalize', NORMALIZE_SPECS, settings.normalize],
    ['firehose', FIREHOSE_SPECS, settings.firehose],
    ['athena', ATHENA_SPECS, settings.athena],
    ['monitoring', MONITORING_INTEGER_SPECS, settings.monitoring],
  ] as const;
  for (const [section, specs, values] of sections) {
    for (const [key, spec] of Object.entries(specs) as [string, IntegerSpec | EnumSpec | TextSpec][]) {
      add(`${section}.${key}`, specProblem((values as Record<string, unknown>)[key], spec));
    }
  }
  problems.push(...monitoringProblems(settings));
  return problems;
}

// Pragmatic, not RFC 5322: one @, no spaces or quotes, a dotted domain. SNS sends the confirmation there anyway.
const EMAIL = /^[^\s@"(),:;<>[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const EMAIL_MAX_LENGTH = 254;
// Standard topics only: a FIFO topic (name ending in `.fifo`) needs a message group id on every publish, which
// CloudWatch alarm actions do not send.
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** The monitoring settings that are not plain integers, and the thresholds that depend on other settings. */
function monitoringProblems(settings: ResolvedLakeSettings): string[] {
  const problems: string[] = [];
  const add = (path: string, problem: string) => problems.push(`"monitoring.${path}" ${problem}`);
  const { monitoring, firehose, normalize } = settings;
  if (typeof monitoring.dashboard !== 'boolean') {
    add('dashboard', `must be true or false, got ${show(monitoring.dashboard)}`);
  }
  const emails = monitoring.emails as unknown;
  if (!Array.isArray(emails)) {
    add('emails', `must be a list of e-mail addresses, got ${show(emails)}`);
  } else {
    emails.forEach((email: unknown, index) => {
      if (!(typeof email === 'string' && email.length <= EMAIL_MAX_LENGTH && EMAIL.test(email))) {
        add(`emails[${index}]`, `must be an e-mail address such as "ops@example.com", got ${show(email)}`);
      } else if (emails.indexOf(email) !== index) {
        add(`emails[${index}]`, `repeats ${show(email)}`);
      }
    });
    if (emails.length > 0 && monitoring.topicArn !== undefined) {
      add('topicArn', 'cannot be set together with monitoring.emails: subscribe the addresses to that topic');
    }
  }
  const { topicArn } = monitoring;
  if (topicArn !== undefined && !(typeof topicArn === 'string' && SNS_TOPIC_ARN.test(topicArn))) {
    add(
      'topicArn',
      `must be the ARN of a standard SNS topic (arn:aws:sns:<region>:<account>:<name>), got ${show(topicArn)}`,
    );
  }
  // Thresholds a healthy stack would cross, checked once the values they depend on are themselves valid.
  const valid = (value: unknown, spec: IntegerSpec) => integerProblem(value, spec) === undefined;
  if (
    monitoring.freshnessMinutes !== 0 &&
    valid(monitoring.freshnessMinutes, MONITORING_INTEGER_SPECS.freshnessMinutes) &&
    valid(firehose.bufferIntervalSeconds, FIREHOSE_SPECS.bufferIntervalSeconds)
  ) {
    const minimum = Math.ceil((FRESHNESS_MIN_BUFFER_FACTOR * firehose.bufferIntervalSeconds) / 60);
    if (monitoring.freshnessMinutes < minimum) {
      add(
        'freshnessMinutes',
        `must be 0 or at least ${FRESHNESS_MIN_BUFFER_FACTOR} × firehose.bufferIntervalSeconds (${minimum} minutes): ` +
          `a healthy stream may hold a record for about 1.5 buffer intervals, got ${monitoring.freshnessMinutes}`,
      );
    }
  }
  if (
    valid(monitoring.queueAgeMinutes, MONITORING_INTEGER_SPECS.queueAgeMinutes) &&
    valid(normalize.timeoutSeconds, NORMALIZE_SPECS.timeoutSeconds) &&
    monitoring.queueAgeMinutes * 60 <= normalize.timeoutSeconds
  ) {
    add(
      'queueAgeMinutes',
      `must be more than normalize.timeoutSeconds (${normalize.timeoutSeconds} s): a message stays in ` +
        `the queue while its object is processed, got ${monitoring.queueAgeMinutes}`,
    );
  }
  return problems;
}
