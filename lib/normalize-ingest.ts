import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { LOGPUSH_OBJECT_SUFFIX, NORMALIZE_ENV } from '../lambdas/settings.ts';
import type { LogLevel } from './lake-settings.ts';
import { createNodeFunction } from './lambda-function.ts';
import { acknowledgeNag, wildcardResourceFinding } from './nag.ts';

/** Handler module of the normalize function, relative to the project root. */
export const NORMALIZE_ENTRY = 'lambdas/handlers/normalize.ts';

/** Lambda's guidance: a queue's visibility timeout at least six times the function timeout (PRACTICES 3.1). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Props of {@link NormalizeIngest}. */
export interface NormalizeIngestProps {
  readonly logpushBucket: Bucket;
  /** Key prefix of Logpush objects, without leading or trailing slash. */
  readonly logpushPrefix: string;
  readonly lakeBucket: Bucket;
  /** Key prefix of quarantined lines in the lake bucket, without leading or trailing slash. */
  readonly quarantinePrefix: string;
  readonly deliveryStream: IDeliveryStream;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxReceiveCount: number;
  readonly logLevel: LogLevel;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * From a new Logpush object to Firehose: S3 ObjectCreated → SQS (with a dead-letter queue) → the normalize
 * function, which reads the object, maps its lines to ECS, sends them to Firehose and quarantines what it cannot
 * map. SQS rather than a direct S3 → Lambda invoke: a durable buffer, retries with a visible DLQ and replay
 * (PRACTICES 3.1).
 */
export class NormalizeIngest extends Construct {
  /** Queue of S3 ObjectCreated events for Logpush objects. */
  readonly queue: Queue;
  /** Where events go after `maxReceiveCount` failed receives. */
  readonly deadLetterQueue: Queue;
  /** The normalize function. */
  readonly normalizeFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: NormalizeIngestProps) {
    super(scope, id);
    const timeout = Duration.seconds(props.timeoutSeconds);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The SQS maximum. A standard queue keeps a message's original enqueue time when it is dead-lettered,
      // so the DLQ must keep messages longer than the source queue for them to be there at all.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      // The SQS default, stated: failing events reach the DLQ within maxReceiveCount × visibility timeout; this
      // only bounds how long events wait while the event source is disabled or throttled before they expire.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });

    this.normalizeFunction = createNodeFunction(this, 'NormalizeFunction', {
      entry: NORMALIZE_ENTRY,
      description: 'cf-logs normalize: Logpush objects to ECS events in Firehose',
      memoryMiB: props.memoryMiB,
      timeout,
      environment: {
        [NORMALIZE_ENV.deliveryStream]: props.deliveryStream.deliveryStreamName,
        [NORMALIZE_ENV.lakeBucket]: props.lakeBucket.bucketName,
        [NORMALIZE_ENV.quarantinePrefix]: props.quarantinePrefix,
        [NORMALIZE_ENV.logpushPrefix]: props.logpushPrefix,
        [NORMALIZE_ENV.maxReceiveCount]: String(props.maxReceiveCount),
        POWERTOOLS_SERVICE_NAME: 'cf-logs-normalize',
        POWERTOOLS_METRICS_NAMESPACE: 'CloudflareLogLake',
        LOG_LEVEL: props.logLevel,
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.normalizeFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize,
        maxConcurrency: props.maxConcurrency,
        // Only the failed messages of a batch return to the queue (the handler reports them).
        reportBatchItemFailures: true,
      }),
    );

    // Grants, each the narrowest that works: explicit statements rather than grantRead/grantWrite, which would
    // add `s3:GetObject*`, `s3:List*`, `s3:DeleteObject*` and bucket-wide resources.
    const logpushObjects = props.logpushBucket.arnForObjects(`${props.logpushPrefix}/*`);
    const quarantineObjects = props.lakeBucket.arnForObjects(`${props.quarantinePrefix}/*`);
    this.normalizeFunction.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadLogpushObjects',
        effect: Effect.ALLOW,
        actions: ['s3:GetObject'],
        resources: [logpushObjects],
      }),
    );
    this.normalizeFunction.addToRolePolicy(
      new PolicyStatement({
        sid: 'WriteQuarantine',
        effect: Effect.ALLOW,
        actions: ['s3:PutObject'],
        resources: [quarantineObjects],
      }),
    );
    props.deliveryStream.grantPutRecords(this.normalizeFunction);
    const role = this.normalizeFunction.role;
    if (role) {
      acknowledgeNag(
        role,
        'IAM5',
        'The function reads whichever Logpush object an S3 event names; object keys are only known at run time, ' +
          'so GetObject is granted on the Logpush prefix and nothing wider.',
        wildcardResourceFinding(this, logpushObjects),
      );
      acknowledgeNag(
        role,
        'IAM5',
        'The function writes quarantine objects whose keys it derives at run time (source object, date); ' +
          'PutObject is limited to the quarantine prefix of the lake bucket.',
        wildcardResourceFinding(this, quarantineObjects),
      );
    }

    props.logpushBucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new SqsDestination(this.queue),
      // Only Logpush data objects: the ownership challenge file and test objects share the prefix (FACTS E2).
      { prefix: `${props.logpushPrefix}/`, suffix: LOGPUSH_OBJECT_SUFFIX },
    );
    acknowledgeBucketNotificationsHandler(Stack.of(this));
  }
}

/**
 * `addEventNotification` makes CDK add its own singleton function (BucketNotificationsHandler…) to the stack,
 * which sets the notification configuration through a custom resource. Its role comes from CDK, not from here;
 * its own policy is already limited to the Logpush bucket.
 */
function acknowledgeBucketNotificationsHandler(stack: Stack): void {
  const handler = stack.node.children.find((child: IConstruct) =>
    child.node.id.startsWith('BucketNotificationsHandler'),
  );
  if (!handler) return;
  acknowledgeNag(
    handler,
    'IAM4',
    "CDK's BucketNotificationsHandler (aws-s3 internal) uses AWSLambdaBasicExecutionRole for its own logs; " +
      'it runs only during deployments to set the Logpush bucket notification and cannot be configured.',
    'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  );
}
