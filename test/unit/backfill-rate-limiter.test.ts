/**
 * The pace of `cf-logs backfill`: objects a second over any stretch of time, on a virtual clock (no real sleeps).
 */
import { describe, expect, it } from 'vitest';
import { batchSizeFor, createRateLimiter } from '../../lambdas/cli/rate-limiter.ts';
import { fakeClock } from '../support/clock.ts';

/** Sends `batches` batches of `size` through a limiter of `rate`, and returns when each one went (ms from start). */
async function pace(rate: number, size: number, batches: number, work = 0) {
  const clock = fakeClock();
  const start = clock.now().getTime();
  const limiter = createRateLimiter(rate, clock);
  const times: number[] = [];
  for (let i = 0; i < batches; i++) {
    await limiter.acquire(size);
    times.push(clock.now().getTime() - start);
    if (work > 0) await clock.sleep(work);
  }
  return { times, slept: clock.slept };
}

describe('backfill rate limiter', () => {
  it('lets the first batch go at once and spaces the next ones by batch / rate', async () => {
    const { times } = await pace(5, 10, 4);
    expect(times).toEqual([0, 2000, 4000, 6000]);
  });

  it('never lets more than rate × window plus one batch through, whatever the window', async () => {
    const rate = 7;
    const size = 3;
    const { times } = await pace(rate, size, 60);
    for (let i = 0; i < times.length; i++) {
      for (let j = i; j < times.length; j++) {
        const window = times[j]! - times[i]!;
        const sent = (j - i + 1) * size;
        expect(sent).toBeLessThanOrEqual((rate * window) / 1000 + size);
      }
    }
    // And it does not hold back more than it must: 60 batches of 3 at 7/s take 59 × 3/7 s (to the millisecond).
    expect(times.at(-1)! - (59 * 3 * 1000) / 7).toBeGreaterThanOrEqual(0);
    expect(times.at(-1)! - (59 * 3 * 1000) / 7).toBeLessThan(59);
  });

  it('does not save up time lost in slow calls for a burst afterwards', async () => {
    // Each call takes 5 s, longer than the 2 s a batch is due: no wait, and no catching up.
    const { times, slept } = await pace(5, 10, 3, 5000);
    expect(times).toEqual([0, 5000, 10_000]);
    expect(slept).toEqual([5000, 5000, 5000]);
  });

  it('does not wait at all with rate 0', async () => {
    const { times, slept } = await pace(0, 10, 5);
    expect(times).toEqual([0, 0, 0, 0, 0]);
    expect(slept).toEqual([]);
  });

  it('refuses a negative or endless rate', () => {
    const clock = fakeClock();
    expect(() => createRateLimiter(-1, clock)).toThrow(RangeError);
    expect(() => createRateLimiter(Number.POSITIVE_INFINITY, clock)).toThrow(RangeError);
    expect(() => createRateLimiter(Number.NaN, clock)).toThrow(RangeError);
  });

  it('sends batches of up to 10, fewer when the rate is under 10 a second', () => {
    expect(batchSizeFor(0)).toBe(10);
    expect(batchSizeFor(100)).toBe(10);
    expect(batchSizeFor(10)).toBe(10);
    expect(batchSizeFor(5)).toBe(5);
    expect(batchSizeFor(2.5)).toBe(2);
    expect(batchSizeFor(0.2)).toBe(1);
  });
});
