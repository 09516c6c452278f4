import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../lambdas/core/errors.ts';
import type { Quarantine, QuarantineEntry } from '../../../lambdas/core/quarantine.ts';
import { parseEventTime } from '../../../lambdas/core/time.ts';
import { CheckpointInvalidError, MemoryCheckpointStore } from '../../../lambdas/poll/checkpoint.ts';
import { type PollOptions, PollRunError, type PollSummary, runPoll } from '../../../lambdas/poll/poller.ts';
import type {
  CheckpointState,
  PolledEvent,
  PollSource,
  PollSourceName,
  PollWindow,
} from '../../../lambdas/poll/types.ts';
import type { Clock } from '../../../lambdas/ports.ts';
import { fakeClock } from '../../support/clock.ts';
import { MemorySink } from '../../support/memory.ts';

// The fake clock starts at 2026-11-21T12:00:00Z; with a 60 s delay a run's window ends at 11:59:00.
const OPTIONS: PollOptions = {
  delayMs: 60_000,
  lookbackMs: 24 * 3_600_000,
  overlapMs: 300_000,
  safetyMs: 1_000,
};

/** One event the fake API holds; `visibleFrom` (epoch ms) makes it appear late. */
interface ApiEvent {
  readonly id: string;
  readonly at: string;
  readonly visibleFrom?: number;
  /** A record its mapper refuses (CreatedAt is not a time). */
  readonly broken?: boolean;
  /** Not for this poller to deliver: delivered before the test, or older than the lookback. */
  readonly outOfScope?: boolean;
}

const nsOf = (iso: string) => parseEventTime(iso)!.ns;
const msToNs = (ms: number) => BigInt(ms) * 1_000_000n;

/**
 * An in-memory Access logs API: inclusive `since`/`until`, ascending, fixed-size pages, ties in a different order
 * on every call. It can fail on a given page, and calls `onPage` before yielding each page.
 */
class FakeSource implements PollSource {
  readonly name: PollSourceName = 'access_requests';
  readonly dataset = 'access_requests' as const;
  readonly events: ApiEvent[] = [];
  readonly windows: PollWindow[] = [];
  pageSize = 3;
  /** Throws this error instead of answering page n (1-based, counted per call). */
  failOnPage: { page: number; error: Error } | undefined;
  /** Ignores `until`, as a misbehaving API might. */
  ignoreUntil = false;
  onPage: ((page: number) => void) | undefined;
  private readonly clock: Clock;

  constructor(clock: Clock, events: ApiEvent[] = []) {
    this.clock = clock;
    this.events.push(...events);
  }

  async *pages(window: PollWindow): AsyncGenerator<readonly PolledEvent[]> {
    this.windows.push(window);
    const call = this.windows.length;
    const now = this.clock.now().getTime();
    const since = msToNs(window.since.getTime());
    const until = msToNs(window.until.getTime());
    const visible = this.events
      .filter((e) => (e.visibleFrom ?? 0) <= now)
      .filter((e) => nsOf(e.at) >= since && (this.ignoreUntil || nsOf(e.at) <= until))
      .map((e, i) => ({ e, i }))
      .sort((a, b) => {
        const d = nsOf(a.e.at) - nsOf(b.e.at);
        if (d !== 0n) return d < 0n ? -1 : 1;
        return call % 2 === 0 ? b.i - a.i : a.i - b.i;
      })
      .map(({ e }) => e);
    for (let page = 1, i = 0; i < visible.length; page++, i += this.pageSize) {
      if (this.failOnPage?.page === page) throw this.failOnPage.error;
      this.onPage?.(page);
      yield visible.slice(i, i + this.pageSize).map(toPolled);
    }
  }
}

function toPolled(e: ApiEvent): PolledEvent {
  return {
    id: e.id,
    time: parseEventTime(e.at)!,
    record: {
      Action: 'login',
      Allowed: true,
      AppDomain: 'app.example.com',
      AppUUID: 'f0e1d2c3-b4a5-4697-8a7b-6c5d4e3f2a10',
      Connection: 'saml',
      CreatedAt: e.broken ? 'yesterday' : e.at,
      Email: `${e.id}@example.com`,
      IPAddress: '192.0.2.7',
      RayID: e.id,
    },
  };
}

class MemoryQuarantine implements Quarantine {
  readonly entries: QuarantineEntry[] = [];
  stored = 0;
  add(entry: QuarantineEntry): undefined {
    this.entries.push(entry);
    return undefined;
  }
  async finish(): Promise<number> {
    this.stored = this.entries.length;
    return this.entries.length;
  }
}

/** `count` events one second apart, ending `endMinutesAgo` minutes before the fake clock's start. */
function series(count: number, prefix = 'e', end = '2026-11-21T11:50:00.000Z'): ApiEvent[] {
  const endMs = Date.parse(end);
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${String(i).padStart(4, '0')}`,
    at: new Date(endMs - (count - 1 - i) * 1000).toISOString(),
  }));
}

function setup(events: ApiEvent[] = [], initial: CheckpointState[] = []) {
  const clock = fakeClock();
  const source = new FakeSource(clock, events);
  const store = new MemoryCheckpointStore(initial);
  const sink = new MemorySink();
  const quarantine = new MemoryQuarantine();
  // Every checkpoint written names only events that reached the sink (or the quarantine).
  store.beforeWrite = (state) => {
    const done = new Set([
      ...initial.flatMap((c) => c.recentIds),
      ...delivered(sink),
      ...quarantine.entries.map((e) => idOfEntry(e)),
    ]);
    for (const id of state.recentIds)
      expect(done.has(id), `checkpoint remembers undelivered ${id}`).toBe(true);
    for (const e of source.events) {
      const complete = e.visibleFrom === undefined && !e.outOfScope;
      if (complete && nsOf(e.at) < nsOf(state.newest) - msToNs(OPTIONS.overlapMs)) {
        expect(done.has(e.id), `checkpoint at ${state.newest} passes undelivered ${e.id}`).toBe(true);
      }
    }
  };
  let remaining = Number.POSITIVE_INFINITY;
  const poll = (overrides: Partial<PollOptions> = {}, remainingMs = () => remaining) =>
    runPoll({ source, store, sink, quarantine, clock, remainingMs, options: { ...OPTIONS, ...overrides } });
  return {
    clock,
    source,
    store,
    sink,
    quarantine,
    poll,
    setRemaining: (ms: number) => {
      remaining = ms;
    },
  };
}

function delivered(sink: MemorySink): string[] {
  // The sink receives lake rows: vendor columns are lower case (lambdas/lake/row.ts).
  return sink.events().map((e) => (e.cloudflare as { rayid: string }).rayid);
}

function idOfEntry(entry: QuarantineEntry): string {
  return (JSON.parse(entry.raw!) as { RayID: string }).RayID;
}

/** Asserts the sink received exactly these ids, each once. */
function expectExactlyOnce(sink: MemorySink, ids: readonly string[]): void {
  const got = delivered(sink);
  const counts = new Map<string, number>();
  for (const id of got) counts.set(id, (counts.get(id) ?? 0) + 1);
  expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
}

/** A remainingMs that says "plenty" for its first `calls` calls and "none" afterwards. */
function budget(calls: number): () => number {
  let left = calls;
  return () => (left-- > 0 ? 60_000 : 0);
}

describe('runPoll', () => {
  it('delivers a first run from the lookback to now − delay, and checkpoints the newest event', async () => {
    const events = series(10);
    const t = setup([...events, { id: 'too-early', at: '2026-11-20T11:59:59.000Z', outOfScope: true }]);
    const summary = await t.poll();
    expect(t.source.windows).toEqual([
      { since: new Date('2026-11-20T12:00:00.000Z'), until: new Date('2026-11-21T11:59:00.000Z') },
    ]);
    expectExactlyOnce(
      t.sink,
      events.map((e) => e.id),
    );
    expect(summary).toMatchObject({
      outcome: 'done',
      pages: 4,
      events: 10,
      duplicates: 0,
      newest: '2026-11-21T11:50:00.000Z',
      newestDelivered: '2026-11-21T11:50:00.000Z',
      lagSeconds: 600,
      behindSeconds: 60,
    });
    const state = t.store.current('access_requests')!;
    expect(state.newest).toBe('2026-11-21T11:50:00.000Z');
    // All ten lie within the 5-minute overlap of the newest.
    expect([...state.recentIds].sort()).toEqual(events.map((e) => e.id));
    expect(state.updatedAt).toBe('2026-11-21T12:00:00.000Z');
  });

  it('maps each event with its dataset mapper, as the Logpush path does', async () => {
    const t = setup(series(1));
    await t.poll();
    expect(t.sink.events()[0]).toMatchObject({
      '@timestamp': '2026-11-21T11:50:00.000Z',
      event: { dataset: 'access_requests', action: 'login', outcome: 'success' },
      user: { email: 'e0000@example.com' },
    });
  });

  it('starts the next run at the checkpoint minus the overlap and drops what the overlap brings again', async () => {
    const t = setup(series(10));
    await t.poll();
    t.source.events.push(...series(4, 'n', '2026-11-21T11:55:00.000Z'));
    await t.clock.sleep(120_000);
    const second = await t.poll();
    expect(t.source.windows[1]!.since.toISOString()).toBe('2026-11-21T11:45:00.000Z');
    expect(second).toMatchObject({ outcome: 'done', events: 4, duplicates: 10, stale: 0 });
    expectExactlyOnce(
      t.sink,
      [...series(10), ...series(4, 'n', '2026-11-21T11:55:00.000Z')].map((e) => e.id),
    );
    const state = t.store.current('access_requests')!;
    // Only events within 5 minutes of the new newest (11:55:00, inclusive) are still remembered.
    expect([...state.recentIds].sort()).toEqual(['e0009', 'n0000', 'n0001', 'n0002', 'n0003']);
  });

  it('delivers events sharing one timestamp across a page boundary and across runs exactly once', async () => {
    const at = '2026-11-21T11:50:00.123456Z';
    const ties = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, at }));
    const t = setup([
      { id: 'first', at: '2026-11-21T11:49:00Z' },
      ...ties,
      { id: 'last', at: '2026-11-21T11:51:00Z' },
    ]);
    t.source.pageSize = 2;
    // The run stops after its first two pages: three of the five ties are still to come.
    t.source.onPage = (page) => {
      if (page === 3) t.setRemaining(0);
    };
    const first = await t.poll();
    expect(first).toMatchObject({ outcome: 'deadline', events: 4, pages: 3 });
    expect(t.store.current('access_requests')!.newest).toBe(at);
    t.setRemaining(Number.POSITIVE_INFINITY);
    t.source.onPage = undefined;
    const second = await t.poll();
    expect(second).toMatchObject({ outcome: 'done', events: 3, duplicates: 4 });
    expectExactlyOnce(t.sink, ['first', ...ties.map((e) => e.id), 'last']);
  });

  it('delivers ties exactly once with no overlap at all, relying on the inclusive since', async () => {
    const at = '2026-11-21T11:50:00.000Z';
    const t = setup(['a', 'b', 'c', 'd'].map((id) => ({ id, at })));
    t.source.pageSize = 3;
    // Stops mid-page, after the first two events: the checkpoint holds the tie and the ids delivered at it.
    const first = await t.poll({ overlapMs: 0 }, budget(3));
    expect(first).toMatchObject({ outcome: 'deadline', events: 2 });
    expect(t.store.current('access_requests')!.recentIds).toHaveLength(2);
    const second = await t.poll({ overlapMs: 0 });
    expect(t.source.windows[1]!.since.toISOString()).toBe(at);
    expect(second).toMatchObject({ outcome: 'done', events: 2, duplicates: 2 });
    expectExactlyOnce(t.sink, ['a', 'b', 'c', 'd']);
  });

  it('picks up events that arrive late inside the delay window, or inside the overlap, on the next run', async () => {
    const t = setup(series(5));
    const late = [
      // Newer than until (11:59:00) at the first run: not asked for yet.
      { id: 'in-delay', at: '2026-11-21T11:59:30.000Z' },
      // Older than the newest delivered event, visible only after the first run.
      { id: 'in-overlap', at: '2026-11-21T11:48:00.000Z', visibleFrom: Date.parse('2026-11-21T12:01:00Z') },
    ];
    t.source.events.push(...late);
    const first = await t.poll();
    expect(first.events).toBe(5);
    await t.clock.sleep(120_000);
    const second = await t.poll();
    expect(second).toMatchObject({ events: 2, duplicates: 5 });
    await t.clock.sleep(120_000);
    const third = await t.poll();
    expect(third).toMatchObject({ events: 0, duplicates: 1 });
    expectExactlyOnce(t.sink, [...series(5).map((e) => e.id), 'in-delay', 'in-overlap']);
  });

  it('leaves events after until for a later run even when the API returns them', async () => {
    const t = setup([...series(3), { id: 'future', at: '2026-11-21T11:59:30.000Z' }]);
    t.source.ignoreUntil = true;
    const first = await t.poll();
    expect(first).toMatchObject({ events: 3, deferred: 1, newest: '2026-11-21T11:50:00.000Z' });
    await t.clock.sleep(60_000);
    const second = await t.poll();
    expect(second).toMatchObject({ events: 1, deferred: 0 });
    expectExactlyOnce(t.sink, [...series(3).map((e) => e.id), 'future']);
  });

  it('drops events older than the overlap as stale instead of delivering them again', async () => {
    const t = setup(series(3), [
      {
        source: 'access_requests',
        newest: '2026-11-21T11:50:00.000Z',
        recentIds: [],
        updatedAt: '2026-11-21T11:51:00.000Z',
      },
    ]);
    // A source that ignores since, as one that pages by number might after a shift.
    t.source.events.push({ id: 'old', at: '2026-11-21T10:00:00.000Z', outOfScope: true });
    const summary = await t.poll({ window: { since: new Date('2026-11-21T09:00:00Z') } });
    expect(summary).toMatchObject({ stale: 1, events: 3 });
    expect(delivered(t.sink)).not.toContain('old');
  });

  it('lets only one of two runs started at once deliver; the other stops on conflict', async () => {
    const t = setup(series(20));
    const second = setup();
    const [a, b] = await Promise.all([
      t.poll(),
      runPoll({
        source: t.source,
        store: t.store,
        sink: t.sink,
        quarantine: second.quarantine,
        clock: t.clock,
        remainingMs: () => 60_000,
        options: OPTIONS,
      }),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(['conflict', 'done']);
    expect((a.outcome === 'conflict' ? a : b).events).toBe(0);
    expect(t.store.conflicts).toBe(1);
    expectExactlyOnce(
      t.sink,
      series(20).map((e) => e.id),
    );
  });

  it('lets only one of two runs started at once deliver when a checkpoint exists too', async () => {
    const t = setup(series(20));
    await t.poll();
    t.source.events.push(...series(6, 'n', '2026-11-21T11:56:00.000Z'));
    await t.clock.sleep(60_000);
    const results = await Promise.all([t.poll(), t.poll()]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['conflict', 'done']);
    expectExactlyOnce(
      t.sink,
      [...series(20), ...series(6, 'n', '2026-11-21T11:56:00.000Z')].map((e) => e.id),
    );
  });

  it('stops cleanly when another run writes the checkpoint mid-way, and leaves its state alone', async () => {
    const t = setup(series(9));
    let writes = 0;
    const check = t.store.beforeWrite!;
    t.store.beforeWrite = async (state) => {
      await check(state);
      // After the claim and the first page, another run takes over.
      if (++writes === 3) {
        t.store.put({ ...state, newest: '2026-11-21T11:49:51.000Z' });
      }
    };
    const summary = await t.poll();
    expect(summary.outcome).toBe('conflict');
    expect(summary.behindSeconds).toBeUndefined();
    expect(t.store.current('access_requests')!.newest).toBe('2026-11-21T11:49:51.000Z');
    // The run delivered its second page before it learnt it had lost: that page is the duplicate window.
    expect(summary.events).toBe(6);
  });

  it('stops at the deadline mid-backlog, and a second run finishes it exactly once', async () => {
    const events = series(500, 'b', '2026-11-21T11:00:00.000Z');
    const t = setup(events);
    t.source.pageSize = 50;
    t.source.onPage = (page) => {
      if (page === 4) t.setRemaining(500);
    };
    const first = await t.poll();
    expect(first).toMatchObject({ outcome: 'deadline', events: 150, pages: 4 });
    expect(first.behindSeconds).toBe(
      Math.round((Date.parse('2026-11-21T12:00:00Z') - Date.parse(events[149]!.at)) / 1000),
    );
    t.setRemaining(Number.POSITIVE_INFINITY);
    t.source.onPage = undefined;
    const second = await t.poll();
    expect(second).toMatchObject({ outcome: 'done', events: 350 });
    expectExactlyOnce(
      t.sink,
      events.map((e) => e.id),
    );
  });

  it('stops before the first page when no time is left, without fetching or writing', async () => {
    const t = setup(series(3));
    const summary = await t.poll({}, () => 10);
    expect(summary).toMatchObject({ outcome: 'deadline', pages: 0, events: 0, checkpointWrites: 0 });
    expect(t.source.windows).toHaveLength(0);
    expect(t.store.writes).toHaveLength(0);
  });

  it('retries records Firehose rejects and advances only once they are delivered', async () => {
    const t = setup(series(12));
    t.source.pageSize = 4;
    // One event per record, so entries fail one by one; the first attempt of every call loses two entries.
    let call = 0;
    t.sink.plan = () => (call++ % 2 === 0 ? [0, 2] : []);
    const summary = await t.poll({ packLimits: { maxEventsPerRecord: 1 }, retry: { baseDelayMs: 1 } });
    expect(summary).toMatchObject({ outcome: 'done', events: 12 });
    expect(summary.delivery.retriedRecords).toBe(6);
    expectExactlyOnce(
      t.sink,
      series(12).map((e) => e.id),
    );
  });

  it('keeps the checkpoint at the last delivered page when Firehose keeps rejecting records', async () => {
    const events = series(12);
    const t = setup(events);
    t.source.pageSize = 4;
    // The second page's call (call 1 on) keeps failing its first record.
    let calls = 0;
    t.sink.plan = () => (calls++ >= 1 ? [0] : []);
    const error = await t
      .poll({ packLimits: { maxEventsPerRecord: 1 }, retry: { maxAttempts: 3, baseDelayMs: 1 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollRunError);
    expect((error as PollRunError).cause).toBeInstanceOf(DeliveryError);
    expect((error as PollRunError).summary).toMatchObject({ outcome: 'failed', events: 4 });
    expect(t.store.current('access_requests')!.newest).toBe(events[3]!.at);
    expect(delivered(t.sink)).not.toContain(events[4]!.id);

    t.sink.plan = () => [];
    const second = await t.poll();
    expect(second).toMatchObject({ outcome: 'done', events: 8, duplicates: 4 });
    // Each event arrived; the failed page's accepted records arrived twice (at-least-once on failure).
    const got = delivered(t.sink);
    expect(new Set(got)).toEqual(new Set(events.map((e) => e.id)));
    expect(got.filter((id) => id === events[4]!.id)).toHaveLength(1);
    expect(got.filter((id) => id === events[5]!.id)).toHaveLength(2);
  });

  it('leaves the checkpoint at the last delivered page when the source fails mid-way', async () => {
    const events = series(10);
    const t = setup(events);
    t.source.failOnPage = { page: 3, error: new Error('Cloudflare API answered 500 after 3 attempts') };
    const error = (await t.poll().catch((e: unknown) => e)) as PollRunError;
    expect(error).toBeInstanceOf(PollRunError);
    expect(error.message).toContain('Cloudflare API answered 500 after 3 attempts');
    expect(error.message).toContain('after 2 page(s), 6 event(s) delivered');
    expect((error.cause as Error).message).toBe('Cloudflare API answered 500 after 3 attempts');
    expect(t.store.current('access_requests')!.newest).toBe(events[5]!.at);

    t.source.failOnPage = undefined;
    const second = await t.poll();
    expect(second).toMatchObject({ outcome: 'done', events: 4 });
    expectExactlyOnce(
      t.sink,
      events.map((e) => e.id),
    );
  });

  it('writes nothing when the first request fails (a rejected credential)', async () => {
    const t = setup(series(5));
    t.source.failOnPage = { page: 1, error: new Error('Cloudflare rejected the API token (403)') };
    const error = (await t.poll().catch((e: unknown) => e)) as PollRunError;
    expect(error).toBeInstanceOf(PollRunError);
    expect(error.message).toContain('checkpoint not written');
    expect(t.store.writes).toHaveLength(0);
    expect(t.sink.records).toHaveLength(0);
  });

  it('writes nothing for an empty window', async () => {
    const t = setup();
    const summary = await t.poll();
    expect(summary).toMatchObject({ outcome: 'done', pages: 0, events: 0, checkpointWrites: 0 });
    expect(t.store.writes).toHaveLength(0);
  });

  it('quarantines an event its mapper refuses, with the reason, and moves past it', async () => {
    const t = setup([...series(2), { id: 'broken', at: '2026-11-21T11:50:00.500Z', broken: true }]);
    const first = await t.poll();
    expect(first).toMatchObject({ events: 2, quarantined: 1 });
    expect(t.quarantine.stored).toBe(1);
    expect(t.quarantine.entries[0]).toMatchObject({ line: null, dataset: 'access_requests' });
    expect(t.quarantine.entries[0]!.reason).toMatch(
      /^access_requests event broken at 2026-11-21T11:50:00.500Z: field CreatedAt: /,
    );
    expect(t.store.current('access_requests')!.newest).toBe('2026-11-21T11:50:00.500Z');
    const second = await t.poll();
    expect(second).toMatchObject({ events: 0, quarantined: 0, duplicates: 3 });
    expect(t.quarantine.entries).toHaveLength(1);
  });

  it('quarantines an event too large for a Firehose record', async () => {
    const t = setup(series(3));
    const summary = await t.poll({ packLimits: { maxRecordBytes: 600 } });
    expect(summary.quarantined).toBe(3);
    expect(t.quarantine.entries[0]!.reason).toMatch(/exceeds the Firehose record limit/);
  });

  it('has nothing to do when the checkpoint is newer than now − delay − overlap', async () => {
    const t = setup(series(3), [
      {
        source: 'access_requests',
        newest: '2026-11-21T11:59:30.000Z',
        recentIds: ['x'],
        updatedAt: '2026-11-21T11:59:40.000Z',
      },
    ]);
    const summary = await t.poll({ overlapMs: 10_000 });
    expect(summary).toMatchObject({ outcome: 'nothing-to-do', pages: 0 });
    expect(t.source.windows).toHaveLength(0);
  });

  it('refuses to start from the lookback when the checkpoint is corrupt', async () => {
    const t = setup(series(3));
    t.store.read = async () => {
      throw new CheckpointInvalidError('checkpoint s3://b/k.json: "newest" must be an RFC 3339 time, got 42');
    };
    await expect(t.poll()).rejects.toThrow(CheckpointInvalidError);
    expect(t.source.windows).toHaveLength(0);
  });

  it('remembers the checkpoint ids it has not seen again while they may lie within the overlap', async () => {
    const t = setup(series(3, 'n', '2026-11-21T11:51:00.000Z'), [
      {
        source: 'access_requests',
        newest: '2026-11-21T11:50:00.000Z',
        recentIds: ['gone'],
        updatedAt: '2026-11-21T11:51:00.000Z',
      },
    ]);
    await t.poll();
    // 11:51 − 5 min is before 11:50: "gone" (time unknown, at most 11:50) may still come back within the overlap.
    expect(t.store.current('access_requests')!.recentIds).toContain('gone');
    t.source.events.push({ id: 'later', at: '2026-11-21T11:58:00.000Z' });
    await t.clock.sleep(60_000);
    await t.poll();
    expect(t.store.current('access_requests')!.recentIds).toEqual(['later']);
  });

  it('reports metrics as it goes', async () => {
    const t = setup(series(4));
    const metrics: Record<string, number> = {};
    const summary: PollSummary = await runPoll({
      source: t.source,
      store: t.store,
      sink: t.sink,
      quarantine: t.quarantine,
      clock: t.clock,
      remainingMs: () => 60_000,
      options: OPTIONS,
      onMetric: (name, value) => {
        metrics[name] = (metrics[name] ?? 0) + value;
      },
    });
    expect(metrics).toMatchObject({ pages: 2, events: 4, duplicates: 0, lagSeconds: 600, behindSeconds: 60 });
    expect(metrics.checkpointWrites).toBe(summary.checkpointWrites);
  });

  it('rejects a negative option naming it', async () => {
    const t = setup();
    await expect(t.poll({ overlapMs: -1 })).rejects.toThrow(/overlapMs/);
  });
});
