/**
 * `cf-logs backfill` against a fake S3 and a fake SQS on 127.0.0.1: in-process with the clients injected and a
 * virtual clock shared with the fake SQS (rate limit and retries take no real time), and once from the command
 * line through the SDK's own endpoint variables (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS). A backfilled message
 * is then given to the normalize handler, which must deliver the object's events.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BACKFILL_EXIT,
  type BackfillCommandArgs,
  type BackfillCommandIo,
  runBackfillCommand,
} from '../../lambdas/cli/backfill-command.ts';
import { compareKeys } from '../../lambdas/cli/backfill-plan.ts';
import { objectsInS3Event } from '../../lambdas/core/s3-event.ts';
import { createNormalizeHandler } from '../../lambdas/handlers/normalize-app.ts';
import type { Clock } from '../../lambdas/ports.ts';
import {
  FAKE_AWS_REGION,
  fakeFirehoseClient,
  fakeS3Client,
  fakeSdkEnvironment,
  fakeSqsClient,
} from '../support/aws-clients.ts';
import { fakeClock } from '../support/clock.ts';
import { type FakeFirehose, startFakeFirehose } from '../support/fake-firehose.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';
import { type FakeSqs, startFakeSqs } from '../support/fake-sqs.ts';
import { captureOutput } from '../support/lambda-output.ts';
import { accessRequestLines, FIXTURE_ACCOUNT_ID, gzipNdjson, rayIdOf } from '../support/logpush-fixtures.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/sqs-events.ts';
import { captureStream } from '../support/streams.ts';

const BUCKET = 'cf-logs-logpush-test';
const LAKE = 'cf-logs-lake-test';
const STREAM = 'cf-logs-stream';
const ZONE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ZONE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

const key = (dataset: string, id: string, day: string, file: string) =>
  `logpush/${dataset}/${id}/${day}/${file}`;
const file = (i: number) => `${'20261120T1000'}${String(i).padStart(2, '0')}Z_0a1b${i}.log.gz`;

/** Keys of the range 2026-11-20..2026-11-21, in S3 order: what a backfill of that range must send. */
const IN_RANGE = [
  ...Array.from({ length: 12 }, (_, i) => key('http_requests', ZONE_A, '20261120', file(i))),
  ...Array.from({ length: 3 }, (_, i) => key('http_requests', ZONE_A, '20261121', file(i))),
  key('http_requests', ZONE_B, '20261121', 'with space.log.gz'),
  key('http_requests', ZONE_B, '20261121', 'plus+sign.log.gz'),
  key('http_requests', ZONE_B, '20261121', 'ñandú-日本.log.gz'),
  key('http_requests', ZONE_B, '20261121', file(0)),
  key('access_requests', FIXTURE_ACCOUNT_ID, '20261120', file(0)),
  key('access_requests', FIXTURE_ACCOUNT_ID, '20261120', file(1)),
  key('gateway_dns', FIXTURE_ACCOUNT_ID, '20261121', file(0)),
].sort(compareKeys);

/** Keys that must not be sent: other days, challenge and test files, an empty object, another prefix. */
const NOT_SENT = [
  key('http_requests', ZONE_A, '20261119', file(0)),
  key('http_requests', ZONE_A, '20261122', file(0)),
  key('http_requests', ZONE_A, '20261120', 'ownership-challenge-0a1b2c3d.txt'),
  key('access_requests', FIXTURE_ACCOUNT_ID, '20261120', 'ownership-challenge-ffff0000.txt'),
  key('gateway_dns', FIXTURE_ACCOUNT_ID, '20261121', 'test.log.gz'),
  key('gateway_dns', FIXTURE_ACCOUNT_ID, '20261121', 'empty.log.gz'),
  `logpush/http_requests/${ZONE_A}/ownership-challenge-1234.txt`,
  `other/http_requests/${ZONE_A}/20261120/${file(0)}`,
];

let s3: FakeS3;
let sqs: FakeSqs;
let queueUrl: string;
let clock: Clock & { slept: number[] };
let dir: string;

beforeEach(async () => {
  clock = fakeClock(new Date('2026-11-22T08:00:00Z'));
  s3 = await startFakeS3({ buckets: [BUCKET, LAKE] });
  sqs = await startFakeSqs({ now: () => clock.now().getTime() });
  queueUrl = sqs.createQueue('cf-logs-queue');
  for (const k of IN_RANGE) {
    const body = k.includes('access_requests')
      ? gzipNdjson(accessRequestLines(40, k.slice(-12)))
      : gzipSync(`{"RayID":"${k.length}"}\n`);
    s3.putObject(BUCKET, k, body);
  }
  for (const k of NOT_SENT) s3.putObject(BUCKET, k, k.endsWith('empty.log.gz') ? '' : 'x');
  dir = await mkdtemp(join(tmpdir(), 'cf-logs-backfill-'));
});
afterEach(async () => {
  await s3.close();
  await sqs.close();
  await rm(dir, { recursive: true, force: true });
});

/** In-process, clients injected, on the virtual clock; the range 2026-11-20..21 and no rate limit by default. */
async function run(args: Partial<BackfillCommandArgs> = {}, io: Partial<BackfillCommandIo> = {}) {
  const out = captureStream();
  const err = captureStream();
  const code = await runBackfillCommand(
    { from: '2026-11-20', to: '2026-11-21', bucket: BUCKET, queue: queueUrl, rate: '0', ...args },
    {
      stdout: out.stream,
      stderr: err.stream,
      env: {},
      cwd: dir,
      s3: () => fakeS3Client(s3),
      sqs: () => fakeSqsClient(sqs),
      clock,
      tty: false,
      retry: { baseDelayMs: 100 },
      random: () => 1,
      ...io,
    },
  );
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Keys named by the messages in the queue, in the order they were sent. */
function sentKeys(url = queueUrl): string[] {
  return sqs.bodies(url).flatMap((body) => objectsInS3Event(body).map((ref) => ref.key));
}

const sendCalls = () => sqs.requestsFor('SendMessageBatch');

describe('cf-logs backfill: what is sent', () => {
  it('sends each object of the range once, across datasets and zones, in key order, and nothing else', async () => {
    const result = await run();
    // Not a terminal: plain lines, the first of the listing, then sending from 0 and at the end (the run takes no
    // time on the virtual clock, so nothing in between).
    expect(result.stderr.split('\n')).toEqual([
      `cf-logs backfill: s3://${BUCKET}/logpush/ from 2026-11-20 to 2026-11-21 (UTC days), every dataset to ${queueUrl}, no rate limit`,
      `cf-logs backfill: listing: 0 day folders, 0 objects, 0 B (0s) logpush/access_requests/${FIXTURE_ACCOUNT_ID}/20261120/`,
      expect.stringMatching(/^cf-logs backfill: 0\/22 objects 0%, 0 B\/\d\.\d KiB, 0\.0\/s, ETA \?$/),
      expect.stringMatching(/^cf-logs backfill: 22\/22 objects 100%, (\d\.\d KiB)\/\1, 0\.0\/s, ETA 0s$/),
      '',
    ]);
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    expect(sentKeys()).toEqual(IN_RANGE);
    for (const body of sqs.bodies(queueUrl)) {
      const [ref] = objectsInS3Event(body);
      expect(ref).toMatchObject({ bucket: BUCKET, size: s3.statObject(BUCKET, ref!.key)!.body.length });
      expect(ref!.eTag).toBe(s3.statObject(BUCKET, ref!.key)!.etag.replaceAll('"', ''));
      expect(JSON.parse(body).Records[0]).toMatchObject({
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        awsRegion: FAKE_AWS_REGION,
        eventTime: '2026-11-22T08:00:00.000Z',
      });
    }
    // Batches of ten, one call each; no listing of the whole bucket: only folders and day folders of the range.
    expect(sendCalls().map((c) => (c.input.Entries as unknown[]).length)).toEqual([10, 10, 2]);
    const lists = s3.requestsFor('ListObjectsV2').map((r) => [r.query.prefix, r.query.delimiter ?? '']);
    expect(lists.every(([prefix, delimiter]) => delimiter === '/' || /\/2026112[01]\/$/.test(prefix!))).toBe(
      true,
    );
    expect(lists.some(([prefix]) => prefix === '' || prefix === undefined)).toBe(false);
    expect(result.stdout.split('\n')[0]).toBe(
      `Backfill of s3://${BUCKET}/logpush/ from 2026-11-20 to 2026-11-21:`,
    );
    expect(result.stdout).toMatch(/^ {2}access_requests: 2 objects sent \(\d+(\.\d)? KiB\)$/m);
    expect(result.stdout).toMatch(/^ {2}gateway_dns: 1 objects sent \(\d+ B\)$/m);
    expect(result.stdout).toMatch(/^ {2}http_requests: 19 objects sent \(/m);
    expect(result.stdout).toMatch(
      /^22 of 22 objects sent \(.+\), 0 not sent; 4 other objects passed over \(ownership-challenge 2, test-object 1, empty-object 1\), as the normalize function would; 3 SendMessageBatch calls, 0 entries retried, \d+ ListObjectsV2 calls \(0s\)$/m,
    );
  });

  it('sends only the datasets asked for', async () => {
    const result = await run({ dataset: ['gateway_dns', 'access_requests'] });
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    expect(sentKeys()).toEqual(IN_RANGE.filter((k) => !k.includes('http_requests')));
    expect(s3.requestsFor('ListObjectsV2').some((r) => r.query.prefix === 'logpush/')).toBe(false);
  });

  it('lists what would be sent in a dry run, per dataset and day, and sends nothing', async () => {
    const result = await run({ dryRun: true, queue: undefined, rate: '5' });
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    expect(sqs.requests).toEqual([]);
    const first = IN_RANGE[0]!;
    const last = IN_RANGE.at(-1)!;
    expect(result.stdout).toContain(`Would send (dry run: nothing sent) from s3://${BUCKET}/logpush/:\n`);
    expect(result.stdout).toMatch(
      /^ {2}http_requests +2026-11-20 +12 objects +\d+ B {2}\(1 zone or account\)$/m,
    );
    expect(result.stdout).toMatch(
      /^ {2}http_requests +2026-11-21 +7 objects +\d+ B {2}\(2 zones or accounts\)$/m,
    );
    expect(result.stdout).toContain(`      first ${key('http_requests', ZONE_A, '20261121', file(0))}\n`);
    expect(result.stdout).toContain(
      `      last  ${key('http_requests', ZONE_B, '20261121', 'ñandú-日本.log.gz')}\n`,
    );
    expect(result.stdout).toMatch(/^ {2}http_requests +total +19 objects/m);
    expect(result.stdout).toMatch(/^22 objects, .+ in 5 day folders; 4 other objects passed over/m);
    expect(result.stdout).toContain(`First key: ${first}\nLast key:  ${last}\n`);
    expect(result.stdout).toContain('At 5 objects/s sending takes about 4s.');
  });
});

describe('cf-logs backfill: failures, pace and resume', () => {
  it('sends again the entries of a batch that failed, and gets them all in', async () => {
    sqs.addFault({ operation: 'SendMessageBatch', failEntries: { ids: ['1', '3'] } });
    sqs.addFault({ operation: 'SendMessageBatch', error: { type: 'RequestThrottled' } });
    const result = await run();
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    expect([...sentKeys()].sort(compareKeys)).toEqual(IN_RANGE);
    expect(sentKeys()).toHaveLength(IN_RANGE.length);
    const calls = sendCalls();
    expect(calls.map((c) => [c.status, (c.input.Entries as unknown[]).length])).toEqual([
      [200, 10],
      [403, 2],
      [200, 2],
      [200, 10],
      [200, 2],
    ]);
    expect(result.stdout).toContain('5 SendMessageBatch calls, 4 entries retried');
    // The backoff waited on the virtual clock: 100 ms, then 200 ms (random() is 1: the full backoff).
    expect(clock.slept).toEqual([100, 200]);
  });

  it('reports the objects that never got in, keeps sending the rest, and says where to resume', async () => {
    const stuck = IN_RANGE[13]!;
    const encoded = stuck.split('/').at(-1)!;
    sqs.addFault({
      operation: 'SendMessageBatch',
      times: Number.POSITIVE_INFINITY,
      failEntries: { where: (entry) => String(entry.MessageBody).includes(encoded), code: 'InternalError' },
    });
    const result = await run({}, { retry: { maxAttempts: 3, baseDelayMs: 1 } });
    expect(result.code).toBe(BACKFILL_EXIT.failed);
    expect(sentKeys()).toEqual(IN_RANGE.filter((k) => k !== stuck));
    expect(result.stderr).toContain(
      `cf-logs backfill: not sent: ${stuck}: InternalError (Injected failure)\n`,
    );
    expect(result.stderr).toContain(
      `cf-logs backfill: 1 objects were not sent:\ncf-logs backfill:   ${stuck} (InternalError)\n`,
    );
    expect(result.stderr).toContain(`cf-logs backfill: last key sent: ${IN_RANGE.at(-1)}\n`);
    expect(result.stderr).toContain(
      `cf-logs backfill: to resume, run the same command with --start-after ${IN_RANGE[12]} (objects sent after`,
    );
    expect(result.stdout).toContain('21 of 22 objects sent');
    expect(result.stdout).toContain(', 1 not sent');
    // Three attempts for the stuck entry, then on to the next batch.
    expect(
      sendCalls().filter((c) =>
        (c.input.Entries as { MessageBody: string }[]).some((e) => e.MessageBody.includes(encoded)),
      ),
    ).toHaveLength(3);
  });

  it('counts what a batch got in before a retry of the rest failed as a whole, and resumes after it', async () => {
    // The first call accepts nine of ten; every later call is throttled as a whole.
    sqs.addFault({ operation: 'SendMessageBatch', failEntries: { ids: ['3'] } });
    sqs.addFault({
      operation: 'SendMessageBatch',
      times: Number.POSITIVE_INFINITY,
      error: { type: 'RequestThrottled' },
    });
    const result = await run({}, { retry: { maxAttempts: 3, baseDelayMs: 1 } });
    expect(result.code).toBe(BACKFILL_EXIT.failed);
    expect(sentKeys()).toEqual(IN_RANGE.slice(0, 10).filter((_, i) => i !== 3));
    expect(result.stdout).toContain('9 of 22 objects sent');
    expect(result.stderr).toContain(`cf-logs backfill: not sent: ${IN_RANGE[3]}: RequestThrottled`);
    expect(result.stderr).toContain(`cf-logs backfill: last key sent: ${IN_RANGE[9]}\n`);
    expect(result.stderr).toContain(
      `cf-logs backfill: to resume, run the same command with --start-after ${IN_RANGE[2]} (objects sent after`,
    );
  });

  it('does not send again an entry SQS refused for a reason of the request (SenderFault)', async () => {
    const refused = IN_RANGE[0]!.split('/').at(-1)!;
    sqs.addFault({
      operation: 'SendMessageBatch',
      failEntries: {
        where: (entry) => String(entry.MessageBody).includes(refused),
        code: 'InvalidParameterValue',
        senderFault: true,
      },
    });
    const result = await run();
    expect(result.code).toBe(BACKFILL_EXIT.failed);
    expect(sendCalls()).toHaveLength(3);
    expect(result.stderr).toContain(
      'to resume, run the same command again (nothing before the first object was sent)',
    );
  });

  it('stops at a queue that does not exist, and sends nothing more', async () => {
    const result = await run({ queue: sqs.queueUrl('no-such-queue') });
    expect(result.code).toBe(BACKFILL_EXIT.failed);
    expect(result.stderr).toContain(
      `stopped after 0 of 22 objects: sending to ${sqs.queueUrl('no-such-queue')} failed: no such queue (QueueDoesNotExist)`,
    );
    expect(sendCalls()).toHaveLength(1);
  });

  it('fails with the reason when the bucket cannot be listed, before sending anything', async () => {
    s3.addFault({
      operation: 'ListObjectsV2',
      times: Number.POSITIVE_INFINITY,
      error: { status: 403, code: 'AccessDenied' },
    });
    const result = await run();
    expect(result.code).toBe(BACKFILL_EXIT.failed);
    expect(result.stderr).toContain(
      `listing s3://${BUCKET}/logpush/ failed after 1 calls: access denied (AccessDenied)`,
    );
    expect(sqs.requests).toEqual([]);
  });

  it('keeps to --rate objects a second on the virtual clock, and prints plain progress lines now and then', async () => {
    const result = await run({ rate: '2' });
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    const calls = sendCalls();
    expect(calls.map((c) => (c.input.Entries as unknown[]).length)).toEqual(Array(11).fill(2));
    const at = calls.map((c) => c.at - calls[0]!.at);
    expect(at).toEqual(Array.from({ length: 11 }, (_, i) => i * 1000));
    // Within any stretch of time, no more than 2 a second plus one batch.
    for (let i = 0; i < at.length; i++) {
      for (let j = i; j < at.length; j++)
        expect((j - i + 1) * 2).toBeLessThanOrEqual((2 * (at[j]! - at[i]!)) / 1000 + 2);
    }
    // Plain lines at most every 10 s of the clock: at the start, and when the last batch went 10 s later.
    const progress = result.stderr.split('\n').filter((l) => / objects \d+%/.test(l));
    expect(progress).toEqual([
      expect.stringMatching(/^cf-logs backfill: 0\/22 objects 0%, 0 B\/7\.2 KiB, 0\.0\/s, ETA \?$/),
      'cf-logs backfill: 22/22 objects 100%, 7.2 KiB/7.2 KiB, 2.2/s, ETA 0s',
    ]);
  });

  it('sends as many to a call as the default rate allows in a second (five), as the help says', async () => {
    const result = await run({ rate: undefined });
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    expect(result.stderr).toContain(', 5 objects/s\n');
    expect(sendCalls().map((c) => (c.input.Entries as unknown[]).length)).toEqual([5, 5, 5, 5, 2]);
  });

  it('draws a progress bar in place when standard error is a terminal, and clears it before the summary', async () => {
    const result = await run({ rate: '2' }, { tty: true, columns: 100 });
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    const draws = result.stderr.split('\r\x1b[K').slice(1);
    expect(draws.at(-1)).toBe('');
    const bars = draws.filter((d) => d.startsWith('['));
    expect(bars[0]).toMatch(/^\[-{40}\] 0\/22 objects 0% {2}0 B\/7\.2 KiB {2}0\.0\/s {2}ETA \?$/);
    // Ten sent in four seconds (the first two at once): 2.5 a second, twelve left.
    expect(bars).toContainEqual(
      expect.stringMatching(
        /^\[#{18}-{22}\] 10\/22 objects 45% {2}\d\.\d KiB\/7\.2 KiB {2}2\.5\/s {2}ETA 5s$/,
      ),
    );
    expect(bars.at(-1)).toMatch(/^\[#{40}\] 22\/22 objects 100% {2}7\.2 KiB\/7\.2 KiB {2}2\.2\/s {2}ETA 0s$/);
    expect(bars.every((b) => b.length < 100 && !b.includes('\n'))).toBe(true);
  });

  it('resumes after --start-after: only the keys after it are sent', async () => {
    const result = await run({ startAfter: IN_RANGE[4] });
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    expect(sentKeys()).toEqual(IN_RANGE.slice(5));
    expect(result.stdout).toContain('17 of 17 objects sent');
  });

  it('stops on an interruption without sending the batch that waits, and prints the key to resume from', async () => {
    const controller = new AbortController();
    const paced: Clock = {
      now: () => clock.now(),
      sleep: async (ms) => {
        controller.abort();
        await clock.sleep(ms);
      },
    };
    const result = await run({ rate: '10' }, { clock: paced, signal: controller.signal });
    expect(result.code).toBe(BACKFILL_EXIT.failed);
    expect(sentKeys()).toEqual(IN_RANGE.slice(0, 10));
    expect(result.stderr).toContain('cf-logs backfill: interrupted after 10 of 22 objects\n');
    expect(result.stderr).toContain(`cf-logs backfill: last key sent: ${IN_RANGE[9]}\n`);
    expect(result.stderr).toContain(
      `cf-logs backfill: to resume, run the same command with --start-after ${IN_RANGE[9]}\n`,
    );
    const resumed = await run({ startAfter: IN_RANGE[9] });
    expect(resumed.code).toBe(BACKFILL_EXIT.ok);
    expect(sentKeys()).toEqual(IN_RANGE);
  });
});

describe('cf-logs backfill: command line and settings', () => {
  it('refuses a wrong command line with exit 2 and a clear message, sending nothing', async () => {
    const cases: [Partial<BackfillCommandArgs>, string][] = [
      [{ from: '2026-11-22', to: '2026-11-20' }, '--from 2026-11-22 is after --to 2026-11-20'],
      [{ from: '2026-11-31' }, '--from 2026-11-31 is not a date: expected YYYY-MM-DD'],
      [{ to: undefined }, '--from DATE and --to DATE are required'],
      [{ dataset: ['http'] }, '--dataset http is not a Logpush dataset this project knows'],
      [{ rate: 'fast' }, '--rate fast is not a number of objects per second (0 for no limit)'],
      [{ rate: '-1' }, '--rate -1 is not a number'],
      [
        { bucket: undefined },
        'the Logpush bucket is unknown: pass --bucket NAME (the stack output LogpushBucketName)',
      ],
      [{ queue: undefined }, 'the queue is unknown: pass --queue URL (the stack output QueueUrl)'],
      [{ queue: 'cf-logs-queue' }, '--queue cf-logs-queue is not a queue URL'],
      [{ startAfter: 'http_requests/x' }, '--start-after http_requests/x is not a key under logpush/'],
      [{ outputs: 'missing.json' }, '--outputs missing.json: no such file'],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      expect(result.code, message).toBe(BACKFILL_EXIT.usage);
      expect(result.stderr).toContain(`cf-logs backfill: ${message}`);
    }
    expect(sqs.requests).toEqual([]);
    expect(s3.requests).toEqual([]);
  });

  it('takes the bucket, region, prefix and queue from cdk-outputs.json', async () => {
    await writeFile(
      join(dir, 'cdk-outputs.json'),
      JSON.stringify({
        CfLogs: {
          LogpushBucketName: BUCKET,
          LogpushBucketRegion: 'eu-west-1',
          QueueUrl: queueUrl,
          LogpushDestinationConfTemplate: `s3://${BUCKET}/logpush/<dataset>/<account-or-zone-id>/{DATE}?region=eu-west-1`,
        },
      }),
    );
    const regions: (string | undefined)[] = [];
    const result = await run(
      { bucket: undefined, queue: undefined, dataset: ['gateway_dns'] },
      {
        s3: (region) => {
          regions.push(region);
          return fakeS3Client(s3);
        },
      },
    );
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    expect(regions).toEqual(['eu-west-1']);
    expect(sentKeys()).toEqual([key('gateway_dns', FIXTURE_ACCOUNT_ID, '20261121', file(0))]);
    expect(JSON.parse(sqs.bodies(queueUrl)[0]!).Records[0].awsRegion).toBe('eu-west-1');
  });

  it('runs from the command line with the standard AWS SDK environment (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS)', async () => {
    const bin = new URL('../../bin/cf-logs.ts', import.meta.url).pathname;
    const env = fakeSdkEnvironment({ AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ENDPOINT_URL_SQS: sqs.endpoint });
    const args = ['backfill', '--from', '2026-11-20', '--to', '2026-11-21', '--bucket', BUCKET];
    // The queue URL names another host: the endpoint variable wins, as it does for every other AWS service.
    const elsewhere = `https://sqs.${FAKE_AWS_REGION}.amazonaws.com/000000000000/cf-logs-queue`;
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [bin, ...args, '--queue', elsewhere, '--rate', '0', '--dataset', 'access_requests'],
      { cwd: dir, timeout: 60_000, env },
    );
    expect(stderr).toContain(`to ${elsewhere}, no rate limit`);
    expect(stdout).toContain('2 of 2 objects sent');
    expect(sentKeys()).toEqual(IN_RANGE.filter((k) => k.includes('access_requests')));

    const dry = await promisify(execFile)(process.execPath, [bin, ...args, '--dry-run'], {
      cwd: dir,
      timeout: 60_000,
      env,
    });
    expect(dry.stdout).toContain('22 objects, ');
    const usage = await promisify(execFile)(process.execPath, [bin, 'backfill', '--from', 'x'], {
      cwd: dir,
      env,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(usage).toMatchObject({ code: BACKFILL_EXIT.usage });
    expect((usage as { stderr: string }).stderr).toContain(
      'cf-logs backfill: --from DATE and --to DATE are required',
    );
  });
});

describe('cf-logs backfill: end to end through the normalize handler', () => {
  let firehose: FakeFirehose;
  beforeEach(async () => {
    firehose = await startFakeFirehose({ deliveryStreams: [STREAM] });
  });
  afterEach(async () => {
    await firehose.close();
  });

  it('delivers the events of a backfilled object when the Lambda gets the message', async () => {
    const result = await run({ dataset: ['access_requests'], to: '2026-11-20' });
    expect(result.code).toBe(BACKFILL_EXIT.ok);
    const messages = sqs.messages(queueUrl);
    expect(messages).toHaveLength(2);
    const handler = createNormalizeHandler({
      settings: {
        deliveryStream: STREAM,
        lakeBucket: LAKE,
        quarantinePrefix: 'quarantine',
        logpushPrefix: 'logpush',
      },
      s3: fakeS3Client(s3),
      firehose: fakeFirehoseClient(firehose),
      logger: new Logger({ serviceName: 'cf-logs-normalize', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'CloudflareLogLake', serviceName: 'cf-logs-normalize' }),
      clock: fakeClock(),
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    const { outcome, output } = await captureOutput(() =>
      handler(
        sqsEvent(...messages.map((m) => sqsRecord(m.body, { messageId: m.messageId }))),
        lambdaContext(),
      ),
    );
    expect(outcome).toEqual({ status: 'fulfilled', value: { batchItemFailures: [] } });
    const rayIds = firehose
      .recordsFor(STREAM)
      .flatMap((record) => record.toString('utf8').split('\n').filter(Boolean))
      .map((line) => (JSON.parse(line) as { cloudflare: { rayid: string } }).cloudflare.rayid);
    const seeds = IN_RANGE.filter((k) => k.includes('access_requests')).map((k) => k.slice(-12));
    expect(rayIds.sort()).toEqual(
      seeds.flatMap((seed) => Array.from({ length: 40 }, (_, i) => rayIdOf(i, seed))).sort(),
    );
    expect(output.lines.some((line) => line.includes('"object processed"'))).toBe(true);
  });
});
