/**
 * Alarms, the alarm topic and the dashboard: each alarm on the metric, threshold and evaluation that make it
 * quiet on a healthy (or idle) stack and loud on the failure it names, notifying the topic; the topic encrypted
 * with a key CloudWatch may use; the configuration deciding topic, thresholds and dashboard. One app, three
 * stacks (bundling skipped: only the template matters here), synthesized once for the file.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lib/api-poller.ts';
import { CfLogsStack } from '../../lib/cf-logs-stack.ts';
import { parseConfig } from '../../lib/config.ts';
import { NORMALIZE_SERVICE_NAME } from '../../lib/lake-monitoring.ts';
import { freshnessAlarmMinutes, resolveMonitoringSettings } from '../../lib/lake-settings.ts';
import { acknowledgments, CDK_CONTEXT, logicalId, renderValue } from './helpers.ts';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const EMAILS = ['ops@example.com', 'oncall@example.org'];
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:security-alarms';

const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
const stackOf = (id: string, raw: unknown) => new CfLogsStack(app, id, { config: parseConfig(raw) });
// Pollers on, e-mail subscriptions, every threshold at its default.
const full = stackOf('CfLogs', {
  cloudflare: { accountId: ACCOUNT },
  poller: { enabled: true },
  monitoring: { emails: EMAILS },
});
// The operator's own topic, other thresholds, a longer Firehose buffer and function timeout, no dashboard.
const own = stackOf('CfLogsOwnTopic', {
  firehose: { bufferIntervalSeconds: 600 },
  normalize: { timeoutSeconds: 900 },
  monitoring: { topicArn: TOPIC_ARN, dashboard: false, quarantinePercent: 5, queueAgeMinutes: 20 },
});
// What `cdk synth` builds without a configuration file: no topic.
const bare = stackOf('CfLogsBare', {});
app.synth();

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

/** A stack's template, its resources, and the properties of one of its alarms. */
function partsOf(stack: CfLogsStack) {
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const { lake } = stack;
  return {
    template,
    resources,
    monitoring: lake.monitoring,
    alarm: (alarm: Alarm) => resources[logicalId(alarm)]!.Properties,
    ids: {
      queue: logicalId(lake.queue),
      deadLetterQueue: logicalId(lake.deadLetterQueue),
      normalizeFunction: logicalId(lake.normalizeFunction),
      deliveryStream: logicalId(lake.deliveryStream),
    },
  };
}
const a = partsOf(full);
const b = partsOf(own);
const c = partsOf(bare);
const alarmsOf = (parts: ReturnType<typeof partsOf>) =>
  Object.entries(parts.resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');

const FIVE_MINUTES = 300;
const normalizeMetric = (metricName: string) => ({
  Namespace: METRICS_NAMESPACE,
  MetricName: metricName,
  Dimensions: [{ Name: 'service', Value: NORMALIZE_SERVICE_NAME }],
});
const firehoseMetric = (parts: ReturnType<typeof partsOf>, metricName: string) => ({
  Namespace: 'AWS/Firehose',
  MetricName: metricName,
  Dimensions: [{ Name: 'DeliveryStreamName', Value: { Ref: parts.ids.deliveryStream } }],
});

describe('the alarms', () => {
  it('fire when the dead-letter queue holds a message', () => {
    expect(a.alarm(a.monitoring.deadLetterQueueAlarm)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [a.ids.deadLetterQueue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: FIVE_MINUTES,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('fire when an object has waited in the queue longer than monitoring.queueAgeMinutes', () => {
    expect(a.alarm(a.monitoring.queueAgeAlarm)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [a.ids.queue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 3600,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(b.alarm(b.monitoring.queueAgeAlarm).Threshold).toBe(20 * 60);
  });

  it('fire when normalize invocations or objects keep failing, counting both', () => {
    const props = a.alarm(a.monitoring.normalizeErrorAlarm);
    expect(props).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    // An object failing inside a batch never shows as a Lambda error, only in ObjectsFailed.
    expect(props.Metrics).toEqual([
      expect.objectContaining({ Expression: 'FILL(errors, 0) + FILL(failed, 0)', ReturnData: true }),
      {
        Id: 'errors',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: a.ids.normalizeFunction } }],
          },
          Period: FIVE_MINUTES,
          Stat: 'Sum',
        },
        ReturnData: false,
      },
      {
        Id: 'failed',
        MetricStat: { Metric: normalizeMetric('ObjectsFailed'), Period: FIVE_MINUTES, Stat: 'Sum' },
        ReturnData: false,
      },
    ]);
  });

  it('fire when Lambda keeps throttling the normalize function', () => {
    expect(a.alarm(a.monitoring.normalizeThrottleAlarm)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: a.ids.normalizeFunction } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
  });

  it('fire when Firehose keeps failing to write into the lake bucket', () => {
    expect(a.alarm(a.monitoring.deliveryAlarm)).toMatchObject({
      ...firehoseMetric(a, 'DeliveryToS3.Success'),
      Statistic: 'Average',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
  });

  it('fire when the oldest record in Firehose is older than three buffer intervals, or as configured', () => {
    expect(a.alarm(a.monitoring.freshnessAlarm)).toMatchObject({
      ...firehoseMetric(a, 'DeliveryToS3.DataFreshness'),
      Statistic: 'Maximum',
      Threshold: 15 * 60,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(b.alarm(b.monitoring.freshnessAlarm).Threshold).toBe(30 * 60);
    const settings = (freshnessMinutes: number) => resolveMonitoringSettings({ freshnessMinutes });
    const buffer = (bufferIntervalSeconds: number) => ({ bufferIntervalSeconds, bufferSizeMiB: 128 });
    expect(freshnessAlarmMinutes(settings(0), buffer(60))).toBe(15);
    expect(freshnessAlarmMinutes(settings(0), buffer(900))).toBe(45);
    expect(freshnessAlarmMinutes(settings(0), buffer(310))).toBe(16);
    expect(freshnessAlarmMinutes(settings(25), buffer(300))).toBe(25);
  });

  it('fire when Firehose writes records under errors/: failed Parquet conversion, too many partitions', () => {
    expect(a.alarm(a.monitoring.conversionAlarm)).toMatchObject({
      ...firehoseMetric(a, 'FailedConversion.Records'),
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
    expect(a.alarm(a.monitoring.partitionLimitAlarm)).toMatchObject({
      ...firehoseMetric(a, 'PartitionCountExceeded'),
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('fire when the quarantined share of lines passes monitoring.quarantinePercent, never dividing by zero', () => {
    const props = a.alarm(a.monitoring.quarantineRateAlarm);
    expect(props).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    expect(props.Metrics).toEqual([
      expect.objectContaining({
        Expression: 'IF(lines > 0, 100 * quarantined / lines, 0)',
        ReturnData: true,
      }),
      {
        Id: 'quarantined',
        MetricStat: { Metric: normalizeMetric('LinesQuarantined'), Period: FIVE_MINUTES, Stat: 'Sum' },
        ReturnData: false,
      },
      {
        Id: 'lines',
        MetricStat: { Metric: normalizeMetric('LinesRead'), Period: FIVE_MINUTES, Stat: 'Sum' },
        ReturnData: false,
      },
    ]);
    expect(b.alarm(b.monitoring.quarantineRateAlarm).Threshold).toBe(5);
  });

  it('watch the metrics the normalize function reports, under the service name it reports them with', () => {
    const environment = (
      a.resources[a.ids.normalizeFunction]!.Properties.Environment as { Variables: Record<string, string> }
    ).Variables;
    expect(environment.POWERTOOLS_SERVICE_NAME).toBe(NORMALIZE_SERVICE_NAME);
    expect(environment.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
  });

  it('take no data for the healthy idle state, except the poller lag (a poller that stops reporting is behind) and the dead-letter queue (which may stop reporting while it holds messages)', () => {
    const expected = (id: string) =>
      id.includes('LagAlarm') ? 'breaching' : id.includes('DeadLetterQueueAlarm') ? 'ignore' : 'notBreaching';
    for (const [id, alarm] of alarmsOf(a)) {
      expect(alarm.Properties.TreatMissingData, id).toBe(expected(id));
    }
  });

  it('say what they mean and what to check first', () => {
    for (const parts of [a, b, c]) {
      for (const [id, alarm] of alarmsOf(parts)) {
        const description = alarm.Properties.AlarmDescription as string;
        expect(description, id).toMatch(/^cf-logs: .{20,}\. First: .{20,}$/);
        expect(description.length, id).toBeLessThanOrEqual(1024);
      }
    }
  });

  it('are the nine of the lake and the three of the pollers', () => {
    expect(alarmsOf(a)).toHaveLength(12);
    expect(a.monitoring.alarms).toHaveLength(12);
    expect(alarmsOf(b)).toHaveLength(9);
  });

  it('notify the topic when they fire and when they clear, the poller alarms too', () => {
    const topicId = logicalId(a.monitoring.topic!);
    for (const [id, alarm] of alarmsOf(a)) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
    }
    for (const [id, alarm] of alarmsOf(b)) {
      expect(alarm.Properties.AlarmActions, id).toEqual([TOPIC_ARN]);
      expect(alarm.Properties.OKActions, id).toEqual([TOPIC_ARN]);
    }
  });

  it('exist without actions when there is neither an e-mail address nor a topic', () => {
    expect(alarmsOf(c)).toHaveLength(9);
    for (const [id, alarm] of alarmsOf(c)) {
      expect(alarm.Properties.AlarmActions, id).toBeUndefined();
      expect(alarm.Properties.OKActions, id).toBeUndefined();
    }
    expect(c.monitoring.topic).toBeUndefined();
    c.template.resourceCountIs('AWS::SNS::Topic', 0);
    c.template.resourceCountIs('AWS::KMS::Key', 0);
  });
});

describe('the alarm topic', () => {
  const topicId = logicalId(a.monitoring.topic!);
  const keyId = logicalId(a.monitoring.topicKey!);

  it('is encrypted with a rotated key of the stack that CloudWatch may use to publish', () => {
    a.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    const key = a.resources[keyId]!.Properties;
    expect(key.EnableKeyRotation).toBe(true);
    // Not alias/aws/sns: CloudWatch cannot use SNS's AWS managed key.
    expect(key.KeyPolicy).toMatchObject({
      Statement: expect.arrayContaining([
        {
          Sid: 'CloudWatchAlarmsPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
        },
      ]),
    });
  });

  it("takes publishes from this account's alarms only, over TLS only", () => {
    a.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          {
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: topicId },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          },
        ]),
      },
    });
    const policy = Object.values(a.template.findResources('AWS::SNS::TopicPolicy'))[0]!;
    const allow = policy.Properties.PolicyDocument.Statement.find(
      (statement: { Sid?: string }) => statement.Sid === 'CloudWatchAlarmsPublish',
    );
    expect(
      renderValue(allow.Condition.ArnLike['aws:SourceArn'], {
        'AWS::Partition': 'aws',
        'AWS::Region': 'REGION',
        'AWS::AccountId': 'ACCOUNT',
      }),
    ).toBe('arn:aws:cloudwatch:REGION:ACCOUNT:alarm:*');
  });

  it('subscribes each configured address by e-mail', () => {
    a.template.resourceCountIs('AWS::SNS::Subscription', EMAILS.length);
    for (const email of EMAILS) {
      a.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: { Ref: topicId },
      });
    }
  });

  it('is the configured one when monitoring.topicArn names it: no topic or key is created', () => {
    expect(b.monitoring.topic?.topicArn).toBe(TOPIC_ARN);
    b.template.resourceCountIs('AWS::SNS::Topic', 0);
    b.template.resourceCountIs('AWS::SNS::Subscription', 0);
    b.template.resourceCountIs('AWS::KMS::Key', 0);
  });
});

/** The dashboard body as JSON, tokens rendered as `{{…}}` text. */
function dashboardBody(parts: ReturnType<typeof partsOf>): { widgets: Widget[] } {
  const dashboard = Object.values(parts.template.findResources('AWS::CloudWatch::Dashboard'))[0]!;
  const [, pieces] = dashboard.Properties.DashboardBody['Fn::Join'] as [string, unknown[]];
  const text = pieces
    .map((piece) => (typeof piece === 'string' ? piece : `{{${JSON.stringify(piece).replaceAll('"', "'")}}}`))
    .join('');
  return JSON.parse(text);
}

interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][]; alarms?: string[] };
}

describe('the dashboard', () => {
  const { widgets } = dashboardBody(a);
  const byTitle = new Map(widgets.map((widget) => [widget.properties.title, widget]));
  /** The metric names (or expressions) a widget draws. */
  const drawn = (title: string) =>
    (byTitle.get(title)?.properties.metrics ?? []).map((metric) =>
      typeof metric[0] === 'string' ? metric[1] : (metric[0] as { expression: string }).expression,
    );

  it("shows the state of every alarm, the pollers' too", () => {
    const alarmIds = (byTitle.get('Alarms')?.properties.alarms ?? []).map(
      (arn) => /'Fn::GetAtt':\['(\w+)','Arn'\]/.exec(arn)?.[1],
    );
    expect(alarmIds.sort()).toEqual(
      alarmsOf(a)
        .map(([id]) => id)
        .sort(),
    );
  });

  it('shows ingest: objects, lines and events, events per dataset, the quarantined share', () => {
    expect(drawn('Logpush objects')).toEqual([
      'ObjectsProcessed',
      'ObjectsSkipped',
      'ObjectsFailed',
      'MessagesMalformed',
    ]);
    expect(drawn('Lines and events')).toEqual([
      'LinesRead',
      'EventsDelivered',
      'LinesQuarantined',
      'EventsInvalidUtf8',
    ]);
    // Datasets are whatever Logpush sends: found by search, with the dimensions the function reports.
    expect(drawn('Events per dataset')).toEqual([
      `SEARCH('{CloudflareLogLake,Dataset,service} MetricName="DatasetEvents" service="cf-logs-normalize"', 'Sum', 300)`,
    ]);
    expect(drawn('Quarantined lines (%)')[0]).toBe('IF(lines > 0, 100 * quarantined / lines, 0)');
  });

  it('shows the queues, the function and Firehose', () => {
    expect(drawn('Queue')).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible',
    ]);
    expect(drawn('Oldest message in the queue (s)')).toEqual(['ApproximateAgeOfOldestMessage']);
    expect(drawn('Dead-letter queue')).toEqual(['ApproximateNumberOfMessagesVisible']);
    expect(drawn('Normalize duration (ms)')).toEqual(['Duration', 'Duration', 'Duration']);
    expect(drawn('Normalize errors and throttles')).toEqual(['Errors', 'ObjectsFailed', 'Throttles']);
    expect(drawn('Normalize concurrency')).toEqual(['ConcurrentExecutions']);
    expect(drawn('Firehose bytes')).toEqual(['IncomingBytes', 'DeliveryToS3.Bytes']);
    expect(drawn('Firehose records')).toEqual(['IncomingRecords', 'DeliveryToS3.Records']);
    expect(drawn('Firehose freshness (s)')).toEqual(['DeliveryToS3.DataFreshness']);
    expect(drawn('Firehose delivery success')).toEqual(['DeliveryToS3.Success']);
    expect(drawn('Firehose errors and throttling')).toEqual([
      'FailedConversion.Records',
      'PartitionCountExceeded',
      'ThrottledRecords',
      'FirehoseRetriedRecords',
      'FirehoseFailedCalls',
    ]);
  });

  it('shows how far behind each poller source is and what it delivered, when the pollers are on', () => {
    const sources = ['access_requests', 'audit_logs'];
    expect(drawn('Poller behind (s)')).toEqual(sources.map(() => 'BehindSeconds'));
    expect(drawn('Poller events')).toEqual([
      ...sources.map(() => 'EventsDelivered'),
      ...sources.map(() => 'EventsQuarantined'),
    ]);
    expect(JSON.stringify(byTitle.get('Poller events'))).toContain('"Source","audit_logs"');
    expect(drawn('Poller failures')).toEqual(['PollFailures', 'PollFailures', 'Errors']);
    expect(dashboardBody(c).widgets.some((widget) => widget.properties.title?.startsWith('Poller'))).toBe(
      false,
    );
  });

  it('is left out with monitoring.dashboard false', () => {
    expect(b.monitoring.dashboard).toBeUndefined();
    b.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});

describe('the outputs', () => {
  const outputsOf = (parts: ReturnType<typeof partsOf>) =>
    parts.template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;

  it('give the topic ARN, and say that each address must confirm its subscription', () => {
    const topicId = logicalId(a.monitoring.topic!);
    expect(outputsOf(a).AlarmTopicArn?.Value).toEqual({ Ref: topicId });
    expect(outputsOf(a).AlarmTopicArn?.Description).toContain('confirmation e-mail');
    expect(outputsOf(b).AlarmTopicArn?.Value).toBe(TOPIC_ARN);
    expect(outputsOf(c).AlarmTopicArn).toBeUndefined();
  });

  it('give the dashboard name and its console URL, when there is a dashboard', () => {
    const dashboardId = logicalId(a.monitoring.dashboard!);
    const refs = { 'AWS::Region': 'eu-west-1', [dashboardId]: 'CfLogs-eu-west-1' };
    expect(outputsOf(a).DashboardName?.Value).toEqual({ Ref: dashboardId });
    expect(renderValue(outputsOf(a).DashboardUrl?.Value, refs)).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/CfLogs-eu-west-1',
    );
    a.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['CfLogs-', { Ref: 'AWS::Region' }]] },
    });
    expect(outputsOf(b).DashboardName).toBeUndefined();
    expect(outputsOf(b).DashboardUrl).toBeUndefined();
  });
});

describe('cdk-nag AwsSolutions with monitoring', () => {
  it.each([
    ['e-mail topic and pollers', full],
    ['own topic, no dashboard', own],
    ['no topic', bare],
  ])('finds nothing unacknowledged and needs no acknowledgment (%s)', (_, stack: Stack) => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(acknowledgments(stack).filter(({ path }) => path.includes('/Monitoring'))).toEqual([]);
  });

  it('synthesizes without warnings', () => {
    for (const stack of [full, own, bare]) {
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    }
  });
});
