import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Objects under `prefix` (the whole bucket when unset) expire after `days`; 0 keeps them forever. */
export interface ExpirationRule {
  /** Lifecycle rule id, shown in the S3 console. */
  readonly id: string;
  /** Key prefix the rule applies to, ending in `/`. */
  readonly prefix?: string;
  readonly days: number;
}

/** Props of {@link createSecureBucket}. */
export interface SecureBucketProps {
  /** What happens to the bucket when it leaves the stack; DESTROY also empties it first. */
  readonly removalPolicy: RemovalPolicy;
  /** Days before parts of an unfinished multipart upload are removed. */
  readonly abortIncompleteUploadDays: number;
  /** Expiration rules; those with 0 days are left out. */
  readonly expirations: readonly ExpirationRule[];
  /**
   * Where S3 server access logs of this bucket go.
   * @default - no server access logs (only for the access-log bucket itself, or when configured off)
   */
  readonly accessLogs?: { readonly bucket: IBucket; readonly prefix: string };
}

/**
 * The one way buckets are made here: Block Public Access, TLS-only policy, SSE-S3, ACLs disabled, no
 * versioning, abort of incomplete multipart uploads, expirations, optional server access logs.
 *
 * SSE-S3 rather than KMS: Logpush documents only `sse=AES256` and KMS-only policies break it (FACTS A1, E7);
 * server access logs can only be delivered to SSE-S3 buckets; the lake follows for one model everywhere.
 */
export function createSecureBucket(scope: Construct, id: string, props: SecureBucketProps): Bucket {
  const lifecycleRules: LifecycleRule[] = [
    // Logpush and Firehose both upload with multipart; abandoned parts are billed until removed (FACTS A2).
    {
      id: 'AbortIncompleteMultipartUploads',
      abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteUploadDays),
    },
    ...props.expirations
      .filter((rule) => rule.days > 0)
      .map((rule) => ({ id: rule.id, prefix: rule.prefix, expiration: Duration.days(rule.days) })),
  ];
  const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
  return new Bucket(scope, id, {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: BucketEncryption.S3_MANAGED,
    // Cloudflare uploads with the `bucket-owner-full-control` ACL (FACTS A2), which BucketOwnerEnforced accepts.
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: false,
    lifecycleRules,
    removalPolicy: props.removalPolicy,
    // A bucket with objects cannot be deleted: with DESTROY the stack would fail to delete without this.
    autoDeleteObjects: destroy,
    serverAccessLogsBucket: props.accessLogs?.bucket,
    serverAccessLogsPrefix: props.accessLogs?.prefix,
  });
}
