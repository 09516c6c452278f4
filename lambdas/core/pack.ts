/**
 * Firehose limits that shape packing (Firehose API Reference, PutRecordBatch; Developer Guide, dynamic
 * partitioning of aggregated data). Billing rounds every record up to 5 KB, so many events share one record;
 * de-aggregation before partitioning handles at most 500 sub-records per record.
 */
export const FIREHOSE_LIMITS = {
  /** Events per packed record (de-aggregation cap). */
  maxEventsPerRecord: 500,
  /** Bytes per record, before base64 (1,000 KiB). */
  maxRecordBytes: 1_024_000,
  /** Records per PutRecordBatch call. */
  maxRecordsPerCall: 500,
  /** Bytes of record data per PutRecordBatch call (4 MiB). */
  maxBytesPerCall: 4 * 1024 * 1024,
} as const;

/** Limits a packer works to; defaults are {@link FIREHOSE_LIMITS}. */
export type PackLimits = { -readonly [K in keyof typeof FIREHOSE_LIMITS]: number };

/**
 * Packs newline-terminated events into records and records into call-sized batches, handing each full batch to
 * `send`. Up to `maxInFlight` batches are sent concurrently; when that many are in flight, {@link add} returns a
 * promise the caller awaits, so reading slows down to the speed of delivery and memory stays bounded.
 */
export class RecordPacker {
  private readonly limits: PackLimits;
  private readonly send: (records: Buffer[]) => Promise<void>;
  private readonly maxInFlight: number;
  /** Bytes and events packed so far: their mean event size sets where records are closed ({@link recordTarget}). */
  private packedBytes = 0;
  private packedEvents = 0;
  private slab: Buffer;
  private slabUsed = 0;
  private slabEvents = 0;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(send: (records: Buffer[]) => Promise<void>, limits: Partial<PackLimits> = {}, maxInFlight = 4) {
    this.limits = { ...FIREHOSE_LIMITS, ...limits };
    this.send = send;
    this.maxInFlight = maxInFlight;
    this.slab = Buffer.allocUnsafe(this.limits.maxRecordBytes);
  }

  /** True when an event of `bytes` bytes (newline included) fits in a record at all. */
  fits(bytes: number): boolean {
    return bytes <= this.limits.maxRecordBytes;
  }

  /**
   * Adds one serialized event, given without its newline; `bytes` is its UTF-8 length plus 1 for the newline
   * and must {@link fits}.
   * @returns a promise to await before adding more, when delivery is the bottleneck; otherwise undefined.
   */
  add(json: string, bytes: number): Promise<void> | undefined {
    if (this.failure) throw this.failure.error;
    // An event larger than the target (up to the record limit) travels in a record of its own.
    if (
      this.slabEvents > 0 &&
      (this.slabUsed + bytes > this.recordTarget(bytes) || this.slabEvents >= this.limits.maxEventsPerRecord)
    ) {
      this.closeRecord();
    }
    this.packedBytes += bytes;
    this.packedEvents++;
    this.slabUsed += this.slab.write(json, this.slabUsed, 'utf8');
    this.slab[this.slabUsed++] = 0x0a;
    this.slabEvents++;
    if (this.inFlight.size >= this.maxInFlight) return this.drainOne();
    return undefined;
  }

  /** Sends everything still held and waits until every batch is delivered. @throws the first delivery error. */
  async flush(): Promise<void> {
    if (this.slabEvents > 0) {
      // Closing the record may dispatch the full batch before it.
      await this.waitForRoom();
      this.closeRecord();
    }
    if (this.batch.length > 0) {
      await this.waitForRoom();
      this.dispatch();
    }
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure.error;
  }

  /**
   * Waits until no batch is in flight, whatever their outcome. After a failure the caller settles before it
   * gives up the object, so that no delivery of the object goes on sending and counting behind its back (in a
   * Lambda, into the next invocation).
   */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  /**
   * The size at which to close a record so that whole records fill calls. A call holds 4 MiB but only four
   * records of 1,000 KiB (2.3% short), and records capped at 500 events of ~1.2 KB hold ~600 KB, of which six
   * fit (14% short): records are closed at 4 MiB / ceil(4 MiB / natural size), where the natural size is what
   * a record reaches at the mean event size so far. Firehose bills records in 5 KB units, so the rounding this
   * adds stays small.
   */
  private recordTarget(bytes: number): number {
    const { maxRecordBytes, maxBytesPerCall, maxEventsPerRecord, maxRecordsPerCall } = this.limits;
    const mean = this.packedEvents > 0 ? this.packedBytes / this.packedEvents : bytes;
    const natural = Math.min(maxRecordBytes, mean * maxEventsPerRecord);
    const perCall = Math.ceil(maxBytesPerCall / natural);
    // Events so small that 500 records cannot hold 4 MiB: the record count limits calls, not their bytes.
    if (perCall > maxRecordsPerCall) return maxRecordBytes;
    return Math.min(maxRecordBytes, Math.floor(maxBytesPerCall / perCall));
  }

  private async waitForRoom(): Promise<void> {
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure.error;
  }

  private closeRecord(): void {
    const record = Buffer.from(this.slab.subarray(0, this.slabUsed));
    this.slabUsed = 0;
    this.slabEvents = 0;
    if (
      this.batch.length >= this.limits.maxRecordsPerCall ||
      this.batchBytes + record.length > this.limits.maxBytesPerCall
    ) {
      this.dispatch();
    }
    this.batch.push(record);
    this.batchBytes += record.length;
  }

  private dispatch(): void {
    const records = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const sending: Promise<void> = this.send(records).then(
      () => {
        this.inFlight.delete(sending);
      },
      (error: unknown) => {
        this.inFlight.delete(sending);
        this.failure ??= { error };
      },
    );
    this.inFlight.add(sending);
  }

  private async drainOne(): Promise<void> {
    await Promise.race(this.inFlight);
    if (this.failure) throw this.failure.error;
  }
}
