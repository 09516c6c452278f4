/**
 * The API pollers in the stack: the function, its schedule, the secret (created, or imported by name or ARN), the
 * checkpoint bucket, grants narrowed to exactly what the function touches, the alarms, cdk-nag. One app, three
 * stacks, synthesized once for the file.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { POLL_ENV } from '../../lambdas/settings.ts';
import { CfLogsStack } from '../../lib/cf-logs-stack.ts';
import { parseConfig } from '../../lib/config.ts';
import {
  acknowledgments,
  arnOf,
  bucketPolicyStatements,
  CDK_CONTEXT,
  grants,
  grantsOf,
  logicalId,
  objectsArn,
  roleStatements,
  unacknowledgedFindings,
} from './helpers.ts';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cf-logs/cloudflare-api-AbC123';

const app = new App({ context: CDK_CONTEXT });
const stackOf = (id: string, raw: unknown) => new CfLogsStack(app, id, { config: parseConfig(raw) });
// Created secret, reserved concurrency, access logs on.
const created = stackOf('CfLogs', {
  cloudflare: { accountId: ACCOUNT },
  poller: { enabled: true, reservedConcurrency: true },
});
// Imported by name, other sources and timing, access logs off.
const byName = stackOf('CfLogsByName', {
  cloudflare: { accountId: ACCOUNT },
  accessLogs: false,
  poller: {
    enabled: true,
    sources: ['access_requests', 'audit_logs_v2'],
    secretName: 'cf-logs/cloudflare-api',
    scheduleMinutes: 15,
    retryAttempts: 2,
    lagAlarmMinutes: 120,
  },
});
// Imported by ARN.
const byArn = stackOf('CfLogsByArn', {
  cloudflare: { accountId: ACCOUNT },
  poller: { enabled: true, sources: ['audit_logs'], secretArn: SECRET_ARN },
});
// Poller off: the default.
const off = stackOf('CfLogsOff', { cloudflare: { accountId: ACCOUNT } });
app.synth();

/** The template and the logical ids of one stack's poller parts. */
function partsOf(stack: CfLogsStack) {
  const template = Template.fromStack(stack);
  const { lake } = stack;
  const poller = lake.poller!;
  return {
    template,
    resources: template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >,
    fn: logicalId(poller.pollFunction),
    role: logicalId(poller.pollFunction.role!),
    checkpointBucket: logicalId(poller.checkpointBucket),
    lakeBucket: logicalId(lake.lakeBucket),
    deliveryStream: logicalId(lake.deliveryStream),
    logGroup: Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) =>
      id.includes('PollFunction'),
    )!,
    poller,
  };
}
const a = partsOf(created);
const b = partsOf(byName);
const c = partsOf(byArn);
const secretId = Object.keys(a.template.findResources('AWS::SecretsManager::Secret'))[0]!;

describe('the poll function', () => {
  const fn = a.resources[a.fn]!.Properties;

  it('runs Node.js 22 on arm64 with the configured size, a reserved concurrency of 1 when asked', () => {
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 300,
      MemorySize: 512,
      ReservedConcurrentExecutions: 1,
    });
    expect(b.resources[b.fn]!.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('gets its settings from the environment, the secret by id only', () => {
    const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      [POLL_ENV.sources]: 'access_requests,audit_logs',
      [POLL_ENV.accountId]: ACCOUNT,
      [POLL_ENV.secretId]: { Ref: secretId },
      [POLL_ENV.checkpointBucket]: { Ref: a.checkpointBucket },
      [POLL_ENV.checkpointPrefix]: 'state/poller',
      [POLL_ENV.deliveryStream]: { Ref: a.deliveryStream },
      [POLL_ENV.lakeBucket]: { Ref: a.lakeBucket },
      [POLL_ENV.quarantinePrefix]: 'quarantine',
      [POLL_ENV.apiBase]: 'https://api.cloudflare.com/client/v4',
      [POLL_ENV.delaySeconds]: '60',
      [POLL_ENV.lookbackHours]: '24',
      [POLL_ENV.overlapSeconds]: '300',
      POWERTOOLS_SERVICE_NAME: 'cf-logs-poll',
      POWERTOOLS_METRICS_NAMESPACE: 'CloudflareLogLake',
    });
    expect(JSON.stringify(env)).not.toMatch(/apiToken|apiKey/);
    const named = (b.resources[b.fn]!.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(named[POLL_ENV.secretId]).toBe('cf-logs/cloudflare-api');
    expect(named[POLL_ENV.sources]).toBe('access_requests,audit_logs_v2');
    const arn = (c.resources[c.fn]!.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(arn[POLL_ENV.secretId]).toBe(SECRET_ARN);
  });

  it('is not retried by Lambda after a failed run: the next scheduled run continues', () => {
    a.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: a.fn },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
  });
});

describe('the schedule', () => {
  it('invokes the function at the configured rate, retries as configured, through its own role', () => {
    const schedules = Object.values(a.template.findResources('AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(1);
    expect(schedules[0]!.Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: arnOf(a.fn), RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 } },
    });
    b.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: { RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 900 } },
    });
  });

  it("gives the scheduler's role invoke on this function only, for this account's schedules", () => {
    const schedule = Object.values(a.template.findResources('AWS::Scheduler::Schedule'))[0]!;
    const roleId = (schedule.Properties.Target as { RoleArn: { 'Fn::GetAtt': [string, string] } }).RoleArn[
      'Fn::GetAtt'
    ][0];
    expect(grantsOf(roleStatements(a.template, roleId))).toEqual(
      grants([[['lambda:InvokeFunction'], arnOf(a.fn)]]),
    );
    expect(a.resources[roleId]!.Properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
  });
});

describe('the grants of the poll function', () => {
  const common = (p: ReturnType<typeof partsOf>, sources: string[]) =>
    [
      [['logs:CreateLogStream', 'logs:PutLogEvents'], arnOf(p.logGroup)],
      [
        ['s3:GetObject', 's3:PutObject'],
        sources.map((source) => objectsArn(p.checkpointBucket, `state/poller/${source}.json`)),
      ],
      [['s3:ListBucket'], arnOf(p.checkpointBucket)],
      [['s3:PutObject'], objectsArn(p.lakeBucket, 'quarantine/*')],
      [['firehose:PutRecordBatch'], arnOf(p.deliveryStream)],
    ] as const;
  const expand = (entries: ReturnType<typeof common>, secret: unknown) =>
    grants([
      ...entries.flatMap(([actions, resource]) =>
        Array.isArray(resource)
          ? resource.map((one) => [actions, one] as const)
          : [[actions, resource] as const],
      ),
      [['secretsmanager:GetSecretValue'], secret],
    ]);

  it('are exactly: its logs, the secret, one checkpoint key per source, the quarantine and the stream', () => {
    expect(grantsOf(roleStatements(a.template, a.role))).toEqual(
      expand(common(a, ['access_requests', 'audit_logs']), { Ref: secretId }),
    );
  });

  it('name an imported secret by its name with the 6-character suffix, or by its complete ARN', () => {
    expect(grantsOf(roleStatements(b.template, b.role))).toEqual(
      expand(common(b, ['access_requests', 'audit_logs_v2']), {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':secretsmanager:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':secret:cf-logs/cloudflare-api-??????',
          ],
        ],
      }),
    );
    expect(grantsOf(roleStatements(c.template, c.role))).toEqual(
      expand(common(c, ['audit_logs']), SECRET_ARN),
    );
  });

  it('never reach the prefixes Firehose writes (ecs/, errors/) or the Logpush bucket', () => {
    const text = JSON.stringify(roleStatements(a.template, a.role));
    expect(text).not.toMatch(/\/ecs\/|\/errors\/|Logpush/);
  });
});

describe('the credential secret', () => {
  it('is created holding an empty JSON object, with the command to fill it in the outputs', () => {
    a.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: '{}',
      Description: Match.stringLikeRegexp('apiToken'),
    });
    const outputs = a.template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    const setup = JSON.stringify(outputs.PollCredentialSetup?.Value);
    expect(setup).toContain('aws secretsmanager put-secret-value --region ');
    expect(setup).toContain(`{"Ref":"${secretId}"}`);
    expect(setup).toContain(`--secret-string '{\\"apiToken\\":\\"<token with Access: Audit Logs Read>\\"}'`);
    expect(outputs.PollCredentialSetup?.Description).toContain('{"email": "...", "apiKey": "..."}');
    expect(outputs.PollCredentialSecretArn?.Value).toEqual({ Ref: secretId });
  });

  it('is not created when imported by name or ARN', () => {
    for (const p of [b, c]) {
      p.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
      expect(Object.keys(p.template.toJSON().Outputs)).not.toContain('PollCredentialSetup');
    }
  });
});

describe('the checkpoint bucket', () => {
  it('is private, encrypted, TLS-only and logged like the other buckets', () => {
    a.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { LogFilePrefix: 'checkpoint-bucket/' },
    });
    const statements = bucketPolicyStatements(a.template, a.checkpointBucket);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(a.resources[a.checkpointBucket]!.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'AbortIncompleteMultipartUploads',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
          Status: 'Enabled',
        },
      ],
    });
  });
});

describe('the alarms', () => {
  it('watch how far behind each source is (BehindSeconds) against lagAlarmMinutes', () => {
    for (const source of ['access_requests', 'audit_logs']) {
      a.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CloudflareLogLake',
        MetricName: 'BehindSeconds',
        Dimensions: Match.arrayWith([
          { Name: 'Source', Value: source },
          { Name: 'service', Value: 'cf-logs-poll' },
        ]),
        Statistic: 'Minimum',
        Period: 300,
        Threshold: 3600,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 2,
        // A poller that stops running reports nothing: that is lag too.
        TreatMissingData: 'breaching',
      });
    }
    b.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'BehindSeconds',
      Dimensions: Match.arrayWith([{ Name: 'Source', Value: 'audit_logs_v2' }]),
      Period: 900,
      Threshold: 7200,
    });
  });

  it('watch the function errors', () => {
    a.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: a.fn } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // Its own three; the lake's alarms (monitoring.test.ts) are the others.
    const alarmIds = Object.keys(a.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarmIds.filter((id) => id.startsWith('LogLakePoller'))).toHaveLength(3);
  });
});

describe('a stack without the poller', () => {
  it('has no poll function, schedule, secret or checkpoint bucket', () => {
    const template = Template.fromStack(off);
    expect(off.lake.poller).toBeUndefined();
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::Lambda::Function', 2); // normalize + bucket notifications handler
  });
});

describe('cdk-nag AwsSolutions with the poller', () => {
  it.each([
    ['created secret', created],
    ['secret by name, no access logs', byName],
    ['secret by ARN', byArn],
  ])('finds nothing unacknowledged (%s)', (_, stack) => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('acknowledges only these poller findings, each where it occurs and with its reason', () => {
    const ofPoller = (stack: Stack) =>
      acknowledgments(stack)
        .filter(({ path }) => path.includes('/Poller'))
        .map(({ path, id }) => `${id} @ ${path.replace(`${stack.stackName}/`, '')}`);
    expect(ofPoller(created)).toEqual([
      'AwsSolutions-SMG4 @ LogLake/Poller/Credential',
      'AwsSolutions-IAM5[Resource::<LogLakeDeliveryLakeBucket3A89F20B.Arn>/quarantine/*] @ LogLake/Poller/PollFunctionRole',
      'AwsSolutions-L1 @ LogLake/Poller/PollFunction',
    ]);
    expect(ofPoller(byName)).toEqual([
      'AwsSolutions-S1 @ LogLake/Poller/CheckpointBucket',
      'AwsSolutions-IAM5[Resource::<LogLakeDeliveryLakeBucket3A89F20B.Arn>/quarantine/*] @ LogLake/Poller/PollFunctionRole',
      'AwsSolutions-L1 @ LogLake/Poller/PollFunction',
    ]);
    for (const stack of [created, byName, byArn]) {
      const reported = unacknowledgedFindings(stack);
      for (const { id, path } of acknowledgments(stack).filter((ack) => ack.path.includes('/Poller'))) {
        const where = reported.filter(
          (finding) => finding.id === id.replace(/\[.*$/, '') || finding.id === id,
        );
        expect(
          where.some((finding) => finding.path.startsWith(`${path}/`) || finding.path === path),
          `${id} at ${path}`,
        ).toBe(true);
      }
    }
  });
});
