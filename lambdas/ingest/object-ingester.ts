/**
 * One Logpush object from S3 into Firehose: the S3 source (resuming a broken stream), the pipeline (decode, map,
 * pack), the Firehose sink with its retries, and the quarantine. The normalize Lambda and `cf-logs ingest` both
 * run objects through this, so a terminal run is the Lambda's path and not a copy of it.
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import { FirehoseRecordSink } from '../adapters/firehose-sink.ts';
import { S3BlobStore } from '../adapters/s3-blob-store.ts';
import { S3ObjectSource } from '../adapters/s3-object-source.ts';
import type { RetryPolicy } from '../core/deliver.ts';
import { type ObjectSummary, processObject, type QuarantineFactory } from '../core/pipeline.ts';
import { BlobQuarantine } from '../core/quarantine.ts';
import type { DatasetName } from '../datasets/catalog.ts';
import type { Clock, ObjectRef, RecordSink } from '../ports.ts';

/** Where quarantined lines go: a bucket and prefix (the lake's `quarantine/`), or any quarantine. */
export type QuarantineTarget = { readonly bucket: string; readonly prefix: string } | QuarantineFactory;

/** What an {@link ObjectIngester} is built from. */
export interface ObjectIngesterDependencies {
  readonly s3: S3Client;
  /** Build it with `maxAttempts: 1`: the pipeline retries failed entries itself. */
  readonly firehose: FirehoseClient;
  readonly deliveryStream: string;
  readonly quarantine: QuarantineTarget;
  readonly clock: Clock;
  /** Key prefix of Logpush objects, to read the dataset from keys. */
  readonly logpushPrefix?: string;
  /** Map every record with this dataset's mapper, whatever the key or the fields say. */
  readonly dataset?: DatasetName;
  readonly retry?: Omit<RetryPolicy, 'remainingMs'>;
  /** Told when a broken object stream is resumed. */
  readonly onResume?: (ref: ObjectRef, offset: number, error: unknown) => void;
  /** Wraps the Firehose sink (counting, say). @default none */
  readonly wrapSink?: (sink: RecordSink) => RecordSink;
}

/**
 * Runs one object through the path. With `remainingMs` (a Lambda's remaining time), Firehose throttling and other
 * retryable failures are retried until the deadline nears rather than a fixed number of times (unless
 * `retry.maxAttempts` or `retry.untilDeadline: false` says otherwise): a failed object returns to the queue only
 * after its visibility timeout, and is then sent whole again.
 */
export type ObjectIngester = (ref: ObjectRef, remainingMs?: () => number) => Promise<ObjectSummary>;

/**
 * Builds the ingester once (per cold start, per command).
 * @throws from the returned function when the object as a whole fails (see `processObject`).
 */
export function createObjectIngester(deps: ObjectIngesterDependencies): ObjectIngester {
  const source = new S3ObjectSource(deps.s3, deps.onResume ? { onResume: deps.onResume } : {});
  const firehose = new FirehoseRecordSink(deps.firehose, deps.deliveryStream);
  const sink = deps.wrapSink ? deps.wrapSink(firehose) : firehose;
  const { quarantine, clock } = deps;
  const makeQuarantine: QuarantineFactory =
    typeof quarantine === 'function'
      ? quarantine
      : (() => {
          const store = new S3BlobStore(deps.s3, quarantine.bucket);
          return (ref, key) =>
            new BlobQuarantine({ store, prefix: quarantine.prefix, source: ref, date: key.date, clock });
        })();
  return (ref, remainingMs) =>
    processObject(ref, source, makeQuarantine, {
      sink,
      clock,
      ...(deps.logpushPrefix === undefined ? {} : { logpushPrefix: deps.logpushPrefix }),
      ...(deps.dataset === undefined ? {} : { dataset: deps.dataset }),
      retry:
        remainingMs === undefined ? { ...deps.retry } : { untilDeadline: true, ...deps.retry, remainingMs },
    });
}
