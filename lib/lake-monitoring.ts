import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type ApiPoller, METRICS_NAMESPACE, POLL_SERVICE_NAME } from './api-poller.ts';

/** Powertools service name of the normalize function: the `service` dimension of its metrics. */
export const NORMALIZE_SERVICE_NAME = 'cf-logs-normalize';

/** Period of the alarms on the normalize path and of the dashboard's graphs. */
const PERIOD = Duration.minutes(5);

/** Props of {@link LakeMonitoring}. */
export interface LakeMonitoringProps {
  /** Queue of new Logpush objects. */
  readonly queue: IQueue;
  /** Its dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  readonly normalizeFunction: IFunction;
  /** The normalize function's event source concurrency cap, drawn on the concurrency graph. */
  readonly maxConcurrency: number;
  /** The Firehose stream into the lake. */
  readonly deliveryStream: IDeliveryStream;
  /** The API pollers, when enabled: their alarms notify the same way and their metrics join the dashboard. */
  readonly poller?: ApiPoller;
  /** E-mail addresses subscribed to a new topic that the alarms notify. Not with `topicArn`. */
  readonly emails: readonly string[];
  /** An existing topic the alarms notify instead. */
  readonly topicArn?: string;
  readonly dashboard: boolean;
  /** The quarantine alarm's threshold: quarantined lines as a percentage of lines read. */
  readonly quarantinePercent: number;
  /** The freshness alarm's threshold: age of the oldest record in Firehose. */
  readonly freshnessMinutes: number;
  /** The queue alarm's threshold: age of the oldest message in the queue. */
  readonly queueAgeMinutes: number;
}

/**
 * Alarms on every stage of the lake, an optional SNS topic they notify (e-mail subscriptions, or a topic of the
 * operator's), and a CloudWatch dashboard. Without a topic the alarms still exist, in the console, without actions.
 *
 * ```
 * queue ── age ──────────┐   deadLetterQueue ── not empty ─┐
 * normalizeFunction ── errors, throttles, quarantine rate ─┼─► alarms ─► topic ─► e-mail
 * deliveryStream ── S3 delivery, freshness, conversion ────┤
 * poller ── lag, errors (its own alarms) ──────────────────┘   dashboard: the same metrics, and the alarm states
 * ```
 */
export class LakeMonitoring extends Construct {
  /** The topic the alarms notify, when there is one. */
  readonly topic?: ITopic;
  /** The key the created topic is encrypted with (CloudWatch may use it to publish). */
  readonly topicKey?: Key;
  /** The dashboard, unless turned off. */
  readonly dashboard?: Dashboard;
  /** The dead-letter queue holds messages: objects that failed every receive. */
  readonly deadLetterQueueAlarm: Alarm;
  /** The oldest message in the queue is older than `queueAgeMinutes`. */
  readonly queueAgeAlarm: Alarm;
  /** Invocations or objects of the normalize function failed. */
  readonly normalizeErrorAlarm: Alarm;
  /** Lambda throttled the normalize function. */
  readonly normalizeThrottleAlarm: Alarm;
  /** Firehose failed to put objects into the lake bucket. */
  readonly deliveryAlarm: Alarm;
  /** The oldest record in Firehose is older than `freshnessMinutes`. */
  readonly freshnessAlarm: Alarm;
  /** Firehose could not convert records to Parquet: they went to `errors/`. */
  readonly conversionAlarm: Alarm;
  /** Firehose had more active partitions than its limit: records went to `errors/`. */
  readonly partitionLimitAlarm: Alarm;
  /** More than `quarantinePercent` of the lines read were quarantined. */
  readonly quarantineRateAlarm: Alarm;
  /** Every alarm of the lake, the poller's included, in dashboard order. */
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: LakeMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const fn = props.normalizeFunction;
    const stream = props.deliveryStream;
    const normalizeMetric = (metricName: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: NORMALIZE_SERVICE_NAME },
        statistic: Stats.SUM,
        period: PERIOD,
      });

    // Most of these metrics exist only while something happens: SQS reports a queue while it holds messages or
    // is used (and for six hours after), Lambda an invoked function, Firehose a stream with traffic, the function
    // its counts per processed object. No data is therefore the healthy idle state, not a failure, for every
    // alarm here but the dead-letter queue's (below; the poller's lag alarm, whose runs report on a schedule, is the
    // other exception).
    const alarm = (
      alarmId: string,
      spec: {
        readonly metric: IMetric;
        readonly threshold: number;
        readonly comparisonOperator: ComparisonOperator;
        /** What the alarm means, then `First:` what to check. */
        readonly description: string;
        /** Breaching periods that fire the alarm, out of how many; without it one period decides. */
        readonly datapoints?: readonly [toAlarm: number, evaluated: number];
        /** @default TreatMissingData.NOT_BREACHING */
        readonly missingData?: TreatMissingData;
      },
    ) =>
      new Alarm(this, alarmId, {
        alarmDescription: `cf-logs: ${spec.description}`,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparisonOperator,
        datapointsToAlarm: spec.datapoints?.[0] ?? 1,
        evaluationPeriods: spec.datapoints?.[1] ?? 1,
        treatMissingData: spec.missingData ?? TreatMissingData.NOT_BREACHING,
      });

    this.deadLetterQueueAlarm = alarm('DeadLetterQueueAlarm', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: Stats.MAXIMUM,
        period: PERIOD,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Nothing but the dead-lettering itself touches this queue. CloudWatch counts a queue as active, and reports
      // it, "for up to six hours" after it held messages or was accessed; whether a queue that still holds
      // messages keeps reporting after that is not something to bet the alarm on. Missing data therefore keeps
      // the alarm's state: it stays in ALARM until a redrive empties the queue (and so reports 0), and an idle
      // stack shows INSUFFICIENT_DATA here, which notifies no one.
      missingData: TreatMissingData.IGNORE,
      description:
        'Logpush objects failed every try and wait in the dead-letter queue; their events are not in the lake. ' +
        'First: the normalize function log ("object failed" lines), fix the cause, then cf-logs redrive.',
    });
    this.queueAgeAlarm = alarm('QueueAgeAlarm', {
      metric: props.queue.metricApproximateAgeOfOldestMessage({ statistic: Stats.MAXIMUM, period: PERIOD }),
      threshold: props.queueAgeMinutes * 60,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `a Logpush object has waited more than ${props.queueAgeMinutes} minutes in the queue (the function fails, ` +
        'is throttled or cannot keep up). First: the normalize error and throttle alarms, then its concurrency ' +
        'and duration on the dashboard.',
    });
    // Lambda counts an invocation as an error only when it fails as a whole (crash, timeout, or every message
    // of the batch failed); an object that fails inside a batch is only in ObjectsFailed. Either means
    // objects go back to the queue. FILL: the function reports ObjectsFailed only when one fails.
    this.normalizeErrorAlarm = alarm('NormalizeErrorAlarm', {
      metric: new MathExpression({
        expression: 'FILL(errors, 0) + FILL(failed, 0)',
        usingMetrics: {
          errors: fn.metricErrors({ statistic: Stats.SUM, period: PERIOD }),
          failed: normalizeMetric('ObjectsFailed'),
        },
        label: 'Errors + ObjectsFailed',
        period: PERIOD,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      datapoints: [2, 3],
      description:
        'normalize invocations or objects keep failing; SQS retries them, then moves them to the dead-letter ' +
        'queue. First: the normalize function log, "object failed" lines and their error.',
    });
    this.normalizeThrottleAlarm = alarm('NormalizeThrottleAlarm', {
      metric: fn.metricThrottles({ statistic: Stats.SUM, period: PERIOD }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      datapoints: [2, 3],
      description:
        'Lambda keeps throttling the normalize function (the account concurrency is used up); objects wait in ' +
        'the queue. First: ConcurrentExecutions of the account and the functions reserving concurrency; raise ' +
        'the quota or lower normalize.maxConcurrency.',
    });
    // DeliveryToS3.Success is successful S3 puts over all S3 puts. Firehose retries a failed put for up to 24
    // hours and then drops the data, so a failure that lasts is worth waking up for.
    this.deliveryAlarm = alarm('DeliveryAlarm', {
      metric: stream.metric('DeliveryToS3.Success', { statistic: Stats.AVERAGE, period: PERIOD }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      datapoints: [2, 3],
      description:
        'Firehose fails to write into the lake bucket; it retries for 24 hours, then drops the data. First: ' +
        "Firehose's error log group (bucket policy, role, Glue table), then the DeliveryToS3 metrics.",
    });
    this.freshnessAlarm = alarm('FreshnessAlarm', {
      metric: stream.metric('DeliveryToS3.DataFreshness', { statistic: Stats.MAXIMUM, period: PERIOD }),
      threshold: props.freshnessMinutes * 60,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `the oldest record in Firehose is more than ${props.freshnessMinutes} minutes old: events reach the lake ` +
        'late or not at all. First: the Firehose delivery alarm and error log group.',
    });
    // Records Firehose cannot turn into Parquet are written as they came under errors/format-conversion-failed/
    // and counted in FailedConversion.Records (Firehose "Monitoring with CloudWatch metrics", data format
    // conversion). Partitioning has no per-record failure count: its documented metric is
    // PartitionCountExceeded (1 while more partitions are active than the stream's limit, whose extra records go
    // under errors/ too). A failed JQ extraction cannot happen for the rows the function sends: each has its
    // dataset and dt, a contract lambdas/core/partition.ts holds.
    this.conversionAlarm = alarm('ConversionAlarm', {
      metric: stream.metric('FailedConversion.Records', { statistic: Stats.SUM, period: PERIOD }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        'Firehose could not convert records to Parquet: they are under errors/ in the lake bucket, not in the ecs ' +
        "table. First: Firehose's error log group and an object under errors/ (a field whose type the Glue " +
        'schema does not accept).',
    });
    this.partitionLimitAlarm = alarm('PartitionLimitAlarm', {
      metric: stream.metric('PartitionCountExceeded', { statistic: Stats.MAXIMUM, period: PERIOD }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        'Firehose had more active partitions (dataset × day) than its limit; the extra records are under errors/ ' +
        'in the lake bucket. First: is a backfill spanning many days? Spread it out or ask for a higher quota.',
    });
    // Percent of the lines read that were quarantined. The function reports both counts for every processed
    // object, so they share timestamps; IF keeps a period whose objects held no line from dividing by zero, and
    // a period without objects has no data (not breaching).
    this.quarantineRateAlarm = alarm('QuarantineRateAlarm', {
      metric: new MathExpression({
        expression: 'IF(lines > 0, 100 * quarantined / lines, 0)',
        usingMetrics: {
          quarantined: normalizeMetric('LinesQuarantined'),
          lines: normalizeMetric('LinesRead'),
        },
        label: 'Quarantined lines (%)',
        period: PERIOD,
      }),
      threshold: props.quarantinePercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      datapoints: [2, 3],
      description:
        `more than ${props.quarantinePercent}% of the Logpush lines read were quarantined, not delivered. First: ` +
        'the quarantine table in Athena (reason per dataset); after a fix, cf-logs ingest or backfill the objects.',
    });
    const poller = props.poller;
    this.alarms = [
      this.deadLetterQueueAlarm,
      this.queueAgeAlarm,
      this.normalizeErrorAlarm,
      this.normalizeThrottleAlarm,
      this.deliveryAlarm,
      this.freshnessAlarm,
      this.conversionAlarm,
      this.partitionLimitAlarm,
      this.quarantineRateAlarm,
      ...(poller ? [...Object.values(poller.lagAlarms), poller.errorAlarm] : []),
    ];

    if (props.topicArn !== undefined) {
      this.topic = Topic.fromTopicArn(this, 'AlarmTopic', props.topicArn);
    } else if (props.emails.length > 0) {
      // SNS's AWS managed key (alias/aws/sns) cannot be used: its policy cannot be changed to let CloudWatch
      // use it, and CloudWatch must encrypt what it publishes. A key of the stack's own can. The key protects
      // notifications in transit only, so it goes with the stack (after KMS's waiting period).
      this.topicKey = new Key(this, 'AlarmTopicKey', {
        description: 'cf-logs: encrypts the alarm topic; CloudWatch alarms use it to publish',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.topicKey.addToResourcePolicy(
        new PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          effect: Effect.ALLOW,
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      const topic = new Topic(this, 'AlarmTopic', {
        displayName: 'cf-logs alarms',
        masterKey: this.topicKey,
        enforceSSL: true,
      });
      // The topic policy CDK writes for enforceSSL replaces SNS's default one, so CloudWatch needs its own grant:
      // alarms of this account and Region only (the confused-deputy guard CloudWatch documents).
      topic.addToResourcePolicy(
        new PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          effect: Effect.ALLOW,
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
      for (const email of props.emails) topic.addSubscription(new EmailSubscription(email));
      this.topic = topic;
    }
    if (this.topic) {
      const action = new SnsAction(this.topic);
      for (const each of this.alarms) {
        each.addAlarmAction(action);
        // A second message when the alarm clears, so nobody keeps chasing a problem that is gone.
        each.addOkAction(action);
      }
    }

    if (props.dashboard) {
      this.dashboard = this.createDashboard(props, normalizeMetric);
    }
  }

  private createDashboard(props: LakeMonitoringProps, normalizeMetric: (name: string) => Metric): Dashboard {
    const stack = Stack.of(this);
    const fn = props.normalizeFunction;
    const stream = props.deliveryStream;
    const sum = { statistic: Stats.SUM, period: PERIOD };
    const max = { statistic: Stats.MAXIMUM, period: PERIOD };
    const graph = (
      title: string,
      left: IMetric[],
      options: { width?: number; annotations?: Alarm[]; right?: IMetric[] } = {},
    ) =>
      new GraphWidget({
        title,
        left,
        ...(options.right ? { right: options.right } : {}),
        leftAnnotations: (options.annotations ?? []).map((each) => each.toAnnotation()),
        width: options.width ?? 8,
        height: 6,
      });

    // Dashboards are global to the account: the Region in the name keeps stacks of one name apart.
    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-${stack.region}`,
      defaultInterval: Duration.days(1),
    });
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# cf-logs\nLogpush objects → queue → normalize → Firehose → lake bucket (Parquet). Metrics of the ' +
          `functions: namespace ${METRICS_NAMESPACE}. Each alarm's description says what to check first.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 24, height: 4 }),
    );
    dashboard.addWidgets(
      graph('Logpush objects', [
        normalizeMetric('ObjectsProcessed'),
        normalizeMetric('ObjectsSkipped'),
        normalizeMetric('ObjectsFailed'),
        normalizeMetric('MessagesMalformed'),
      ]),
      graph('Lines and events', [
        normalizeMetric('LinesRead'),
        normalizeMetric('EventsDelivered'),
        normalizeMetric('LinesQuarantined'),
        normalizeMetric('EventsInvalidUtf8'),
      ]),
      graph('Events per dataset', [
        new MathExpression({
          // Datasets are whatever Logpush sends: a search finds each one's series.
          expression:
            `SEARCH('{${METRICS_NAMESPACE},Dataset,service} MetricName="DatasetEvents" ` +
            `service="${NORMALIZE_SERVICE_NAME}"', 'Sum', ${PERIOD.toSeconds()})`,
          usingMetrics: {},
          label: '',
          period: PERIOD,
        }),
      ]),
    );
    dashboard.addWidgets(
      graph('Quarantined lines (%)', [this.quarantineRateAlarm.metric], {
        annotations: [this.quarantineRateAlarm],
      }),
      graph('Queue', [
        props.queue.metricApproximateNumberOfMessagesVisible(max),
        props.queue.metricApproximateNumberOfMessagesNotVisible(max),
      ]),
      graph('Oldest message in the queue (s)', [this.queueAgeAlarm.metric], {
        annotations: [this.queueAgeAlarm],
      }),
    );
    dashboard.addWidgets(
      graph('Dead-letter queue', [this.deadLetterQueueAlarm.metric], {
        annotations: [this.deadLetterQueueAlarm],
        width: 6,
      }),
      graph(
        'Normalize duration (ms)',
        [
          fn.metricDuration({ statistic: Stats.AVERAGE, period: PERIOD }),
          fn.metricDuration({ statistic: Stats.p(99), period: PERIOD }),
          fn.metricDuration(max),
        ],
        { width: 6 },
      ),
      graph('Normalize errors and throttles', [fn.metricErrors(sum), normalizeMetric('ObjectsFailed')], {
        right: [fn.metricThrottles(sum)],
        width: 6,
      }),
      new GraphWidget({
        title: 'Normalize concurrency',
        left: [fn.metric('ConcurrentExecutions', max)],
        leftAnnotations: [{ value: props.maxConcurrency, label: 'normalize.maxConcurrency' }],
        width: 6,
        height: 6,
      }),
    );
    dashboard.addWidgets(
      graph('Firehose bytes', [stream.metricIncomingBytes(sum), stream.metric('DeliveryToS3.Bytes', sum)], {
        width: 6,
      }),
      graph(
        'Firehose records',
        [stream.metricIncomingRecords(sum), stream.metric('DeliveryToS3.Records', sum)],
        { width: 6 },
      ),
      graph('Firehose freshness (s)', [this.freshnessAlarm.metric], {
        annotations: [this.freshnessAlarm],
        width: 6,
      }),
      graph('Firehose delivery success', [this.deliveryAlarm.metric], {
        annotations: [this.deliveryAlarm],
        width: 6,
      }),
    );
    dashboard.addWidgets(
      // Records that went to errors/, and throttling: Firehose's view, then what the function had to retry.
      graph(
        'Firehose errors and throttling',
        [
          this.conversionAlarm.metric,
          this.partitionLimitAlarm.metric,
          stream.metric('ThrottledRecords', sum),
          normalizeMetric('FirehoseRetriedRecords'),
          normalizeMetric('FirehoseFailedCalls'),
        ],
        { width: 12 },
      ),
      graph(
        'Firehose calls and stream resumes',
        [normalizeMetric('FirehoseCalls'), normalizeMetric('S3StreamResumes')],
        { width: 12 },
      ),
    );
    const poller = props.poller;
    if (poller) {
      const sources = Object.keys(poller.lagAlarms);
      const perSource = (metricName: string, statistic: string) =>
        sources.map(
          (source) =>
            new Metric({
              namespace: METRICS_NAMESPACE,
              metricName,
              dimensionsMap: { service: POLL_SERVICE_NAME, Source: source },
              statistic,
              label: `${source} ${metricName}`,
              period: PERIOD,
            }),
        );
      const lagAlarms = Object.values(poller.lagAlarms);
      dashboard.addWidgets(
        graph('Poller behind (s)', perSource('BehindSeconds', Stats.MINIMUM), {
          annotations: lagAlarms.slice(0, 1),
        }),
        graph('Poller events', [
          ...perSource('EventsDelivered', Stats.SUM),
          ...perSource('EventsQuarantined', Stats.SUM),
        ]),
        graph('Poller failures', [
          ...perSource('PollFailures', Stats.SUM),
          poller.pollFunction.metricErrors(sum),
        ]),
      );
    }
    return dashboard;
  }
}
