import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ChallengeError, type ChallengeStore } from '../logpush/challenge.ts';

// Challenge files are a few hundred bytes; anything much larger is not one.
const MAX_CHALLENGE_BYTES = 64 * 1024;

/**
 * Reads and deletes Logpush ownership-challenge files in the Logpush bucket, with the caller's own AWS
 * credentials (`cf-logs logpush`). Access denied is reported with the permission to add, not retried.
 */
export class S3ChallengeStore implements ChallengeStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.client = client;
    this.bucket = bucket;
  }

  async read(key: string): Promise<string | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.ContentLength !== undefined && response.ContentLength > MAX_CHALLENGE_BYTES) {
        throw new ChallengeError(
          `s3://${this.bucket}/${key} is ${response.ContentLength} bytes: not an ownership challenge`,
        );
      }
      return (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
      throw this.explain(error, 's3:GetObject', key);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return;
      throw this.explain(error, 's3:DeleteObject', key);
    }
  }

  private explain(error: unknown, action: string, key: string): unknown {
    if (error instanceof ChallengeError) return error;
    const name = (error as { name?: string }).name ?? 'Error';
    const message = (error as { message?: string }).message ?? String(error);
    const where = `s3://${this.bucket}/${key}`;
    if (name === 'AccessDenied' || name === 'Forbidden') {
      return new ChallengeError(
        `your AWS credentials may not ${action} ${where} (${name}): allow ${action} on ` +
          `arn:aws:s3:::${this.bucket}/<logpushPrefix>/* (and s3:ListBucket on the bucket, so a missing file ` +
          'reads as missing rather than denied)',
        { cause: error },
      );
    }
    if (name === 'NoSuchBucket') {
      return new ChallengeError(`the bucket ${this.bucket} does not exist (or not in this region)`, {
        cause: error,
      });
    }
    return new ChallengeError(`${action} ${where} failed: ${name}: ${message}`, { cause: error });
  }
}
