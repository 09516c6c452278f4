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
  /** Where a record is closed: the largest size at which whole records fill a call (see the constructor). */
  private readonly recordTarget: number;
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
    // 4 MiB per call holds only four records of 1,000 KiB (4,096,000 bytes, 2.3% short of the limit), so full
    // records would cost 2.4% more calls than the bytes need. Records of a fifth of the call limit fill calls
    // exactly; Firehose still bills them in 5 KB units, so the rounding stays below 0.6%.
    const perCall = Math.ceil(this.limits.maxBytesPerCall / this.limits.maxRecordBytes);
    this.recordTarget = Math.min(
      this.limits.maxRecordBytes,
      Math.floor(this.limits.maxBytesPerCall / perCall),
    );
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
      (this.slabUsed + bytes > this.recordTarget || this.slabEvents >= this.limits.maxEventsPerRecord)
    ) {
      this.closeRecord();
    }
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
