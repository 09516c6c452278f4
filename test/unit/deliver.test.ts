import { describe, expect, it } from 'vitest';
import { deliverRecords, newDeliveryStats } from '../../lambdas/core/deliver.ts';
import { DeliveryError, SinkError } from '../../lambdas/core/errors.ts';
import type { PutRecordsResult, RecordSink } from '../../lambdas/ports.ts';
import { fakeClock } from '../support/clock.ts';

const records = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`r${i}\n`));
const text = (rs: readonly Uint8Array[]) => rs.map((r) => Buffer.from(r).toString().trim());

/** A sink that answers each call with the next scripted reaction and remembers what it was sent. */
function scriptedSink(script: ((batch: readonly Uint8Array[]) => PutRecordsResult)[]): RecordSink & {
  sent: string[][];
  accepted: string[];
} {
  const sent: string[][] = [];
  const accepted: string[] = [];
  return {
    sent,
    accepted,
    async putRecords(batch) {
      sent.push(text(batch));
      const react = script.shift() ?? (() => ({ failed: [] }));
      const result = react(batch);
      const failedIdx = new Set(result.failed.map((f) => f.index));
      batch.forEach((r, i) => {
        if (!failedIdx.has(i)) accepted.push(Buffer.from(r).toString().trim());
      });
      return result;
    },
  };
}

const failIndexes =
  (...indexes: number[]) =>
  (): PutRecordsResult => ({
    failed: indexes.map((index) => ({ index, code: 'ServiceUnavailableException' })),
  });
const throwing = (error: Error) => (): PutRecordsResult => {
  throw error;
};

describe('deliverRecords', () => {
  it('sends everything once when all records are accepted', async () => {
    const sink = scriptedSink([]);
    const stats = newDeliveryStats();
    await deliverRecords(sink, records(3), stats, fakeClock());
    expect(sink.sent).toEqual([['r0', 'r1', 'r2']]);
    expect(stats).toEqual({ calls: 1, records: 3, retriedRecords: 0, failedCalls: 0 });
  });

  it('sends again only the entries that failed, until all are accepted exactly once', async () => {
    const sink = scriptedSink([failIndexes(1, 3), failIndexes(0)]);
    const stats = newDeliveryStats();
    const clock = fakeClock();
    await deliverRecords(sink, records(5), stats, clock, {}, () => 0.5);
    expect(sink.sent).toEqual([['r0', 'r1', 'r2', 'r3', 'r4'], ['r1', 'r3'], ['r1']]);
    expect(sink.accepted.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(stats).toEqual({ calls: 3, records: 5, retriedRecords: 3, failedCalls: 0 });
    // Full jitter over an exponential ceiling: 0.5 × 100 ms, then 0.5 × 200 ms.
    expect(clock.slept).toEqual([50, 100]);
  });

  it('retries a throttled call as a whole', async () => {
    const sink = scriptedSink([throwing(new SinkError('Slow down.', 'ServiceUnavailableException', true))]);
    const stats = newDeliveryStats();
    await deliverRecords(sink, records(2), stats, fakeClock());
    expect(sink.sent).toEqual([
      ['r0', 'r1'],
      ['r0', 'r1'],
    ]);
    expect(stats.failedCalls).toBe(1);
    expect(stats.records).toBe(2);
  });

  it('gives up after the last attempt with a DeliveryError naming what is undelivered', async () => {
    const sink = scriptedSink(Array.from({ length: 10 }, () => failIndexes(0)));
    const error = await deliverRecords(sink, records(2), newDeliveryStats(), fakeClock(), {
      maxAttempts: 3,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).undelivered).toBe(1);
    expect((error as Error).message).toMatch(
      /1 records undelivered after 3 attempts.*ServiceUnavailableException/,
    );
    expect(sink.sent.length).toBe(3);
  });

  it('does not retry an error that retrying cannot fix', async () => {
    const sink = scriptedSink([
      throwing(new SinkError('no such stream', 'ResourceNotFoundException', false)),
    ]);
    await expect(deliverRecords(sink, records(1), newDeliveryStats(), fakeClock())).rejects.toThrow(
      /delivery failed: no such stream/,
    );
    expect(sink.sent.length).toBe(1);
  });

  it('caps the backoff and stops before the deadline', async () => {
    const clock = fakeClock();
    const sink = scriptedSink(Array.from({ length: 20 }, () => failIndexes(0)));
    await expect(
      deliverRecords(
        sink,
        records(1),
        newDeliveryStats(),
        clock,
        { maxAttempts: 20, maxDelayMs: 300 },
        () => 1,
      ),
    ).rejects.toThrow(DeliveryError);
    expect(Math.max(...clock.slept)).toBe(300);

    let remaining = 1500;
    const deadlineSink = scriptedSink(Array.from({ length: 20 }, () => failIndexes(0)));
    const error = await deliverRecords(
      deadlineSink,
      records(1),
      newDeliveryStats(),
      {
        now: () => new Date(),
        sleep: async (ms) => {
          remaining -= ms;
        },
      },
      { maxAttempts: 20, remainingMs: () => remaining },
      () => 1,
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/no time left/);
    expect(deadlineSink.sent.length).toBeLessThan(6);
  });

  describe('until the deadline', () => {
    /** A sink that throttles every call until the clock reaches `untilMs`, then accepts everything. */
    function outage(clock: ReturnType<typeof fakeClock>, untilMs: number) {
      const start = clock.now().getTime();
      return scriptedSink(
        Array.from({ length: 10_000 }, () => () => {
          if (clock.now().getTime() - start < untilMs) {
            throw new SinkError('Slow down.', 'ServiceUnavailableException', true);
          }
          return { failed: [] };
        }),
      );
    }
    /** A Lambda's remaining time, counted down by the clock from `budgetMs`. */
    const remainingOf = (clock: ReturnType<typeof fakeClock>, budgetMs: number) => {
      const deadline = clock.now().getTime() + budgetMs;
      return () => deadline - clock.now().getTime();
    };

    it('retries throttling for minutes, past eight attempts, and delivers every record once', async () => {
      const clock = fakeClock();
      const sink = outage(clock, 180_000);
      const stats = newDeliveryStats();
      await deliverRecords(sink, records(3), stats, clock, {
        untilDeadline: true,
        remainingMs: remainingOf(clock, 300_000),
      });
      expect(sink.accepted).toEqual(['r0', 'r1', 'r2']);
      expect(stats.records).toBe(3);
      // Backoff capped at 5 s: three minutes take dozens of attempts, each wait at most 5 s.
      expect(stats.failedCalls).toBeGreaterThan(36);
      expect(stats.calls).toBe(stats.failedCalls + 1);
      expect(Math.max(...clock.slept)).toBeLessThanOrEqual(5_000);
      expect(clock.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(180_000);
    });

    it('stops when the deadline leaves no time for another wait, a second before it at the latest', async () => {
      const clock = fakeClock();
      const sink = outage(clock, Number.POSITIVE_INFINITY);
      const remainingMs = remainingOf(clock, 300_000);
      const error = await deliverRecords(sink, records(2), newDeliveryStats(), clock, {
        untilDeadline: true,
        remainingMs,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeliveryError);
      expect((error as Error).message).toMatch(
        /^2 records undelivered: no time left for attempt \d+; last: call failed: ServiceUnavailableException/,
      );
      expect(sink.sent.length).toBeGreaterThan(8);
      expect(remainingMs()).toBeGreaterThanOrEqual(1_000);
      // It used the time it had: the last wait that would not fit is at most the 5 s cap.
      expect(remainingMs()).toBeLessThan(6_000);
    });

    it('still stops at maxAttempts when one is given', async () => {
      const clock = fakeClock();
      const sink = outage(clock, Number.POSITIVE_INFINITY);
      await expect(
        deliverRecords(sink, records(1), newDeliveryStats(), clock, {
          untilDeadline: true,
          maxAttempts: 3,
          remainingMs: remainingOf(clock, 300_000),
        }),
      ).rejects.toThrow(/^1 records undelivered after 3 attempts/);
      expect(sink.sent).toHaveLength(3);
    });

    it('keeps the count of attempts without a deadline to stop at', async () => {
      const clock = fakeClock();
      const sink = outage(clock, Number.POSITIVE_INFINITY);
      await expect(
        deliverRecords(sink, records(1), newDeliveryStats(), clock, { untilDeadline: true }),
      ).rejects.toThrow(/^1 records undelivered after 8 attempts/);
    });
  });
});
