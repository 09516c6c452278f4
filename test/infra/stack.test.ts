import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnOutput } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PARTITION_JQ_QUERY as PARTITION_QUERY } from '../../lambdas/core/partition.ts';
import { LAKE_ECS_PREFIX, LAKE_ERROR_PREFIX, NORMALIZE_ENV } from '../../lambdas/settings.ts';
import {
  CfLogsStack,
  logpushJobTargets,
  MAX_STACK_OUTPUTS,
  OMITTED_DESTINATION_CONFS_OUTPUT,
} from '../../lib/cf-logs-stack.ts';
import { parseConfig } from '../../lib/config.ts';
import { CLOUDFLARE_LOGPUSH_PRINCIPAL } from '../../lib/logpush-storage.ts';
import {
  arnOf,
  bucketPolicyStatements,
  CDK_CONTEXT,
  grants,
  grantsOf,
  logicalId,
  objectsArn,
  renderValue,
  roleStatements,
  synthesize,
} from './helpers.ts';

// The realistic configuration users start from; synthesized (and bundled) once for the whole file.
const EXAMPLE = JSON.parse(
  readFileSync(new URL('../../cf-logs.config.example.json', import.meta.url), 'utf8'),
);
const { stack, template, assembly } = synthesize(EXAMPLE);
const { lake } = stack;
const ids = {
  logpushBucket: logicalId(lake.logpushBucket),
  lakeBucket: logicalId(lake.lakeBucket),
  accessLogBucket: logicalId(lake.accessLogBucket!),
  queue: logicalId(lake.queue),
  deadLetterQueue: logicalId(lake.deadLetterQueue),
  normalizeFunction: logicalId(lake.normalizeFunction),
  normalizeRole: logicalId(lake.normalizeFunction.role!),
  deliveryStream: logicalId(lake.deliveryStream),
  resultsBucket: logicalId(lake.query.resultsBucket),
};
const fn = template.toJSON().Resources[ids.normalizeFunction].Properties;
const deliveryRoleId = template.toJSON().Resources[ids.deliveryStream].Properties
  .ExtendedS3DestinationConfiguration.RoleARN['Fn::GetAtt'][0] as string;

const DENY_INSECURE_TRANSPORT = Match.objectLike({
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

describe('the Logpush bucket', () => {
  const statements = bucketPolicyStatements(template, ids.logpushBucket);

  it("lets Cloudflare's principal put objects under the Logpush prefix only", () => {
    expect(statements.filter((statement) => statement.Effect === 'Allow')).toEqual([
      {
        Sid: 'CloudflareLogpushPutObject',
        Effect: 'Allow',
        Principal: { AWS: CLOUDFLARE_LOGPUSH_PRINCIPAL },
        Action: 's3:PutObject',
        Resource: objectsArn(ids.logpushBucket, 'logpush/*'),
      },
    ]);
    expect(CLOUDFLARE_LOGPUSH_PRINCIPAL).toBe('arn:aws:iam::391854517948:user/cloudflare-logpush');
  });

  it('lets no other principal write objects', () => {
    const writers = Object.values(template.findResources('AWS::S3::BucketPolicy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[] }[]).filter(
        (statement) =>
          statement.Effect === 'Allow' &&
          JSON.stringify(policy.Properties.Bucket) === JSON.stringify({ Ref: ids.logpushBucket }) &&
          [statement.Action].flat().some((action) => /^s3:(\*|Put\*|PutObject)$/.test(action)),
      ),
    );
    expect(writers).toHaveLength(1);
  });

  it('denies requests without TLS', () => {
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('expires Logpush objects and abandoned uploads, logs access, and is kept on stack deletion', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'AbortIncompleteMultipartUploads',
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
              Status: 'Enabled',
            },
            { Id: 'ExpireLogpushObjects', Prefix: 'logpush/', ExpirationInDays: 90, Status: 'Enabled' },
          ],
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: ids.accessLogBucket },
          LogFilePrefix: 'logpush-bucket/',
        },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('sends ObjectCreated events of .log.gz objects under the prefix to the queue', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: ids.logpushBucket },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                // S3 accepts one prefix and one suffix rule (PRACTICES 3.1), in any order.
                FilterRules: Match.arrayWith([{ Name: 'suffix', Value: '.log.gz' }]),
              },
            },
            QueueArn: arnOf(ids.queue),
          },
        ],
      },
    });
    const [notifications] = Object.values(template.findResources('Custom::S3BucketNotifications'));
    const rules =
      notifications?.Properties.NotificationConfiguration.QueueConfigurations[0].Filter.Key.FilterRules;
    expect(rules).toHaveLength(2);
    expect(rules).toEqual(
      expect.arrayContaining([
        { Name: 'prefix', Value: 'logpush/' },
        { Name: 'suffix', Value: '.log.gz' },
      ]),
    );
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: ids.queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Condition: { ArnLike: { 'aws:SourceArn': arnOf(ids.logpushBucket) } },
          }),
        ]),
      },
    });
  });
});

describe('every bucket', () => {
  const buckets = template.findResources('AWS::S3::Bucket');

  it('blocks public access, encrypts with SSE-S3, disables ACLs and aborts abandoned uploads', () => {
    expect(Object.keys(buckets).sort()).toEqual(
      [ids.accessLogBucket, ids.lakeBucket, ids.logpushBucket, ids.resultsBucket].sort(),
    );
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      expect(bucket.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }),
      );
      expect(bucket.DeletionPolicy).toBe('Retain');
    }
  });

  it('denies requests without TLS', () => {
    for (const id of Object.keys(buckets)) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: { Statement: Match.arrayWith([DENY_INSECURE_TRANSPORT]) },
      });
    }
  });
});

describe('the lake bucket', () => {
  it('keeps ECS events forever by default and expires the quarantine and Firehose errors', () => {
    const rules = template.toJSON().Resources[ids.lakeBucket].Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([
      {
        Id: 'AbortIncompleteMultipartUploads',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
        Status: 'Enabled',
      },
      { Id: 'ExpireQuarantine', Prefix: 'quarantine/', ExpirationInDays: 90, Status: 'Enabled' },
      { Id: 'ExpireFirehoseErrors', Prefix: 'errors/', ExpirationInDays: 90, Status: 'Enabled' },
    ]);
  });

  it('logs access to the access-log bucket, which keeps logs a year', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: { Ref: ids.accessLogBucket },
        LogFilePrefix: 'lake-bucket/',
      },
    });
    expect(
      template.toJSON().Resources[ids.accessLogBucket].Properties.LifecycleConfiguration.Rules,
    ).toContainEqual({
      Id: 'ExpireAccessLogs',
      ExpirationInDays: 365,
      Status: 'Enabled',
    });
  });
});

describe('the queues', () => {
  it('encrypt, keep events four days and dead-letter after maxReceiveCount receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 4 * 24 * 3600,
      RedrivePolicy: { deadLetterTargetArn: arnOf(ids.deadLetterQueue), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('hide a message for at least six times the function timeout', () => {
    const queue = template.toJSON().Resources[ids.queue].Properties;
    expect(fn.Timeout).toBe(300);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Timeout);
  });

  it('deny requests without TLS', () => {
    for (const id of [ids.queue, ids.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

describe('the normalize function', () => {
  it('runs Node.js 22 on arm64 with the configured memory and timeout', () => {
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 300,
    });
  });

  it('gets its settings from the environment', () => {
    expect(fn.Environment.Variables).toEqual({
      [NORMALIZE_ENV.deliveryStream]: { Ref: ids.deliveryStream },
      [NORMALIZE_ENV.lakeBucket]: { Ref: ids.lakeBucket },
      [NORMALIZE_ENV.quarantinePrefix]: 'quarantine',
      [NORMALIZE_ENV.logpushPrefix]: 'logpush',
      [NORMALIZE_ENV.maxReceiveCount]: '5',
      POWERTOOLS_SERVICE_NAME: 'cf-logs-normalize',
      POWERTOOLS_METRICS_NAMESPACE: 'CloudflareLogLake',
      LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('logs to its own log group with a retention', () => {
    const logGroupId = fn.LoggingConfig.LogGroup.Ref as string;
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
    expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(30);
  });

  it('consumes the queue in batches with partial failures and a concurrency cap', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(ids.queue),
      FunctionName: { Ref: ids.normalizeFunction },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('may do exactly what it needs and nothing more', () => {
    const logGroupId = fn.LoggingConfig.LogGroup.Ref as string;
    expect(grantsOf(roleStatements(template, ids.normalizeRole))).toEqual(
      grants([
        [['logs:CreateLogStream', 'logs:PutLogEvents'], arnOf(logGroupId)],
        [
          [
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
            'sqs:ReceiveMessage',
          ],
          arnOf(ids.queue),
        ],
        [['s3:GetObject'], objectsArn(ids.logpushBucket, 'logpush/*')],
        [['s3:PutObject'], objectsArn(ids.lakeBucket, 'quarantine/*')],
        [['firehose:PutRecord', 'firehose:PutRecordBatch'], arnOf(ids.deliveryStream)],
      ]),
    );
  });

  it('has no wildcard action, no `*` resource and no managed policy', () => {
    const grantList = grantsOf(roleStatements(template, ids.normalizeRole));
    expect(grantList.filter(([action, resource]) => action.includes('*') || resource === '"*"')).toEqual([]);
    expect(template.toJSON().Resources[ids.normalizeRole].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('is bundled as ESM that loads on Node 22 and exports the handler', () => {
    const assetDir = join(assembly.directory, `asset.${(fn.Code.S3Key as string).replace(/\.zip$/, '')}`);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(
      bundle.startsWith(
        "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(bundle.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(assetDir, 'index.mjs'))}); console.log(typeof m.handler);`,
      ],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          [NORMALIZE_ENV.deliveryStream]: 'stream',
          [NORMALIZE_ENV.lakeBucket]: 'lake-bucket',
        },
      },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
  });
});

describe('the Firehose stream', () => {
  const stream = template.toJSON().Resources[ids.deliveryStream].Properties;
  const destination = stream.ExtendedS3DestinationConfiguration;

  it('is a Direct PUT stream encrypted at rest', () => {
    expect(stream.DeliveryStreamType).toBe('DirectPut');
    expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
  });

  it('partitions Parquet into the lake by dataset and event day', () => {
    expect(destination).toMatchObject({
      BucketARN: arnOf(ids.lakeBucket),
      Prefix: `${LAKE_ECS_PREFIX}/dataset=!{partitionKeyFromQuery:dataset}/dt=!{partitionKeyFromQuery:dt}/`,
      ErrorOutputPrefix: `${LAKE_ERROR_PREFIX}/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
      DynamicPartitioningConfiguration: { Enabled: true },
      FileExtension: '.parquet',
      BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
    });
    expect(destination.DataFormatConversionConfiguration.Enabled).toBe(true);
  });

  it('de-aggregates, then extracts the partition keys with JQ, in that order', () => {
    expect(destination.ProcessingConfiguration).toEqual({
      Enabled: true,
      Processors: [
        {
          Type: 'RecordDeAggregation',
          Parameters: [{ ParameterName: 'SubRecordType', ParameterValue: 'JSON' }],
        },
        {
          Type: 'MetadataExtraction',
          Parameters: [
            {
              ParameterName: 'MetadataExtractionQuery',
              ParameterValue: '{dataset: .event.dataset, dt: (.["@timestamp"] | .[0:10])}',
            },
            { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
          ],
        },
      ],
    });
    expect(PARTITION_QUERY).toBe('{dataset: .event.dataset, dt: (.["@timestamp"] | .[0:10])}');
  });

  it('logs delivery errors to its own log group', () => {
    expect(destination.CloudWatchLoggingOptions).toMatchObject({
      Enabled: true,
      LogGroupName: { Ref: expect.any(String) },
    });
    const logGroupId = destination.CloudWatchLoggingOptions.LogGroupName.Ref as string;
    expect(logGroupId).not.toBe(fn.LoggingConfig.LogGroup.Ref);
    expect(grantsOf(roleStatements(template, deliveryRoleId))).toContainEqual([
      'logs:PutLogEvents',
      JSON.stringify(arnOf(logGroupId)),
    ]);
  });

  it('may write only under ecs/ and errors/ of the lake bucket, and read only the ECS table', () => {
    const logGroupId = destination.CloudWatchLoggingOptions.LogGroupName.Ref as string;
    const glue = ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'];
    const granted = grantsOf(roleStatements(template, deliveryRoleId));
    expect(granted.filter(([action]) => !action.startsWith('glue:'))).toEqual(
      grants([
        [['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], arnOf(ids.lakeBucket)],
        [['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], objectsArn(ids.lakeBucket, 'ecs/*')],
        [['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], objectsArn(ids.lakeBucket, 'errors/*')],
        [['logs:PutLogEvents'], arnOf(logGroupId)],
      ]),
    );
    // The Glue resources are checked in lake-catalog.test.ts; here only that nothing else is granted.
    expect(
      new Set(granted.filter(([action]) => action.startsWith('glue:')).map(([action]) => action)),
    ).toEqual(new Set(glue));
  });

  it('is assumed only by Firehose on behalf of this account', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'firehose.amazonaws.com' },
            Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
  });
});

describe('the stack outputs', () => {
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
  const refs = { [ids.logpushBucket]: 'BUCKET', 'AWS::Region': 'REGION' };

  it('name the buckets, the stream and the queues', () => {
    expect(outputs.LogpushBucketName?.Value).toEqual({ Ref: ids.logpushBucket });
    expect(outputs.LakeBucketName?.Value).toEqual({ Ref: ids.lakeBucket });
    expect(outputs.DeliveryStreamName?.Value).toEqual({ Ref: ids.deliveryStream });
    expect(outputs.QueueUrl?.Value).toEqual({ Ref: ids.queue });
    expect(outputs.DeadLetterQueueUrl?.Value).toEqual({ Ref: ids.deadLetterQueue });
  });

  it('give the exact destination_conf of each configured dataset and zone or account', () => {
    const targets = logpushJobTargets(parseConfig(EXAMPLE));
    expect(targets).toHaveLength(7);
    for (const target of targets) {
      const output = outputs[target.outputId];
      expect(output, target.outputId).toBeDefined();
      expect(renderValue(output?.Value, refs)).toBe(
        `s3://BUCKET/logpush/${target.dataset}/${target.scopeId}/{DATE}?region=REGION&sse=AES256`,
      );
      expect(output?.Description).toContain(target.dataset);
      expect(output?.Description).toContain(target.scopeId);
    }
    expect(outputs.DestinationConfHttpRequestsZone89abcdef?.Description).toBe(
      'Logpush destination_conf for dataset http_requests in zone 89abcdef0123456789abcdef01234567 (example.com)',
    );
  });

  it('give a template for datasets not configured', () => {
    expect(renderValue(outputs.LogpushDestinationConfTemplate?.Value, refs)).toBe(
      's3://BUCKET/logpush/<dataset>/<account-or-zone-id>/{DATE}?region=REGION&sse=AES256',
    );
  });

  it("give the bucket's region, the region= of every destination_conf", () => {
    expect(outputs.LogpushBucketRegion?.Value).toEqual({ Ref: 'AWS::Region' });
  });

  it('give the command that sets every configured job up, and say that plan shows the changes first', () => {
    expect(renderValue(outputs.LogpushSetupCommand?.Value, refs)).toBe(
      'npm run cf-logs -- logpush apply --bucket BUCKET --region REGION',
    );
    expect(outputs.LogpushSetupCommand?.Description).toMatch(/creates or updates .*ownership challenge/i);
    expect(outputs.LogpushSetupCommand?.Description).toContain('"logpush plan"');
  });

  it('give the ownership challenge request as curl, asking for the same destination_conf the job gets', () => {
    const curl = renderValue(outputs.LogpushOwnershipChallengeCurl?.Value, refs);
    expect(curl).toBe(
      'curl -sX POST https://api.cloudflare.com/client/v4/<zones-or-accounts>/<id>/logpush/ownership ' +
        '-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" -H "Content-Type: application/json" ' +
        `-d '{"destination_conf":"s3://BUCKET/logpush/<dataset>/<id>/{DATE}?region=REGION&sse=AES256"}'`,
    );
    // The body is valid JSON once pasted: a shell passes the single-quoted text as it is.
    const body = /-d '([^']*)'$/.exec(curl)?.[1];
    expect(JSON.parse(body ?? '')).toEqual({
      destination_conf: 's3://BUCKET/logpush/<dataset>/<id>/{DATE}?region=REGION&sse=AES256',
    });
    expect(outputs.LogpushOwnershipChallengeCurl?.Description).toContain('ownership_challenge');
    expect(outputs.LogpushOwnershipChallengeCurl?.Description).toContain(
      'README "Pointing Logpush at the bucket"',
    );
  });

  it('list every destination_conf while they fit in the template', () => {
    expect(outputs[OMITTED_DESTINATION_CONFS_OUTPUT]).toBeUndefined();
    expect(Object.keys(outputs).length).toBeLessThanOrEqual(MAX_STACK_OUTPUTS);
  });
});

describe('a stack with more Logpush jobs than CloudFormation allows outputs', () => {
  // 60 zones × 4 datasets: 240 jobs. Bundling is skipped: only the outputs matter here.
  const zones = Array.from({ length: 60 }, (_, index) => ({
    id: `${(index + 1).toString(16).padStart(8, '0')}${'0'.repeat(24)}`,
  }));
  const config = parseConfig({
    cloudflare: { zones },
    datasets: { zone: ['http_requests', 'firewall_events', 'dns_logs', 'nel_reports'] },
  });
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const big = new CfLogsStack(app, 'Big', { config });
  const bigOutputs = Template.fromStack(big).toJSON().Outputs as Record<
    string,
    { Value: unknown; Description: string }
  >;
  const targets = logpushJobTargets(config);

  it('fills the template up to the limit with the first jobs and says how many are left out', () => {
    expect(targets).toHaveLength(240);
    expect(Object.keys(bigOutputs)).toHaveLength(MAX_STACK_OUTPUTS);
    const listed = targets.filter((target) => bigOutputs[target.outputId] !== undefined);
    expect(listed).toEqual(targets.slice(0, listed.length));
    expect(listed.length).toBeGreaterThan(150);
    const note = bigOutputs[OMITTED_DESTINATION_CONFS_OUTPUT];
    expect(note?.Value).toBe(`${240 - listed.length} of 240`);
    expect(note?.Description).toContain('npm run cf-logs -- logpush plan');
    expect(note?.Description).toContain(`CloudFormation allows ${MAX_STACK_OUTPUTS} outputs`);
  });

  it('fails the synth, not the deployment, when something still adds an output past the limit', () => {
    new CfnOutput(big, 'OneTooMany', { value: 'x' });
    expect(() => app.synth({ force: true })).toThrow(
      `the stack has ${MAX_STACK_OUTPUTS + 1} outputs, more than CloudFormation's ${MAX_STACK_OUTPUTS}`,
    );
  });
});
