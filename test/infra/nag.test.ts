import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { acknowledgments, synthesize, unacknowledgedFindings } from './helpers.ts';

// What `cdk synth` builds with no configuration file: defaults everywhere, CDK's CloudFormation validation on.
const { stack, assembly } = synthesize({}, { validate: true });

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing that is not acknowledged', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only these findings, each where it occurs', () => {
    expect(acknowledgments(stack).map(({ path, id }) => `${id} @ ${path}`)).toEqual([
      'CloudFormation-Validate::W7001 @ CfLogs',
      'AwsSolutions-IAM5[Resource::<LogLakeDeliveryLakeBucket3A89F20B.Arn>/ecs/*] @ CfLogs/LogLake/Delivery/DeliveryRole',
      'AwsSolutions-IAM5[Resource::<LogLakeDeliveryLakeBucket3A89F20B.Arn>/errors/*] @ CfLogs/LogLake/Delivery/DeliveryRole',
      'AwsSolutions-IAM5[Resource::<LogLakeStorageLogpushBucketAD8F2D0C.Arn>/logpush/*] @ CfLogs/LogLake/Ingest/NormalizeFunctionRole',
      'AwsSolutions-IAM5[Resource::<LogLakeDeliveryLakeBucket3A89F20B.Arn>/quarantine/*] @ CfLogs/LogLake/Ingest/NormalizeFunctionRole',
      'AwsSolutions-L1 @ CfLogs/LogLake/Ingest/NormalizeFunction',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole] @ CfLogs/BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    ]);
  });

  it('acknowledges nothing that would not be reported', () => {
    const reported = unacknowledgedFindings(stack);
    for (const { id, path } of acknowledgments(stack).filter(({ id }) => id.startsWith('AwsSolutions-'))) {
      expect(reported, `${id} at ${path}`).toContainEqual(expect.objectContaining({ id }));
      const where = reported.filter((finding) => finding.id === id).map((finding) => finding.path);
      expect(
        where.some((resource) => resource.startsWith(`${path}/`)),
        `${id} at ${path}`,
      ).toBe(true);
    }
  });

  it('gives every acknowledgment a specific reason', () => {
    for (const { id, reason } of acknowledgments(stack)) {
      expect(reason.length, id).toBeGreaterThanOrEqual(60);
      expect(reason.split(/\s+/).length, id).toBeGreaterThanOrEqual(10);
      expect(reason, id).not.toMatch(/\b(todo|tbd|fixme|n\/a)\b/i);
    }
  });
});

describe('CDK validation', () => {
  it('leaves no unacknowledged CloudFormation validation finding', () => {
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((plugin: { violations: unknown[] }) => plugin.violations)).toEqual(
      [],
    );
  });

  it('emits no warning or error annotation', () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });
});
