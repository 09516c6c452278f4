import { describe, expect, it } from 'vitest';
import { FIREHOSE_LIMITS, RecordPacker } from '../../lambdas/core/pack.ts';

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
      expect(bytes).toBeGreaterThan(FIREHOSE_LIMITS.maxBytesPerCall - 5 * 2001);
    }
    expect(eventsOf(calls)).toEqual(events);
  });

  it('closes 500-event records a little early when six of them would leave a sixth of a call empty', async () => {
    // 1,200-byte events: 500 make 600 KB, and six such records only 3.6 MB of the 4 MiB.
    const events = Array.from({ length: 52_000 }, (_, i) => event(i, 1199));
    const calls = await pack(events);
    expect(calls.length).toBe(Math.ceil((events.length * 1200) / FIREHOSE_LIMITS.maxBytesPerCall));
    expect(eventsOf(calls)).toEqual(events);
  });

  it('still sends an event between a fifth of a call and 1,000 KiB, in a record of its own', async () => {
    const big = event(1, 1_000_000);
    const calls = await pack([event(0, 2000), big, event(2, 2000)]);
    expect(calls.flat().map((r) => r.length)).toEqual([2001, 1_000_001, 2001]);
  });

  it('puts at most 500 newline-terminated events in one record', async () => {
    const events = Array.from({ length: 1201 }, (_, i) => event(i, 50));
    // With calls of any size, nothing but the 500-event cap closes records.
    const calls = await pack(events, { maxBytesPerCall: 1 << 30 });
    const records = calls.flat();
    expect(records.map((r) => r.toString().split('\n').length - 1)).toEqual([500, 500, 201]);
    expect(records.every((r) => r.at(-1) === 0x0a)).toBe(true);
    expect(eventsOf(calls)).toEqual(events);
  });

  it('keeps every record within 1,000 KiB and every call within 500 records and 4 MiB', async () => {
    const events = Array.from({ length: 20_000 }, (_, i) => event(i, 1500 + (i % 700)));
    const calls = await pack(events);
    for (const records of calls) {
      expect(records.length).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxRecordsPerCall);
      expect(records.reduce((n, r) => n + r.length, 0)).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerCall);
      for (const r of records) expect(r.length).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxRecordBytes);
    }
    expect(eventsOf(calls)).toEqual(events);
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
    expect(eventsOf(calls)).toEqual([wide, wide]);
  });

  it('accepts an event of exactly the record limit and says a larger one does not fit', () => {
    const packer = new RecordPacker(async () => {});
    expect(packer.fits(FIREHOSE_LIMITS.maxRecordBytes)).toBe(true);
    expect(packer.fits(FIREHOSE_LIMITS.maxRecordBytes + 1)).toBe(false);
  });

  it('never has more batches in flight than allowed, and waits for delivery', async () => {
    let inFlight = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const packer = new RecordPacker(
      (records) => {
        expect(records.length).toBeGreaterThan(0);
        inFlight++;
        peak = Math.max(peak, inFlight);
        return new Promise<void>((resolve) => {
          releases.push(() => {
            inFlight--;
            resolve();
          });
        });
      },
      { maxEventsPerRecord: 1, maxRecordsPerCall: 1 },
      2,
    );
    const releaser = setInterval(() => releases.shift()?.(), 1);
    try {
      for (let i = 0; i < 50; i++) {
        const e = event(i);
        const wait = packer.add(e, Buffer.byteLength(e) + 1);
        if (wait) await wait;
      }
      await packer.flush();
    } finally {
      clearInterval(releaser);
    }
    expect(peak).toBe(2);
  });

  it('surfaces a delivery failure on the next add or on flush', async () => {
    const failure = new Error('boom');
    const packer = new RecordPacker(
      async () => {
        throw failure;
      },
      { maxEventsPerRecord: 1, maxRecordsPerCall: 1 },
    );
    const run = async () => {
      for (let i = 0; i < 10; i++) {
        const wait = packer.add(event(i), 101);
        if (wait) await wait;
        await new Promise((r) => setTimeout(r, 0));
      }
      await packer.flush();
    };
    await expect(run()).rejects.toBe(failure);
  });
});
