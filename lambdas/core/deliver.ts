import type { Clock, RecordSink } from '../ports.ts';
import { DeliveryError, SinkError } from './errors.ts';

/** Retry policy for one batch of records. */
export interface RetryPolicy {
  /** Attempts per batch, the first included. @default 8, or no limit with {@link untilDeadline} */
  readonly maxAttempts?: number;
  /** Backoff base; attempt n waits a random time up to `min(maxDelayMs, baseDelayMs * 2^(n-1))`. @default 100 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
  /** Milliseconds left before the caller must stop (a Lambda deadline); no wait starts that would pass it. */
  readonly remainingMs?: () => number;
  /**
   * With {@link remainingMs}: retryable failures are retried until the deadline leaves no time for another wait,
   * with no count of attempts unless `maxAttempts` is given. For a caller whose failure costs more than waiting:
   * a Lambda whose failed message comes back only after the queue's visibility timeout and then sends the whole
   * object again. @default false
   */
  readonly untilDeadline?: boolean;
}

/** Counters of delivery work, shared by every batch of an object. */
export interface DeliveryStats {
  /** Calls made to the sink, retries included. */
  calls: number;
  /** Records accepted by the sink. */
  records: number;
  /** Record entries sent again after a partial failure or a failed call. */
  retriedRecords: number;
  /** Calls that failed as a whole with a retryable error (throttling, 5xx, network). */
  failedCalls: number;
}

/** A fresh set of zeroed delivery counters. */
export function newDeliveryStats(): DeliveryStats {
  return { calls: 0, records: 0, retriedRecords: 0, failedCalls: 0 };
}

/**
 * Delivers `records` to the sink, sending again only the entries that failed (Firehose answers 200 with per-entry
 * errors), with exponential backoff and full jitter between attempts.
 *
 * @throws DeliveryError when records are still undelivered after the last attempt, when a call fails with an
 *   error that retrying cannot fix, or when the deadline leaves no time for another wait.
 */
export async function deliverRecords(
  sink: RecordSink,
  records: readonly Uint8Array[],
  stats: DeliveryStats,
  clock: Clock,
  policy: RetryPolicy = {},
  random: () => number = Math.random,
): Promise<void> {
  const untilDeadline = policy.untilDeadline === true && policy.remainingMs !== undefined;
  const maxAttempts = policy.maxAttempts ?? (untilDeadline ? Number.POSITIVE_INFINITY : 8);
  const base = policy.baseDelayMs ?? 100;
  const cap = policy.maxDelayMs ?? 5000;
  let pending = records;
  let lastProblem = '';
  for (let attempt = 1; ; attempt++) {
    stats.calls++;
    try {
      const { failed } = await sink.putRecords(pending);
      stats.records += pending.length - failed.length;
      if (failed.length === 0) return;
      const codes = new Set(failed.map((f) => f.code));
      lastProblem = `${failed.length} of ${pending.length} records failed (${[...codes].join(', ')})`;
      const current = pending;
      pending = failed.map((f) => {
        const record = current[f.index];
        if (record === undefined)
          throw new DeliveryError(`sink reported failure for unknown index ${f.index}`, 0);
        return record;
      });
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      if (!(error instanceof SinkError) || !error.retryable) {
        throw new DeliveryError(`delivery failed: ${(error as Error).message}`, pending.length, {
          cause: error,
        });
      }
      stats.failedCalls++;
      lastProblem = `call failed: ${error.code}: ${error.message}`;
    }
    if (attempt >= maxAttempts) {
      throw new DeliveryError(
        `${pending.length} records undelivered after ${attempt} attempts; last: ${lastProblem}`,
        pending.length,
      );
    }
    const delay = Math.round(random() * Math.min(cap, base * 2 ** (attempt - 1)));
    if (policy.remainingMs && policy.remainingMs() < delay + 1000) {
      throw new DeliveryError(
        `${pending.length} records undelivered: no time left for attempt ${attempt + 1}; last: ${lastProblem}`,
        pending.length,
      );
    }
    stats.retriedRecords += pending.length;
    await clock.sleep(delay);
  }
}
