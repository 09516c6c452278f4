/**
 * Helpers of the infrastructure tests: synthesize the stack as `cdk synth` would (same cdk.json context), find
 * logical ids, collect the IAM statements a role ends up with, render `Fn::Join` values.
 */
import { readFileSync } from 'node:fs';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { CfLogsStack } from '../../lib/cf-logs-stack.ts';
import { parseConfig } from '../../lib/config.ts';

/** The context of cdk.json (feature flags), so tests synthesize what `cdk synth` synthesizes. */
export const CDK_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** A synthesized stack and what the tests look at. */
export interface Synthesized {
  readonly app: App;
  readonly stack: CfLogsStack;
  readonly assembly: CloudAssembly;
  readonly template: Template;
}

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /** Run CDK's built-in CloudFormation validation (about 10 s); its report lands in the assembly directory. */
  readonly validate?: boolean;
}

/** Builds the stack from a raw configuration object, exactly as the app does, and synthesizes it once. */
export function synthesize(rawConfig: unknown, options: SynthesizeOptions = {}): Synthesized {
  const app = new App({ context: CDK_CONTEXT, builtinCloudFormationValidation: options.validate ?? false });
  const stack = new CfLogsStack(app, 'CfLogs', { config: parseConfig(rawConfig) });
  const assembly = app.synth();
  return { app, stack, assembly, template: Template.fromStack(stack) };
}

/** Logical id of the L1 resource behind an L2 construct. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` */
export const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** `<resource ARN>/<suffix>` as CDK renders `arnForObjects(suffix)`. */
export const objectsArn = (bucketId: string, suffix: string) => ({
  'Fn::Join': ['', [arnOf(bucketId), `/${suffix}`]],
});

/** One allowed (action, resource) pair of an IAM policy, the resource as its JSON. */
export type Grant = readonly [action: string, resource: string];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
  Sid?: string;
}

/** Allow statements a role holds: its inline policies and every AWS::IAM::Policy attached to it. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const role = template.toJSON().Resources[roleId] as {
    Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] };
  };
  const inline = (role.Properties.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(JSON.stringify({ Ref: roleId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached].filter((statement) => statement.Effect === 'Allow');
}

/** Every (action, resource) pair the statements allow, sorted, so a test can compare them as a whole. */
export function grantsOf(statements: readonly Statement[]): Grant[] {
  const pairs = statements.flatMap((statement) => {
    const actions = [statement.Action].flat();
    const resources = [statement.Resource].flat();
    return actions.flatMap((action) =>
      resources.map((resource): Grant => [action, JSON.stringify(resource)]),
    );
  });
  return pairs.sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));
}

/** Builds the expected grants from (actions, resource) entries, in the same form as {@link grantsOf}. */
export function grants(
  entries: readonly (readonly [actions: readonly string[], resource: unknown])[],
): Grant[] {
  return grantsOf(
    entries.map(([actions, resource]) => ({ Effect: 'Allow', Action: [...actions], Resource: resource })),
  );
}

/** Statements of the bucket policy of a bucket. */
export function bucketPolicyStatements(template: Template, bucketId: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter(
    (policy) => JSON.stringify(policy.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/**
 * Renders a CloudFormation string value (`Fn::Join` of literals and `Ref`s) with the given values for refs,
 * e.g. `{ 'AWS::Region': '<region>' }`.
 */
export function renderValue(value: unknown, refs: Readonly<Record<string, string>>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    if ('Ref' in value) {
      const name = (value as { Ref: string }).Ref;
      const rendered = refs[name];
      if (rendered === undefined) throw new Error(`no value given for Ref ${name}`);
      return rendered;
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      return parts.map((part) => renderValue(part, refs)).join(separator);
    }
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** One acknowledged validation finding: where, which, why. */
export interface Acknowledgment {
  readonly path: string;
  /** The finding id without CDK's `Annotation::` namespace, e.g. `AwsSolutions-IAM5[Resource::…]`. */
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgment recorded with `Validations.of(…).acknowledge()` under `scope`, in tree order. */
export function acknowledgments(scope: IConstruct): Acknowledgment[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** What cdk-nag AwsSolutions reports under `scope` when no acknowledgment is honoured: (finding id, resource path). */
export function unacknowledgedFindings(scope: IConstruct): { id: string; path: string }[] {
  const checks = new AwsSolutionsChecks(undefined, { verbose: false });
  // `isAcknowledged` is the pack's private hook for acknowledgments; turning it off shows the raw findings.
  (checks as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return checks.validateScope(scope).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      id: violation.ruleName,
      path: resource.constructPath ?? '',
    })),
  );
}
