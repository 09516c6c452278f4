import { describe, expect, it } from 'vitest';
import { closestFill, FIREHOSE_LIMITS, LOOK_AHEAD_EVENTS, RecordPacker } from '../../lambdas/core/pack.ts';
import { mulberry32 } from '../support/prng.ts';

function event(i: number, size = 100): string {
  const body = `{"n":${i},"pad":"`;
  return `${body}${'x'.repeat(Math.max(0, size - body.length - 2))}"}`;
}

async function pack(events: string[], limits = {}, maxInFlight = 4) {
  const calls: Buffer[][] = [];
  const packer = new RecordPacker(
    async (records) => {
      calls.push(records);
    },
    limits,
    maxInFlight,
  );
  for (const e of events) {
    const wait = packer.add(e, Buffer.byteLength(e) + 1);
    if (wait) await wait;
  }
  await packer.flush();
  return calls;
}

function eventsOf(calls: Buffer[][]): string[] {
  return calls.flatMap((records) => records.flatMap((r) => r.toString('utf8').split('\n').slice(0, -1)));
}

/** Asserts that `calls` deliver each of `events` exactly once, in any order (Firehose keeps no order across calls). */
function expectEachOnce(calls: Buffer[][], events: readonly string[]): void {
  const delivered = eventsOf(calls);
  expect(delivered.length).toBe(events.length);
  // One comparison, not one per event: a mismatch would otherwise print hundreds of thousands of lines.
  expect(delivered.sort().join('\n') === [...events].sort().join('\n')).toBe(true);
}

const { maxEventsPerRecord, maxRecordBytes, maxRecordsPerCall, maxBytesPerCall } = FIREHOSE_LIMITS;
/** Firehose bills every record rounded up to this. */
const BILLING_UNIT = 5 * 1024;

/** A unique line of exactly `bytes` bytes with its newline, however small: the index, a colon, padding. */
function line(i: number, bytes: number): string {
  return `${i}:`.padEnd(bytes - 1, 'x');
}

/** Event sizes (newline included) drawn by `size` until the next one would pass `totalBytes`. */
function sizesUpTo(totalBytes: number, size: () => number): number[] {
  const sizes: number[] = [];
  let total = 0;
  for (let next = size(); total + next <= totalBytes; next = size()) {
    sizes.push(next);
    total += next;
  }
  return sizes;
}

/** An integer in [low, high] from a seeded generator. */
function between(random: () => number, low: number, high: number): () => number {
  return () => low + Math.floor(random() * (high - low + 1));
}

/** The fewest calls the limits allow by bytes and by events alone, as the benchmark counts them per object. */
function minimumCalls(sizes: readonly number[]): number {
  const bytes = sizes.reduce((n, s) => n + s, 0);
  return Math.max(
    Math.ceil(sizes.length / (maxEventsPerRecord * maxRecordsPerCall)),
    Math.ceil(bytes / maxBytesPerCall),
  );
}

type Packed = { calls: Buffer[][]; lines: string[] };

async function packSizes(sizes: readonly number[]): Promise<Packed> {
  const lines = sizes.map((bytes, i) => line(i, bytes));
  return { calls: await pack(lines), lines };
}

/**
 * Asserts the Firehose limits on every record and call, that every event arrives exactly once, and that none
 * arrives more than the look-ahead away from its place in the input.
 */
function expectWithinLimits({ calls, lines }: Packed): void {
  for (const records of calls) {
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThanOrEqual(maxRecordsPerCall);
    expect(records.reduce((n, r) => n + r.length, 0)).toBeLessThanOrEqual(maxBytesPerCall);
    for (const r of records) {
      expect(r.length).toBeLessThanOrEqual(maxRecordBytes);
      expect(r.at(-1)).toBe(0x0a);
      expect(newlines(r)).toBeLessThanOrEqual(maxEventsPerRecord);
    }
  }
  expectEachOnce(calls, lines);
  expect(largestDisplacement(calls)).toBeLessThanOrEqual(LOOK_AHEAD_EVENTS);
}

/** How far the event moved furthest from its place in the input, read from the index each {@link line} starts with. */
function largestDisplacement(calls: Buffer[][]): number {
  let largest = 0;
  eventsOf(calls).forEach((event, position) => {
    largest = Math.max(largest, Math.abs(position - Number(event.slice(0, event.indexOf(':')))));
  });
  return largest;
}

function newlines(record: Buffer): number {
  let n = 0;
  for (let i = record.indexOf(10); i !== -1; i = record.indexOf(10, i + 1)) n++;
  return n;
}

/** Size of the first event of a record, newline included. */
function firstEventBytes(record: Buffer): number {
  return record.indexOf(10) + 1;
}

/**
 * Asserts that no record but the last of its call could have taken the event after it, and no call but the last
 * could have taken the first event of the next call: nothing is sent while the next event still fits.
 */
function expectGreedy({ calls }: Packed): void {
  calls.forEach((records, c) => {
    records.forEach((record, r) => {
      const following = records[r + 1];
      if (!following) return;
      const next = firstEventBytes(following);
      const full = newlines(record) === maxEventsPerRecord || record.length + next > maxRecordBytes;
      expect(full, `record ${r} of call ${c} had room for the next event`).toBe(true);
    });
    const nextCall = calls[c + 1];
    if (!nextCall) return;
    const next = firstEventBytes(nextCall[0]!);
    const bytes = records.reduce((n, r) => n + r.length, 0);
    const last = records.at(-1)!;
    const lastFull = newlines(last) === maxEventsPerRecord || last.length + next > maxRecordBytes;
    const full = bytes + next > maxBytesPerCall || (records.length === maxRecordsPerCall && lastFull);
    expect(full, `call ${c} had room for the first event of the next`).toBe(true);
  });
}

function billedOverRaw(calls: readonly Buffer[][]): number {
  const records = calls.flat();
  const raw = records.reduce((n, r) => n + r.length, 0);
  const billed = records.reduce((n, r) => n + Math.ceil(r.length / BILLING_UNIT) * BILLING_UNIT, 0);
  return billed / raw;
}

describe('RecordPacker', () => {
  it('fills calls to within one event of 4 MiB, so the number of calls is the least the bytes allow', async () => {
    // 2 KB events, about what an http_requests event is: 20 MiB of them.
    const events = Array.from({ length: 10_486 }, (_, i) => event(i, 2000));
    const calls = await pack(events);
    const total = events.length * 2001;
    expect(calls.length).toBe(Math.ceil(total / FIREHOSE_LIMITS.maxBytesPerCall));
    for (const records of calls.slice(0, -1)) {
      const bytes = records.reduce((n, r) => n + r.length, 0);
      expect(bytes).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerCall);
      expect(bytes).toBeGreaterThan(FIREHOSE_LIMITS.maxBytesPerCall - 2001);
    }
    // Of fills that come equally close, the packer takes the oldest events: events of one size keep their order.
    expect(eventsOf(calls)).toEqual(events);
  });

  it('fills the room six 500-event records leave in a call with a seventh, shorter record', async () => {
    // 1,200-byte events: 500 make 600 KB, and six such records only 3.6 MB of the 4 MiB.
    const events = Array.from({ length: 52_000 }, (_, i) => event(i, 1199));
    const calls = await pack(events);
    expect(calls.length).toBe(Math.ceil((events.length * 1200) / maxBytesPerCall));
    const seventh = 1200 * Math.floor((maxBytesPerCall - 6 * 600_000) / 1200);
    expect(calls[0]!.map((r) => r.length)).toEqual([...Array<number>(6).fill(600_000), seventh]);
    expectEachOnce(calls, events);
  });

  it('lets an event of up to 1,000 KiB share a record while the record has room for it', async () => {
    const calls = await pack([event(0, 2000), event(1, 1_000_000), event(2, 30_000), event(3, 2000)]);
    expect(calls.flat().map((r) => r.length)).toEqual([2001 + 1_000_001, 30_001 + 2001]);
  });

  it('puts at most 500 newline-terminated events in one record', async () => {
    const events = Array.from({ length: 1201 }, (_, i) => event(i, 50));
    // With calls of any size, nothing but the 500-event cap closes records.
    const calls = await pack(events, { maxBytesPerCall: 1 << 30 });
    const records = calls.flat();
    expect(records.map((r) => r.toString().split('\n').length - 1)).toEqual([500, 500, 201]);
    expect(records.every((r) => r.at(-1) === 0x0a)).toBe(true);
    expectEachOnce(calls, events);
  });

  it('keeps every record within 1,000 KiB and every call within 500 records and 4 MiB', async () => {
    const events = Array.from({ length: 20_000 }, (_, i) => event(i, 1500 + (i % 700)));
    const calls = await pack(events);
    for (const records of calls) {
      expect(records.length).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxRecordsPerCall);
      expect(records.reduce((n, r) => n + r.length, 0)).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerCall);
      for (const r of records) expect(r.length).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxRecordBytes);
    }
    expectEachOnce(calls, events);
    // Every call but the last is full: adding its successor's first record would have passed 4 MiB.
    for (let i = 0; i < calls.length - 1; i++) {
      const bytes = calls[i]!.reduce((n, r) => n + r.length, 0);
      expect(bytes + calls[i + 1]![0]!.length).toBeGreaterThan(FIREHOSE_LIMITS.maxBytesPerCall);
    }
  });

  it('fills calls up to the record-count limit with many small records', async () => {
    const calls = await pack(
      Array.from({ length: 1200 }, (_, i) => event(i, 20)),
      { maxEventsPerRecord: 1 },
    );
    expect(calls.map((c) => c.length)).toEqual([500, 500, 200]);
  });

  it('measures multi-byte characters in bytes, not characters', async () => {
    const wide = `{"s":"${'é'.repeat(300)}"}`; // 608 bytes, 308 characters
    const calls = await pack([wide, wide], { maxRecordBytes: 1000 });
    expect(calls.flat().map((r) => r.length)).toEqual([609, 609]);
    expectEachOnce(calls, [wide, wide]);
  });

  it('accepts an event of exactly the record limit and says a larger one does not fit', () => {
    const packer = new RecordPacker(async () => {});
    expect(packer.fits(FIREHOSE_LIMITS.maxRecordBytes)).toBe(true);
    expect(packer.fits(FIREHOSE_LIMITS.maxRecordBytes + 1)).toBe(false);
  });

  it('never has more batches in flight than allowed, and holds at most the look-ahead and one call besides', async () => {
    let inFlight = 0;
    let peak = 0;
    let sent = 0;
    let added = 0;
    let mostHeld = 0;
    const releases: (() => void)[] = [];
    // Calls of two one-event records, so that every second event the packer places sends a call.
    const packer = new RecordPacker(
      (records) => {
        expect(records.length).toBeGreaterThan(0);
        sent += records.length;
        inFlight++;
        peak = Math.max(peak, inFlight);
        return new Promise<void>((resolve) => {
          releases.push(() => {
            inFlight--;
            resolve();
          });
        });
      },
      { maxEventsPerRecord: 1, maxRecordsPerCall: 2 },
      2,
    );
    const releaser = setInterval(() => releases.shift()?.(), 1);
    try {
      for (let i = 0; i < 200; i++) {
        const e = event(i);
        const wait = packer.add(e, Buffer.byteLength(e) + 1);
        added++;
        mostHeld = Math.max(mostHeld, added - sent);
        if (wait) await wait;
      }
      await packer.flush();
    } finally {
      clearInterval(releaser);
    }
    expect(peak).toBe(2);
    expect(sent).toBe(200);
    // Waiting in the look-ahead, and in the open call that is not full yet.
    expect(mostHeld).toBe(LOOK_AHEAD_EVENTS + 1);
  });

  it('holds back events until the look-ahead is full, and flush delivers every one', async () => {
    const calls: Buffer[][] = [];
    const packer = new RecordPacker(
      async (records) => {
        calls.push(records);
      },
      { maxEventsPerRecord: 1, maxRecordsPerCall: 1 },
    );
    const events = Array.from({ length: LOOK_AHEAD_EVENTS + 3 }, (_, i) => line(i, 50 + i));
    for (const e of events.slice(0, LOOK_AHEAD_EVENTS)) expect(packer.add(e, e.length + 1)).toBeUndefined();
    expect(calls).toEqual([]);
    for (const e of events.slice(LOOK_AHEAD_EVENTS)) expect(packer.add(e, e.length + 1)).toBeUndefined();
    expect(calls.length).toBe(3);
    await packer.flush();
    expectEachOnce(calls, events);
  });

  it('surfaces a delivery failure on the next add or on flush', async () => {
    const failure = new Error('boom');
    const packer = new RecordPacker(
      async () => {
        throw failure;
      },
      { maxEventsPerRecord: 1, maxRecordsPerCall: 1 },
    );
    let added = 0;
    const run = async () => {
      for (let i = 0; i < LOOK_AHEAD_EVENTS + 10; i++) {
        const wait = packer.add(event(i), 101);
        added++;
        if (wait) await wait;
        await new Promise((r) => setTimeout(r, 0));
      }
      await packer.flush();
    };
    await expect(run()).rejects.toBe(failure);
    // The first call is sent once the look-ahead is full; the add after its failure throws.
    expect(added).toBe(LOOK_AHEAD_EVENTS + 1);
  });
});

describe('RecordPacker call count', () => {
  // Each case fills its calls to 1,000 bytes. With events kept in order each call but the last would end up to one
  // event short, 1 KB on average for events of about 2 KB, more than the room the last call has: one call more.
  // The third case is the benchmark's http_requests object in small.
  it.each([
    ['of about 2 KB', 12, 1, 1900, 2100],
    ['mixed from 300 B to 8 KB', 10, 2, 300, 8192],
    ['of 2.2 to 2.6 KB', 8, 4, 2169, 2562],
  ] as const)(
    'sends events %s in the fewest calls the bytes allow (%i)',
    async (_, calls, seed, low, high) => {
      const sizes = sizesUpTo(calls * maxBytesPerCall - 1000, between(mulberry32(seed), low, high));
      expect(minimumCalls(sizes)).toBe(calls);
      const packed = await packSizes(sizes);
      expectWithinLimits(packed);
      expectGreedy(packed);
      expect(packed.calls.length).toBe(calls);
      expect(billedOverRaw(packed.calls)).toBeLessThanOrEqual(1.05);
    },
  );

  it('moves an event by up to the look-ahead to fill a call, and no further', async () => {
    // In calls of 10,000 bytes, the 9,000-byte event leaves the look-ahead when the 900-byte one, LOOK_AHEAD_EVENTS
    // places later, has just come in: the two fill its call to 9,900 bytes. The 1,000-byte event would fill it
    // exactly, but it comes two places after the look-ahead.
    const sizes = [9000, ...Array<number>(LOOK_AHEAD_EVENTS - 1).fill(5001), 900, 5001, 1000];
    const lines = sizes.map((bytes, i) => line(i, bytes));
    const limits = { maxBytesPerCall: 10_000, maxRecordBytes: 10_000 };
    const packed = { calls: await pack(lines, limits), lines };
    expectWithinLimits(packed);
    expect(eventsOf(packed.calls.slice(0, 1))).toEqual([lines[0], lines[LOOK_AHEAD_EVENTS]]);
    expect(largestDisplacement(packed.calls)).toBe(LOOK_AHEAD_EVENTS - 1);
  });

  it('fills the last record a call may take from the look-ahead, rather than start one the call has no room for', async () => {
    // Two records to a call: the third 6,000-byte event needs a third record, so the 4,000-byte one fills the second.
    const lines = [6000, 6000, 6000, 4000].map((bytes, i) => line(i, bytes));
    const calls = await pack(lines, { maxRecordsPerCall: 2, maxRecordBytes: 10_000 });
    expect(calls.map((records) => records.map((r) => r.length))).toEqual([[6000, 10_000], [6000]]);
    expectEachOnce(calls, lines);
  });

  it('counts a room of more than 65,536 bytes in units, and still places the events that fit what the rounding left', async () => {
    // Calls of 6,553,600 bytes are counted in units of 100 bytes. One 552,901-byte event and six of 1,000,001
    // fill the 65,536 units, each rounded up, yet leave 693 bytes: room for the three of 100.
    const sizes = [100, 100, 100, 552_901, ...Array<number>(16).fill(1_000_001)];
    const lines = sizes.map((bytes, i) => line(i, bytes));
    const calls = await pack(lines, { maxBytesPerCall: 6_553_600 });
    expect(calls[0]!.reduce((n, r) => n + r.length, 0)).toBe(6 * 1_000_001 + 552_901 + 300);
    expectEachOnce(calls, lines);
  });

  it('sends 12-byte events in calls of 500 records of 500 events, the fewest the event count allows', async () => {
    const sizes = Array.from({ length: 2 * maxEventsPerRecord * maxRecordsPerCall + 7 }, () => 12);
    expect(minimumCalls(sizes)).toBe(3);
    const packed = await packSizes(sizes);
    expectWithinLimits(packed);
    expectGreedy(packed);
    expect(packed.calls.map((records) => records.length)).toEqual([500, 500, 1]);
  });

  it('fills 4 MiB with 17-byte events, where the bytes run out just before the 500th record', async () => {
    // 500 events of 17 bytes make 8,500-byte records: 493 of them and a 494th of 3,804 bytes fill a call.
    const sizes = Array.from({ length: 600_000 }, () => 17);
    expect(minimumCalls(sizes)).toBe(3);
    const packed = await packSizes(sizes);
    expectWithinLimits(packed);
    expectGreedy(packed);
    expect(packed.calls.length).toBe(3);
    expect(packed.calls[0]!.length).toBe(494);
    expect(packed.calls[0]!.reduce((n, r) => n + r.length, 0)).toBe(maxBytesPerCall - (maxBytesPerCall % 17));
  });

  it('sends events near the record limit four to a call, all that fit, though the bytes alone suggest fewer calls', async () => {
    // Five events of 900,000 bytes or more pass 4 MiB, so no packing fits five in a call.
    const sizes = Array.from({ length: 41 }, between(mulberry32(3), 900_000, maxRecordBytes));
    const packed = await packSizes(sizes);
    expectWithinLimits(packed);
    expectGreedy(packed);
    expect(packed.calls.length).toBe(Math.ceil(41 / 4));
    expect(packed.calls.length).toBeGreaterThan(minimumCalls(sizes));
    expect(billedOverRaw(packed.calls)).toBeLessThanOrEqual(1.05);
  });

  it('needs a call over the minimum when a run of tiny events fills a call with records, more than the look-ahead before large ones', async () => {
    // The tiny events fill the 500 records of a call with only 2.5 MB; the 2 KB events after them need two calls
    // of their own. Two calls in all would need about 2,500 of the large events moved into the first call, far
    // more than the look-ahead moves: the first call holds at most 250,000 events, so the second holds all but
    // the first LOOK_AHEAD_EVENTS of the large ones, which pass 4 MiB.
    const sizes = [
      ...Array.from({ length: maxEventsPerRecord * maxRecordsPerCall }, () => 10),
      ...Array.from({ length: 2500 }, () => 2000),
    ];
    expect(minimumCalls(sizes)).toBe(2);
    expect((2500 - LOOK_AHEAD_EVENTS) * 2000).toBeGreaterThan(maxBytesPerCall);
    const packed = await packSizes(sizes);
    expectWithinLimits(packed);
    expectGreedy(packed);
    expect(packed.calls.length).toBe(3);
  });

  it('sends a call as soon as it holds the most records allowed, without waiting for the next event', async () => {
    const calls: Buffer[][] = [];
    const packer = new RecordPacker(
      async (records) => {
        calls.push(records);
      },
      { maxEventsPerRecord: 2, maxRecordsPerCall: 3 },
    );
    // Events leave the look-ahead once it is full: the sixth to leave it fills the third record of two events,
    // and with it the call.
    const total = LOOK_AHEAD_EVENTS + 6;
    for (let i = 0; i < total - 1; i++) expect(packer.add(line(i, 10), 10)).toBeUndefined();
    expect(calls).toEqual([]);
    expect(packer.add(line(total - 1, 10), 10)).toBeUndefined();
    expect(calls.map((records) => records.length)).toEqual([3]);
    await packer.flush();
    const records = Math.ceil(total / 2);
    const full = Array<number>(Math.floor(records / 3)).fill(3);
    expect(calls.map((r) => r.length)).toEqual(records % 3 === 0 ? full : [...full, records % 3]);
  });
});

/**
 * The subsets of `sizes` (as ascending places) whose sum is the largest within `room`, by trying every subset;
 * the first is the one of the earliest sizes: its places, latest first, are the least.
 */
function bestSubsets(sizes: readonly number[], room: number): number[][] {
  let best = 0;
  let found: number[][] = [[]];
  for (let mask = 1; mask < 1 << sizes.length; mask++) {
    const places = sizes.flatMap((_, i) => (mask & (1 << i) ? [i] : []));
    const sum = places.reduce((n, i) => n + sizes[i]!, 0);
    if (sum > room || sum < best) continue;
    if (sum > best) found = [];
    best = sum;
    found.push(places);
  }
  const latestFirst = (places: number[]) => [...places].reverse();
  return found.sort((a, b) => {
    const [x, y] = [latestFirst(a), latestFirst(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  });
}

describe('closestFill', () => {
  it('chooses the sizes whose sum comes closest to the room, and of equal sums the earliest sizes', () => {
    // Rooms of up to 400 bytes make sums that cross many 32-bit words of the table of reached sums.
    const random = mulberry32(6);
    for (let round = 0; round < 2000; round++) {
      const sizes = Array.from({ length: Math.floor(random() * 13) }, between(random, 1, 100));
      const room = Math.floor(random() * 401);
      expect(closestFill(sizes, room), `sizes ${sizes} in ${room}`).toEqual(bestSubsets(sizes, room)[0]);
    }
  });

  it('counts a room of more than 65,536 bytes in units, each size rounded up, so that what it chooses fits', () => {
    const random = mulberry32(7);
    for (let round = 0; round < 200; round++) {
      const sizes = Array.from({ length: 1 + Math.floor(random() * 12) }, between(random, 1, 300_000));
      const room = 65_537 + Math.floor(random() * 4_000_000);
      const unit = Math.ceil(room / 65_536);
      const chosen = closestFill(sizes, room);
      expect(chosen.reduce((n, i) => n + sizes[i]!, 0)).toBeLessThanOrEqual(room);
      // The best choice in units: sizes rounded up, the room rounded down.
      const units = sizes.map((bytes) => Math.ceil(bytes / unit));
      expect(chosen).toEqual(bestSubsets(units, Math.floor(room / unit))[0]);
    }
  });

  it('chooses nothing for no room, and every size when all fit', () => {
    expect(closestFill([10, 20], 0)).toEqual([]);
    expect(closestFill([10, 20], -5)).toEqual([]);
    expect(closestFill([], 100)).toEqual([]);
    expect(closestFill([10, 20, 30], 60)).toEqual([0, 1, 2]);
  });
});
