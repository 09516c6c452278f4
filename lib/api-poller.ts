import { CfnOutput, Duration, Fn, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { show } from '../lambdas/core/setting-messages.ts';
import { POLL_SOURCES, type PollSourceName } from '../lambdas/poll/types.ts';
import {
  CREDENTIAL_SECRET_SHAPES,
  DEFAULT_CHECKPOINT_PREFIX,
  DEFAULT_POLL_API_BASE,
  POLL_ENV,
  POLL_TIMING,
} from '../lambdas/settings.ts';
import { type IntegerSpec, integerProblem, type LogLevel } from './lake-settings.ts';
import { createNodeFunction } from './lambda-function.ts';
import { acknowledgeNag, wildcardResourceFinding } from './nag.ts';
import { createSecureBucket } from './secure-bucket.ts';

/** Handler module of the poll function, relative to the project root. */
export const POLL_ENTRY = 'lambdas/handlers/poll.ts';
/** Powertools service name of the poll function: the `service` dimension of its metrics. */
export const POLL_SERVICE_NAME = 'cf-logs-poll';
/** CloudWatch namespace of the project's metrics (the normalize function's too). */
export const METRICS_NAMESPACE = 'CloudflareLogLake';

/** The API pollers: which sources, how often, with which credential. Every setting is optional. */
export interface PollerSettings {
  /**
   * Whether the stack polls Cloudflare's APIs. Off by default: until the secret holds a credential every run
   * fails, and an account that already sends these datasets with Logpush would get every event twice.
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * The APIs polled, in this order: `access_requests`, and `audit_logs` (v1) or `audit_logs_v2`.
   * @default ['access_requests', 'audit_logs']
   */
  readonly sources?: readonly PollSourceName[];
  /**
   * Minutes between runs.
   * @default 5
   */
  readonly scheduleMinutes?: number;
  /**
   * Name of an existing Secrets Manager secret holding the credential JSON. Without this or `secretArn` the
   * stack creates an empty secret and prints how to fill it.
   * @default - a new secret
   */
  readonly secretName?: string;
  /**
   * Complete ARN of an existing secret (with its 6-character suffix), instead of `secretName`.
   * @default - a new secret
   */
  readonly secretArn?: string;
  /**
   * Cloudflare API base URL, up to and including `/client/v4`.
   * @default 'https://api.cloudflare.com/client/v4'
   */
  readonly apiBase?: string;
  /**
   * Seconds before now a run stops asking for, so events Cloudflare makes visible late are not skipped.
   * @default 60
   */
  readonly delaySeconds?: number;
  /**
   * Hours a first run reaches back.
   * @default 24
   */
  readonly lookbackHours?: number;
  /**
   * Seconds before the newest delivered event each run asks for again (duplicates are dropped by id).
   * @default 300
   */
  readonly overlapSeconds?: number;
  /**
   * Reserve a concurrency of 1 for the function, so two runs never overlap (the conditional checkpoint write
   * guards anyway). Needs 100 unreserved executions left in the account and Region, which new accounts lack.
   * @default false
   */
  readonly reservedConcurrency?: boolean;
  /**
   * The lag alarm fires when a source's delivered data is this many minutes behind now.
   * @default 60
   */
  readonly lagAlarmMinutes?: number;
  /**
   * Function timeout in seconds; a run stops 30 s before it with its progress saved.
   * @default 300
   */
  readonly timeoutSeconds?: number;
  /**
   * Function memory in MiB.
   * @default 512
   */
  readonly memoryMiB?: number;
  /**
   * EventBridge Scheduler retries of an invocation it could not deliver (PRACTICES 3.7: 0–2; the checkpoint
   * catches up anyway).
   * @default 0
   */
  readonly retryAttempts?: number;
}

/** Integer settings of the poller with their defaults and ranges, written once. */
export const POLLER_INTEGER_SPECS = {
  // EventBridge Scheduler's rate() takes whole minutes; more than an hour leaves the lag alarm little to say.
  scheduleMinutes: { kind: 'integer', default: 5, min: 1, max: 60 },
  delaySeconds: { kind: 'integer', ...POLL_TIMING.delaySeconds },
  lookbackHours: { kind: 'integer', ...POLL_TIMING.lookbackHours },
  overlapSeconds: { kind: 'integer', ...POLL_TIMING.overlapSeconds },
  lagAlarmMinutes: { kind: 'integer', default: 60, min: 5, max: 10_080 },
  // The run keeps a 30 s safety margin before the timeout; under a minute leaves too little to poll.
  timeoutSeconds: { kind: 'integer', default: 300, min: 60, max: 900 },
  memoryMiB: { kind: 'integer', default: 512, min: 256, max: 10_240 },
  retryAttempts: { kind: 'integer', default: 0, min: 0, max: 2 },
} as const satisfies Record<string, IntegerSpec>;

/** Poller settings with defaults applied (the secret stays optional). */
export type ResolvedPollerSettings = Required<Omit<PollerSettings, 'secretName' | 'secretArn'>> &
  Pick<PollerSettings, 'secretName' | 'secretArn'>;

/** Default poll sources: Access logins and the v1 account audit log. */
export const DEFAULT_POLL_SOURCES: readonly PollSourceName[] = ['access_requests', 'audit_logs'];

/** Applies the defaults. */
export function resolvePollerSettings(settings: PollerSettings | undefined): ResolvedPollerSettings {
  const integers = Object.fromEntries(
    Object.entries(POLLER_INTEGER_SPECS).map(([key, spec]) => [
      key,
      (settings as Record<string, unknown> | undefined)?.[key] ?? spec.default,
    ]),
  ) as { [K in keyof typeof POLLER_INTEGER_SPECS]: number };
  return {
    enabled: settings?.enabled ?? false,
    sources: settings?.sources ?? DEFAULT_POLL_SOURCES,
    apiBase: settings?.apiBase ?? DEFAULT_POLL_API_BASE,
    reservedConcurrency: settings?.reservedConcurrency ?? false,
    ...integers,
    ...(settings?.secretName === undefined ? {} : { secretName: settings.secretName }),
    ...(settings?.secretArn === undefined ? {} : { secretArn: settings.secretArn }),
  };
}

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const API_BASE = /^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$/;

/** What else the poller settings are checked against. */
export interface PollerContext {
  /** The Cloudflare account id, required when the poller is on. */
  readonly accountId?: string;
  /** Account datasets that Logpush already sends: polling one of them too would deliver its events twice. */
  readonly logpushAccountDatasets?: readonly string[];
}

/**
 * Checks resolved poller settings.
 * @returns one `"poller.<key>" must …` line per problem, empty when all is well.
 */
export function pollerSettingProblems(settings: ResolvedPollerSettings, context: PollerContext): string[] {
  const problems: string[] = [];
  const add = (path: string, problem: string | undefined) => {
    if (problem) problems.push(`"poller.${path}" ${problem}`);
  };
  if (typeof settings.enabled !== 'boolean')
    add('enabled', `must be true or false, got ${show(settings.enabled)}`);
  if (typeof settings.reservedConcurrency !== 'boolean') {
    add('reservedConcurrency', `must be true or false, got ${show(settings.reservedConcurrency)}`);
  }
  for (const [key, spec] of Object.entries(POLLER_INTEGER_SPECS)) {
    add(key, integerProblem((settings as unknown as Record<string, unknown>)[key], spec));
  }
  const sources = settings.sources as unknown;
  if (!Array.isArray(sources) || sources.length === 0) {
    add('sources', `must be a non-empty list of ${POLL_SOURCES.join(', ')}, got ${show(sources)}`);
  } else {
    sources.forEach((source: unknown, index) => {
      if (!POLL_SOURCES.includes(source as PollSourceName)) {
        add(`sources[${index}]`, `must be one of ${POLL_SOURCES.join(', ')}, got ${show(source)}`);
      } else if (sources.indexOf(source) !== index) {
        add(`sources[${index}]`, `repeats ${show(source)}`);
      } else if (settings.enabled === true && context.logpushAccountDatasets?.includes(source as string)) {
        add(
          `sources[${index}]`,
          `is ${show(source)}, which datasets.account also sends with Logpush: every event would reach the lake ` +
            'twice; keep one of the two',
        );
      }
    });
    if (sources.includes('audit_logs') && sources.includes('audit_logs_v2')) {
      add(
        'sources',
        'must list audit_logs (v1) or audit_logs_v2, not both: they return the same audit events',
      );
    }
  }
  if (settings.secretName !== undefined && settings.secretArn !== undefined) {
    add('secretArn', 'cannot be set together with poller.secretName: name the secret one way');
  }
  if (
    settings.secretName !== undefined &&
    !(typeof settings.secretName === 'string' && SECRET_NAME.test(settings.secretName))
  ) {
    add(
      'secretName',
      `must be a Secrets Manager secret name (A-Z a-z 0-9 / _ + = . @ -), got ${show(settings.secretName)}`,
    );
  }
  if (
    settings.secretArn !== undefined &&
    !(typeof settings.secretArn === 'string' && SECRET_ARN.test(settings.secretArn))
  ) {
    add(
      'secretArn',
      'must be the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:' +
        `<name>-<6 characters>), got ${show(settings.secretArn)}`,
    );
  }
  if (!(typeof settings.apiBase === 'string' && API_BASE.test(settings.apiBase))) {
    add(
      'apiBase',
      `must be an https:// URL such as "${DEFAULT_POLL_API_BASE}", got ${show(settings.apiBase)}`,
    );
  }
  const minLagMinutes = settings.scheduleMinutes + Math.ceil(settings.delaySeconds / 60);
  if (problems.length === 0 && settings.lagAlarmMinutes <= minLagMinutes) {
    add(
      'lagAlarmMinutes',
      `must be more than poller.scheduleMinutes plus poller.delaySeconds (${minLagMinutes} minutes), or the alarm ` +
        `fires on a healthy poller, got ${settings.lagAlarmMinutes}`,
    );
  }
  if (settings.enabled === true && context.accountId === undefined) {
    problems.push('"cloudflare.accountId" is required: poller.enabled is true');
  }
  return problems;
}

/** Props of {@link ApiPoller}. */
export interface ApiPollerProps {
  readonly settings: ResolvedPollerSettings;
  /** Cloudflare account id whose logs are polled. */
  readonly accountId: string;
  /** The lake bucket: quarantined events go under `quarantinePrefix`. */
  readonly lakeBucket: IBucket;
  readonly quarantinePrefix: string;
  readonly deliveryStream: IDeliveryStream;
  /** Bucket receiving the checkpoint bucket's server access logs, when they are on. */
  readonly accessLogBucket?: IBucket;
  readonly abortIncompleteUploadDays: number;
  readonly logLevel: LogLevel;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The API pollers: an EventBridge Scheduler schedule invokes the poll function, which reads the Cloudflare
 * credential from Secrets Manager, polls each source from its checkpoint (one JSON object per source in a small
 * checkpoint bucket, written with S3 conditional writes) and sends ECS events to the lake's Firehose stream.
 *
 * ```
 * Schedule ─rate─► pollFunction ─GetSecretValue─► secret
 *   ─► Cloudflare API ─► ECS events ─PutRecordBatch─► deliveryStream
 *   ◄─GetObject/PutObject (If-Match)─► checkpointBucket state/poller/<source>.json
 * ```
 */
export class ApiPoller extends Construct {
  readonly pollFunction: NodejsFunction;
  /** Holds the checkpoints only (so the function may list it: S3 answers 404, not 403, for a first run). */
  readonly checkpointBucket: Bucket;
  /** The credential secret, imported or created. */
  readonly secret: ISecret;
  /** Whether {@link secret} was created by this stack (empty, to be filled by the operator). */
  readonly secretCreated: boolean;
  readonly schedule: Schedule;
  /** One per source: its delivered data is more than `lagAlarmMinutes` behind. */
  readonly lagAlarms: Readonly<Record<string, Alarm>>;
  /** Runs that failed (any source). */
  readonly errorAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ApiPollerProps) {
    super(scope, id);
    const { settings } = props;
    const stack = Stack.of(this);

    this.checkpointBucket = createSecureBucket(this, 'CheckpointBucket', {
      removalPolicy: props.removalPolicy,
      abortIncompleteUploadDays: props.abortIncompleteUploadDays,
      expirations: [],
      accessLogs: props.accessLogBucket && { bucket: props.accessLogBucket, prefix: 'checkpoint-bucket/' },
    });

    if (settings.secretArn !== undefined) {
      this.secret = Secret.fromSecretCompleteArn(this, 'Credential', settings.secretArn);
      this.secretCreated = false;
    } else if (settings.secretName !== undefined) {
      this.secret = Secret.fromSecretNameV2(this, 'Credential', settings.secretName);
      this.secretCreated = false;
    } else {
      const secret = new Secret(this, 'Credential', {
        description: `cf-logs: Cloudflare API credential of the pollers, JSON ${CREDENTIAL_SECRET_SHAPES}`,
        // An empty JSON object, not a generated password: the function then says what is missing.
        secretObjectValue: {},
        removalPolicy: props.removalPolicy,
      });
      acknowledgeNag(
        secret,
        'SMG4',
        'A Cloudflare API token cannot be rotated by a Secrets Manager rotation function: Cloudflare issues it. ' +
          'Roll it in Cloudflare and put the new value here; the function reads it again within five minutes.',
      );
      this.secret = secret;
      this.secretCreated = true;
    }

    // A secret's ARN ends in a random 6-character suffix. Imported by name, CDK knows only the name: the grant
    // must then match any suffix of that one name, as CDK's own grantRead does (`-??????`).
    const secretPolicyArn =
      settings.secretName !== undefined ? `${this.secret.secretArn}-??????` : this.secret.secretArn;
    const timeout = Duration.seconds(settings.timeoutSeconds);
    const scheduleSeconds = settings.scheduleMinutes * 60;
    this.pollFunction = createNodeFunction(this, 'PollFunction', {
      entry: POLL_ENTRY,
      description: 'cf-logs poll: Cloudflare Access and audit log APIs to ECS events in Firehose',
      memoryMiB: settings.memoryMiB,
      timeout,
      environment: {
        [POLL_ENV.sources]: settings.sources.join(','),
        [POLL_ENV.accountId]: props.accountId,
        // The secret's id only: the credential itself never sits in the environment (DESIGN.md "Secrets").
        [POLL_ENV.secretId]: settings.secretName ?? this.secret.secretArn,
        [POLL_ENV.checkpointBucket]: this.checkpointBucket.bucketName,
        [POLL_ENV.checkpointPrefix]: DEFAULT_CHECKPOINT_PREFIX,
        [POLL_ENV.deliveryStream]: props.deliveryStream.deliveryStreamName,
        [POLL_ENV.lakeBucket]: props.lakeBucket.bucketName,
        [POLL_ENV.quarantinePrefix]: props.quarantinePrefix,
        [POLL_ENV.apiBase]: settings.apiBase,
        [POLL_ENV.delaySeconds]: String(settings.delaySeconds),
        [POLL_ENV.lookbackHours]: String(settings.lookbackHours),
        [POLL_ENV.overlapSeconds]: String(settings.overlapSeconds),
        POWERTOOLS_SERVICE_NAME: POLL_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: props.logLevel,
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const fn = this.pollFunction;
    if (settings.reservedConcurrency) {
      // Lambda refuses a reservation that leaves fewer than 100 unreserved executions (PRACTICES 3.7).
      (fn.node.defaultChild as { reservedConcurrentExecutions?: number }).reservedConcurrentExecutions = 1;
    }
    // The scheduler invokes asynchronously: Lambda's own retries of a failed run (2 by default) would only
    // repeat it; the next scheduled run continues from the checkpoint. An invocation older than one interval
    // (queued behind a reservation) is dropped, the next one is already due.
    fn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, Math.min(scheduleSeconds, 21_600))),
    });

    // Grants, each the narrowest that works.
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadCredentialSecret',
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretPolicyArn],
      }),
    );
    const checkpointObjects = settings.sources.map((source) =>
      this.checkpointBucket.arnForObjects(`${DEFAULT_CHECKPOINT_PREFIX}/${source}.json`),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadWriteCheckpoints',
        effect: Effect.ALLOW,
        // If-Match needs s3:GetObject besides s3:PutObject (PRACTICES 3.8); exactly one key per source.
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: checkpointObjects,
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'ListCheckpointBucket',
        effect: Effect.ALLOW,
        // Without it S3 answers a first run's GetObject of a missing checkpoint with 403 instead of 404
        // NoSuchKey. The bucket holds nothing but checkpoints.
        actions: ['s3:ListBucket'],
        resources: [this.checkpointBucket.bucketArn],
      }),
    );
    const quarantineObjects = props.lakeBucket.arnForObjects(`${props.quarantinePrefix}/*`);
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'WriteQuarantine',
        effect: Effect.ALLOW,
        actions: ['s3:PutObject'],
        resources: [quarantineObjects],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'PutRecordsToLake',
        effect: Effect.ALLOW,
        actions: ['firehose:PutRecordBatch'],
        resources: [props.deliveryStream.deliveryStreamArn],
      }),
    );
    if (fn.role) {
      acknowledgeNag(
        fn.role,
        'IAM5',
        'The poll function writes quarantine objects whose keys it derives at run time (source, invocation, date); ' +
          'PutObject is limited to the quarantine prefix of the lake bucket.',
        wildcardResourceFinding(this, quarantineObjects),
      );
    }

    // The scheduler's role, made here: the target would otherwise grant invoke on `<function>:*` (every version
    // and alias) to a stack-wide role. This one may invoke this function only, for schedules of this account.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler invokes the cf-logs poll function',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    schedulerRole.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'InvokePollFunction',
        effect: Effect.ALLOW,
        actions: ['lambda:InvokeFunction'],
        resources: [fn.functionArn],
      }),
    );
    this.schedule = new Schedule(this, 'Schedule', {
      description: `cf-logs: polls ${settings.sources.join(', ')} every ${settings.scheduleMinutes} min`,
      schedule: ScheduleExpression.rate(Duration.minutes(settings.scheduleMinutes)),
      target: new LambdaInvoke(fn, {
        role: schedulerRole.withoutPolicyUpdates(),
        retryAttempts: settings.retryAttempts,
        maxEventAge: Duration.seconds(Math.max(60, scheduleSeconds)),
      }),
    });

    const period = Duration.minutes(settings.scheduleMinutes);
    const lagAlarms: Record<string, Alarm> = {};
    for (const source of settings.sources) {
      lagAlarms[source] = new Alarm(this, `LagAlarm${pascal(source)}`, {
        alarmDescription:
          `cf-logs: ${source} events in the lake are more than ${settings.lagAlarmMinutes} minutes behind ` +
          '(BehindSeconds: the time up to which the source is known delivered, to now). First: the poller error ' +
          'alarm and the poll function log (credential, Cloudflare API), then whether the schedule still runs.',
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'BehindSeconds',
          dimensionsMap: { service: POLL_SERVICE_NAME, Source: source },
          statistic: Stats.MINIMUM,
          period,
        }),
        threshold: settings.lagAlarmMinutes * 60,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        // Every run that finishes (done, nothing to do, deadline) reports BehindSeconds: no datapoint for two
        // periods means the poller is failing or no longer runs at all (schedule gone), and the data is behind.
        treatMissingData: TreatMissingData.BREACHING,
      });
    }
    this.lagAlarms = lagAlarms;
    this.errorAlarm = new Alarm(this, 'ErrorAlarm', {
      alarmDescription:
        'cf-logs: poll runs failed (a source could not be polled: credential, Cloudflare API, Firehose). First: ' +
        'the poll function log ("source failed" or "Cloudflare rejected the credential" lines).',
      metric: fn.metricErrors({ period, statistic: Stats.SUM }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const outputs: [string, string, string][] = [
      [
        'PollFunctionName',
        fn.functionName,
        'Poll function (test run: aws lambda invoke --function-name <it> out.json)',
      ],
      [
        'PollCheckpointBucketName',
        this.checkpointBucket.bucketName,
        'Bucket of the pollers\u2019 checkpoints',
      ],
      ['PollCredentialSecretArn', this.secret.secretArn, 'Secret holding the Cloudflare API credential'],
    ];
    if (this.secretCreated) {
      outputs.push([
        'PollCredentialSetup',
        Fn.join('', [
          `aws secretsmanager put-secret-value --region ${stack.region} --secret-id `,
          this.secret.secretArn,
          ` --secret-string '{"apiToken":"<token with Access: Audit Logs Read>"}'`,
        ]),
        `Run this once with your token (or ${CREDENTIAL_SECRET_SHAPES}); the poller fails until the secret holds one`,
      ]);
    }
    for (const [outputId, value, description] of outputs) {
      new CfnOutput(stack, outputId, { value, description });
    }
  }
}

function pascal(name: string): string {
  return name
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
