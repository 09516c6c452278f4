/**
 * The normalize Lambda end to end: `createNormalizeHandler` with the real SDK v3 clients against the local S3 and
 * Firehose fakes on 127.0.0.1, invoked with SQS events that carry S3 notifications, as the event source mapping
 * invokes it. Logs and EMF metrics are captured (nothing is printed) and asserted on where they are the evidence.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeliveryError } from '../../lambdas/core/errors.ts';
import { createNormalizeHandler, type NormalizeDependencies } from '../../lambdas/handlers/normalize-app.ts';
import type { Clock } from '../../lambdas/ports.ts';
import { NORMALIZE_ENV, type NormalizeSettings } from '../../lambdas/settings.ts';
import { FAKE_AWS_CREDENTIALS, fakeFirehoseClient, fakeS3Client } from '../support/aws-clients.ts';
import { fakeClock } from '../support/clock.ts';
import {
  eventsInRecords,
  type FakeFirehose,
  FIREHOSE_MAX_BATCH_BYTES,
  FIREHOSE_MAX_RECORD_BYTES,
  startFakeFirehose,
} from '../support/fake-firehose.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';
import { type CapturedOutput, captureOutput } from '../support/lambda-output.ts';
import {
  accessRequestLine,
  accessRequestLines,
  FIXTURE_ACCOUNT_ID,
  gzipNdjson,
  logpushKey,
  rayIdOf,
} from '../support/logpush-fixtures.ts';
import {
  lambdaContext,
  messageIdFor,
  type S3EventObject,
  s3EventBody,
  s3TestEventBody,
  sqsEvent,
  sqsRecord,
} from '../support/sqs-events.ts';

const LOGPUSH_BUCKET = 'cf-logpush-example';
const LAKE_BUCKET = 'cf-lake-example';
const STREAM = 'cf-logs-ecs-example';
const SETTINGS: NormalizeSettings = {
  deliveryStream: STREAM,
  lakeBucket: LAKE_BUCKET,
  quarantinePrefix: 'quarantine',
  logpushPrefix: 'logpush',
};
/** What the pipeline packs at most into one Firehose record (de-aggregation limit). */
const MAX_EVENTS_PER_RECORD = 500;

/** The parts of a delivered ECS event the tests look at. */
interface DeliveredEvent {
  readonly '@timestamp': string;
  readonly event: { readonly id: string; readonly dataset: string };
  /** Firehose receives lake rows: vendor columns are lower case (lambdas/lake/row.ts). */
  readonly cloudflare?: { readonly rayid?: string };
  readonly tags?: readonly string[];
}

let s3: FakeS3;
let fh: FakeFirehose;

beforeAll(async () => {
  // Small GetObject writes, so even a modest object reaches the handler in many chunks.
  s3 = await startFakeS3({ buckets: [LOGPUSH_BUCKET, LAKE_BUCKET], chunkSize: 16 * 1024 });
  fh = await startFakeFirehose({ deliveryStreams: [STREAM], seed: 20261120 });
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

/** A handler wired like production, but to the fakes, a fake clock and (unless `retry` says) a short backoff. */
function buildHandler(options: { s3Client?: S3Client; retry?: NormalizeDependencies['retry'] } = {}) {
  const clock = fakeClock();
  const handler = createNormalizeHandler({
    settings: SETTINGS,
    s3: options.s3Client ?? fakeS3Client(s3),
    firehose: fakeFirehoseClient(fh),
    logger: new Logger({ serviceName: 'cf-logs-normalize', logLevel: 'INFO' }),
    metrics: new Metrics({ namespace: 'CloudflareLogLake', serviceName: 'cf-logs-normalize' }),
    clock,
    retry: options.retry ?? { baseDelayMs: 1, maxDelayMs: 5 },
  });
  return { handler, clock };
}

/** A Lambda context whose remaining time runs down with `clock`, from `budgetMs`. */
function contextOn(clock: Clock, budgetMs: number): Context {
  const deadline = clock.now().getTime() + budgetMs;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => deadline - clock.now().getTime() };
}

/** What the SDK's Node request handler tells about its settings. */
type HttpHandlerWithConfig = { httpHandlerConfigs(): { socketTimeout?: number } };

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Invokes the handler with output captured; settles instead of throwing. */
async function invoke(handler: Handler, event: SQSEvent, context: Context = lambdaContext()) {
  return captureOutput(() => handler(event, context));
}

/** The batch response of an invocation that must have returned one. */
function responseOf(
  outcome: PromiseSettledResult<SQSBatchResponse>,
  output: CapturedOutput,
): SQSBatchResponse {
  if (outcome.status === 'rejected') {
    throw new Error(`handler threw ${String(outcome.reason)}; output:\n${output.lines.join('\n')}`);
  }
  return outcome.value;
}

/** The error of an invocation that must have thrown. */
function errorOf(outcome: PromiseSettledResult<unknown>): unknown {
  if (outcome.status === 'fulfilled') throw new Error(`handler returned ${JSON.stringify(outcome.value)}`);
  return outcome.reason;
}

/** Stores a gzip NDJSON object in the Logpush bucket and returns what its S3 event names. */
function putLogpushObject(key: string, lines: readonly string[]): S3EventObject {
  const stored = s3.putObject(LOGPUSH_BUCKET, key, gzipNdjson(lines));
  return { bucket: LOGPUSH_BUCKET, key, size: stored.body.length, eTag: stored.etag.replaceAll('"', '') };
}

/** An SQS message carrying the S3 event of `objects`, with a message id derived from `name`. */
function messageFor(name: string, ...objects: S3EventObject[]) {
  return sqsRecord(s3EventBody(objects), { messageId: messageIdFor(name) });
}

/** Firehose calls and records from now on (the fake keeps everything since it started). */
function firehoseFromNow() {
  const calls = fh.calls.length;
  const records = fh.records.length;
  return {
    calls: () => fh.calls.slice(calls),
    records: () => fh.records.slice(records),
    events: () => eventsIn(fh.records.slice(records)),
  };
}

const eventsIn = (records: readonly Buffer[]) => eventsInRecords<DeliveredEvent>(records);

function rayIds(events: readonly DeliveredEvent[]): string[] {
  return events.map((e) => e.cloudflare?.rayid ?? '(none)').sort();
}

/** Asserts that the delivered events are exactly the lines `0..count-1` of `seed`, each once. */
function expectEachLineOnce(events: readonly DeliveredEvent[], count: number, seed: string): void {
  expect(events).toHaveLength(count);
  expect(rayIds(events)).toEqual(Array.from({ length: count }, (_, i) => rayIdOf(i, seed)).sort());
  expect(new Set(events.map((e) => e.event.id)).size).toBe(count);
}

function parsesAsObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

describe('normalize handler: delivery', () => {
  it('streams a multi-megabyte object in many chunks and delivers every record exactly once, in as few calls as the limits allow', async () => {
    const count = 48_000;
    const object = putLogpushObject(logpushKey('large'), accessRequestLines(count, 'large'));
    expect(object.size).toBeGreaterThan(2 * 1024 * 1024);
    const firehose = firehoseFromNow();
    const { handler } = buildHandler();

    const { outcome, output } = await invoke(handler, sqsEvent(messageFor('large', object)));

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    const gets = s3.requestsFor('GetObject', object.key);
    expect(gets).toHaveLength(1);
    expect(gets[0]?.headers.range).toBeUndefined();
    expect(object.size / (16 * 1024)).toBeGreaterThan(100); // chunks the fake wrote for the one GET

    const records = firehose.records();
    const events = eventsIn(records);
    expectEachLineOnce(events, count, 'large');
    expect(fh.violations()).toEqual([]);

    // Records: at most 500 events each, closed a little early so that whole records fill the 4 MiB calls.
    const eventsPerRecord = records.map((r) => r.toString('utf8').split('\n').length - 1);
    expect(Math.max(...eventsPerRecord)).toBeLessThanOrEqual(MAX_EVENTS_PER_RECORD);
    expect(Math.max(...records.map((r) => r.length))).toBeLessThanOrEqual(FIREHOSE_MAX_RECORD_BYTES);

    // Calls: the fewest the 4 MiB limit allows for these bytes (one more at most, from uneven event sizes).
    const calls = firehose.calls();
    const totalBytes = records.reduce((n, r) => n + r.length, 0);
    expect(calls.every((c) => c.outcome === 'accepted')).toBe(true);
    expect(calls.length).toBeGreaterThanOrEqual(Math.ceil(totalBytes / FIREHOSE_MAX_BATCH_BYTES));
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(totalBytes / FIREHOSE_MAX_BATCH_BYTES) + 1);

    expect(output.metric('ObjectsProcessed')).toBe(1);
    expect(output.metric('LinesRead')).toBe(count);
    expect(output.metric('EventsDelivered')).toBe(count);
    expect(output.metric('LinesQuarantined')).toBe(0);
    expect(output.metric('FirehoseCalls')).toBe(calls.length);
    expect(output.metric('DatasetEvents', { Dataset: 'access_requests' })).toBe(count);
    expect(output.logs('object processed')).toEqual([
      expect.objectContaining({
        level: 'INFO',
        key: object.key,
        dataset: 'access_requests',
        lines: count,
        events: count,
        quarantined: 0,
        firehose: { calls: calls.length, records: records.length, retriedRecords: 0, failedCalls: 0 },
        function_request_id: 'c0ffee00-0000-4000-8000-000000000001',
      }),
    ]);
  });

  it('retries only the entries Firehose rejects and whole calls it throttles, until every event is delivered once', async () => {
    const count = 12_000;
    const object = putLogpushObject(logpushKey('flaky-firehose'), accessRequestLines(count, 'flaky'));
    const firehose = firehoseFromNow();
    // Five calls in a row refused as a whole: Firehose's 503 "Slow down." and the 400 ThrottlingException.
    fh.script.queue.push(
      { kind: 'throttle' },
      { kind: 'throttle', errorType: 'ThrottlingException' },
      { kind: 'throttle' },
      { kind: 'throttle', errorType: 'ThrottlingException' },
      { kind: 'throttle' },
    );
    // Then about 30% of the entries of every call fail, each record at most once, so delivery must converge.
    const failedOnce = new Set<string>();
    let draw = 0x2545f491;
    const random = () => {
      draw = (Math.imul(draw, 1103515245) + 12345) >>> 0;
      return draw / 2 ** 32;
    };
    fh.script.planner = () => ({
      kind: 'partial',
      failWhere: (data) => {
        const id = data.subarray(0, 200).toString('latin1');
        if (failedOnce.has(id) || random() >= 0.3) return false;
        failedOnce.add(id);
        return true;
      },
    });
    const { handler, clock } = buildHandler();
    const { outcome, output } = await invoke(handler, sqsEvent(messageFor('flaky-firehose', object)));

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    expectEachLineOnce(firehose.events(), count, 'flaky');
    expect(fh.violations()).toEqual([]);
    const calls = firehose.calls();
    expect(calls.filter((c) => c.outcome === 'throttled').map((c) => c.errorType)).toEqual([
      'ServiceUnavailableException',
      'ThrottlingException',
      'ServiceUnavailableException',
      'ThrottlingException',
      'ServiceUnavailableException',
    ]);
    expect(failedOnce.size).toBeGreaterThan(0);
    expect(calls.some((c) => c.outcome === 'partial')).toBe(true);
    // Every failed entry was sent again, nothing else was: what Firehose refused is exactly what was retried.
    const refused = calls.reduce((n, c) => n + c.failed, 0);
    const retried = output.metric('FirehoseRetriedRecords');
    expect(retried).toBe(refused);
    expect(output.metric('FirehoseFailedCalls')).toBe(5);
    expect(output.metric('FirehoseCalls')).toBe(calls.length);
    expect(clock.slept).toHaveLength(calls.filter((c) => c.outcome !== 'accepted').length);
    expect(Math.max(...clock.slept)).toBeLessThanOrEqual(5);
    expect(output.logs('object processed')[0]).toMatchObject({
      events: count,
      firehose: {
        calls: calls.length,
        records: firehose.records().length,
        retriedRecords: retried,
        failedCalls: 5,
      },
    });
  });
  it('sends a call again when its answer is lost, so events arrive at least once and always with the same ids', async () => {
    const count = 1_200;
    const object = putLogpushObject(logpushKey('answer-lost'), accessRequestLines(count, 'answer-lost'));
    // Firehose stores the records, then the connection drops before the answer reaches the client.
    fh.script.queue.push({ kind: 'reset', acceptFirst: true });
    const firehose = firehoseFromNow();
    const { handler } = buildHandler();

    const { outcome, output } = await invoke(handler, sqsEvent(messageFor('answer-lost', object)));

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    expect(firehose.calls().map((c) => [c.outcome, c.accepted])).toEqual([
      ['reset', 3],
      ['accepted', 3],
    ]);
    const events = firehose.events();
    expect(events).toHaveLength(2 * count);
    expect(new Set(events.map((e) => e.event.id)).size).toBe(count);
    expect(new Set(rayIds(events))).toEqual(
      new Set(Array.from({ length: count }, (_, i) => rayIdOf(i, 'answer-lost'))),
    );
    expect(output.metric('FirehoseFailedCalls')).toBe(1);
  });

  it('maps the sample objects of every dataset in one batch, each event under the dataset its key names', async () => {
    const root = fileURLToPath(new URL('../../samples/logpush/', import.meta.url));
    const samples = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((path) => path.endsWith('.log'))
      .sort()
      .map((path) => {
        const text = readFileSync(join(root, path), 'utf8');
        const lines = text.split('\n').filter((l) => l.trim() !== '');
        const object = putLogpushObject(`logpush/${path.split(sep).join('/')}.gz`, lines);
        // The samples keep a cut-short line on purpose: it is quarantined, every other line becomes an event.
        const records = lines.filter((l) => parsesAsObject(l)).length;
        return { dataset: path.split(sep)[0]!, records, broken: lines.length - records, object };
      });
    expect(new Set(samples.map((s) => s.dataset)).size).toBeGreaterThanOrEqual(5);
    const firehose = firehoseFromNow();
    const { handler } = buildHandler();

    const { outcome, output } = await invoke(
      handler,
      sqsEvent(...samples.map((s) => messageFor(s.object.key, s.object))),
    );

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    expect(output.metric('LinesQuarantined')).toBe(samples.reduce((n, s) => n + s.broken, 0));
    const events = firehose.events();
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
    for (const sample of samples) {
      const dataset = sample.dataset;
      expect(
        events.filter((e) => e.event.dataset === dataset),
        dataset,
      ).toHaveLength(sample.records);
      expect(output.metric('DatasetEvents', { Dataset: dataset }), dataset).toBe(sample.records);
    }
    expect(events).toHaveLength(samples.reduce((n, s) => n + s.records, 0));
  });
});

describe('normalize handler: failures the queue retries', () => {
  it('throws FullBatchFailureError when the only message of the batch cannot be delivered before the deadline', async () => {
    const object = putLogpushObject(logpushKey('never-accepted'), accessRequestLines(1_000, 'never'));
    const firehose = firehoseFromNow();
    fh.script.defaultPlan = { kind: 'throttle' };
    // The production backoff (100 ms doubling to 5 s) on a fake clock, 30 s left.
    const { handler, clock } = buildHandler({ retry: {} });
    const message = messageFor('never-accepted', object);

    const { outcome, output } = await invoke(handler, sqsEvent(message), contextOn(clock, 30_000));

    // Powertools' default: a batch whose every record failed is thrown, so Lambda returns all of it to the queue.
    const error = errorOf(outcome);
    expect(error).toBeInstanceOf(FullBatchFailureError);
    const recordErrors = (error as FullBatchFailureError).recordErrors;
    expect(recordErrors).toHaveLength(1);
    expect(recordErrors[0]).toBeInstanceOf(DeliveryError);
    // Retried past the eight attempts of a run without deadline, until a wait would leave less than a second.
    expect((recordErrors[0] as Error).message).toMatch(
      /^\d+ records undelivered: no time left for attempt \d+; last: call failed: ServiceUnavailableException/,
    );
    const calls = firehose.calls();
    expect(calls.length).toBeGreaterThan(8);
    expect(calls.every((c) => c.outcome === 'throttled')).toBe(true);
    expect(clock.slept).toHaveLength(calls.length - 1);
    const waited = clock.slept.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(29_000);
    expect(waited).toBeGreaterThan(29_000 - 5_000);
    expect(firehose.records()).toEqual([]);
    expect(output.metric('ObjectsFailed')).toBe(1);
    expect(output.logs('object failed; the message will be retried')).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        bucket: LOGPUSH_BUCKET,
        key: object.key,
        messageId: message.messageId,
        receiveCount: '1',
        error: expect.objectContaining({ name: 'DeliveryError' }),
      }),
    ]);
  });

  it('reports only the message whose records the stream refuses (ResourceNotFoundException), without retrying it', async () => {
    const good = putLogpushObject(logpushKey('good-of-two'), accessRequestLines(800, 'good'));
    const refused = putLogpushObject(
      logpushKey('refused-of-two'),
      Array.from({ length: 300 }, (_, i) =>
        accessRequestLine(i, 'refused', { AppDomain: 'refused.example.com' }),
      ),
    );
    const firehose = firehoseFromNow();
    fh.script.planner = (_call, records) =>
      records.some((r) => r.includes('refused.example.com'))
        ? { kind: 'error', status: 400, errorType: 'ResourceNotFoundException' }
        : undefined;
    const { handler, clock } = buildHandler();
    const goodMessage = messageFor('good-of-two', good);
    const refusedMessage = messageFor('refused-of-two', refused);

    const { outcome, output } = await invoke(handler, sqsEvent(refusedMessage, goodMessage));

    expect(responseOf(outcome, output)).toEqual({
      batchItemFailures: [{ itemIdentifier: refusedMessage.messageId }],
    });
    expectEachLineOnce(firehose.events(), 800, 'good');
    // A non-retryable error is not retried: one call for the refused object, one for the good one.
    expect(firehose.calls().map((c) => c.outcome)).toEqual(['error', 'accepted']);
    expect(clock.slept).toEqual([]);
    expect(output.logs('object failed; the message will be retried')).toEqual([
      expect.objectContaining({ key: refused.key, messageId: refusedMessage.messageId }),
    ]);
    expect(output.metric('ObjectsFailed')).toBe(1);
    expect(output.metric('ObjectsProcessed')).toBe(1);
  });

  it('gives the message back rather than sleep past the Lambda deadline', async () => {
    const object = putLogpushObject(logpushKey('deadline'), accessRequestLines(600, 'deadline'));
    const other = putLogpushObject(logpushKey('deadline-other'), accessRequestLines(10, 'deadline-other'));
    fh.script.queue.push({ kind: 'partial', failIndices: [0] });
    const { handler, clock } = buildHandler();
    const late = messageFor('deadline', object);

    const { outcome, output } = await invoke(
      handler,
      sqsEvent(late, messageFor('deadline-other', other)),
      lambdaContext({ remainingMs: 900 }),
    );

    // Under a second left: no backoff starts, the failed entry stays undelivered and the message goes back.
    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [{ itemIdentifier: late.messageId }] });
    expect(clock.slept).toEqual([]);
    expect(output.logs('object failed; the message will be retried')[0]).toMatchObject({
      key: object.key,
      error: expect.objectContaining({ message: expect.stringMatching(/no time left for attempt 2/) }),
    });
  });

  it('fails a missing object and a malformed message, and still processes the others of the batch', async () => {
    const first = putLogpushObject(logpushKey('neighbour-1'), accessRequestLines(120, 'n1'));
    const second = putLogpushObject(logpushKey('neighbour-2'), accessRequestLines(80, 'n2'));
    const missingKey = logpushKey('deleted-before-read');
    const missing = messageFor('missing', { bucket: LOGPUSH_BUCKET, key: missingKey, size: 4096 });
    const malformed = sqsRecord('{"Records": [{"s3": ', { messageId: messageIdFor('malformed') });
    const notS3 = sqsRecord('{"Type":"Notification","Message":"hello"}', {
      messageId: messageIdFor('not-s3'),
    });
    const firstMessage = messageFor('neighbour-1', first);
    const secondMessage = messageFor('neighbour-2', second);
    const firehose = firehoseFromNow();
    const { handler } = buildHandler();

    const { outcome, output } = await invoke(
      handler,
      sqsEvent(firstMessage, missing, malformed, notS3, secondMessage),
    );

    expect(responseOf(outcome, output)).toEqual({
      batchItemFailures: [
        { itemIdentifier: missing.messageId },
        { itemIdentifier: malformed.messageId },
        { itemIdentifier: notS3.messageId },
      ],
    });
    const events = firehose.events();
    expect(events).toHaveLength(200);
    expect(rayIds(events)).toEqual(
      [
        ...Array.from({ length: 120 }, (_, i) => rayIdOf(i, 'n1')),
        ...Array.from({ length: 80 }, (_, i) => rayIdOf(i, 'n2')),
      ].sort(),
    );
    expect(s3.requestsFor('GetObject', missingKey).map((r) => [r.status, r.errorCode])).toEqual([
      [404, 'NoSuchKey'],
    ]);
    expect(output.logs('object failed; the message will be retried')).toEqual([
      expect.objectContaining({ key: missingKey, error: expect.objectContaining({ name: 'NoSuchKey' }) }),
    ]);
    expect(output.metric('ObjectsProcessed')).toBe(2);
    expect(output.metric('ObjectsFailed')).toBe(1);
    expect(output.logs('message is not an S3 event notification')).toEqual([
      expect.objectContaining({ messageId: malformed.messageId, body: '{"Records": [{"s3": ' }),
      expect.objectContaining({ messageId: notS3.messageId }),
    ]);
    expect(output.metric('MessagesMalformed')).toBe(2);
  });
});

describe('normalize handler: S3 body broken mid-stream', () => {
  it('resumes with a ranged GET pinned to the ETag and delivers every event once', async () => {
    const count = 8_000;
    const object = putLogpushObject(logpushKey('reset-once'), accessRequestLines(count, 'reset-once'));
    expect(object.size).toBeGreaterThan(200_000);
    s3.addFault({ operation: 'GetObject', key: object.key, resetAfterBytes: 200_000 });
    const firehose = firehoseFromNow();
    const { handler } = buildHandler();

    const { outcome, output } = await invoke(handler, sqsEvent(messageFor('reset-once', object)));

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    const resumes = output.logs('object stream broke; resuming from the next byte');
    expect(resumes).toEqual([
      expect.objectContaining({
        level: 'WARN',
        key: object.key,
        error: expect.objectContaining({ code: 'ECONNRESET' }),
      }),
    ]);
    // The resume starts at the first byte not yet consumed: bytes the socket held when it closed are lost with it,
    // so that is at most the 200,000 bytes sent.
    const offset = resumes[0]!.offset as number;
    expect(offset).toBeLessThanOrEqual(200_000);
    const gets = s3.requestsFor('GetObject', object.key);
    expect(gets.map((r) => [r.headers.range, r.headers['if-match'], r.fault, r.status])).toEqual([
      [undefined, undefined, 'reset', undefined],
      [`bytes=${offset}-`, `"${object.eTag}"`, undefined, 206],
    ]);
    expectEachLineOnce(firehose.events(), count, 'reset-once');
    expect(output.metric('S3StreamResumes')).toBe(1);
  });

  it('resumes several times in a row, from right after the headers and from wherever it broke', async () => {
    const count = 8_000;
    const object = putLogpushObject(logpushKey('reset-often'), accessRequestLines(count, 'reset-often'));
    const breaks = [0, 100_000, 0, 1, 150_000];
    expect(object.size).toBeGreaterThan(breaks.reduce((a, b) => a + b, 0));
    for (const resetAfterBytes of breaks)
      s3.addFault({ operation: 'GetObject', key: object.key, resetAfterBytes });
    const firehose = firehoseFromNow();
    const { handler } = buildHandler();

    const { outcome, output } = await invoke(handler, sqsEvent(messageFor('reset-often', object)));

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    const offsets = output
      .logs('object stream broke; resuming from the next byte')
      .map((l) => l.offset as number);
    expect(offsets).toHaveLength(breaks.length);
    expect(offsets[0]).toBe(0);
    // Each resume starts where the previous part stopped, never before, never past what was sent.
    let sent = 0;
    for (let i = 0; i < breaks.length; i++) {
      sent = (i === 0 ? 0 : offsets[i - 1]!) + breaks[i]!;
      expect(offsets[i]).toBeGreaterThanOrEqual(i === 0 ? 0 : offsets[i - 1]!);
      expect(offsets[i]).toBeLessThanOrEqual(sent);
    }
    const gets = s3.requestsFor('GetObject', object.key);
    expect(gets.map((r) => r.headers.range)).toEqual([undefined, ...offsets.map((o) => `bytes=${o}-`)]);
    expect(gets.slice(1).every((r) => r.headers['if-match'] === `"${object.eTag}"`)).toBe(true);
    expect(gets.at(-1)?.status).toBe(206);
    expectEachLineOnce(firehose.events(), count, 'reset-often');
    expect(output.metric('S3StreamResumes')).toBe(breaks.length);
  });

  it('fails the message with the connection error when the body breaks more often than the source resumes', async () => {
    const object = putLogpushObject(logpushKey('reset-forever'), accessRequestLines(4_000, 'reset-forever'));
    const fault = s3.addFault({
      operation: 'GetObject',
      key: object.key,
      resetAfterBytes: 20_000,
      times: Infinity,
    });
    const { handler } = buildHandler();
    const message = messageFor('reset-forever', object);

    const { outcome, output } = await invoke(handler, sqsEvent(message));

    const error = errorOf(outcome) as FullBatchFailureError;
    expect(error.recordErrors[0]).toMatchObject({ code: 'ECONNRESET' });
    // The first GET and five resumes (the source's default), then the object fails.
    expect(fault.hits).toBe(6);
    expect(output.metric('S3StreamResumes')).toBe(5);
    expect(output.logs('object failed; the message will be retried')).toEqual([
      expect.objectContaining({ key: object.key, error: expect.objectContaining({ code: 'ECONNRESET' }) }),
    ]);
  });

  it('fails the message cleanly when the object was replaced before the resume (412), and not its neighbour', async () => {
    const count = 6_000;
    const replaced = putLogpushObject(logpushKey('replaced'), accessRequestLines(count, 'replaced'));
    const neighbour = putLogpushObject(logpushKey('replaced-neighbour'), accessRequestLines(50, 'neighbour'));
    s3.addFault({ operation: 'GetObject', key: replaced.key, resetAfterBytes: 100_000 });
    // The object changes between the first GET and the resume: a new upload under the same key.
    const s3Client = fakeS3Client(s3);
    s3Client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: string; Range?: string };
        if (input.Key === replaced.key && input.Range !== undefined) {
          s3.putObject(LOGPUSH_BUCKET, replaced.key, gzipNdjson(accessRequestLines(10, 'replacement')));
        }
        return next(args);
      },
      { step: 'initialize', name: 'replaceObjectBeforeResume' },
    );
    const firehose = firehoseFromNow();
    const { handler } = buildHandler({ s3Client });
    const replacedMessage = messageFor('replaced', replaced);

    const { outcome, output } = await invoke(
      handler,
      sqsEvent(replacedMessage, messageFor('replaced-neighbour', neighbour)),
    );

    expect(responseOf(outcome, output)).toEqual({
      batchItemFailures: [{ itemIdentifier: replacedMessage.messageId }],
    });
    expect(
      s3.requestsFor('GetObject', replaced.key).map((r) => [r.headers['if-match'], r.status, r.errorCode]),
    ).toEqual([
      [undefined, undefined, undefined],
      [`"${replaced.eTag}"`, 412, 'PreconditionFailed'],
    ]);
    expect(output.logs('object failed; the message will be retried')).toEqual([
      expect.objectContaining({
        key: replaced.key,
        error: expect.objectContaining({ name: 'PreconditionFailed' }),
      }),
    ]);
    // The neighbour is delivered whole; of the replaced object only lines of its first version can have left
    // before the break (they keep their ids for the retry), and nothing of the replacement was read.
    const events = firehose.events();
    const neighbourIds = Array.from({ length: 50 }, (_, i) => rayIdOf(i, 'neighbour'));
    const originalIds = new Set(Array.from({ length: count }, (_, i) => rayIdOf(i, 'replaced')));
    expect(rayIds(events.filter((e) => !originalIds.has(e.cloudflare?.rayid ?? '')))).toEqual(
      neighbourIds.sort(),
    );
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
  });
});

describe('normalize handler: quarantine and skips', () => {
  it('delivers the good lines and quarantines the bad ones in the lake bucket, with raw line, key, line number and reason', async () => {
    const huge = accessRequestLine(4, 'quarantine', { PurposeJustificationResponse: 'z'.repeat(1_100_000) });
    const lines = [
      accessRequestLine(0, 'quarantine'),
      '{"Action":"login","Allowed":tru',
      accessRequestLine(2, 'quarantine', { Allowed: 'maybe' }),
      accessRequestLine(3, 'quarantine'),
      huge,
      '["not","an","object"]',
      accessRequestLine(6, 'quarantine'),
    ];
    const key = logpushKey('with-bad-lines', 'access_requests', '20261119');
    const object = putLogpushObject(key, lines);
    const lakeBefore = new Set(s3.listKeys(LAKE_BUCKET));
    const firehose = firehoseFromNow();
    const { handler } = buildHandler();

    const { outcome, output } = await invoke(handler, sqsEvent(messageFor('with-bad-lines', object)));

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    expect(rayIds(firehose.events())).toEqual([0, 3, 6].map((i) => rayIdOf(i, 'quarantine')).sort());
    const written = s3.listKeys(LAKE_BUCKET).filter((k) => !lakeBefore.has(k));
    expect(written).toEqual([
      expect.stringMatching(/^quarantine\/dt=2026-11-19\/[0-9a-f]{24}-0000\.json\.gz$/),
    ]);
    const file = s3.statObject(LAKE_BUCKET, written[0]!)!;
    expect(file.contentEncoding).toBe('gzip');
    expect(file.contentType).toBe('application/x-ndjson');
    const entries = gunzipSync(file.body)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const common = {
      bucket: LOGPUSH_BUCKET,
      key,
      dataset: 'access_requests',
      quarantined_at: expect.any(String),
    };
    expect(entries).toEqual([
      { ...common, line: 2, raw: lines[1], reason: expect.stringMatching(/^invalid JSON: /) },
      { ...common, line: 3, raw: lines[2], reason: 'field Allowed: expected bool, got string "maybe"' },
      {
        ...common,
        line: 5,
        raw: huge,
        reason: expect.stringMatching(/^ECS event of \d+ bytes exceeds the Firehose record limit$/),
      },
      { ...common, line: 6, raw: lines[5], reason: 'line is a JSON array, not one JSON object (NDJSON)' },
    ]);
    expect(output.metric('LinesQuarantined')).toBe(4);
    expect(output.logs('object processed')).toEqual([
      expect.objectContaining({ level: 'WARN', lines: 7, events: 3, quarantined: 4 }),
    ]);
  });

  it('fails the message when its quarantine file cannot be written, so no bad line is dropped unrecorded', async () => {
    const object = putLogpushObject(logpushKey('quarantine-unwritable'), [
      accessRequestLine(0, 'unwritable'),
      '{"cut short',
    ]);
    const fault = s3.addFault({
      operation: 'PutObject',
      bucket: LAKE_BUCKET,
      keyPrefix: 'quarantine/',
      error: { status: 500, code: 'InternalError' },
    });
    const { handler } = buildHandler();
    const message = messageFor('quarantine-unwritable', object);
    const neighbour = putLogpushObject(
      logpushKey('quarantine-unwritable-neighbour'),
      accessRequestLines(5, 'nb'),
    );

    const { outcome, output } = await invoke(
      handler,
      sqsEvent(message, messageFor('quarantine-unwritable-neighbour', neighbour)),
    );

    expect(responseOf(outcome, output)).toEqual({
      batchItemFailures: [{ itemIdentifier: message.messageId }],
    });
    expect(fault.hits).toBe(1);
    expect(output.logs('object failed; the message will be retried')).toEqual([
      expect.objectContaining({ key: object.key, error: expect.objectContaining({ name: 'InternalError' }) }),
    ]);
  });

  it('fails a truncated gzip object after recording it in quarantine as a whole', async () => {
    const whole = gzipNdjson(accessRequestLines(3_000, 'truncated'));
    const key = logpushKey('truncated', 'access_requests', '20261117');
    const stored = s3.putObject(LOGPUSH_BUCKET, key, whole.subarray(0, whole.length - 64));
    const lakeBefore = new Set(s3.listKeys(LAKE_BUCKET));
    const { handler } = buildHandler();
    const message = messageFor('truncated', { bucket: LOGPUSH_BUCKET, key, size: stored.body.length });
    const neighbour = putLogpushObject(logpushKey('truncated-neighbour'), accessRequestLines(5, 'nb2'));

    const { outcome, output } = await invoke(
      handler,
      sqsEvent(message, messageFor('truncated-neighbour', neighbour)),
    );

    expect(responseOf(outcome, output)).toEqual({
      batchItemFailures: [{ itemIdentifier: message.messageId }],
    });
    const written = s3.listKeys(LAKE_BUCKET).filter((k) => !lakeBefore.has(k));
    expect(written).toEqual([expect.stringMatching(/^quarantine\/dt=2026-11-17\//)]);
    const entries = gunzipSync(s3.getObject(LAKE_BUCKET, written[0]!)!)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({
        key,
        line: null,
        raw: null,
        reason: expect.stringMatching(/corrupt or truncated/),
      }),
    ]);
    expect(output.logs('object failed; the message will be retried')).toEqual([
      expect.objectContaining({ key, error: expect.objectContaining({ name: 'DecodeError' }) }),
    ]);
  });

  it('skips an ownership challenge, a zero-byte object, a gzip object without lines and the S3 test event, sending nothing', async () => {
    const challengeKey = `logpush/access_requests/${FIXTURE_ACCOUNT_ID}/ownership-challenge-3f2a1b0c.txt`;
    const challenge = s3.putObject(LOGPUSH_BUCKET, challengeKey, 'eyJhbGciOiJIUzI1NiJ9.example');
    const zeroKey = logpushKey('zero-bytes');
    s3.putObject(LOGPUSH_BUCKET, zeroKey, Buffer.alloc(0));
    const emptyGzip = putLogpushObject(logpushKey('empty-gzip'), []);
    const messages = [
      messageFor('challenge', { bucket: LOGPUSH_BUCKET, key: challengeKey, size: challenge.body.length }),
      messageFor('zero', { bucket: LOGPUSH_BUCKET, key: zeroKey, size: 0 }),
      messageFor('empty-gzip', emptyGzip),
      sqsRecord(s3TestEventBody(LOGPUSH_BUCKET), { messageId: messageIdFor('test-event') }),
    ];
    const lakeBefore = s3.listKeys(LAKE_BUCKET);
    const firehose = firehoseFromNow();
    const { handler } = buildHandler();

    const { outcome, output } = await invoke(handler, sqsEvent(...messages));

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    expect(firehose.calls()).toEqual([]);
    expect(s3.listKeys(LAKE_BUCKET)).toEqual(lakeBefore);
    // Only the object whose emptiness shows after reading it was fetched.
    expect(s3.requestsFor('GetObject', challengeKey)).toEqual([]);
    expect(s3.requestsFor('GetObject', zeroKey)).toEqual([]);
    expect(s3.requestsFor('GetObject', emptyGzip.key)).toHaveLength(1);
    expect(output.logs('object skipped').map((l) => [l.key, l.reason])).toEqual([
      [challengeKey, 'ownership-challenge'],
      [zeroKey, 'empty-object'],
      [emptyGzip.key, 'empty-object'],
    ]);
    expect(output.logs('message names no object (S3 test event)')).toEqual([
      expect.objectContaining({ messageId: messageIdFor('test-event') }),
    ]);
    expect(output.metric('ObjectsSkipped')).toBe(3);
    expect(output.hasMetric('ObjectsProcessed')).toBe(false);
    expect(output.logs().filter((l) => l.level === 'ERROR')).toEqual([]);
  });
});

describe('normalize handler: redelivery', () => {
  it('produces exactly the same events, and overwrites its own quarantine file, when the same S3 event is delivered twice', async () => {
    const lines = [
      ...accessRequestLines(2_000, 'twice'),
      // No event time: @timestamp falls back to the object's Last-Modified, which a redelivery does not change.
      accessRequestLine(2_000, 'twice', { CreatedAt: undefined }),
      'not a record',
    ];
    const object = putLogpushObject(logpushKey('twice'), lines);
    const event = sqsEvent(messageFor('twice', object));
    const lakeBefore = new Set(s3.listKeys(LAKE_BUCKET));
    const { handler } = buildHandler();

    const first = firehoseFromNow();
    const once = await invoke(handler, event);
    const firstEvents = first.events();
    const firstQuarantine = s3.listKeys(LAKE_BUCKET).filter((k) => !lakeBefore.has(k));
    const firstFile = s3.getObject(LAKE_BUCKET, firstQuarantine[0] ?? '');
    const second = firehoseFromNow();
    const again = await invoke(
      handler,
      sqsEvent(sqsRecord(event.Records[0]!.body, { messageId: messageIdFor('twice'), receiveCount: 2 })),
    );
    const secondEvents = second.events();

    expect(responseOf(once.outcome, once.output)).toEqual({ batchItemFailures: [] });
    expect(responseOf(again.outcome, again.output)).toEqual({ batchItemFailures: [] });
    const byId = (events: DeliveredEvent[]) =>
      [...events].sort((a, b) => a.event.id.localeCompare(b.event.id));
    expect(secondEvents).toHaveLength(2_001);
    expect(byId(secondEvents)).toEqual(byId(firstEvents));
    expect(firstEvents.find((e) => e.tags?.includes('timestamp_from_object'))).toMatchObject({
      // HTTP dates have whole seconds.
      '@timestamp': new Date(
        Math.floor(s3.statObject(LOGPUSH_BUCKET, object.key)!.lastModified.getTime() / 1000) * 1000,
      ).toISOString(),
    });
    // A query that deduplicates on event.id counts each event once.
    expect(new Set([...firstEvents, ...secondEvents].map((e) => e.event.id)).size).toBe(2_001);
    // The quarantine file is named after the object: the second run rewrote it rather than adding a copy.
    expect(firstQuarantine).toHaveLength(1);
    expect(s3.listKeys(LAKE_BUCKET).filter((k) => !lakeBefore.has(k))).toEqual(firstQuarantine);
    expect(s3.requestsFor('PutObject', firstQuarantine[0])).toHaveLength(2);
    expect(s3.getObject(LAKE_BUCKET, firstQuarantine[0]!)?.equals(firstFile!)).toBe(true);
  });
});

describe('normalize Lambda entry (lambdas/handlers/normalize.ts)', () => {
  const variables = [
    ...Object.values(NORMALIZE_ENV),
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_FIREHOSE',
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_EC2_METADATA_DISABLED',
  ];
  const saved = new Map<string, string | undefined>();

  beforeAll(() => {
    for (const name of variables) saved.set(name, process.env[name]);
  });

  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    vi.resetModules();
  });

  function setEnvironment(): void {
    for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
    Object.assign(process.env, {
      [NORMALIZE_ENV.deliveryStream]: STREAM,
      [NORMALIZE_ENV.lakeBucket]: LAKE_BUCKET,
      [NORMALIZE_ENV.quarantinePrefix]: 'quarantine/normalize',
      [NORMALIZE_ENV.logpushPrefix]: 'logpush',
      // The SDK's service-specific endpoint variables; an IP endpoint makes the S3 client address path-style.
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_FIREHOSE: fh.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  }

  it('reads its settings from the environment at cold start and runs an event end to end against the fakes', async () => {
    setEnvironment();
    const object = putLogpushObject(logpushKey('entry', 'access_requests', '20261118'), [
      ...accessRequestLines(700, 'entry'),
      'not json',
    ]);
    const lakeBefore = new Set(s3.listKeys(LAKE_BUCKET));
    const requestsBefore = s3.requests.length;
    const firehose = firehoseFromNow();
    fh.script.queue.push({ kind: 'throttle' });

    vi.resetModules();
    const { handler } = await import('../../lambdas/handlers/normalize.ts');
    const { outcome, output } = await invoke(handler, sqsEvent(messageFor('entry', object)));

    expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });
    expectEachLineOnce(firehose.events(), 700, 'entry');
    // The entry's Firehose client makes one attempt per call (maxAttempts: 1); the pipeline retried the throttle.
    expect(firehose.calls().map((c) => [c.deliveryStreamName, c.outcome, c.attempt])).toEqual([
      [STREAM, 'throttled', 1],
      [STREAM, 'accepted', 1],
    ]);
    const written = s3.listKeys(LAKE_BUCKET).filter((k) => !lakeBefore.has(k));
    expect(written).toEqual([
      expect.stringMatching(/^quarantine\/normalize\/dt=2026-11-18\/[0-9a-f]{24}-0000\.json\.gz$/),
    ]);
    // Path-style addressing on the IP endpoint, with no forcePathStyle in the entry's S3Client.
    const requests = s3.requests.slice(requestsBefore);
    expect(requests.map((r) => [r.operation, r.bucket])).toEqual([
      ['GetObject', LOGPUSH_BUCKET],
      ['PutObject', LAKE_BUCKET],
    ]);
    expect(requests.every((r) => r.headers.host === `127.0.0.1:${s3.port}`)).toBe(true);
    expect(requests.every((r) => r.url.startsWith(`/${r.bucket}/`))).toBe(true);
    expect(output.logs('object processed')).toEqual([
      expect.objectContaining({ service: 'cf-logs-normalize', events: 700, quarantined: 1 }),
    ]);
    expect(
      output
        .metrics()
        .every((m) => m._aws.CloudWatchMetrics.every((d) => d.Namespace === 'CloudflareLogLake')),
    ).toBe(true);
    expect(output.metric('EventsDelivered')).toBe(700);
  });

  // The SDK's Node handler has no idle-socket timeout unless one is configured (socketTimeout defaults to 0), and
  // S3ObjectSource resumes a stalled body only when that timeout turns it into a TimeoutError (see the stalled-body
  // test in s3-source.test.ts). Without one, a stalled GetObject body or PutRecordBatch hangs until the Lambda
  // timeout, and the whole batch, finished messages included, is received again.
  it('builds its S3 and Firehose clients with an idle-socket timeout', async () => {
    setEnvironment();
    const object = putLogpushObject(logpushKey('entry-timeouts'), accessRequestLines(10, 'entry-timeouts'));
    const s3Send = vi.spyOn(S3Client.prototype, 'send');
    const firehoseSend = vi.spyOn(FirehoseClient.prototype, 'send');
    try {
      vi.resetModules();
      const { handler } = await import('../../lambdas/handlers/normalize.ts');
      const { outcome, output } = await invoke(handler, sqsEvent(messageFor('entry-timeouts', object)));
      expect(responseOf(outcome, output)).toEqual({ batchItemFailures: [] });

      const clients = [s3Send.mock.contexts[0], firehoseSend.mock.contexts[0]] as (
        | S3Client
        | FirehoseClient
      )[];
      const socketTimeouts = clients.map(
        (client) =>
          (client.config.requestHandler as HttpHandlerWithConfig).httpHandlerConfigs().socketTimeout ?? 0,
      );
      expect(socketTimeouts).toEqual([expect.any(Number), expect.any(Number)]);
      expect(Math.min(...socketTimeouts)).toBeGreaterThan(0);
    } finally {
      s3Send.mockRestore();
      firehoseSend.mockRestore();
    }
  });

  it("says an object goes to the dead-letter queue when it fails on the receive the stack's maxReceiveCount allows last", async () => {
    setEnvironment();
    process.env[NORMALIZE_ENV.maxReceiveCount] = '3';
    try {
      const key = logpushKey('entry-missing');
      const body = s3EventBody([{ bucket: LOGPUSH_BUCKET, key, size: 4096 }]);
      const second = sqsRecord(body, { messageId: messageIdFor('entry-missing-2'), receiveCount: 2 });
      const last = sqsRecord(body, { messageId: messageIdFor('entry-missing-3'), receiveCount: 3 });

      // A good object beside them, so the batch is not a full failure (which the batch processor throws).
      const good = putLogpushObject(logpushKey('entry-good'), accessRequestLines(10, 'entry-good'));

      vi.resetModules();
      const { handler } = await import('../../lambdas/handlers/normalize.ts');
      const { outcome, output } = await invoke(
        handler,
        sqsEvent(second, last, messageFor('entry-good', good)),
      );

      expect(responseOf(outcome, output)).toEqual({
        batchItemFailures: [{ itemIdentifier: second.messageId }, { itemIdentifier: last.messageId }],
      });
      expect(output.logs('object failed; the message will be retried')).toEqual([
        expect.objectContaining({ key }),
      ]);
      expect(
        output.logs('object failed on the last receive; the message goes to the dead-letter queue'),
      ).toEqual([expect.objectContaining({ key })]);
    } finally {
      delete process.env[NORMALIZE_ENV.maxReceiveCount];
    }
  });

  it('fails to load, naming the variable, when CF_LOGS_LAKE_BUCKET is missing', async () => {
    setEnvironment();
    delete process.env[NORMALIZE_ENV.lakeBucket];

    vi.resetModules();
    await expect(import('../../lambdas/handlers/normalize.ts')).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('CF_LOGS_LAKE_BUCKET is not set (expected an S3 bucket name)'),
    });
  });
});
