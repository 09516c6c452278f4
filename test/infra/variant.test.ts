import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { NORMALIZE_ENV } from '../../lambdas/settings.ts';
import {
  acknowledgments,
  arnOf,
  bucketPolicyStatements,
  grantsOf,
  logicalId,
  objectsArn,
  roleStatements,
  synthesize,
} from './helpers.ts';

// Every setting away from its default: a throwaway test stack with small sizing and other prefixes.
const { stack, template } = synthesize({
  cloudflare: { accountId: '0123456789abcdef0123456789abcdef' },
  datasets: { account: ['access_requests', 'magic_bgp_logs'] },
  logpushPrefix: 'cloudflare/logpush',
  quarantinePrefix: 'bad-lines',
  retention: {
    logpushObjects: 30,
    lake: 400,
    quarantine: 0,
    abortIncompleteUploads: 7,
    accessLogs: 30,
    logs: 0,
  },
  normalize: {
    memoryMiB: 512,
    timeoutSeconds: 120,
    batchSize: 5,
    maxConcurrency: 50,
    maxReceiveCount: 3,
    logLevel: 'DEBUG',
  },
  firehose: { bufferIntervalSeconds: 60, bufferSizeMiB: 64 },
  athena: {
    scanLimitMiB: 0,
    resultsRetentionDays: 1,
    projectionStartDate: '2025-06-01',
    databaseName: 'cf_test',
  },
  removalPolicy: 'destroy',
  accessLogs: false,
});
const { lake } = stack;
const ids = {
  logpushBucket: logicalId(lake.logpushBucket),
  lakeBucket: logicalId(lake.lakeBucket),
  queue: logicalId(lake.queue),
  normalizeFunction: logicalId(lake.normalizeFunction),
  normalizeRole: logicalId(lake.normalizeFunction.role!),
  deliveryStream: logicalId(lake.deliveryStream),
  resultsBucket: logicalId(lake.query.resultsBucket),
};
const resources = template.toJSON().Resources;
const fn = resources[ids.normalizeFunction].Properties;

describe('a stack configured away from every default', () => {
  it('synthesizes without warnings (every configured dataset has a mapper)', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('is still clean for cdk-nag AwsSolutions', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('acknowledges the missing access logs on every bucket, saying it was configured', () => {
    const s1 = acknowledgments(stack).filter(({ id }) => id === 'AwsSolutions-S1');
    expect(s1.map(({ path }) => path)).toEqual([
      'CfLogs/LogLake/Storage/LogpushBucket',
      'CfLogs/LogLake/Delivery/LakeBucket',
      'CfLogs/LogLake/Query/ResultsBucket',
    ]);
    for (const { reason } of s1) expect(reason).toContain('accessLogs: false');
  });

  it('has no access-log bucket and no server access logging', () => {
    expect(lake.accessLogBucket).toBeUndefined();
    const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(3);
    for (const bucket of buckets) expect(bucket.Properties.LoggingConfiguration).toBeUndefined();
  });

  it('deletes and empties the buckets and log groups with the stack', () => {
    for (const id of [ids.logpushBucket, ids.lakeBucket, ids.resultsBucket]) {
      expect(resources[id].DeletionPolicy).toBe('Delete');
      template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: id } });
    }
    for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup.DeletionPolicy).toBe('Delete');
      expect(logGroup.Properties?.RetentionInDays).toBeUndefined();
    }
  });

  it('applies the retention settings to the lifecycle rules', () => {
    expect(resources[ids.logpushBucket].Properties.LifecycleConfiguration.Rules).toEqual([
      {
        Id: 'AbortIncompleteMultipartUploads',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        Status: 'Enabled',
      },
      { Id: 'ExpireLogpushObjects', Prefix: 'cloudflare/logpush/', ExpirationInDays: 30, Status: 'Enabled' },
    ]);
    expect(resources[ids.lakeBucket].Properties.LifecycleConfiguration.Rules).toEqual([
      {
        Id: 'AbortIncompleteMultipartUploads',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        Status: 'Enabled',
      },
      { Id: 'ExpireEcsEvents', Prefix: 'ecs/', ExpirationInDays: 400, Status: 'Enabled' },
    ]);
    expect(resources[ids.resultsBucket].Properties.LifecycleConfiguration.Rules).toEqual([
      {
        Id: 'AbortIncompleteMultipartUploads',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        Status: 'Enabled',
      },
      { Id: 'ExpireQueryResults', ExpirationInDays: 1, Status: 'Enabled' },
    ]);
  });

  it('sets no scan limit on the workgroup when the limit is 0', () => {
    const [workGroup] = Object.values(template.findResources('AWS::Athena::WorkGroup'));
    expect(workGroup?.Properties.WorkGroupConfiguration.EnforceWorkGroupConfiguration).toBe(true);
    expect(workGroup?.Properties.WorkGroupConfiguration).not.toHaveProperty('BytesScannedCutoffPerQuery');
  });

  it('names the database, starts projection and places the tables as configured', () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'cf_test' } });
    const tables = Object.values(template.findResources('AWS::Glue::Table'));
    expect(tables).toHaveLength(39);
    for (const table of tables) {
      expect(table.Properties.DatabaseName).toEqual({ Ref: stack.getLogicalId(lake.catalog.database) });
      const parameters = table.Properties.TableInput.Parameters as Record<string, unknown>;
      const ranges = Object.entries(parameters).filter(([key]) => key.endsWith('.range'));
      expect(ranges.map(([, range]) => range)).toEqual([
        table.Properties.TableInput.Name.startsWith('raw_') ? '20250601,NOW' : '2025-06-01,NOW',
      ]);
    }
    const byName = (name: string) =>
      tables.find((table) => table.Properties.TableInput.Name === name)?.Properties.TableInput;
    expect(byName('quarantine').StorageDescriptor.Location).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: ids.lakeBucket }, '/bad-lines/']],
    });
    expect(byName('raw_magic_bgp_logs').StorageDescriptor.Location).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: ids.logpushBucket }, '/cloudflare/logpush/magic_bgp_logs/']],
    });
    // An account but no zone: account datasets project the account, zone-only datasets take it from the query.
    expect(byName('raw_magic_bgp_logs').Parameters).toMatchObject({
      'projection.scope_id.type': 'enum',
      'projection.scope_id.values': '0123456789abcdef0123456789abcdef',
    });
    expect(byName('raw_http_requests').Parameters).toMatchObject({ 'projection.scope_id.type': 'injected' });
    expect(byName('raw_http_requests').Parameters).not.toHaveProperty('projection.scope_id.values');
  });

  it('follows the Logpush prefix in the Cloudflare grant, the notification and the function grant', () => {
    const allows = bucketPolicyStatements(template, ids.logpushBucket).filter((s) => s.Effect === 'Allow');
    const cloudflare = allows.filter((s) => JSON.stringify(s.Principal).includes('cloudflare-logpush'));
    expect(cloudflare.map((statement) => statement.Resource)).toEqual([
      objectsArn(ids.logpushBucket, 'cloudflare/logpush/*'),
    ]);
    // The only other grant is CDK's auto-delete role (removalPolicy destroy), which cannot put objects.
    const others = allows.filter((s) => !cloudflare.includes(s)).flatMap((s) => [s.Action].flat());
    expect(others.filter((action) => /^s3:(\*|Put\*|PutObject)$/.test(action))).toEqual([]);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.log.gz' },
                  { Name: 'prefix', Value: 'cloudflare/logpush/' },
                ],
              },
            },
            QueueArn: arnOf(ids.queue),
          },
        ],
      },
    });
    const s3Grants = grantsOf(roleStatements(template, ids.normalizeRole)).filter(([action]) =>
      action.startsWith('s3:'),
    );
    expect(s3Grants).toEqual([
      ['s3:GetObject', JSON.stringify(objectsArn(ids.logpushBucket, 'cloudflare/logpush/*'))],
      ['s3:PutObject', JSON.stringify(objectsArn(ids.lakeBucket, 'bad-lines/*'))],
    ]);
  });

  it('sizes the function and its event source as configured', () => {
    expect(fn).toMatchObject({ MemorySize: 512, Timeout: 120 });
    expect(fn.Environment.Variables).toMatchObject({
      [NORMALIZE_ENV.logpushPrefix]: 'cloudflare/logpush',
      [NORMALIZE_ENV.quarantinePrefix]: 'bad-lines',
      LOG_LEVEL: 'DEBUG',
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 50 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 120,
      RedrivePolicy: { maxReceiveCount: 3 },
    });
  });

  it('buffers Firehose as configured', () => {
    expect(
      resources[ids.deliveryStream].Properties.ExtendedS3DestinationConfiguration.BufferingHints,
    ).toEqual({
      IntervalInSeconds: 60,
      SizeInMBs: 64,
    });
  });
});
