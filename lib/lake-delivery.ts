import { Aws, Duration, type RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  DeliveryStream,
  EnableLogging,
  JsonParsingEngine,
  MetadataExtractionProcessor,
  OpenXJsonInputFormat,
  ParquetCompression,
  ParquetOutputFormat,
  RecordDeAggregationProcessor,
  S3Bucket,
  SchemaConfiguration,
  StreamEncryption,
} from 'aws-cdk-lib/aws-kinesisfirehose';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  LAKE_ERRORS_PREFIX_TEMPLATE,
  LAKE_EVENTS_PREFIX_TEMPLATE,
  PARTITION_JQ_QUERY,
} from '../lambdas/core/partition.ts';
import { LAKE_JSON_KEY_MAPPINGS, LAKE_PARQUET_COMPRESSION } from '../lambdas/lake/schema.ts';
import { LAKE_ECS_PREFIX, LAKE_ERROR_PREFIX } from '../lambdas/settings.ts';
import type { LakeCatalog } from './lake-catalog.ts';
import { acknowledgeNag, wildcardResourceFinding } from './nag.ts';
import { createSecureBucket } from './secure-bucket.ts';

// The partitioning contract (JQ query and S3 prefixes) is written once, in lambdas/core/partition.ts, where the
// local run's Firehose stand-in evaluates the same keys. Event time, not arrival time, decides the partition,
// because a Logpush file can hold older events (FACTS E6).

/** Props of {@link LakeDelivery}. */
export interface LakeDeliveryProps {
  /** Key prefix of quarantined lines in the lake bucket, without leading or trailing slash. */
  readonly quarantinePrefix: string;
  /** Days ECS events are kept; 0 keeps them forever. */
  readonly lakeRetentionDays: number;
  /** Days quarantined lines and Firehose error output are kept; 0 keeps them forever. */
  readonly quarantineRetentionDays: number;
  readonly abortIncompleteUploadDays: number;
  /** Seconds Firehose buffers before writing an object (60..900 with dynamic partitioning). */
  readonly bufferIntervalSeconds: number;
  /** MiB Firehose buffers before writing an object (64..128 with dynamic partitioning). */
  readonly bufferSizeMiB: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Bucket receiving server access logs, when they are on. */
  readonly accessLogBucket?: IBucket;
  /**
   * Builds the Glue catalog, given the lake bucket its tables lie in; its ECS table is the schema Firehose
   * converts records to Parquet with. Called once, before the stream is made.
   */
  readonly catalog: (lakeBucket: IBucket) => LakeCatalog;
}

/**
 * The lake bucket and the Firehose stream (Direct PUT) that writes ECS events into it as Parquet, partitioned by
 * dataset and day, with the schema of the catalog's ECS table.
 */
export class LakeDelivery extends Construct {
  /** The lake: ECS events, Firehose errors and the quarantine. */
  readonly lakeBucket: Bucket;
  /** The Firehose stream the normalize function sends packed ECS events to. */
  readonly deliveryStream: DeliveryStream;
  /** The role Firehose assumes to write into the lake and its log group. */
  readonly deliveryRole: Role;
  /** Firehose's error log group. */
  readonly logGroup: LogGroup;
  /** The Glue catalog (built by `props.catalog`). */
  readonly catalog: LakeCatalog;

  constructor(scope: Construct, id: string, props: LakeDeliveryProps) {
    super(scope, id);
    this.lakeBucket = createSecureBucket(this, 'LakeBucket', {
      removalPolicy: props.removalPolicy,
      abortIncompleteUploadDays: props.abortIncompleteUploadDays,
      expirations: [
        { id: 'ExpireEcsEvents', prefix: `${LAKE_ECS_PREFIX}/`, days: props.lakeRetentionDays },
        { id: 'ExpireQuarantine', prefix: `${props.quarantinePrefix}/`, days: props.quarantineRetentionDays },
        { id: 'ExpireFirehoseErrors', prefix: `${LAKE_ERROR_PREFIX}/`, days: props.quarantineRetentionDays },
      ],
      accessLogs: props.accessLogBucket && { bucket: props.accessLogBucket, prefix: 'lake-bucket/' },
    });
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.catalog = props.catalog(this.lakeBucket);
    const { database, ecsTable } = this.catalog;
    // What Firehose reads to convert records (Firehose DG, "Grant Firehose access to an Amazon S3 destination"):
    // the ECS table, in this account's catalog, in the stack's region.
    const glueArns = [
      Stack.of(this).formatArn({ service: 'glue', resource: 'catalog' }),
      Stack.of(this).formatArn({ service: 'glue', resource: 'database', resourceName: database.ref }),
      Stack.of(this).formatArn({
        service: 'glue',
        resource: 'table',
        resourceName: `${database.ref}/${ecsTable.ref}`,
      }),
    ];

    const objectArns = [LAKE_ECS_PREFIX, LAKE_ERROR_PREFIX].map((prefix) =>
      this.lakeBucket.arnForObjects(`${prefix}/*`),
    );
    // The S3 destination permissions Firehose documents ("Grant Firehose access to an Amazon S3 destination"),
    // with object access narrowed to the two prefixes it writes. Inline, so the stream (which references the
    // role) is only created once they exist: Firehose checks its access when the stream is created.
    this.deliveryRole = new Role(this, 'DeliveryRole', {
      description: 'Firehose writes ECS events and errors into the lake bucket',
      // Confused-deputy guard recommended by Firehose: only this account's streams may assume the role.
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': Aws.ACCOUNT_ID } },
      }),
      inlinePolicies: {
        LakeDelivery: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'LakeBucket',
              effect: Effect.ALLOW,
              actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
              resources: [this.lakeBucket.bucketArn],
            }),
            new PolicyStatement({
              sid: 'LakeObjects',
              effect: Effect.ALLOW,
              actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
              resources: objectArns,
            }),
            new PolicyStatement({
              sid: 'ParquetSchema',
              effect: Effect.ALLOW,
              actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
              resources: glueArns,
            }),
            new PolicyStatement({
              sid: 'ErrorLog',
              effect: Effect.ALLOW,
              actions: ['logs:PutLogEvents'],
              // The log group ARN attribute ends in `:*`: its streams, nothing else.
              resources: [this.logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    for (const arn of objectArns) {
      acknowledgeNag(
        this.deliveryRole,
        'IAM5',
        'Firehose writes objects whose keys it derives at run time (dataset, day, random suffix) under this ' +
          'fixed lake prefix; the wildcard is limited to that prefix.',
        wildcardResourceFinding(this, arn),
      );
    }

    const destination = new S3Bucket(this.lakeBucket, {
      // The L2 destination would grant the role read/write on the whole bucket (`grantReadWrite`); the role
      // already has exactly what it needs above, so grants made through this view are dropped.
      role: this.deliveryRole.withoutPolicyUpdates(),
      dataOutputPrefix: LAKE_EVENTS_PREFIX_TEMPLATE,
      errorOutputPrefix: LAKE_ERRORS_PREFIX_TEMPLATE,
      dynamicPartitioning: { enabled: true },
      processors: [
        // The function packs up to 500 NDJSON events per record to dodge the 5 KB billing floor; split them
        // back first (deaggregation is capped at 500 sub-records, PRACTICES 3.3), then partition each event.
        RecordDeAggregationProcessor.json(),
        new MetadataExtractionProcessor(
          { metadataExtractionQuery: PARTITION_JQ_QUERY, jsonParsingEngine: JsonParsingEngine.JQ_1_6 },
          ['dataset', 'dt'],
        ),
      ],
      // Each event becomes a row of the ECS table's schema; a field the table does not declare would be dropped,
      // which the lake row shape (lambdas/lake/row.ts) rules out. The OpenX SerDe reads `@timestamp` into `ts`
      // (Athena allows no `@` in names) and ISO 8601 `…Z` times into timestamps. Parquet is compressed inside
      // (GZIP, LAKE_PARQUET_COMPRESSION), so S3 compression stays off: Firehose refuses both (PRACTICES 3.4).
      dataFormatConversion: {
        schemaConfiguration: SchemaConfiguration.fromCfnTable(ecsTable),
        inputFormat: new OpenXJsonInputFormat({ columnToJsonKeyMappings: { ...LAKE_JSON_KEY_MAPPINGS } }),
        outputFormat: new ParquetOutputFormat({
          compression: ParquetCompression.of(LAKE_PARQUET_COMPRESSION),
        }),
      },
      fileExtension: '.parquet',
      bufferingInterval: Duration.seconds(props.bufferIntervalSeconds),
      bufferingSize: Size.mebibytes(props.bufferSizeMiB),
      loggingConfig: new EnableLogging(this.logGroup),
    });
    this.deliveryStream = new DeliveryStream(this, 'DeliveryStream', {
      destination,
      // Direct PUT streams can encrypt at rest; an AWS owned key needs no key policy (cdk-nag KDF1).
      encryption: StreamEncryption.awsOwnedKey(),
    });
    // The L2 always adds a region → Firehose CIDR mapping to the stack for `connections` (VPC destinations),
    // unreferenced with an S3 destination; CloudFormation Validate warns about it on every synth.
    Validations.of(Stack.of(this)).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason:
        'The only mapping in this stack is the Firehose L2 CIDR block table, added for VPC destinations and unused ' +
        'by an S3 destination.',
    });
  }
}
