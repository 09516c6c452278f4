/**
 * The poller core: one run of one source, from the checkpoint to the sink and back to the checkpoint. Used by the
 * poll Lambda and by `cf-logs poll`; it knows only the ports of `types.ts`, `RecordSink` and `Clock`.
 *
 * Delivery guarantees. The checkpoint is written right after each page's events are delivered, and never names
 * an event that was not delivered (or quarantined). An event reaches the sink twice only when a run dies between
 * delivering a page and writing its checkpoint, when delivery fails after part of a page was accepted (the page
 * is delivered again by the next run), or when a run starts while another is mid-page (the older run loses its
 * next checkpoint write and stops; its last page may be delivered by both). Two runs started together both read
 * the same version: the first to claim it goes on, the other stops before delivering anything.
 */
import { type DeliveryStats, deliverRecords, newDeliveryStats, type RetryPolicy } from '../core/deliver.ts';
import { ConfigError, MappingError } from '../core/errors.ts';
import { type PackLimits, RecordPacker } from '../core/pack.ts';
import type { Quarantine } from '../core/quarantine.ts';
import { type Instant, instantFromDate, parseEventTime } from '../core/time.ts';
import { MAPPERS } from '../datasets/index.ts';
import { toLakeRow } from '../lake/row.ts';
import type { Clock, RecordSink, RowShape } from '../ports.ts';
import {
  CheckpointConflictError,
  type CheckpointState,
  type CheckpointStore,
  type PolledEvent,
  type PollSource,
  type PollSourceName,
  type PollWindow,
} from './types.ts';

/** Timing of a run. */
export interface PollOptions {
  /** `until` = now − delay, so events Cloudflare has not yet made visible are left for a later run. */
  readonly delayMs: number;
  /** How far back a first run (no checkpoint) starts. */
  readonly lookbackMs: number;
  /**
   * How far before the checkpoint's newest event a run queries again. Covers inclusive/exclusive `since`, ties,
   * events slightly out of order and late arrivals; the ids remembered for this span drop what was delivered.
   */
  readonly overlapMs: number;
  /** The run stops with its progress saved when fewer milliseconds than this are left. */
  readonly safetyMs: number;
  /** Explicit window bounds (`cf-logs poll --since/--until`); the checkpoint still drops what it records as delivered. */
  readonly window?: Partial<PollWindow>;
  /** Batches (PutRecordBatch calls) in flight at once. @default 4 */
  readonly maxInFlight?: number;
  readonly packLimits?: Partial<PackLimits>;
  /** Delivery retries; the deadline is added from `remainingMs`. */
  readonly retry?: Omit<RetryPolicy, 'remainingMs'>;
  /** What the sink receives. @default 'lake' */
  readonly rows?: RowShape;
}

/** Defaults for the deployed poller and the command line. */
export const POLL_DEFAULTS = {
  delayMs: 60_000,
  lookbackMs: 24 * 3_600_000,
  overlapMs: 5 * 60_000,
  safetyMs: 30_000,
} as const satisfies Omit<PollOptions, 'window'>;

/** Counters a run reports as it goes (per page) and its lags at the end. */
export type PollMetricName =
  | 'pages'
  | 'events'
  | 'duplicates'
  | 'stale'
  | 'deferred'
  | 'quarantined'
  | 'checkpointWrites'
  | 'lagSeconds'
  | 'behindSeconds';

/** What one run needs. */
export interface PollRun {
  readonly source: PollSource;
  readonly store: CheckpointStore;
  readonly sink: RecordSink;
  /** Where events that cannot be mapped or sent go, with their reason (`line` is null: an API event has none). */
  readonly quarantine: Quarantine;
  readonly clock: Clock;
  /** Milliseconds left before the run must end (the Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
  readonly options: PollOptions;
  readonly onMetric?: (name: PollMetricName, value: number) => void;
}

/** How a run ended (`failed` only in a {@link PollRunError}'s summary). */
export type PollOutcome = 'done' | 'deadline' | 'conflict' | 'nothing-to-do' | 'failed';

/** What one run did. */
export interface PollSummary {
  readonly source: PollSourceName;
  outcome: PollOutcome;
  /** The window asked for (ISO 8601). */
  readonly window: { readonly since: string; readonly until: string };
  /** Pages received from the source. */
  pages: number;
  /** Events delivered to the sink. */
  events: number;
  /** Events dropped because they were delivered before (checkpoint ids, or earlier in this run). */
  duplicates: number;
  /** Events dropped because they are older than the checkpoint's overlap: delivered long ago. */
  stale: number;
  /** Events after `until`, left for a later run. */
  deferred: number;
  /** Events quarantined (mapping failure, too large for a record). */
  quarantined: number;
  checkpointWrites: number;
  /** The checkpoint's newest time after the run (ISO 8601), if there is a checkpoint. */
  newest?: string;
  /** The newest event delivered by this run (ISO 8601). */
  newestDelivered?: string;
  /** Seconds from the newest event delivered by this run to now. */
  lagSeconds?: number;
  /**
   * Seconds from the time up to which the source is known delivered to now: `until` when the run finished its
   * window, the checkpoint's newest when it stopped early. Unlike `lagSeconds`, it stays small when the account is
   * quiet, so it is the one to alarm on.
   */
  behindSeconds?: number;
  readonly delivery: DeliveryStats;
}

/** A run failed (API error, rejected credential, undeliverable records). Progress up to `summary` is saved. */
export class PollRunError extends Error {
  override readonly name = 'PollRunError';
  readonly summary: PollSummary;
  constructor(message: string, summary: PollSummary, options?: ErrorOptions) {
    super(message, options);
    this.summary = summary;
  }
}

const NS_PER_MS = 1_000_000n;

/**
 * Runs one source once: reads the checkpoint, asks the source for `[newest − overlap, now − delay]` (a first run:
 * `[now − lookback, now − delay]`), drops what was delivered before, maps the rest with the dataset's mapper,
 * delivers them packed like the Logpush path and advances the checkpoint after each page (compare-and-swap).
 *
 * @returns the summary; outcome `conflict` when another run owns the checkpoint, `deadline` when time ran out
 *   (the next run continues).
 * @throws PollRunError (cause: the source's or the sink's error) with the checkpoint at the last delivered page.
 * @throws CheckpointInvalidError (from the store) when the stored checkpoint is corrupt: nothing is fetched.
 */
export async function runPoll(run: PollRun): Promise<PollSummary> {
  const { source, store, sink, quarantine, clock, remainingMs, options, onMetric } = run;
  checkOptions(options);
  const overlapNs = BigInt(options.overlapMs) * NS_PER_MS;
  const mapper = MAPPERS[source.dataset];

  const stored = await store.read(source.name);
  const now = clock.now();
  const checkpointNewest = stored && parseEventTime(stored.state.newest);
  const since =
    options.window?.since ??
    (checkpointNewest
      ? new Date(Number((checkpointNewest.ns - overlapNs) / NS_PER_MS))
      : new Date(now.getTime() - options.lookbackMs));
  const until = options.window?.until ?? new Date(now.getTime() - options.delayMs);
  const untilNs = BigInt(until.getTime()) * NS_PER_MS;

  let newestDelivered: Instant | undefined;
  const summary: PollSummary = {
    source: source.name,
    outcome: 'done',
    window: { since: since.toISOString(), until: until.toISOString() },
    pages: 0,
    events: 0,
    duplicates: 0,
    stale: 0,
    deferred: 0,
    quarantined: 0,
    checkpointWrites: 0,
    newest: stored?.state.newest,
    delivery: newDeliveryStats(),
  };
  const finish = (outcome: PollOutcome): PollSummary => {
    summary.outcome = outcome;
    const nowMs = clock.now().getTime();
    if (newestDelivered) {
      summary.newestDelivered = newestDelivered.iso;
      summary.lagSeconds = secondsBetween(newestDelivered, nowMs);
      onMetric?.('lagSeconds', summary.lagSeconds);
    }
    const upTo =
      outcome === 'done' || outcome === 'nothing-to-do'
        ? until.getTime()
        : summary.newest === undefined
          ? undefined
          : Number(instantOf(summary.newest).ns / NS_PER_MS);
    if (upTo !== undefined && outcome !== 'conflict') {
      summary.behindSeconds = Math.max(0, Math.round((nowMs - upTo) / 1000));
      onMetric?.('behindSeconds', summary.behindSeconds);
    }
    return summary;
  };
  if (since.getTime() >= until.getTime()) return finish('nothing-to-do');

  // Progress as of the events handled so far; written to the store after each page is delivered.
  let version = stored?.version;
  let newest: Instant | undefined = checkpointNewest;
  // Ids whose time lies within the overlap of `newest`; undefined time: remembered from the checkpoint, not seen
  // again yet (all of those lie within the overlap of the checkpoint's newest).
  const recent = new Map<string, bigint | undefined>(stored?.state.recentIds.map((id) => [id, undefined]));
  let handledSinceWrite = 0;
  let claimed = false;

  const packer = new RecordPacker(
    (records) =>
      deliverRecords(sink, records, summary.delivery, clock, { ...options.retry, remainingMs: remainingMs }),
    options.packLimits,
    options.maxInFlight ?? 4,
  );
  const deadline = () => remainingMs() < options.safetyMs;

  /** Writes progress (compare-and-swap). @returns false when another run owns the checkpoint. */
  const save = async (force: boolean): Promise<boolean> => {
    if (!force && handledSinceWrite === 0) return true;
    // Quarantined events count as handled: their entries must be stored before the checkpoint passes them.
    await quarantine.finish();
    const start = newest ?? instantFromDate(since);
    const cutoff = start.ns - overlapNs;
    const keep = checkpointNewest !== undefined && checkpointNewest.ns >= cutoff;
    for (const [id, time] of recent) {
      if (time === undefined ? !keep : time < cutoff) recent.delete(id);
    }
    const state: CheckpointState = {
      source: source.name,
      newest: start.iso,
      recentIds: [...recent.keys()],
      updatedAt: clock.now().toISOString(),
    };
    try {
      version = await store.write(state, version);
    } catch (error) {
      if (error instanceof CheckpointConflictError) return false;
      throw error;
    }
    summary.checkpointWrites++;
    onMetric?.('checkpointWrites', 1);
    summary.newest = state.newest;
    handledSinceWrite = 0;
    return true;
  };

  /** Delivers what is packed, then saves. @returns false on a conflict. */
  const commit = async (): Promise<boolean> => {
    await packer.flush();
    return save(false);
  };

  const reject = async (event: PolledEvent, reason: string, line: string) => {
    summary.quarantined++;
    const wait = quarantine.add({
      line: null,
      reason: `${source.name} event ${event.id} at ${event.time.iso}: ${reason}`,
      raw: line,
      dataset: source.dataset,
    });
    if (wait) await wait;
  };

  const pages = source.pages({ since, until })[Symbol.asyncIterator]();
  let exhausted = false;
  try {
    for (;;) {
      if (deadline()) return finish('deadline');
      let next: IteratorResult<readonly PolledEvent[]>;
      try {
        next = await pages.next();
      } catch (error) {
        exhausted = true;
        throw error;
      }
      if (next.done) {
        exhausted = true;
        break;
      }
      const page = next.value;
      summary.pages++;
      onMetric?.('pages', 1);
      if (page.length === 0) continue;
      // Claim the checkpoint before delivering anything: of two runs started together, one stops here.
      if (!claimed) {
        if (!(await save(true))) return finish('conflict');
        claimed = true;
      }
      const counts = { events: 0, duplicates: 0, stale: 0, deferred: 0 };
      const quarantinedBefore = summary.quarantined;
      let stopped = false;
      for (const event of page) {
        const time = event.time.ns;
        if (time > untilNs) {
          counts.deferred++;
          continue;
        }
        if (newest && time < newest.ns - overlapNs) {
          counts.stale++;
          continue;
        }
        if (recent.has(event.id)) {
          counts.duplicates++;
          if (recent.get(event.id) === undefined) recent.set(event.id, time);
          continue;
        }
        if (deadline()) {
          stopped = true;
          break;
        }
        const line = JSON.stringify(event.record);
        let json: string;
        try {
          const ecs = mapper.map(event.record, { line, fallbackTime: event.time });
          json = JSON.stringify(options.rows === 'ecs' ? ecs : toLakeRow(ecs));
        } catch (error) {
          const message = error instanceof MappingError ? error.message : `mapper failed: ${String(error)}`;
          await reject(event, message, line);
          handled(event);
          continue;
        }
        const bytes = Buffer.byteLength(json) + 1;
        if (!packer.fits(bytes)) {
          await reject(event, `ECS event of ${bytes} bytes exceeds the Firehose record limit`, line);
          handled(event);
          continue;
        }
        const wait = packer.add(json, bytes);
        handled(event);
        counts.events++;
        if (!newestDelivered || time > newestDelivered.ns) newestDelivered = event.time;
        if (wait) await wait;
      }
      const ok = await commit();
      summary.events += counts.events;
      summary.duplicates += counts.duplicates;
      summary.stale += counts.stale;
      summary.deferred += counts.deferred;
      onMetric?.('events', counts.events);
      onMetric?.('duplicates', counts.duplicates);
      onMetric?.('stale', counts.stale);
      onMetric?.('deferred', counts.deferred);
      onMetric?.('quarantined', summary.quarantined - quarantinedBefore);
      if (!ok) return finish('conflict');
      if (stopped) return finish('deadline');
    }
  } catch (error) {
    throw new PollRunError(
      `${source.name}: ${(error as Error).message} (after ${summary.pages} page(s), ${summary.events} event(s) ` +
        `delivered; checkpoint ${summary.newest ? `at ${summary.newest}` : 'not written'})`,
      finish('failed'),
      { cause: error },
    );
  } finally {
    if (!exhausted) {
      // Releases the source (an open response); its own failure must not hide the run's outcome.
      await Promise.resolve(pages.return?.()).catch(() => undefined);
    }
  }
  return finish('done');

  function handled(event: PolledEvent): void {
    recent.set(event.id, event.time.ns);
    if (!newest || event.time.ns > newest.ns) newest = event.time;
    handledSinceWrite++;
  }
}

function checkOptions(options: PollOptions): void {
  for (const name of ['delayMs', 'lookbackMs', 'overlapMs', 'safetyMs'] as const) {
    const value = options[name];
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigError(
        `poll option ${name} must be a non-negative number of milliseconds, got ${value}`,
      );
    }
  }
}

function instantOf(iso: string): Instant {
  return parseEventTime(iso) as Instant;
}

function secondsBetween(from: Instant, nowMs: number): number {
  return Math.max(0, Math.round((nowMs - Number(from.ns / NS_PER_MS)) / 1000));
}
