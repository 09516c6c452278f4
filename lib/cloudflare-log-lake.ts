import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { DeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { ConfigError } from '../lambdas/core/errors.ts';
import { show } from '../lambdas/core/setting-messages.ts';
import { DEFAULT_LOGPUSH_PREFIX, DEFAULT_QUARANTINE_PREFIX } from '../lambdas/settings.ts';
import {
  ApiPoller,
  type PollerSettings,
  pollerSettingProblems,
  type ResolvedPollerSettings,
  resolvePollerSettings,
} from './api-poller.ts';
import { LakeCatalog } from './lake-catalog.ts';
import { LakeDelivery } from './lake-delivery.ts';
import { LakeMonitoring } from './lake-monitoring.ts';
import { LakeQuery } from './lake-query.ts';
import {
  ATHENA_SPECS,
  type AthenaSettings,
  FIREHOSE_SPECS,
  type FirehoseSettings,
  freshnessAlarmMinutes,
  lakeSettingProblems,
  type MonitoringSettings,
  NORMALIZE_SPECS,
  type NormalizeFunctionSettings,
  RETENTION_SPECS,
  type ResolvedLakeSettings,
  type RetentionSettings,
  resolveMonitoringSettings,
  withDefaults,
} from './lake-settings.ts';
import { logpushDestinationConf } from './logpush-destination.ts';
import { LogpushStorage } from './logpush-storage.ts';
import { acknowledgeNag } from './nag.ts';
import { NormalizeIngest } from './normalize-ingest.ts';
import { createSecureBucket } from './secure-bucket.ts';

/** Props of {@link CloudflareLogLake}. Every one is optional. */
export interface CloudflareLogLakeProps {
  /**
   * Key prefix Logpush jobs write under in the Logpush bucket, without leading or trailing slash.
   * @default 'logpush' (DEFAULT_LOGPUSH_PREFIX)
   */
  readonly logpushPrefix?: string;
  /**
   * Key prefix of quarantined lines in the lake bucket, without leading or trailing slash; not `ecs` or `errors`.
   * @default 'quarantine' (DEFAULT_QUARANTINE_PREFIX)
   */
  readonly quarantinePrefix?: string;
  /**
   * Retention of Logpush objects, lake data, quarantine, access logs and log groups.
   * @default - see {@link RetentionSettings}
   */
  readonly retention?: RetentionSettings;
  /**
   * Sizing and scaling of the normalize function.
   * @default - see {@link NormalizeFunctionSettings}
   */
  readonly normalize?: NormalizeFunctionSettings;
  /**
   * Firehose buffering.
   * @default - see {@link FirehoseSettings}
   */
  readonly firehose?: FirehoseSettings;
  /**
   * The Glue database, partition projection and the Athena workgroup.
   * @default - see {@link AthenaSettings}
   */
  readonly athena?: AthenaSettings;
  /**
   * What happens to buckets and log groups when they leave the stack. `DESTROY` also empties the buckets on
   * deletion (autoDeleteObjects), which deletes the Logpush objects and the whole lake: for test stacks only.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether the Logpush and lake buckets send S3 server access logs to a separate access-log bucket.
   * @default true
   */
  readonly accessLogs?: boolean;
  /**
   * Cloudflare account id (32 lowercase hex); required when the API pollers are enabled. The raw tables of
   * account datasets project it as their `scope_id`.
   * @default - none: raw tables of account datasets take `scope_id` from each query
   */
  readonly cloudflareAccountId?: string;
  /**
   * Ids (32 lowercase hex) of the Cloudflare zones whose Logpush jobs write into the Logpush bucket; the raw
   * tables of zone datasets project them as their `scope_id`.
   * @default - none: raw tables of zone datasets take `scope_id` from each query
   */
  readonly cloudflareZoneIds?: readonly string[];
  /**
   * The API pollers (Access authentication logs, account audit logs).
   * @default - off (see {@link PollerSettings})
   */
  readonly poller?: PollerSettings;
  /**
   * Alarm thresholds, where the alarms notify, the dashboard.
   * @default - see {@link MonitoringSettings}: alarms without actions, and a dashboard
   */
  readonly monitoring?: MonitoringSettings;
}

/**
 * Cloudflare logs in your AWS account: a Logpush bucket Cloudflare may write into, a queue of its new objects,
 * the normalize function that maps them to ECS, a Firehose stream that writes them into the lake bucket as
 * Parquet, partitioned by dataset and day, and the Glue catalog and Athena workgroup to query them.
 *
 * ```
 * Logpush ─PutObject─► logpushBucket ─ObjectCreated─► queue (deadLetterQueue) ─► normalizeFunction
 *   ─PutRecordBatch─► deliveryStream ─► lakeBucket ecs/dataset=…/dt=…/*.parquet
 * catalog (Glue): ecs, raw_<dataset> (over logpushBucket), quarantine ◄── workGroup (Athena), saved queries
 * monitoring: alarms on each stage (optional SNS topic), dashboard
 * ```
 */
export class CloudflareLogLake extends Construct {
  /** Bucket Cloudflare Logpush writes into (under {@link logpushPrefix}). */
  readonly logpushBucket: Bucket;
  /** Bucket of the lake: ECS events, Firehose errors, quarantine. */
  readonly lakeBucket: Bucket;
  /** Bucket receiving server access logs of the two others, when access logs are on. */
  readonly accessLogBucket?: Bucket;
  /** Queue of ObjectCreated events of Logpush objects. */
  readonly queue: Queue;
  /** Dead-letter queue of {@link queue}. */
  readonly deadLetterQueue: Queue;
  /** The normalize function. */
  readonly normalizeFunction: NodejsFunction;
  /** The Firehose stream into the lake. */
  readonly deliveryStream: DeliveryStream;
  /** The Glue database and its tables. */
  readonly catalog: LakeCatalog;
  /** The Athena workgroup, its results bucket and the saved queries. */
  readonly query: LakeQuery;
  /** The settings in force, defaults applied. */
  readonly settings: ResolvedLakeSettings;
  /** The poller settings in force, defaults applied. */
  readonly pollerSettings: ResolvedPollerSettings;
  /** The API pollers, when enabled. */
  readonly poller?: ApiPoller;
  /** Alarms, their topic and the dashboard. */
  readonly monitoring: LakeMonitoring;

  constructor(scope: Construct, id: string, props: CloudflareLogLakeProps = {}) {
    super(scope, id);
    // Access logs are delivered under a bucket policy on the access-log bucket, not the legacy
    // LogDeliveryWrite ACL, which needs ACLs enabled (ObjectWriter). Set here so the construct does not
    // depend on the app's cdk.json; it must precede the children.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.settings = {
      logpushPrefix: props.logpushPrefix ?? DEFAULT_LOGPUSH_PREFIX,
      quarantinePrefix: props.quarantinePrefix ?? DEFAULT_QUARANTINE_PREFIX,
      retention: withDefaults(RETENTION_SPECS, props.retention),
      normalize: withDefaults(NORMALIZE_SPECS, props.normalize),
      firehose: withDefaults(FIREHOSE_SPECS, props.firehose),
      athena: withDefaults(ATHENA_SPECS, props.athena),
      monitoring: resolveMonitoringSettings(props.monitoring),
    };
    this.pollerSettings = resolvePollerSettings(props.poller);
    const zoneIds = props.cloudflareZoneIds ?? [];
    const problems = [
      ...lakeSettingProblems(this.settings),
      ...cloudflareIdProblems(props.cloudflareAccountId, zoneIds),
      ...pollerSettingProblems(this.pollerSettings, {
        ...(props.cloudflareAccountId === undefined ? {} : { accountId: props.cloudflareAccountId }),
      }),
    ];
    if (problems.length > 0) {
      throw new ConfigError(problems.map((problem) => `CloudflareLogLake props: ${problem}`).join('\n'));
    }
    const { retention, normalize, firehose, athena, logpushPrefix, quarantinePrefix } = this.settings;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = retention.logs === 0 ? RetentionDays.INFINITE : (retention.logs as RetentionDays);

    if (props.accessLogs ?? true) {
      this.accessLogBucket = createSecureBucket(this, 'AccessLogBucket', {
        removalPolicy,
        abortIncompleteUploadDays: retention.abortIncompleteUploads,
        expirations: [{ id: 'ExpireAccessLogs', days: retention.accessLogs }],
      });
      // No access logs of its own: cdk-nag S1 recognises it as the log target of the other buckets.
    }
    const storage = new LogpushStorage(this, 'Storage', {
      logpushPrefix,
      objectRetentionDays: retention.logpushObjects,
      abortIncompleteUploadDays: retention.abortIncompleteUploads,
      removalPolicy,
      accessLogBucket: this.accessLogBucket,
    });
    const delivery = new LakeDelivery(this, 'Delivery', {
      quarantinePrefix,
      lakeRetentionDays: retention.lake,
      quarantineRetentionDays: retention.quarantine,
      abortIncompleteUploadDays: retention.abortIncompleteUploads,
      bufferIntervalSeconds: firehose.bufferIntervalSeconds,
      bufferSizeMiB: firehose.bufferSizeMiB,
      logRetention,
      removalPolicy,
      accessLogBucket: this.accessLogBucket,
      // The catalog's tables lie in the lake bucket, which LakeDelivery makes (where it has always been, so its
      // logical id stays), and the stream needs the catalog's ECS table: LakeDelivery calls this in between.
      catalog: (lakeBucket) =>
        new LakeCatalog(this, 'Catalog', {
          databaseName: athena.databaseName,
          lakeBucket,
          logpushBucket: storage.logpushBucket,
          logpushPrefix,
          quarantinePrefix,
          projectionStartDate: athena.projectionStartDate,
          zoneIds,
          ...(props.cloudflareAccountId === undefined ? {} : { accountId: props.cloudflareAccountId }),
        }),
    });
    this.catalog = delivery.catalog;
    this.query = new LakeQuery(this, 'Query', {
      databaseName: this.catalog.database.ref,
      scanLimitMiB: athena.scanLimitMiB,
      resultsRetentionDays: athena.resultsRetentionDays,
      abortIncompleteUploadDays: retention.abortIncompleteUploads,
      removalPolicy,
      accessLogBucket: this.accessLogBucket,
    });
    const ingest = new NormalizeIngest(this, 'Ingest', {
      logpushBucket: storage.logpushBucket,
      logpushPrefix,
      lakeBucket: delivery.lakeBucket,
      quarantinePrefix,
      deliveryStream: delivery.deliveryStream,
      ...normalize,
      logRetention,
      removalPolicy,
    });
    if (this.pollerSettings.enabled && props.cloudflareAccountId !== undefined) {
      this.poller = new ApiPoller(this, 'Poller', {
        settings: this.pollerSettings,
        accountId: props.cloudflareAccountId,
        lakeBucket: delivery.lakeBucket,
        quarantinePrefix,
        deliveryStream: delivery.deliveryStream,
        accessLogBucket: this.accessLogBucket,
        abortIncompleteUploadDays: retention.abortIncompleteUploads,
        logLevel: normalize.logLevel,
        logRetention,
        removalPolicy,
      });
    }
    const { monitoring } = this.settings;
    this.monitoring = new LakeMonitoring(this, 'Monitoring', {
      queue: ingest.queue,
      deadLetterQueue: ingest.deadLetterQueue,
      normalizeFunction: ingest.normalizeFunction,
      maxConcurrency: normalize.maxConcurrency,
      deliveryStream: delivery.deliveryStream,
      ...(this.poller ? { poller: this.poller } : {}),
      emails: monitoring.emails,
      ...(monitoring.topicArn === undefined ? {} : { topicArn: monitoring.topicArn }),
      dashboard: monitoring.dashboard,
      quarantinePercent: monitoring.quarantinePercent,
      freshnessMinutes: freshnessAlarmMinutes(monitoring, firehose),
      queueAgeMinutes: monitoring.queueAgeMinutes,
    });
    if (!(props.accessLogs ?? true)) {
      for (const bucket of [
        storage.logpushBucket,
        delivery.lakeBucket,
        this.query.resultsBucket,
        ...(this.poller ? [this.poller.checkpointBucket] : []),
      ]) {
        acknowledgeNag(
          bucket,
          'S1',
          'Server access logs were turned off in the configuration (accessLogs: false); CloudTrail data ' +
            'events remain the way to audit object access.',
        );
      }
    }

    this.logpushBucket = storage.logpushBucket;
    this.lakeBucket = delivery.lakeBucket;
    this.deliveryStream = delivery.deliveryStream;
    this.queue = ingest.queue;
    this.deadLetterQueue = ingest.deadLetterQueue;
    this.normalizeFunction = ingest.normalizeFunction;
  }

  /** Key prefix Logpush jobs write under. */
  get logpushPrefix(): string {
    return this.settings.logpushPrefix;
  }

  /**
   * The `destination_conf` of a Logpush job for `dataset` in the zone or account `scopeId`; the region is the
   * stack's, resolved at deployment when the stack is environment-agnostic.
   */
  logpushDestinationConf(dataset: string, scopeId: string): string {
    return logpushDestinationConf({
      bucket: this.logpushBucket.bucketName,
      prefix: this.settings.logpushPrefix,
      dataset,
      scopeId,
      region: Stack.of(this).region,
    });
  }
}

const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;

/** Account and zone ids end up in table parameters (comma-separated lists): they must be what Cloudflare uses. */
function cloudflareIdProblems(accountId: string | undefined, zoneIds: readonly string[]): string[] {
  const problems: string[] = [];
  if (accountId !== undefined && !CLOUDFLARE_ID.test(accountId)) {
    problems.push(
      `"cloudflareAccountId" must be 32 lowercase hexadecimal characters, got ${show(accountId)}`,
    );
  }
  zoneIds.forEach((zoneId, index) => {
    if (!CLOUDFLARE_ID.test(zoneId)) {
      problems.push(
        `"cloudflareZoneIds[${index}]" must be 32 lowercase hexadecimal characters, got ${show(zoneId)}`,
      );
    } else if (zoneIds.indexOf(zoneId) !== index) {
      problems.push(`"cloudflareZoneIds[${index}]" repeats ${show(zoneId)}`);
    }
  });
  return problems;
}
