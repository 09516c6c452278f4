/**
 * The poller end to end: the real API client and sources over HTTP against the fake Cloudflare API on 127.0.0.1
 * (documented semantics: inclusive bounds, ascending pages, faults by request), the real poller and checkpoint
 * logic, a sink that records what reached "Firehose". Every scenario ends by counting: each event exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Quarantine, QuarantineEntry } from '../../lambdas/core/quarantine.ts';
import { MemoryCheckpointStore } from '../../lambdas/poll/checkpoint.ts';
import { CloudflareApi, CloudflareAuthError } from '../../lambdas/poll/cloudflare-api.ts';
import { type PollOptions, PollRunError, runPoll } from '../../lambdas/poll/poller.ts';
import { createPollSource } from '../../lambdas/poll/sources.ts';
import type { PollSourceName } from '../../lambdas/poll/types.ts';
import { fakeClock } from '../support/clock.ts';
import {
  type ApiItem,
  type FakeCloudflare,
  fakeAccessRequest,
  fakeAuditLogV1,
  fakeAuditLogV2,
  fakeCredentials,
  startFakeCloudflare,
} from '../support/fake-cloudflare.ts';
import { MemorySink } from '../support/memory.ts';

// The fake clock starts at 2026-11-21T12:00:00Z; with a 60 s delay a run's window ends at 11:59:00.
const OPTIONS: PollOptions = {
  delayMs: 60_000,
  lookbackMs: 24 * 3_600_000,
  overlapMs: 300_000,
  safetyMs: 1_000,
};

class MemoryQuarantine implements Quarantine {
  readonly entries: QuarantineEntry[] = [];
  add(entry: QuarantineEntry): undefined {
    this.entries.push(entry);
    return undefined;
  }
  async finish(): Promise<number> {
    return this.entries.length;
  }
}

const ITEM: Record<PollSourceName, (n: number, at: string) => ApiItem> = {
  access_requests: fakeAccessRequest,
  audit_logs: fakeAuditLogV1,
  audit_logs_v2: fakeAuditLogV2,
};

/** `count` items one second apart (or all at `at`), starting at `first`. */
function items(source: PollSourceName, count: number, first: string, step = 1000, from = 0): ApiItem[] {
  const start = Date.parse(first);
  return Array.from({ length: count }, (_, i) =>
    ITEM[source](from + i, new Date(start + i * step).toISOString()),
  );
}

let fake: FakeCloudflare | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function harness(source: PollSourceName, options: { pageSize?: number; token?: string } = {}) {
  fake = await startFakeCloudflare();
  const server = fake;
  const clock = fakeClock();
  const store = new MemoryCheckpointStore();
  const sink = new MemorySink();
  const quarantine = new MemoryQuarantine();
  const slept: number[] = [];
  const retries: { status: number | undefined; rateLimited: boolean }[] = [];
  const credentials = fakeCredentials(
    options.token === undefined ? undefined : { kind: 'token', apiToken: options.token },
  );
  const poll = (remainingMs: () => number = () => 600_000) => {
    const api = new CloudflareApi({
      credentials,
      baseUrl: server.baseUrl,
      remainingMs,
      sleep: async (ms: number) => {
        slept.push(ms);
      },
      random: () => 0.5,
      onRetry: (info) => retries.push({ status: info.status, rateLimited: info.rateLimited }),
    });
    const pollSource = createPollSource(source, api, {
      accountId: server.accountId,
      pageSize: options.pageSize ?? 5,
    });
    return runPoll({ source: pollSource, store, sink, quarantine, clock, remainingMs, options: OPTIONS });
  };
  /** Delivered events by event.id: each must be 1. */
  const counts = () => {
    const byId = new Map<string, number>();
    for (const e of sink.events()) {
      const id = (e.event as { id: string }).id;
      byId.set(id, (byId.get(id) ?? 0) + 1);
    }
    return byId;
  };
  const expectEachOnce = (expected: number) => {
    const byId = counts();
    expect([...byId.values()].filter((n) => n !== 1)).toEqual([]);
    expect(byId.size).toBe(expected);
  };
  return { server, clock, store, sink, quarantine, slept, retries, poll, expectEachOnce };
}

describe.each(['access_requests', 'audit_logs', 'audit_logs_v2'] as const)(
  'polling %s end to end',
  (source) => {
    it('reads many pages and delivers each event once; a second run delivers nothing again', async () => {
      const h = await harness(source, { pageSize: 5 });
      h.server.add(source, ...items(source, 48, '2026-11-21T11:00:00Z'));
      const first = await h.poll();
      expect(first.outcome).toBe('done');
      expect(first.pages).toBeGreaterThanOrEqual(10);
      h.expectEachOnce(48);
      const second = await h.poll();
      expect(second.events).toBe(0);
      h.expectEachOnce(48);
    });

    it('keeps events sharing one timestamp across a page boundary, each once, across runs', async () => {
      const h = await harness(source, { pageSize: 4 });
      // Six events at one instant straddle the first page boundary; more follow.
      h.server.add(source, ...items(source, 6, '2026-11-21T11:30:00.123Z', 0));
      h.server.add(source, ...items(source, 5, '2026-11-21T11:30:01Z', 1000, 100));
      await h.poll();
      h.expectEachOnce(11);
      // A later run re-reads the overlap (the shared instant included) and drops what it delivered.
      await h.clock.sleep(60_000);
      const again = await h.poll();
      expect(again.events).toBe(0);
      expect(again.duplicates).toBeGreaterThanOrEqual(11);
      h.expectEachOnce(11);
    });

    it('picks up an event that arrives late, inside the delay window, on the next run and only then', async () => {
      const h = await harness(source);
      h.server.add(source, ...items(source, 3, '2026-11-21T11:40:00Z'));
      await h.poll();
      h.expectEachOnce(3);
      // Logged late: its time is before the newest delivered event, but within the overlap.
      h.server.add(source, ...items(source, 1, '2026-11-21T11:39:30Z', 1000, 500));
      await h.clock.sleep(120_000);
      await h.poll();
      h.expectEachOnce(4);
      await h.poll();
      h.expectEachOnce(4);
    });

    it('leaves events newer than now − delay for a later run', async () => {
      const h = await harness(source);
      h.server.add(source, ...items(source, 2, '2026-11-21T11:58:00Z'));
      h.server.add(source, ...items(source, 2, '2026-11-21T11:59:30Z', 1000, 10));
      await h.poll();
      h.expectEachOnce(2);
      await h.clock.sleep(120_000);
      await h.poll();
      h.expectEachOnce(4);
    });

    it('waits out a 429 as retry-after says and a run of 500s, then delivers each event once', async () => {
      const h = await harness(source, { pageSize: 5 });
      h.server.add(source, ...items(source, 20, '2026-11-21T11:00:00Z'));
      h.server.script.at.set(1, { kind: 'rate-limit', retryAfter: 7 });
      h.server.script.at.set(3, { kind: 'server-error', status: 500 });
      h.server.script.at.set(4, { kind: 'server-error', status: 503 });
      const summary = await h.poll();
      expect(summary.outcome).toBe('done');
      expect(h.slept).toContain(7_000);
      expect(h.retries.filter((r) => r.rateLimited)).toHaveLength(1);
      expect(h.retries.filter((r) => r.status !== undefined && r.status >= 500)).toHaveLength(2);
      h.expectEachOnce(20);
    });

    it.each([
      ['malformed JSON', { kind: 'malformed-json' } as const],
      ['a success:false envelope', { kind: 'unsuccessful' } as const],
    ])(
      'stops on %s with a clear error, keeps what it delivered, and the next run completes',
      async (_what, fault) => {
        const h = await harness(source, { pageSize: 5 });
        h.server.add(source, ...items(source, 15, '2026-11-21T11:00:00Z'));
        h.server.script.at.set(1, fault);
        const error = await h.poll().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PollRunError);
        const delivered = (error as PollRunError).summary.events;
        expect(delivered).toBe(5);
        h.expectEachOnce(5);
        await h.poll();
        h.expectEachOnce(15);
      },
    );

    it('does nothing, and writes no checkpoint, when the window is empty', async () => {
      const h = await harness(source);
      const summary = await h.poll();
      expect(summary.events).toBe(0);
      expect(h.sink.calls).toEqual([]);
      expect(await h.store.read(source)).toBeUndefined();
    });

    it('stops on a rejected token without retrying, writing no checkpoint', async () => {
      const h = await harness(source, { token: 'revoked-token' });
      h.server.add(source, ...items(source, 3, '2026-11-21T11:00:00Z'));
      const error = await h.poll().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PollRunError);
      expect((error as PollRunError).cause).toBeInstanceOf(CloudflareAuthError);
      expect(String((error as Error).message)).not.toContain('revoked-token');
      expect(h.server.requests).toHaveLength(1);
      expect(await h.store.read(source)).toBeUndefined();
      h.expectEachOnce(0);
    });

    it('lets one of two runs started at once own the checkpoint; together they deliver each event once', async () => {
      const h = await harness(source, { pageSize: 5 });
      h.server.add(source, ...items(source, 30, '2026-11-21T11:00:00Z'));
      const results = await Promise.allSettled([h.poll(), h.poll()]);
      const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.outcome : 'rejected'));
      expect(outcomes.sort()).toEqual(['conflict', 'done']);
      h.expectEachOnce(30);
      // The checkpoint is the winner's: a third run has nothing left.
      expect((await h.poll()).events).toBe(0);
      h.expectEachOnce(30);
    });

    it('stops before its deadline with progress saved, and the next run finishes the backlog', async () => {
      const h = await harness(source, { pageSize: 5 });
      h.server.add(source, ...items(source, 40, '2026-11-21T09:00:00Z', 60_000));
      let budget = 4; // pages' worth of time: each request the fake answers costs one
      const first = await h.poll(() => (h.server.requests.length < budget ? 600_000 : 500));
      expect(first.outcome).toBe('deadline');
      expect(first.events).toBeGreaterThan(0);
      expect(first.events).toBeLessThan(40);
      budget = Number.POSITIVE_INFINITY;
      const second = await h.poll();
      expect(second.outcome).toBe('done');
      h.expectEachOnce(40);
    });
  },
);
