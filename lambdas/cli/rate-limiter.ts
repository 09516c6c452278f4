/**
 * A pacer for `cf-logs backfill`: at most `perSecond` objects a second on average, so a backfill does not crowd out
 * the live objects in the queue. Time comes from an injected {@link Clock}, so tests run on a virtual one.
 */
import type { Clock } from '../ports.ts';

/** Lets work through at a rate; `acquire` resolves when `count` more items may go. */
export interface RateLimiter {
  acquire(count: number): Promise<void>;
}

/**
 * A limiter of `perSecond` items a second (0: no limit). A batch of `count` items goes at once and the next one
 * waits `count / perSecond` seconds after it, so over any stretch of time no more than `perSecond` × its length
 * plus one batch go through. Time not used (a slow call) is not saved up for a burst later.
 */
export function createRateLimiter(perSecond: number, clock: Clock): RateLimiter {
  if (!(perSecond >= 0) || !Number.isFinite(perSecond)) {
    throw new RangeError(`rate must be a finite number >= 0, got ${perSecond}`);
  }
  if (perSecond === 0) return { acquire: async () => {} };
  let next = Number.NEGATIVE_INFINITY;
  return {
    async acquire(count: number) {
      let now = clock.now().getTime();
      if (next > now) {
        // Whole milliseconds, rounded up: the clock's resolution, and never a batch early.
        await clock.sleep(Math.ceil(next - now));
        now = Math.max(next, clock.now().getTime());
      }
      next = now + (count * 1000) / perSecond;
    },
  };
}

/**
 * Entries per SendMessageBatch call at a rate: up to SQS's 10, fewer below 10 a second so the messages are spread
 * over the second instead of leaving in one burst and a long wait.
 */
export function batchSizeFor(perSecond: number, max = 10): number {
  if (perSecond === 0) return max;
  return Math.max(1, Math.min(max, Math.floor(perSecond)));
}
