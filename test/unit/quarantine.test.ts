import { describe, expect, it } from 'vitest';
import { BlobQuarantine } from '../../lambdas/core/quarantine.ts';
import { fakeClock } from '../support/clock.ts';
import { MemoryBlobStore } from '../support/memory.ts';

const source = { bucket: 'logpush-bucket', key: 'logpush/http_requests/20261120/a.log.gz' };

describe('BlobQuarantine', () => {
  it('writes each bad line with its reason, source and line number under the date partition', async () => {
    const store = new MemoryBlobStore();
    const q = new BlobQuarantine({
      store,
      prefix: 'quarantine',
      source,
      date: '2026-11-20',
      clock: fakeClock(),
    });
    await q.add({
      line: 3,
      reason: 'invalid JSON: Unexpected token',
      raw: '{oops',
      dataset: 'http_requests',
    });
    await q.add({ line: 9, reason: 'too long', raw: 'head', rawBytes: 2_000_000 });
    expect(await q.finish()).toBe(2);
    const keys = [...store.objects.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^quarantine\/dt=2026-11-20\/[0-9a-f]{24}-0000\.json\.gz$/);
    expect(store.entries()).toEqual([
      {
        quarantined_at: '2026-11-21T12:00:00.000Z',
        reason: 'invalid JSON: Unexpected token',
        dataset: 'http_requests',
        bucket: 'logpush-bucket',
        key: source.key,
        line: 3,
        raw: '{oops',
      },
      {
        quarantined_at: '2026-11-21T12:00:00.000Z',
        reason: 'too long',
        dataset: null,
        bucket: 'logpush-bucket',
        key: source.key,
        line: 9,
        raw: 'head',
        raw_bytes: 2_000_000,
      },
    ]);
  });

  it('names its files after the source object, so a retry overwrites instead of duplicating', async () => {
    const store = new MemoryBlobStore();
    for (let attempt = 0; attempt < 2; attempt++) {
      const q = new BlobQuarantine({
        store,
        prefix: 'quarantine',
        source,
        date: '2026-11-20',
        clock: fakeClock(),
      });
      await q.add({ line: 1, reason: 'bad', raw: 'x' });
      await q.finish();
    }
    expect(store.objects.size).toBe(1);
  });

  it('splits into parts so memory stays bounded', async () => {
    const store = new MemoryBlobStore();
    const q = new BlobQuarantine({ store, prefix: 'q', source, clock: fakeClock(), maxPartBytes: 1000 });
    for (let i = 1; i <= 30; i++) {
      const wait = q.add({ line: i, reason: 'bad', raw: 'y'.repeat(100) });
      if (wait) await wait;
    }
    expect(await q.finish()).toBe(30);
    expect(store.objects.size).toBeGreaterThan(3);
    expect(store.entries().map((e) => e.line)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Without a {DATE} folder the partition is the day of processing.
    expect([...store.objects.keys()][0]).toMatch(/^q\/dt=2026-11-21\//);
  });

  it('writes nothing when nothing was quarantined', async () => {
    const store = new MemoryBlobStore();
    const q = new BlobQuarantine({ store, prefix: 'q', source, clock: fakeClock() });
    expect(await q.finish()).toBe(0);
    expect(store.objects.size).toBe(0);
  });
});
