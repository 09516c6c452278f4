import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectRef, ObjectSource, OpenedObject } from '../ports.ts';

/** Streams Logpush objects from S3 with `GetObject`; the body is consumed as it arrives, never buffered. */
export class S3ObjectSource implements ObjectSource {
  private readonly client: S3Client;

  constructor(client: S3Client) {
    this.client = client;
  }

  async open(ref: ObjectRef): Promise<OpenedObject> {
    const response = await this.client.send(
      new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
    );
    const body = response.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body || typeof body[Symbol.asyncIterator] !== 'function') {
      throw new Error(`GetObject s3://${ref.bucket}/${ref.key} returned no readable body`);
    }
    return {
      body,
      size: response.ContentLength,
      lastModified: response.LastModified,
      eTag: response.ETag,
    };
  }
}
