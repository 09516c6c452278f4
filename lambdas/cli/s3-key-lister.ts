/**
 * {@link KeyLister} over S3's ListObjectsV2: folders with the `/` delimiter, objects page by page (1,000 keys a
 * call), both in S3 key order. The SDK's own retries cover throttling of a listing (build the client with its
 * default `maxAttempts`).
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { KeyLister, ListedObject } from './backfill-plan.ts';

/** Stops a runaway listing: a bucket whose continuation tokens never end would otherwise loop forever. */
const MAX_PAGES = 1_000_000;

/** Lists `bucket` with `client`; `onCall` counts the calls (for the summary). */
export class S3KeyLister implements KeyLister {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly onCall: () => void;

  constructor(client: S3Client, bucket: string, onCall: () => void = () => {}) {
    this.client = client;
    this.bucket = bucket;
    this.onCall = onCall;
  }

  async *folders(prefix: string, startAfter?: string): AsyncIterable<string> {
    for await (const page of this.pages(prefix, '/', startAfter)) {
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix !== undefined) yield common.Prefix;
      }
    }
  }

  async *objects(prefix: string, startAfter?: string): AsyncIterable<readonly ListedObject[]> {
    for await (const page of this.pages(prefix, undefined, startAfter)) {
      const objects: ListedObject[] = [];
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        objects.push({
          key: item.Key,
          size: item.Size ?? 0,
          ...(item.ETag === undefined ? {} : { eTag: item.ETag }),
        });
      }
      yield objects;
    }
  }

  private async *pages(
    prefix: string,
    delimiter: string | undefined,
    startAfter: string | undefined,
  ): AsyncIterable<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      this.onCall();
      const output = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(delimiter === undefined ? {} : { Delimiter: delimiter }),
          ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      yield output;
      if (!output.IsTruncated || !output.NextContinuationToken) return;
      token = output.NextContinuationToken;
    }
    throw new Error(`listing s3://${this.bucket}/${prefix} did not end after ${MAX_PAGES} pages`);
  }
}
