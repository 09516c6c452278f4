import type { RemovalPolicy } from 'aws-cdk-lib';
import { ArnPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { createSecureBucket } from './secure-bucket.ts';

/**
 * The IAM user Cloudflare Logpush writes as. "The AWS Principal is owned by Cloudflare and should not be
 * changed" (FACTS A2), so it is a literal, in the `aws` partition whatever the stack's partition.
 */
export const CLOUDFLARE_LOGPUSH_PRINCIPAL = 'arn:aws:iam::391854517948:user/cloudflare-logpush';

/** Props of {@link LogpushStorage}. */
export interface LogpushStorageProps {
  /** Key prefix Logpush jobs write under, without leading or trailing slash. */
  readonly logpushPrefix: string;
  /** Days Logpush objects are kept; 0 keeps them forever. */
  readonly objectRetentionDays: number;
  readonly abortIncompleteUploadDays: number;
  readonly removalPolicy: RemovalPolicy;
  /** Bucket receiving server access logs, when they are on. */
  readonly accessLogBucket?: IBucket;
}

/**
 * The bucket Cloudflare Logpush writes into. Only Cloudflare's principal may put objects, and only under the
 * Logpush prefix; everything else about the bucket is private.
 */
export class LogpushStorage extends Construct {
  /** The bucket Logpush jobs write to. */
  readonly logpushBucket: Bucket;

  constructor(scope: Construct, id: string, props: LogpushStorageProps) {
    super(scope, id);
    const prefix = `${props.logpushPrefix}/`;
    this.logpushBucket = createSecureBucket(this, 'LogpushBucket', {
      removalPolicy: props.removalPolicy,
      abortIncompleteUploadDays: props.abortIncompleteUploadDays,
      expirations: [{ id: 'ExpireLogpushObjects', prefix, days: props.objectRetentionDays }],
      accessLogs: props.accessLogBucket && { bucket: props.accessLogBucket, prefix: 'logpush-bucket/' },
    });
    // Cloudflare's documented policy (FACTS A2), narrowed to the prefix: the ownership challenge file and every
    // Logpush object land under it, and the PutObject grant reaches nothing else in the bucket.
    this.logpushBucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudflareLogpushPutObject',
        effect: Effect.ALLOW,
        principals: [new ArnPrincipal(CLOUDFLARE_LOGPUSH_PRINCIPAL)],
        actions: ['s3:PutObject'],
        resources: [this.logpushBucket.arnForObjects(`${prefix}*`)],
      }),
    );
  }
}
