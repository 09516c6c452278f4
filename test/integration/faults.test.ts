/**
 * Faults the normalize path survives, followed across SQS receives: the real handler (`createNormalizeHandler`)
 * with the real SDK clients against the fake S3 and Firehose on 127.0.0.1, invoked by an in-process SQS event
 * source (`test/support/sqs-simulator.ts`) with the deployed settings: function timeout 300 s, visibility timeout
 * 1,800 s, maxReceiveCount 5, batch size 1, and the production retry policy. Time is virtual: a two-hour outage
 * takes a second.
 *
 * Each scenario asserts the outcome exactly: which events reached Firehose (by id, on which receive), what the
 * quarantine holds, what was dead-lettered and when, and that every line is accounted for.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-fs.ts';
import {
  createNormalizeHandler,
  type NormalizeDependencies,
  OBJECT_DEAD_LETTERED_MESSAGE,
  OBJECT_RETRIED_MESSAGE,
} from '../../lambdas/handlers/normalize-app.ts';
import { SAVED_QUERIES } from '../../lambdas/lake/queries.ts';
import type { NormalizeSettings } from '../../lambdas/settings.ts';
import { toDuckDb } from '../../scripts/athena-dialect.ts';
import { convertLakeToParquet, openLocalLake } from '../../scripts/local-lake.ts';
import { fakeFirehoseClient, fakeS3Client } from '../support/aws-clients.ts';
import {
  eventsInRecords,
  type FakeFirehose,
  FIREHOSE_MAX_BATCH_BYTES,
  startFakeFirehose,
} from '../support/fake-firehose.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';
import {
  accessRequestLine,
  accessRequestLines,
  FIXTURE_ACCOUNT_ID,
  gzipNdjson,
  hexId,
  logpushKey,
  rayIdOf,
} from '../support/logpush-fixtures.ts';
import { type S3EventObject, s3EventBody } from '../support/sqs-events.ts';
import { type Invocation, SqsSimulator, VirtualClock } from '../support/sqs-simulator.ts';

const LOGPUSH_BUCKET = 'cf-logpush-faults';
const LAKE_BUCKET = 'cf-lake-faults';
const STREAM = 'cf-logs-ecs-faults';
const SETTINGS: NormalizeSettings = {
  deliveryStream: STREAM,
  lakeBucket: LAKE_BUCKET,
  quarantinePrefix: 'quarantine',
  logpushPrefix: 'logpush',
};
/** The deployed queue settings (lib/lake-settings.ts, lib/normalize-ingest.ts). */
const VISIBILITY_MS = 6 * 300 * 1000;
const MAX_RECEIVES = 5;
/** The packer's batches in flight at once (the pipeline's default). */
const MAX_IN_FLIGHT = 4;

/** The parts of a delivered lake row the tests look at. */
interface DeliveredEvent {
  readonly event: { readonly id: string; readonly dataset: string };
  readonly cloudflare?: { readonly rayid?: string; readonly email?: string };
  readonly user?: { readonly email?: string };
  readonly tags?: readonly string[];
}

let s3: FakeS3;
let fh: FakeFirehose;

beforeAll(async () => {
  s3 = await startFakeS3({ buckets: [LOGPUSH_BUCKET, LAKE_BUCKET], chunkSize: 16 * 1024 });
  fh = await startFakeFirehose({ deliveryStreams: [STREAM], seed: 20261122 });
});

afterAll(async () => {
  await Promise.all([s3?.close(), fh?.close()]);
});

afterEach(() => {
  s3.clearFaults();
  fh.script.queue.length = 0;
  fh.script.planner = undefined;
  fh.script.defaultPlan = { kind: 'accept' };
});

/**
 * The normalize handler wired like production (production retry policy unless `retry` is given), behind the
 * simulated queue. `records(i)` are the Firehose records accepted during invocation `i`.
 */
function deployed(
  options: {
    retry?: NormalizeDependencies['retry'];
    s3Client?: S3Client;
    firehoseClient?: FirehoseClient;
  } = {},
) {
  const clock = new VirtualClock();
  const handler = createNormalizeHandler({
    settings: SETTINGS,
    s3: options.s3Client ?? fakeS3Client(s3),
    firehose: options.firehoseClient ?? fakeFirehoseClient(fh),
    logger: new Logger({ serviceName: 'cf-logs-normalize', logLevel: 'INFO' }),
    metrics: new Metrics({ namespace: 'CloudflareLogLake', serviceName: 'cf-logs-normalize' }),
    clock,
    maxReceiveCount: MAX_RECEIVES,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
  const marks: number[] = [];
  const queue = new SqsSimulator({
    clock,
    handler: (event, context) => {
      marks.push(fh.records.length);
      return handler(event, context);
    },
  });
  const start = clock.time;
  return {
    queue,
    clock,
    /** Virtual ms since the test started. */
    elapsed: () => clock.time - start,
    records: (invocation: number) => fh.records.slice(marks[invocation], marks[invocation + 1]),
    events: (invocation: number) => eventsIn(fh.records.slice(marks[invocation], marks[invocation + 1])),
    allEvents: () => eventsIn(fh.records.slice(marks[0])),
  };
}

/** Stores a gzip NDJSON object in the Logpush bucket and returns what its S3 event names. */
function putObject(key: string, body: Buffer): S3EventObject {
  const stored = s3.putObject(LOGPUSH_BUCKET, key, body);
  return { bucket: LOGPUSH_BUCKET, key, size: stored.body.length, eTag: stored.etag.replaceAll('"', '') };
}

const eventsIn = (records: readonly Buffer[]) => eventsInRecords<DeliveredEvent>(records);

const rayIdsOf = (events: readonly DeliveredEvent[]) => events.map((e) => e.cloudflare?.rayid ?? '(none)');
const sorted = (values: readonly string[]) => [...values].sort();
const linesOf = (count: number, seed: string) => Array.from({ length: count }, (_, i) => rayIdOf(i, seed));

/** The quarantine records written for one Logpush object (files are named after the object). */
function quarantineOf(key: string): Record<string, unknown>[] {
  return s3
    .listKeys(LAKE_BUCKET, 'quarantine/')
    .flatMap((file) =>
      gunzipSync(s3.getObject(LAKE_BUCKET, file)!)
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    )
    .filter((entry) => entry.key === key);
}

/** The receive counts of the invocations, in order. */
const receivesOf = (invocations: readonly Invocation[]) =>
  invocations.map((i) => i.messages.map((m) => m.receiveCount));

describe('the SQS simulator', () => {
  /** A queue whose handler answers from a script, one answer per invocation. */
  function scripted(answers: ((ids: string[]) => Promise<SQSBatchResponse>)[], batchSize = 1) {
    const clock = new VirtualClock();
    const seen: { ids: string[]; receiveCounts: string[]; remainingMs: number }[] = [];
    const queue = new SqsSimulator({
      clock,
      batchSize,
      handler: async (event, context) => {
        const ids = event.Records.map((r) => r.messageId);
        seen.push({
          ids,
          receiveCounts: event.Records.map((r) => r.attributes.ApproximateReceiveCount),
          remainingMs: context.getRemainingTimeInMillis(),
        });
        const answer = answers.shift();
        if (!answer) throw new Error('no answer scripted');
        return answer(ids);
      },
    });
    return { clock, queue, seen };
  }
  const succeed = async () => ({ batchItemFailures: [] });
  const fail = async () => {
    throw new Error('failed');
  };

  it('retries a failed message after the visibility timeout and dead-letters it after the fifth receive', async () => {
    const { clock, queue, seen } = scripted([fail, fail, fail, fail, fail]);
    const start = clock.time;
    const id = queue.send('{"n":1}');

    await queue.run({ maxInvocations: 10 });

    expect(seen.map((s) => s.receiveCounts)).toEqual([['1'], ['2'], ['3'], ['4'], ['5']]);
    expect(seen.every((s) => s.remainingMs === 300_000)).toBe(true);
    expect(queue.invocations.map((i) => i.startedAt - start)).toEqual(
      [0, 1, 2, 3, 4].map((k) => k * VISIBILITY_MS),
    );
    expect(queue.invocations.every((i) => i.outcome === 'threw')).toBe(true);
    expect(queue.deadLetters).toEqual([
      { id, body: '{"n":1}', receiveCount: 5, at: start + 5 * VISIBILITY_MS },
    ]);
    expect(queue.deleted).toEqual([]);
    expect(queue.waiting).toBe(0);
  });

  it('deletes what the batch response does not name, keeps what it names, and all of it for an unknown name', async () => {
    const { queue, seen } = scripted(
      [
        async (ids) => ({ batchItemFailures: [{ itemIdentifier: ids[1]! }] }),
        async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }),
        succeed,
      ],
      3,
    );
    const ids = ['a', 'b', 'c'].map((body) => queue.send(body));

    await queue.run({ maxInvocations: 3 });

    expect(seen.map((s) => s.ids)).toEqual([ids, [ids[1]], [ids[1]]]);
    expect(seen.map((s) => s.receiveCounts)).toEqual([['1', '1', '1'], ['2'], ['3']]);
    expect(queue.deleted.map((d) => [d.id, d.receiveCount])).toEqual([
      [ids[0], 1],
      [ids[2], 1],
      [ids[1], 3],
    ]);
  });

  it('counts a run past the function timeout as a failure of the whole batch, whatever it returned', async () => {
    const { clock, queue } = scripted([
      async () => {
        await clock.sleep(301_000);
        return { batchItemFailures: [] };
      },
      succeed,
    ]);
    queue.send('late');

    await queue.run({ maxInvocations: 2 });

    expect(queue.invocations.map((i) => i.outcome)).toEqual(['timed-out', 'returned']);
    expect(queue.deleted.map((d) => d.receiveCount)).toEqual([2]);
  });

  it('refuses to run on past the invocations it is given', async () => {
    const { queue } = scripted([fail, fail]);
    queue.send('x');
    await expect(queue.run({ maxInvocations: 2 })).rejects.toThrow(/more than 2 invocations/);
  });

  it('moves its virtual clock by the longest of concurrent sleeps, not their sum', async () => {
    const clock = new VirtualClock();
    const start = clock.time;
    await Promise.all([clock.sleep(1_000), clock.sleep(3_000), clock.sleep(2_000)]);
    expect(clock.time - start).toBe(3_000);
    await clock.sleep(500);
    expect(clock.time - start).toBe(3_500);
  });
});

describe('S3 body broken more often than the source resumes', () => {
  it('fails the first receive, retries the whole object at the second, and every line reaches the lake with one id', async () => {
    const count = 12_000;
    const object = putObject(
      logpushKey('faults-reset'),
      gzipNdjson(accessRequestLines(count, 'faults-reset')),
    );
    // Every GET of the first receive breaks after 70,000 bytes: the first GET and the source's five resumes.
    expect(object.size).toBeGreaterThan(6 * 70_000);
    const fault = s3.addFault({ operation: 'GetObject', key: object.key, resetAfterBytes: 70_000, times: 6 });
    const lake = deployed();
    const id = lake.queue.send(s3EventBody([object]));

    await lake.queue.run({ maxInvocations: MAX_RECEIVES });

    expect(fault.hits).toBe(6);
    expect(receivesOf(lake.queue.invocations)).toEqual([[1], [2]]);
    const [first, second] = lake.queue.invocations as [Invocation, Invocation];
    expect(first.outcome).toBe('threw');
    expect((first.error as FullBatchFailureError).recordErrors[0]).toMatchObject({ code: 'ECONNRESET' });
    expect(first.output.metric('S3StreamResumes')).toBe(5);
    expect(first.output.logs(OBJECT_RETRIED_MESSAGE)).toEqual([
      expect.objectContaining({
        key: object.key,
        receiveCount: '1',
        error: expect.objectContaining({ code: 'ECONNRESET' }),
      }),
    ]);
    // The second receive comes when the visibility timeout ends, and reads the object from its start.
    expect(second.startedAt - first.startedAt).toBe(VISIBILITY_MS);
    expect(second.response).toEqual({ batchItemFailures: [] });
    expect(lake.queue.deleted).toEqual([expect.objectContaining({ id, receiveCount: 2 })]);
    expect(lake.queue.deadLetters).toEqual([]);

    // The first receive delivered what it read before failing: whole batches, each event once.
    const before = lake.events(0);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(count);
    expect(new Set(rayIdsOf(before)).size).toBe(before.length);
    // The second delivered the whole object once.
    const after = lake.events(1);
    expect(sorted(rayIdsOf(after))).toEqual(sorted(linesOf(count, 'faults-reset')));
    // Together: every line, nothing else; the lines sent twice are the same events with the same ids.
    const all = [...before, ...after];
    expect(sorted([...new Set(rayIdsOf(all))])).toEqual(sorted(linesOf(count, 'faults-reset')));
    const byId = new Map(after.map((e) => [e.event.id, JSON.stringify(e)]));
    expect(byId.size).toBe(count);
    expect(before.filter((e) => JSON.stringify(e) !== byId.get(e.event.id))).toEqual([]);
    expect(fh.violations()).toEqual([]);
  });
});

describe('corrupt or truncated gzip', () => {
  it('delivers the lines before the damage on every receive, records the object in quarantine, and dead-letters it after five', async () => {
    const count = 3_000;
    const whole = gzipNdjson(accessRequestLines(count, 'faults-truncated'));
    const key = logpushKey('faults-truncated', 'access_requests', '20261120');
    const object = putObject(key, whole.subarray(0, whole.length - 4_096));
    const lake = deployed();
    const id = lake.queue.send(s3EventBody([object]));

    await lake.queue.run({ maxInvocations: MAX_RECEIVES });

    const { invocations } = lake.queue;
    expect(receivesOf(invocations)).toEqual([[1], [2], [3], [4], [5]]);
    expect(invocations.every((i) => i.outcome === 'threw')).toBe(true);
    expect(invocations.map((i) => i.startedAt - invocations[0]!.startedAt)).toEqual(
      [0, 1, 2, 3, 4].map((k) => k * VISIBILITY_MS),
    );
    // Moved when it would have been received a sixth time.
    expect(lake.queue.deadLetters).toEqual([
      expect.objectContaining({
        id,
        receiveCount: MAX_RECEIVES,
        at: invocations[0]!.startedAt + 5 * VISIBILITY_MS,
      }),
    ]);
    expect(lake.queue.deleted).toEqual([]);

    // The quarantine holds the object once (its file is rewritten on each receive), with where the damage is.
    const entries = quarantineOf(key);
    expect(entries).toEqual([
      expect.objectContaining({
        line: null,
        raw: null,
        dataset: 'access_requests',
        reason: expect.stringMatching(
          /^gzip data is corrupt or truncated after line \d+: unexpected end of file$/,
        ),
      }),
    ]);
    const read = Number(/after line (\d+)/.exec(String(entries[0]?.reason))?.[1]);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(count);
    // Every receive delivers exactly those lines, with the same ids: the lake holds each of them, deduplicated.
    const prefix = sorted(linesOf(read, 'faults-truncated'));
    for (const invocation of invocations)
      expect(sorted(rayIdsOf(lake.events(invocation.index)))).toEqual(prefix);
    const ids = (k: number) => sorted(lake.events(k).map((e) => e.event.id));
    for (const k of [1, 2, 3, 4]) expect(ids(k)).toEqual(ids(0));

    // The last receive says where the message goes.
    expect(invocations.slice(0, 4).map((i) => i.output.logs(OBJECT_RETRIED_MESSAGE).length)).toEqual([
      1, 1, 1, 1,
    ]);
    expect(invocations[4]?.output.logs(OBJECT_DEAD_LETTERED_MESSAGE)).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        key,
        receiveCount: String(MAX_RECEIVES),
        error: expect.objectContaining({ name: 'DecodeError' }),
      }),
    ]);
    expect(invocations[4]?.output.logs(OBJECT_RETRIED_MESSAGE)).toEqual([]);
  });

  it('fails corrupt deflate data the same way on every receive, delivering the same events each time', async () => {
    const count = 3_000;
    const damaged = Buffer.from(gzipNdjson(accessRequestLines(count, 'faults-corrupt')));
    // Flip bytes in the middle of the compressed stream.
    const middle = Math.floor(damaged.length / 2);
    for (let i = middle; i < middle + 8; i++) damaged[i] = damaged[i]! ^ 0x55;
    const key = logpushKey('faults-corrupt', 'access_requests', '20261120');
    const object = putObject(key, damaged);
    const lake = deployed();
    lake.queue.send(s3EventBody([object]));

    await lake.queue.run({ maxInvocations: MAX_RECEIVES });

    expect(receivesOf(lake.queue.invocations)).toEqual([[1], [2], [3], [4], [5]]);
    expect(lake.queue.deadLetters).toHaveLength(1);
    const entries = quarantineOf(key);
    const objectEntry = entries.filter((e) => e.line === null);
    expect(objectEntry).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/^gzip data is corrupt or truncated after line \d+: /),
      }),
    ]);
    const read = Number(/after line (\d+)/.exec(String(objectEntry[0]?.reason))?.[1]);
    // Lines before the damage was detected: delivered, or quarantined when the damage reached them.
    const delivered = lake.events(0);
    const lineEntries = entries.filter((e) => e.line !== null);
    expect(delivered.length + lineEntries.length).toBe(read);
    // Here the damage garbles every line from where it starts (a changed byte of deflate data changes what
    // follows it until zlib notices): the lines before it are delivered intact, the garbled ones quarantined.
    expect(sorted(rayIdsOf(delivered))).toEqual(sorted(linesOf(delivered.length, 'faults-corrupt')));
    expect(lineEntries.map((e) => e.line)).toEqual(
      Array.from({ length: lineEntries.length }, (_, i) => delivered.length + 1 + i),
    );
    expect(lineEntries.every((e) => String(e.reason).startsWith('invalid JSON: '))).toBe(true);
    for (const k of [1, 2, 3, 4]) expect(lake.events(k)).toEqual(delivered);
  });
});

describe('Firehose throttling while records wait', () => {
  it('reads no further from S3 than the records in flight allow, and delivers every event once when calls succeed again', async () => {
    const count = 50_000;
    const object = putObject(
      logpushKey('faults-throttled'),
      gzipNdjson(accessRequestLines(count, 'faults-throttled')),
    );

    // What the pipeline has pulled from the S3 body so far (compressed bytes).
    let pulled = 0;
    const s3Client = fakeS3Client(s3);
    s3Client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as { Body?: AsyncIterable<Uint8Array> & { destroy?: () => void } };
        const body = output.Body;
        if (body) {
          const counted = (async function* () {
            for await (const chunk of body) {
              pulled += chunk.length;
              yield chunk;
            }
          })();
          output.Body = Object.assign(counted, { destroy: () => body.destroy?.() });
        }
        return result;
      },
      { step: 'initialize', name: 'countPulledBytes' },
    );
    // PutRecordBatch calls, records and bytes on their way to Firehose at once.
    const inFlight = { calls: 0, records: 0, bytes: 0 };
    const most = { calls: 0, records: 0, bytes: 0 };
    const firehoseClient = fakeFirehoseClient(fh);
    firehoseClient.middlewareStack.add(
      (next) => async (args) => {
        const records = (args.input as { Records?: { Data?: Uint8Array }[] }).Records ?? [];
        const bytes = records.reduce((n, r) => n + (r.Data?.length ?? 0), 0);
        inFlight.calls++;
        inFlight.records += records.length;
        inFlight.bytes += bytes;
        most.calls = Math.max(most.calls, inFlight.calls);
        most.records = Math.max(most.records, inFlight.records);
        most.bytes = Math.max(most.bytes, inFlight.bytes);
        try {
          return await next(args);
        } finally {
          inFlight.calls--;
          inFlight.records -= records.length;
          inFlight.bytes -= bytes;
        }
      },
      { step: 'initialize', name: 'countInFlight' },
    );
    const lake = deployed({ s3Client, firehoseClient });
    // Calls are throttled (both ways Firehose says it) until the S3 reading has visibly stopped: sixteen calls in
    // a row without a byte more pulled (a hundred calls at most). Then 8 calls in which 30% of the entries fail.
    // The decoder runs in real time, the retries on the virtual clock: the switch is on what is seen, not on
    // time. Were reading not held back, it would stop only at the end of the object.
    const samples: { at: number; pulled: number }[] = [];
    let unchanged = 0;
    let throttling = true;
    let partial = 0;
    fh.script.planner = (call) => {
      if (throttling) {
        unchanged = samples.length > 0 && samples.at(-1)?.pulled === pulled ? unchanged + 1 : 0;
        samples.push({ at: lake.elapsed(), pulled });
        if (unchanged < 16 && samples.length < 100) {
          return call % 2 === 0
            ? { kind: 'throttle' }
            : { kind: 'throttle', errorType: 'ThrottlingException' };
        }
        throttling = false;
      }
      return partial++ < 8 ? { kind: 'partial', failFraction: 0.3 } : undefined;
    };
    const firehose = fh.calls.length;
    lake.queue.send(s3EventBody([object]));

    await lake.queue.run({ maxInvocations: 1 });

    const [invocation] = lake.queue.invocations;
    expect(invocation?.response).toEqual({ batchItemFailures: [] });
    expect(lake.queue.deleted).toEqual([expect.objectContaining({ receiveCount: 1 })]);
    const calls = fh.calls.slice(firehose);
    expect(calls.filter((c) => c.outcome === 'throttled')).toHaveLength(samples.length - 1);
    expect(calls.some((c) => c.outcome === 'partial' && c.failed > 0)).toBe(true);
    expect(fh.violations()).toEqual([]);
    const events = lake.events(0);
    expect(events).toHaveLength(count);
    expect(sorted(rayIdsOf(events))).toEqual(sorted(linesOf(count, 'faults-throttled')));

    // The bound: at most four calls at once, each within Firehose's call limits...
    expect(most.calls).toBe(MAX_IN_FLIGHT);
    expect(most.records).toBeLessThanOrEqual(MAX_IN_FLIGHT * 500);
    expect(most.bytes).toBeLessThanOrEqual(MAX_IN_FLIGHT * FIREHOSE_MAX_BATCH_BYTES);
    // ...and while they wait, the decoder stops pulling from S3: reading stopped (sixteen calls without a byte)
    // before half the object, and the rest was read once calls succeeded again.
    expect(unchanged).toBeGreaterThanOrEqual(16);
    const held = samples.at(-1)!.pulled;
    expect(held).toBeLessThan(object.size / 2);
    expect(pulled).toBe(object.size);
  });
});

describe('how long a Firehose outage the deployed defaults absorb', () => {
  /**
   * Firehose refuses every call until `untilMs` after the start, and fails 30% of the entries after that. With
   * `mixed`, the refusals take turns: 503 "Slow down.", 400 ThrottlingException, and a 200 whose every entry
   * failed; and the first call of more than 2 MiB goes through first (calls of one object run concurrently: the
   * first to arrive may be a small one).
   */
  function outage(lake: ReturnType<typeof deployed>, untilMs: number, mixed = false) {
    let passed = !mixed;
    let refused = 0;
    fh.script.planner = (_call, records) => {
      if (!passed && records.reduce((n, r) => n + r.length, 0) > FIREHOSE_MAX_BATCH_BYTES / 2) {
        passed = true;
        return undefined;
      }
      if (lake.elapsed() >= untilMs) return { kind: 'partial', failFraction: 0.3 };
      if (!mixed) return { kind: 'throttle' };
      const turn = refused++ % 3;
      if (turn === 0) return { kind: 'throttle' };
      return turn === 1
        ? { kind: 'throttle', errorType: 'ThrottlingException' }
        : { kind: 'partial', failFraction: 1 };
    };
  }

  it('absorbs four minutes of throttling and failed entries within one receive, where eight attempts cost a redelivery 30 minutes later and duplicates', async () => {
    // A little more than one call holds: the full call goes through, a small second one meets the outage.
    const count = 5_000;
    const object = putObject(
      logpushKey('faults-outage-4min'),
      gzipNdjson(accessRequestLines(count, 'outage-4min')),
    );
    const expected = sorted(linesOf(count, 'outage-4min'));

    // The deployed policy: retried until the deadline nears. The full call goes through, the other meets four
    // minutes of refusals, then 30% of failed entries.
    const now = deployed();
    const from = fh.calls.length;
    outage(now, 240_000, true);
    now.queue.send(s3EventBody([object]));
    await now.queue.run({ maxInvocations: MAX_RECEIVES });
    expect(receivesOf(now.queue.invocations)).toEqual([[1]]);
    expect(now.queue.deleted).toEqual([expect.objectContaining({ receiveCount: 1 })]);
    const once = now.events(0);
    expect(sorted(rayIdsOf(once))).toEqual(expected);
    const [invocation] = now.queue.invocations;
    expect((invocation?.endedAt ?? 0) - (invocation?.startedAt ?? 0)).toBeGreaterThanOrEqual(240_000);
    const refusals = fh.calls
      .slice(from)
      .filter((c) => c.outcome === 'throttled' || (c.outcome === 'partial' && c.accepted === 0));
    expect(new Set(refusals.map((c) => c.errorType ?? 'every entry failed'))).toEqual(
      new Set(['ServiceUnavailableException', 'ThrottlingException', 'every entry failed']),
    );
    expect(invocation?.output.metric('FirehoseFailedCalls')).toBeGreaterThan(30);

    // Eight attempts (what the normalize function did before, and what the command line still does).
    const before = deployed({ retry: { maxAttempts: 8 } });
    outage(before, 240_000, true);
    before.queue.send(s3EventBody([object]));
    await before.queue.run({ maxInvocations: MAX_RECEIVES });
    expect(receivesOf(before.queue.invocations)).toEqual([[1], [2]]);
    const [failed, retried] = before.queue.invocations;
    // Eight attempts wait 11.3 s at most (seven waits of up to 100 ms doubling to 5 s): the message gives up in
    // seconds and comes back 30 minutes later, when the whole object is sent again.
    expect((failed?.endedAt ?? 0) - (failed?.startedAt ?? 0)).toBeLessThanOrEqual(11_300);
    expect((retried?.startedAt ?? 0) - (failed?.startedAt ?? 0)).toBe(VISIBILITY_MS);
    const first = before.events(0);
    expect(first.length).toBeGreaterThan(0);
    expect(sorted(rayIdsOf(before.events(1)))).toEqual(expected);
    // The events of the first call arrived twice, with the same ids; the deployed policy sent each once.
    expect(before.allEvents()).toHaveLength(count + first.length);
    expect(new Set(before.allEvents().map((e) => e.event.id)).size).toBe(count);
  });

  it('delivers after an outage of 2 h 04 min on the fifth receive, and dead-letters the message after one of 2 h 06 min', async () => {
    const object = putObject(logpushKey('faults-outage-2h'), gzipNdjson(accessRequestLines(20, 'outage-2h')));

    // Receives start 30 minutes apart (0, 30, 60, 90, 120 min), each retrying until a second before its 300 s end.
    const absorbed = deployed();
    outage(absorbed, 124 * 60_000);
    absorbed.queue.send(s3EventBody([object]));
    await absorbed.queue.run({ maxInvocations: MAX_RECEIVES });
    const starts = (lake: ReturnType<typeof deployed>) =>
      lake.queue.invocations.map((i) => (i.startedAt - lake.queue.invocations[0]!.startedAt) / 60_000);
    expect(starts(absorbed)).toEqual([0, 30, 60, 90, 120]);
    expect(absorbed.queue.invocations.map((i) => i.outcome)).toEqual([
      'threw',
      'threw',
      'threw',
      'threw',
      'returned',
    ]);
    // Each failed receive kept trying for nearly all of its 300 s.
    for (const i of absorbed.queue.invocations.slice(0, 4)) {
      expect(i.endedAt - i.startedAt).toBeGreaterThan(290_000);
      expect(i.endedAt - i.startedAt).toBeLessThanOrEqual(299_000);
    }
    expect(absorbed.queue.deleted).toEqual([expect.objectContaining({ receiveCount: 5 })]);
    expect(sorted(rayIdsOf(absorbed.allEvents()))).toEqual(sorted(linesOf(20, 'outage-2h')));

    const lost = deployed();
    outage(lost, 126 * 60_000);
    const id = lost.queue.send(s3EventBody([object]));
    await lost.queue.run({ maxInvocations: MAX_RECEIVES });
    expect(lost.queue.invocations.map((i) => i.outcome)).toEqual(Array(5).fill('threw'));
    expect(lost.queue.deadLetters).toEqual([
      expect.objectContaining({
        id,
        receiveCount: 5,
        at: lost.queue.invocations[0]!.startedAt + 5 * VISIBILITY_MS,
      }),
    ]);
    expect(lost.allEvents()).toEqual([]);
    expect(lost.queue.invocations[4]?.output.logs(OBJECT_DEAD_LETTERED_MESSAGE)).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({
          message: expect.stringMatching(
            /no time left for attempt \d+; last: call failed: ServiceUnavailableException/,
          ),
        }),
      }),
    ]);
  });
});

describe('line faults: each line is delivered or quarantined with its reason, and the counts add up', () => {
  it('handles over-long lines, bytes that are not UTF-8, byte-order marks, a one-line array and a blank line in one object', async () => {
    const seed = 'faults-lines';
    const huge = accessRequestLine(1, seed, { PurposeJustificationResponse: 'z'.repeat(1_100_000) });
    const enormous = accessRequestLine(2, seed, {
      PurposeJustificationResponse: 'y'.repeat(17 * 1024 * 1024),
    });
    const [before, after] = accessRequestLine(3, seed, { Email: '@' }).split('@');
    const latin1 = Buffer.concat([
      Buffer.from(`${before}j`),
      Buffer.from([0xf6]),
      Buffer.from(`rg@example.com${after}`),
    ]);
    const array = `[${accessRequestLine(5, seed)},${accessRequestLine(6, seed)}]`;
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const body = Buffer.concat([
      bom,
      Buffer.from(`${accessRequestLine(0, seed)}\n${huge}\n${enormous}\n`),
      latin1,
      Buffer.from('\n'),
      bom,
      Buffer.from(`${accessRequestLine(4, seed)}\n${array}\n\n${accessRequestLine(7, seed)}\n`),
    ]);
    const key = logpushKey(seed, 'access_requests', '20261120');
    const object = putObject(key, gzipSync(body));
    const lake = deployed();
    lake.queue.send(s3EventBody([object]));

    await lake.queue.run({ maxInvocations: 1 });

    const [invocation] = lake.queue.invocations;
    expect(invocation?.response).toEqual({ batchItemFailures: [] });
    // Lines 1 (after the object's byte-order mark), 4 (not UTF-8), 5 (a mark of its own) and 8 are events.
    const events = lake.events(0);
    expect(rayIdsOf(events)).toEqual([0, 3, 4, 7].map((i) => rayIdOf(i, seed)));
    expect(events.map((e) => e.tags)).toEqual([undefined, ['invalid_utf8'], undefined, undefined]);
    expect(events[1]?.user?.email).toBe('j\uFFFDrg@example.com');
    // Lines 2, 3 and 6 are quarantined, each with enough to find or rebuild it; line 7 is blank.
    const common = { bucket: LOGPUSH_BUCKET, key, dataset: 'access_requests' };
    expect(quarantineOf(key)).toEqual([
      {
        ...common,
        quarantined_at: expect.any(String),
        line: 2,
        raw: huge,
        reason: expect.stringMatching(/^ECS event of \d+ bytes exceeds the Firehose record limit$/),
      },
      {
        ...common,
        quarantined_at: expect.any(String),
        line: 3,
        // Longer than the decoder holds (16 MiB): its first MiB, its length, and the object it is line 3 of.
        raw: enormous.slice(0, 1024 * 1024),
        raw_bytes: enormous.length,
        reason: `line of ${enormous.length} bytes is longer than the decoder's limit`,
      },
      {
        ...common,
        quarantined_at: expect.any(String),
        line: 6,
        raw: array,
        reason: 'line is a JSON array, not one JSON object (NDJSON)',
      },
    ]);
    const output = invocation!.output;
    expect(output.logs('object processed')).toEqual([
      expect.objectContaining({
        level: 'WARN',
        lines: 8,
        blankLines: 1,
        events: 4,
        quarantined: 3,
        invalidUtf8: 1,
      }),
    ]);
    expect(output.metric('LinesRead')).toBe(8);
    expect(output.metric('EventsDelivered') + output.metric('LinesQuarantined') + 1).toBe(8);
    expect(output.metric('EventsInvalidUtf8')).toBe(1);
  });

  it('quarantines every line of a pretty-printed JSON array, from which the document can be rebuilt', async () => {
    const records = [0, 1, 2].map((i) => JSON.parse(accessRequestLine(i, 'faults-pretty')) as unknown);
    const document = JSON.stringify(records, null, 2);
    const key = logpushKey('faults-pretty');
    const object = putObject(key, gzipSync(`${document}\n`));
    const lake = deployed();
    lake.queue.send(s3EventBody([object]));

    await lake.queue.run({ maxInvocations: 1 });

    expect(lake.queue.invocations[0]?.response).toEqual({ batchItemFailures: [] });
    expect(lake.events(0)).toEqual([]);
    const entries = quarantineOf(key);
    const lines = document.split('\n');
    expect(entries.map((e) => e.line)).toEqual(lines.map((_, i) => i + 1));
    expect(entries.every((e) => String(e.reason).startsWith('invalid JSON: '))).toBe(true);
    expect(
      entries.filter((e) => /spread over several lines/.test(String(e.reason))).map((e) => e.line),
    ).toEqual([1, ...lines.flatMap((l, i) => (l === '  {' ? [i + 1] : []))]);
    expect(JSON.parse(entries.map((e) => e.raw).join('\n'))).toEqual(records);
    expect(lake.queue.invocations[0]?.output.logs('object processed')).toEqual([
      expect.objectContaining({ lines: lines.length, events: 0, quarantined: lines.length }),
    ]);
  });

  it('maps the records of an object under an unknown dataset prefix by their fields, and quarantines those no dataset claims', async () => {
    const key = `logpush/not_a_dataset/${FIXTURE_ACCOUNT_ID}/20261120/20261120T100000Z_20261120T100100Z_${hexId('faults-unknown', 8)}.log.gz`;
    const stranger = '{"Foo":1,"Bar":"not a Cloudflare field"}';
    const object = putObject(key, gzipNdjson([...accessRequestLines(3, 'faults-unknown'), stranger]));
    const lake = deployed();
    lake.queue.send(s3EventBody([object]));

    await lake.queue.run({ maxInvocations: 1 });

    const [invocation] = lake.queue.invocations;
    expect(invocation?.response).toEqual({ batchItemFailures: [] });
    const events = lake.events(0);
    expect(sorted(rayIdsOf(events))).toEqual(sorted(linesOf(3, 'faults-unknown')));
    expect(events.every((e) => e.event.dataset === 'access_requests')).toBe(true);
    expect(quarantineOf(key)).toEqual([
      expect.objectContaining({
        line: 4,
        raw: stranger,
        dataset: null,
        reason: 'dataset not recognised from the object key or the record fields',
      }),
    ]);
    expect(s3.listKeys(LAKE_BUCKET, 'quarantine/dt=2026-11-20/').length).toBeGreaterThan(0);
    expect(invocation?.output.logs('object processed')).toEqual([
      expect.objectContaining({
        lines: 4,
        events: 3,
        quarantined: 1,
        eventsByDataset: { access_requests: 3 },
      }),
    ]);
    expect(invocation?.output.logs('object processed')[0]).not.toHaveProperty('dataset');
  });
});

describe('the same S3 event delivered twice', () => {
  it('delivers the same events with the same ids both times, and the saved queries on the lake count each once', async () => {
    const count = 600;
    const seed = 'faults-twice';
    const object = putObject(logpushKey(seed), gzipNdjson(accessRequestLines(count, seed)));
    const lake = deployed();
    // S3 notifications are at least once: one event body, two messages.
    const body = s3EventBody([object]);
    const ids = [lake.queue.send(body), lake.queue.send(body)];

    await lake.queue.run({ maxInvocations: 2 });

    expect(receivesOf(lake.queue.invocations)).toEqual([[1], [1]]);
    expect(lake.queue.deleted.map((d) => d.id)).toEqual(ids);
    const byId = (events: DeliveredEvent[]) =>
      [...events].sort((a, b) => a.event.id.localeCompare(b.event.id)).map((e) => JSON.stringify(e));
    expect(lake.events(0)).toHaveLength(count);
    expect(byId(lake.events(1))).toEqual(byId(lake.events(0)));

    // Both deliveries into a lake laid out as Firehose writes it, queried as Athena would.
    const work = await mkdtemp(join(tmpdir(), 'cf-logs-faults-'));
    try {
      const lakeDir = join(work, 'lake');
      const sink = new LocalLakeSink(lakeDir, 'cf-logs-faults', lake.clock.now());
      await sink.putRecords([...lake.records(0), ...lake.records(1)]);
      await sink.close();
      await convertLakeToParquet(lakeDir);
      await mkdir(join(work, 'bucket'));
      const local = await openLocalLake({ lake: lakeDir, bucket: join(work, 'bucket'), translate: toDuckDb });
      try {
        const days = ['2026-11-20', '2026-11-20'];
        const stored = await local.query(
          `SELECT count(*) AS stored, count(DISTINCT event.id) AS events,
  sum(CASE WHEN cloudflare.allowed = false THEN 1 ELSE 0 END) AS refused_rows
FROM ecs WHERE dataset = 'access_requests' AND dt BETWEEN ? AND ?`,
          days,
        );
        const refused = Array.from({ length: count }, (_, i) => i).filter((i) => i % 13 === 0).length;
        expect(stored.rows).toEqual([[2 * count, count, 2 * refused]]);
        // The saved query counts distinct event ids: each refused login once.
        const query = SAVED_QUERIES.find((q) => q.id === 'access-failed-logins')!;
        const result = await local.query(query.sql, days);
        const column = result.columns.indexOf('failed_logins');
        expect(result.rows.reduce((n, row) => n + Number(row[column]), 0)).toBe(refused);
      } finally {
        local.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
