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
 * Events the packer holds back before it places them, to choose from when it fills the end of a call. An event
 * is delivered at most this many places from where it came in, and at most this many wait at a time: a few dozen
 * kilobytes for events of about 2 KB, and 32 times 1,000 KiB at worst, since each event fits a record. With 32,
 * calls of events of 2.2 to 2.6 KB (the benchmark's http_requests) end at 4 MiB to the byte, and events of 1.9
 * to 2.1 KB leave 81 bytes a call on average; with 16, 208 and 389 bytes, which costs a call more where the
 * events fill their calls to within 1,000 bytes.
 */
export const LOOK_AHEAD_EVENTS = 32;

/**
 * Sums that {@link closestFill} tells apart: a room of up to this many bytes is counted to the byte, a larger one
 * in units of several bytes, each event rounded up. So a choice costs at most 34 rows of 2,049 words whatever the
 * event sizes, and leaves up to a unit free per event it places: 200 bytes a call for events of 20 to 200 KB.
 */
const FILL_CELLS = 1 << 16;
const FILL_WORDS = (FILL_CELLS >>> 5) + 1;

/**
 * Scratch for {@link closestFill}: row i holds, one bit per sum, the sums the first i sizes reach. Shared by all
 * packers (272 KiB for a look-ahead of 32, made on the first fill), since a fill runs to its end without waiting.
 */
let fillRows = new Int32Array(0);

/**
 * Chooses the sizes whose sum comes closest to `room` without passing it (a subset sum), to fill the end of a
 * call. Sums are counted in units of `room / 65,536` bytes at least, each size rounded up, so that what is chosen
 * always fits and the cost stays at most (sizes + 1) × 2,049 words. Walking back from the best sum, a size is left
 * out whenever the sizes before it reach the sum without it: of several subsets with that sum, the one of the
 * earliest sizes is chosen.
 * @returns the places of the chosen sizes, ascending.
 */
export function closestFill(sizes: readonly number[], room: number): number[] {
  if (room <= 0) return [];
  const unit = Math.max(1, Math.ceil(room / FILL_CELLS));
  const cells = Math.floor(room / unit);
  const words = (cells >>> 5) + 1;
  if (fillRows.length < (sizes.length + 1) * words) {
    fillRows = new Int32Array((Math.max(sizes.length, LOOK_AHEAD_EVENTS + 1) + 1) * FILL_WORDS);
  }
  const rows = fillRows;
  const units = sizes.map((bytes) => Math.ceil(bytes / unit));
  const has = (row: number, sum: number) => ((rows[row * words + (sum >>> 5)]! >>> (sum & 31)) & 1) === 1;
  // Row 0: the empty sum only.
  rows.fill(0, 0, words);
  rows[0] = 1;
  let used = 0;
  // Stops early once the room is filled to the unit.
  while (used < units.length && !has(used, cells)) {
    const from = used * words;
    const to = from + words;
    const size = units[used]!;
    const shift = size >>> 5;
    const bits = size & 31;
    for (let j = 0; j < words; j++) {
      let reached = rows[from + j]!;
      const k = j - shift;
      if (k >= 0) {
        reached |= bits === 0 ? rows[from + k]! : rows[from + k]! << bits;
        if (bits !== 0 && k > 0) reached |= rows[from + k - 1]! >>> (32 - bits);
      }
      rows[to + j] = reached;
    }
    used++;
  }
  // The highest sum within the room in the last row; bits above `cells` are sums that pass it.
  let best = 0;
  const last = used * words;
  const top = cells & 31;
  for (let j = words - 1; j >= 0; j--) {
    const word = j === words - 1 && top !== 31 ? rows[last + j]! & ((1 << (top + 1)) - 1) : rows[last + j]!;
    if (word !== 0) {
      best = j * 32 + 31 - Math.clz32(word);
      break;
    }
  }
  const chosen: number[] = [];
  for (let i = used - 1, sum = best; i >= 0 && sum > 0; i--) {
    if (has(i, sum)) continue;
    chosen.push(i);
    sum -= units[i]!;
  }
  return chosen.reverse();
}

type PendingEvent = { readonly json: string; readonly bytes: number; readonly index: number };

/**
 * Packs newline-terminated events into records and records into call-sized batches, handing each full batch to
 * `send`. Up to `maxInFlight` batches are sent concurrently; when that many are in flight, {@link add} returns a
 * promise the caller awaits, so reading slows down to the speed of delivery and memory stays bounded: at most
 * {@link LOOK_AHEAD_EVENTS} events waiting, the call being built, and `maxInFlight` calls of up to 4 MiB.
 *
 * Events are not kept in order. Several calls are in flight at once and Firehose keeps no order across calls; the
 * lake is Parquet queried by event time, so the order of its rows means nothing. The packer holds back the last
 * {@link LOOK_AHEAD_EVENTS} events and places each as it leaves that window, in order, into the open record while
 * the record has room (500 events, 1,000 KiB), else into a new record. Once the room left in the call is at most
 * half the bytes waiting, or the event to place does not fit it, the packer chooses the waiting events whose sizes
 * fill that room most closely (a subset sum), places them and sends the call. Half, because the sums of about half
 * the waiting events are the most varied: with events of 1.9 to 2.1 KB, calls filled from about 16 events end 81
 * bytes short on average, from about 8, 234. So a call ends bytes short of 4 MiB rather than up to one event short,
 * and an object of events of varied sizes takes the fewest calls the limits allow: the larger of events / 250,000
 * and bytes / 4 MiB. That count is still missed when events are all of nearly one size, since they leave up to one
 * event free per call whatever the order; when they are near the record limit, five of 900,000 bytes passing 4 MiB;
 * and when a run of tiny events that fills a call's 500 records with few bytes lies next to a run of large events
 * that fills calls with few events, if mixing them would move events further than the look-ahead allows. Firehose
 * bills each record rounded up to 5 KB, so the short last record of a call costs at most 5 KB more per call.
 */
export class RecordPacker {
  private readonly limits: PackLimits;
  private readonly send: (records: Buffer[]) => Promise<void>;
  private readonly maxInFlight: number;
  private slab: Buffer;
  private slabUsed = 0;
  private slabEvents = 0;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  /** Events added but not placed, oldest first; each came less than LOOK_AHEAD_EVENTS adds ago. */
  private readonly pending: PendingEvent[] = [];
  private pendingBytes = 0;
  private added = 0;
  /** Calls sent so far: a change tells that the call being built was sent. */
  private dispatched = 0;
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
   * and must {@link fits}. The event may wait in the look-ahead until later adds or {@link flush}.
   * @returns a promise to await before adding more, when delivery is the bottleneck; otherwise undefined.
   */
  add(json: string, bytes: number): Promise<void> | undefined {
    if (this.failure) throw this.failure.error;
    this.pending.push({ json, bytes, index: this.added++ });
    this.pendingBytes += bytes;
    // Waiting events leave the window by their place in the input, not by count: events taken early to fill a
    // call leave gaps, and counting would let an event wait past the window.
    if (this.pending[0]!.index <= this.added - 1 - LOOK_AHEAD_EVENTS) this.placeOldest();
    if (this.inFlight.size >= this.maxInFlight) return this.drainOne();
    return undefined;
  }

  /** Sends everything still held and waits until every batch is delivered. @throws the first delivery error. */
  async flush(): Promise<void> {
    // Placing an event may send a call, so each waits for room.
    while (this.pending.length > 0) {
      await this.waitForRoom();
      this.placeOldest();
    }
    if (this.slabEvents > 0) {
      // Closing the record may fill the batch and dispatch it.
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

  private async waitForRoom(): Promise<void> {
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure.error;
  }

  /** Places the oldest waiting event, first filling and sending the call when its end is near. */
  private placeOldest(): void {
    const oldest = this.pending[0]!;
    if (!this.fitsInCall(oldest.bytes) || 2 * this.roomInCall() <= this.pendingBytes) this.fillCall();
    // Filling the call may have placed it; if not, it starts the next call.
    if (this.pending[0] === oldest) {
      this.take(0);
      this.write(oldest);
    }
  }

  /** Bytes the call being built may still take, counting its open record. */
  private roomInCall(): number {
    return this.limits.maxBytesPerCall - this.batchBytes - this.slabUsed;
  }

  /** True when another record may join the call being built besides its open one. */
  private canOpenRecord(): boolean {
    return this.slabEvents === 0 || this.batch.length + 1 < this.limits.maxRecordsPerCall;
  }

  /** True when an event of `bytes` bytes fits in the call being built, in its open record or a new one. */
  private fitsInCall(bytes: number): boolean {
    if (bytes > this.roomInCall()) return false;
    return this.slabUsed + bytes <= this.limits.maxRecordBytes || this.canOpenRecord();
  }

  /**
   * Places the waiting events that fill the room left in the call most closely, and sends the call. Rooms are
   * counted in units when they pass FILL_CELLS bytes, so afterwards the largest waiting event that still fits
   * is placed, as long as one does.
   */
  private fillCall(): void {
    const call = this.dispatched;
    const room = this.canOpenRecord()
      ? this.roomInCall()
      : Math.min(this.roomInCall(), this.limits.maxRecordBytes - this.slabUsed);
    const placed = new Set<PendingEvent>();
    const chosen = closestFill(
      this.pending.map((event) => event.bytes),
      room,
    );
    for (const i of chosen) {
      const event = this.pending[i]!;
      // The choice counts bytes only: an event that needs a record the call has no room for stays waiting.
      if (this.dispatched !== call || !this.fitsInCall(event.bytes)) continue;
      placed.add(event);
      this.write(event);
    }
    if (placed.size > 0) this.takeAll(placed);
    while (this.dispatched === call) {
      let largest = -1;
      this.pending.forEach((event, i) => {
        if (this.fitsInCall(event.bytes) && (largest < 0 || event.bytes > this.pending[largest]!.bytes))
          largest = i;
      });
      if (largest < 0) break;
      const event = this.pending[largest]!;
      this.take(largest);
      this.write(event);
    }
    if (this.dispatched !== call) return;
    if (this.slabEvents > 0) this.closeRecord();
    if (this.dispatched === call && this.batch.length > 0) this.dispatch();
  }

  /** Takes the given waiting events out of the look-ahead. */
  private takeAll(events: ReadonlySet<PendingEvent>): void {
    for (const event of events) this.pendingBytes -= event.bytes;
    const kept = this.pending.filter((event) => !events.has(event));
    this.pending.length = 0;
    this.pending.push(...kept);
  }

  /** Takes the waiting event at place `i` out of the look-ahead. */
  private take(i: number): void {
    this.pendingBytes -= this.pending[i]!.bytes;
    this.pending.splice(i, 1);
  }

  /**
   * Writes an event into the open record, or a new one when it would pass the record's bytes. A record is closed
   * as soon as it holds 500 events, and with it a call that is then full: nothing waits for the next event.
   */
  private write(event: PendingEvent): void {
    if (this.slabEvents > 0 && this.slabUsed + event.bytes > this.limits.maxRecordBytes) this.closeRecord();
    this.slabUsed += this.slab.write(event.json, this.slabUsed, 'utf8');
    this.slab[this.slabUsed++] = 0x0a;
    this.slabEvents++;
    if (this.slabEvents >= this.limits.maxEventsPerRecord || this.roomInCall() <= 0) this.closeRecord();
  }

  /** Moves the open record into the batch, and sends the batch once it is full: 500 records or 4 MiB. */
  private closeRecord(): void {
    const record = Buffer.from(this.slab.subarray(0, this.slabUsed));
    this.slabUsed = 0;
    this.slabEvents = 0;
    this.batch.push(record);
    this.batchBytes += record.length;
    if (
      this.batch.length >= this.limits.maxRecordsPerCall ||
      this.batchBytes >= this.limits.maxBytesPerCall
    ) {
      this.dispatch();
    }
  }

  private dispatch(): void {
    const records = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.dispatched++;
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
