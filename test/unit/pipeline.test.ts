import { setImmediate } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecodeError, DeliveryError, SinkError } from '../../lambdas/core/errors.ts';
import { normalizeObject, type PipelineOptions, processObject } from '../../lambdas/core/pipeline.ts';
import { BlobQuarantine } from '../../lambdas/core/quarantine.ts';
import type { ObjectRef, RecordSink } from '../../lambdas/ports.ts';
import { fakeClock } from '../support/clock.ts';
import { MemoryBlobStore, MemoryObjectSource, MemorySink } from '../support/memory.ts';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const KEY = `logpush/access_requests/${ACCOUNT}/20261120/20261120T100000Z_20261120T100100Z_0a1b2c3d.log.gz`;

function login(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Action: 'login',
    Allowed: i % 3 !== 0,
    AppDomain: 'app.example.com',
    AppUUID: 'f0e1d2c3-b4a5-4697-8a7b-6c5d4e3f2a10',
    Connection: 'saml',
    Country: 'de',
    CreatedAt: `2026-11-20T09:59:${String(i % 60).padStart(2, '0')}Z`,
    Email: `user${i}@example.com`,
    IPAddress: `192.0.2.${i % 250}`,
    RayID: `8a1b2c3d4e5f${String(i).padStart(4, '0')}`,
    UserUID: '5b6c7d8e-9f00-4112-8234-56789abcdef0',
    ...extra,
  });
}

function setup(body: string | Buffer, key = KEY) {
  const source = new MemoryObjectSource(512);
  const ref = source.put('logpush-bucket', key, typeof body === 'string' ? gzipSync(body) : body);
  const sink = new MemorySink();
  const store = new MemoryBlobStore();
  const clock = fakeClock();
  const options: PipelineOptions = { sink, clock, logpushPrefix: 'logpush' };
  const run = () =>
    processObject(
      ref,
      source,
      (r, info) => new BlobQuarantine({ store, prefix: 'quarantine', source: r, date: info.date, clock }),
      options,
    );
  return { source, ref, sink, store, options, run };
}

describe('processObject', () => {
  it('delivers every record of a gzip object as an ECS event, exactly once', async () => {
    const lines = Array.from({ length: 1200 }, (_, i) => login(i));
    const { sink, store, run } = setup(`${lines.join('\n')}\n`);
    const summary = await run();
    expect(summary).toMatchObject({
      outcome: 'processed',
      keyDataset: 'access_requests',
      lines: 1200,
      blankLines: 0,
      events: 1200,
      quarantined: 0,
      eventsByDataset: { access_requests: 1200 },
    });
    const events = sink.events();
    expect(events).toHaveLength(1200);
    expect(new Set(events.map((e) => (e.event as { id: string }).id)).size).toBe(1200);
    expect(events[0]).toMatchObject({
      '@timestamp': '2026-11-20T09:59:00Z',
      event: { dataset: 'access_requests', outcome: 'failure' },
      user: { email: 'user0@example.com' },
    });
    // 1,200 events of ~700 bytes: three records (500 + 500 + 200), one call.
    expect(sink.calls).toEqual([3]);
    expect(store.objects.size).toBe(0);
  });

  it('quarantines each line that cannot become an event, with its reason and line number, and delivers the rest', async () => {
    const huge = login(7, { PurposeJustificationResponse: 'z'.repeat(1_100_000) });
    const body = [
      login(1),
      '{"Action":"login",', // cut short
      '[1,2,3]',
      '42',
      login(2, { Allowed: 'maybe' }),
      '',
      '   ',
      huge,
      login(3),
    ].join('\r\n');
    const { sink, store, run } = setup(body);
    const summary = await run();
    expect(summary).toMatchObject({ lines: 9, blankLines: 2, events: 2, quarantined: 5 });
    expect(sink.events().map((e) => (e.user as { email: string }).email)).toEqual([
      'user1@example.com',
      'user3@example.com',
    ]);
    const entries = store.entries();
    expect(entries.map((e) => [e.line, e.reason])).toEqual([
      [2, expect.stringMatching(/^invalid JSON: /)],
      [3, 'line is a JSON array, not one JSON object (NDJSON)'],
      [4, 'line is a JSON number, not one JSON object (NDJSON)'],
      [5, 'field Allowed: expected bool, got string "maybe"'],
      [8, expect.stringMatching(/^ECS event of \d+ bytes exceeds the Firehose record limit$/)],
    ]);
    expect(entries[0]).toMatchObject({
      bucket: 'logpush-bucket',
      key: KEY,
      dataset: 'access_requests',
      raw: '{"Action":"login",',
    });
    expect(entries[4]?.raw).toBe(huge);
    expect([...store.objects.keys()][0]).toMatch(/^quarantine\/dt=2026-11-20\//);
  });

  it('recognises the dataset from the fields when the key does not name it', async () => {
    const { sink, run } = setup(`${login(1)}\n`, 'elsewhere/20261120/a.log.gz');
    const summary = await run();
    expect(summary.keyDataset).toBeUndefined();
    expect(summary.eventsByDataset).toEqual({ access_requests: 1 });
    expect(sink.events()[0]).toMatchObject({ event: { dataset: 'access_requests' } });
  });

  it('maps a record with the dataset its fields show when the key names another, and counts it', async () => {
    const firewall = JSON.stringify({
      Action: 'block',
      ClientIP: '192.0.2.9',
      ClientRequestHost: 'www.example.com',
      Datetime: '2026-11-20T10:00:00Z',
      Kind: 'firewall',
      RayID: '8e2f0a1b2c3d7001',
      RuleID: '100016',
      Source: 'firewallManaged',
    });
    // Fields no signature claims: the key's dataset stands.
    const ambiguous = JSON.stringify({ Email: 'x@example.com', RayID: '8e2f0a1b2c3d7002' });
    const { sink, run } = setup(`${login(1)}\n${firewall}\n${ambiguous}\n`);
    const summary = await run();
    expect(summary).toMatchObject({
      events: 3,
      quarantined: 0,
      datasetMismatches: 1,
      eventsByDataset: { access_requests: 2, firewall_events: 1 },
    });
    expect(sink.events().map((e) => (e.event as { dataset: string }).dataset)).toEqual([
      'access_requests',
      'firewall_events',
      'access_requests',
    ]);
  });

  it('quarantines records whose dataset neither the key nor the fields tell', async () => {
    const unknown = setup('{"Foo":1}\n', 'elsewhere/a.log.gz');
    expect(await unknown.run()).toMatchObject({ events: 0, quarantined: 1 });
    expect(unknown.store.entries()[0]?.reason).toBe(
      'dataset not recognised from the object key or the record fields',
    );
  });

  it('skips challenge files and empty objects without retrying them', async () => {
    const challenge = setup('eyJhbGciOi', 'logpush/access_requests/ownership-challenge-3f2a1b0c.txt');
    expect(await challenge.run()).toMatchObject({ outcome: 'skipped', skipReason: 'ownership-challenge' });
    expect(challenge.source.opened).toBe(0);

    const zeroBytes = setup(Buffer.alloc(0));
    expect(await zeroBytes.run()).toMatchObject({ outcome: 'skipped', skipReason: 'empty-object' });
    expect(zeroBytes.source.opened).toBe(0);

    const emptyGzip = setup('');
    expect(await emptyGzip.run()).toMatchObject({ outcome: 'skipped', skipReason: 'empty-object' });
    expect(emptyGzip.sink.calls).toEqual([]);
  });

  it('retries entries Firehose rejects and still delivers every event exactly once', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => login(i));
    const { sink, run } = setup(lines.join('\n'));
    // The first attempt of every batch loses its odd entries.
    sink.plan = (call, batch) => (call % 2 === 0 ? batch.map((_, i) => i).filter((i) => i % 2 === 1) : []);
    const summary = await run();
    expect(summary.events).toBe(3000);
    expect(summary.delivery.retriedRecords).toBeGreaterThan(0);
    const emails = sink.events().map((e) => (e.user as { email: string }).email);
    expect(emails).toHaveLength(3000);
    expect(new Set(emails).size).toBe(3000);
  });

  it('fails the object when records cannot be delivered, so the queue retries it', async () => {
    const { sink, options, ref, source, store } = setup(login(1));
    sink.plan = (_call, batch) => batch.map((_, i) => i);
    const clock = fakeClock();
    await expect(
      processObject(
        ref,
        source,
        (r) => new BlobQuarantine({ store, prefix: 'quarantine', source: r, clock }),
        { ...options, clock, retry: { maxAttempts: 3 } },
      ),
    ).rejects.toBeInstanceOf(DeliveryError);
  });

  it('fails a corrupt object after delivering every line before the damage and recording it in quarantine', async () => {
    const gz = gzipSync(Array.from({ length: 500 }, (_, i) => login(i)).join('\n'));
    const { store, sink, run } = setup(gz.subarray(0, gz.length - 30));
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    const read = (error as DecodeError).linesRead;
    expect(read).toBeGreaterThan(400);
    expect(read).toBeLessThan(500);
    // No retry reads further, so what was read is all the lake can get: it is delivered, not left in the packer.
    expect(sink.events().map((e) => (e.user as { email: string }).email)).toEqual(
      Array.from({ length: read }, (_, i) => `user${i}@example.com`),
    );
    expect(store.entries()).toEqual([
      expect.objectContaining({
        line: null,
        raw: null,
        reason: expect.stringMatching(new RegExp(`^gzip data is corrupt or truncated after line ${read}: `)),
      }),
    ]);
  });

  it('reports the delivery failure rather than the damage when the lines before it cannot be delivered', async () => {
    const gz = gzipSync(Array.from({ length: 50 }, (_, i) => login(i)).join('\n'));
    const { store, sink, options, ref, source } = setup(gz.subarray(0, gz.length - 30));
    sink.plan = (_call, batch) => batch.map((_, i) => i);
    const clock = fakeClock();
    const error = await processObject(
      ref,
      source,
      (r) => new BlobQuarantine({ store, prefix: 'quarantine', source: r, clock }),
      { ...options, clock, retry: { maxAttempts: 2 } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(store.entries()).toEqual([
      expect.objectContaining({ line: null, reason: expect.stringMatching(/corrupt or truncated/) }),
    ]);
  });

  it('lets no delivery of a failed object run on: the object fails once every batch in flight has answered', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => login(i));
    // Plain NDJSON in one chunk: no decompressor thread and no read in the way, the calls start at once and the
    // pipeline notices the failure within microtasks.
    const source = new MemoryObjectSource(64 * 1024);
    const ref = source.put('logpush-bucket', KEY, `${lines.join('\n')}\n`);
    const order: string[] = [];
    let calls = 0;
    const sink: RecordSink = {
      async putRecords() {
        const call = calls++;
        if (call === 0) throw new SinkError('no such stream', 'ResourceNotFoundException', false);
        if (call === 1) {
          // A slow answer: many turns of the event loop.
          for (let turn = 0; turn < 50; turn++) await setImmediate();
          order.push('second call answered');
        }
        return { failed: [] };
      },
    };
    const clock = fakeClock();
    const store = new MemoryBlobStore();
    const failed = processObject(
      ref,
      source,
      (r) => new BlobQuarantine({ store, prefix: 'quarantine', source: r, clock }),
      // One event per record and one record per call: every event is a call of its own.
      { sink, clock, logpushPrefix: 'logpush', packLimits: { maxEventsPerRecord: 1, maxRecordsPerCall: 1 } },
    ).catch((error: unknown) => {
      order.push('object failed');
      return error;
    });
    expect(await failed).toBeInstanceOf(DeliveryError);
    expect(order).toEqual(['second call answered', 'object failed']);
  });

  it('gives the same events with the same ids when an object is processed again', async () => {
    const body = `${[login(1), login(2)].join('\n')}\n`;
    const first = setup(body);
    const second = setup(body);
    await first.run();
    await second.run();
    expect(second.sink.events()).toEqual(first.sink.events());
  });

  it('reports an over-long line with its length and keeps its head', async () => {
    const { options, store, ref, source, sink } = setup(`${login(1)}\n${'x'.repeat(5000)}\n${login(2)}\n`);
    const clock = fakeClock();
    const summary = await processObject(
      ref,
      source,
      (r) => new BlobQuarantine({ store, prefix: 'q', source: r, clock }),
      { ...options, decode: { maxLineBytes: 2000, keptBytes: 16 } },
    );
    expect(summary).toMatchObject({ events: 2, quarantined: 1 });
    expect(store.entries()[0]).toMatchObject({ line: 2, raw: 'x'.repeat(16), raw_bytes: 5000 });
    expect(sink.events()).toHaveLength(2);
  });
});

describe('processObject on odd bytes and shapes', () => {
  it('delivers a line with bytes that are not UTF-8 with U+FFFD in their place, tagged and counted', async () => {
    const bad = Buffer.concat([
      Buffer.from(login(2, { Email: 'PLACEHOLDER' }).split('PLACEHOLDER')[0]!),
      Buffer.from([0x6a, 0xf6, 0x72, 0x67]), // "jörg" in Latin-1
      Buffer.from(login(2, { Email: 'PLACEHOLDER' }).split('PLACEHOLDER')[1]!),
    ]);
    const body = Buffer.concat([
      Buffer.from(`${login(1)}\n`),
      bad,
      Buffer.from(`\n${login(3, { Email: 'a\uFFFDb@example.com' })}\n`),
    ]);
    const { sink, store, run } = setup(gzipSync(body));
    const summary = await run();
    expect(summary).toMatchObject({ lines: 3, events: 3, quarantined: 0, invalidUtf8: 1 });
    expect(store.objects.size).toBe(0);
    const events = sink.events();
    expect(events.map((e) => [(e.user as { email: string }).email, e.tags])).toEqual([
      ['user1@example.com', undefined],
      ['j\uFFFDrg', ['invalid_utf8']],
      // A replacement character written as such is valid UTF-8: no tag.
      ['a\uFFFDb@example.com', undefined],
    ]);
  });

  it('reads a line that starts with a byte-order mark (files joined after saving) as the same event', async () => {
    const plain = setup(`${login(1)}\n${login(2)}\n`);
    const marked = setup(`\uFEFF${login(1)}\n\uFEFF${login(2)}\n`);
    expect(await marked.run()).toMatchObject({ lines: 2, events: 2, quarantined: 0 });
    await plain.run();
    expect(marked.sink.events()).toEqual(plain.sink.events());
  });

  it('quarantines every line of a pretty-printed JSON array, so the document can be put together again', async () => {
    const document = JSON.stringify([JSON.parse(login(1)), JSON.parse(login(2))], null, 2);
    const lines = document.split('\n');
    const { sink, store, run } = setup(`${document}\n`);
    const summary = await run();
    expect(summary).toMatchObject({
      lines: lines.length,
      blankLines: 0,
      events: 0,
      quarantined: lines.length,
    });
    expect(sink.calls).toEqual([]);
    const entries = store.entries();
    expect(entries.map((e) => e.raw)).toEqual(lines);
    expect(entries.map((e) => e.line)).toEqual(lines.map((_, i) => i + 1));
    const hinted = entries.filter((e) => /spread over several lines/.test(String(e.reason)));
    expect(hinted.map((e) => e.raw)).toEqual(['[', '  {', '  {']);
    expect(entries.every((e) => String(e.reason).startsWith('invalid JSON: '))).toBe(true);
  });
});

describe('normalizeObject', () => {
  it('maps every record with the dataset it is told, whatever key and fields say', async () => {
    const sink = new MemorySink();
    const ref: ObjectRef = { bucket: '', key: 'stdin' };
    const body = (async function* () {
      yield Buffer.from(`${login(1, { CreatedAt: undefined })}\n`);
    })();
    const summary = await normalizeObject(
      ref,
      { body },
      { add: () => undefined, finish: async () => 0 },
      { sink, clock: fakeClock(), dataset: 'access_requests' },
    );
    expect(summary.events).toBe(1);
    // No event time in the record: the processing time stands in, and the event says so.
    expect(sink.events()[0]).toMatchObject({
      '@timestamp': '2026-11-21T12:00:00.000Z',
      tags: ['timestamp_from_object'],
    });
  });
});
