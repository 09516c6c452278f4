/**
 * Acknowledging cdk-nag AwsSolutions findings. cdk-nag 3 reads acknowledgments from CDK's native
 * `Validations.of(scope).acknowledge()`; a finding on a resource is acknowledged when the resource or one of its
 * ancestors carries it. Each acknowledgment names one rule (and, for IAM4/IAM5, the exact finding) with its reason.
 */
import { Stack, Validations } from 'aws-cdk-lib';
// cdk-nag's own flattening, so the finding ids built here match the ones it reports exactly.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** An AwsSolutions rule this project acknowledges somewhere. */
export type AwsSolutionsRule = 'IAM4' | 'IAM5' | 'L1' | 'S1' | 'SMG4';

/**
 * Acknowledges one AwsSolutions finding on `scope` and everything under it.
 * @param finding the bracketed part of the finding id (e.g. `Resource::arn:...`); omit for rules without one.
 */
export function acknowledgeNag(
  scope: IConstruct,
  rule: AwsSolutionsRule,
  reason: string,
  finding?: string,
): void {
  const id = finding === undefined ? `AwsSolutions-${rule}` : `AwsSolutions-${rule}[${finding}]`;
  Validations.of(scope).acknowledge({ id, reason });
}

/** The IAM5 finding cdk-nag reports for an allowed resource ARN that contains a wildcard. */
export function wildcardResourceFinding(scope: IConstruct, arn: string): string {
  return `Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}`;
}
