/**
 * The ports the pure core talks through. Adapters (S3, Firehose, local files) implement them; the core never
 * imports an AWS SDK.
 */

/** Where a Logpush object lives, as an S3 event names it. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  /** Object size in bytes, when the event carries it (S3 events do). */
  readonly size?: number;
  readonly eTag?: string;
  readonly versionId?: string;
}

/** An object opened for streaming. */
export interface OpenedObject {
  /** The object's bytes, streamed; consuming it must not buffer the whole object. */
  readonly body: AsyncIterable<Uint8Array>;
  readonly size?: number;
  readonly lastModified?: Date;
  readonly eTag?: string;
}

/** Reads Logpush objects. */
export interface ObjectSource {
  open(ref: ObjectRef): Promise<OpenedObject>;
}

/** One entry of a batch that the sink did not accept. */
export interface FailedRecord {
  /** Index into the batch passed to `putRecords`. */
  readonly index: number;
  readonly code: string;
  readonly message?: string;
}

/** What a sink says about a batch it received: the entries it did not accept (empty when all were). */
export interface PutRecordsResult {
  readonly failed: readonly FailedRecord[];
}

/**
 * Receives packed records (Firehose `PutRecordBatch` semantics: a call may partly fail). A failure of the whole
 * call is thrown as a {@link SinkError}.
 */
export interface RecordSink {
  putRecords(records: readonly Uint8Array[]): Promise<PutRecordsResult>;
}

/**
 * What a sink receives per event: `lake` rows (the Glue table's shape, `lambdas/lake/row.ts`: Firehose and the
 * local lake) or plain `ecs` events (`cf-logs normalize` and `poll` on stdout).
 */
export type RowShape = 'lake' | 'ecs';

/** Writes whole objects (quarantine files, local lake files). Keys are relative to the store's root. */
export interface BlobStore {
  putObject(key: string, body: Uint8Array, contentType: string): Promise<void>;
}

/** Time, injectable so tests control it. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
