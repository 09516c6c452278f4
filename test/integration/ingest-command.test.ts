/**
 * `cf-logs ingest` against a fake S3 and a fake Firehose on 127.0.0.1: from the command line through the SDK's
 * own endpoint variables (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_FIREHOSE), and in-process for the cases that
 * need no environment.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prng, syntheticLine } from '../../bench/synthetic.ts';
import { INGEST_EXIT, type IngestCommandArgs, runIngestCommand } from '../../lambdas/cli/ingest-command.ts';
import { fakeFirehoseClient, fakeS3Client, fakeSdkEnvironment } from '../support/aws-clients.ts';
import { type FakeFirehose, startFakeFirehose } from '../support/fake-firehose.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';
import { captureStream } from '../support/streams.ts';

const LOGS = 'cf-logs-logpush-test';
const LAKE = 'cf-logs-lake-test';
const STREAM = 'cf-logs-stream';
const ZONE = 'fedcba9876543210fedcba9876543210';
const KEY = `logpush/http_requests/${ZONE}/20261120/20261120T101500Z_20261120T101600Z_0a1b2c3d.log.gz`;
const LINES = 300;

let s3: FakeS3;
let firehose: FakeFirehose;

beforeEach(async () => {
  s3 = await startFakeS3({ buckets: [LOGS, LAKE] });
  firehose = await startFakeFirehose({ deliveryStreams: [STREAM] });
  const rnd = prng(42);
  const lines = Array.from({ length: LINES }, (_, i) => syntheticLine('http_requests', i, rnd));
  lines.splice(100, 0, '{"RayID":"cut short', '');
  s3.putObject(LOGS, KEY, gzipSync(`${lines.join('\n')}\n`));
});
afterEach(async () => {
  await s3.close();
  await firehose.close();
});

/** Events Firehose received: each packed record holds newline-terminated lake rows. */
function delivered(): Record<string, unknown>[] {
  return firehose
    .recordsFor(STREAM)
    .flatMap((record) => record.toString('utf8').split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const bin = new URL('../../bin/cf-logs.ts', import.meta.url).pathname;

/** The real command line, with only the standard AWS SDK environment pointing it at the fakes. */
async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'ingest', ...args], {
      timeout: 60_000,
      env: fakeSdkEnvironment({
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint,
      }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** In-process, with clients injected (no environment). */
async function run(args: Partial<IngestCommandArgs> & { objects: string[] }) {
  const out = captureStream();
  const err = captureStream();
  const code = await runIngestCommand(
    { stream: STREAM, ...args },
    {
      stdout: out.stream,
      stderr: err.stream,
      s3: fakeS3Client(s3),
      firehose: fakeFirehoseClient(firehose),
    },
  );
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('cf-logs ingest (command line, SDK endpoint variables)', () => {
  it('delivers every line of the object or quarantines it, like the Lambda', async () => {
    const result = await cli([
      `s3://${LOGS}/${KEY}`,
      '--stream',
      STREAM,
      '--quarantine',
      `s3://${LAKE}/quarantine`,
    ]);
    expect(result.stderr).toMatch(
      new RegExp(
        `^cf-logs ingest: s3://${LOGS}/${KEY}: 302 lines, 300 events delivered \\(http_requests 300\\), 1 quarantined, 1 blank; 1 Firehose calls, 0 records retried \\([\\d.]+ s\\)\\n$`,
      ),
    );
    expect(result.stdout).toBe(
      `1 objects: 1 processed, 0 skipped, 0 failed; 302 lines in, 300 events delivered, 1 quarantined in s3://${LAKE}/quarantine/, 1 blank; 1 Firehose calls, 0 records retried\n`,
    );
    expect(result.code).toBe(INGEST_EXIT.ok);
    const events = delivered();
    expect(events).toHaveLength(300);
    expect(new Set(events.map((e) => (e.event as { id: string }).id)).size).toBe(300);
    expect(events[0]).toMatchObject({
      event: { dataset: 'http_requests' },
      observer: { vendor: 'Cloudflare' },
    });
    // The quarantine file is the Lambda's: under the object's {DATE} day, with the line, its number and reason.
    const [file] = s3.listKeys(LAKE, 'quarantine/dt=2026-11-20/');
    expect(file).toMatch(/^quarantine\/dt=2026-11-20\/[0-9a-f]{24}-0000\.json\.gz$/);
    const entry = JSON.parse(gunzipSync(s3.getObject(LAKE, file!)!).toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(entry).toMatchObject({ bucket: LOGS, key: KEY, line: 101, raw: '{"RayID":"cut short' });
    expect(String(entry.reason)).toMatch(/^invalid JSON/);
  });

  it('gives the same event ids when an object is ingested twice', async () => {
    await cli([`s3://${LOGS}/${KEY}`, '--stream', STREAM]);
    const first = delivered().map((e) => (e.event as { id: string }).id);
    await cli([`s3://${LOGS}/${KEY}`, '--stream', STREAM]);
    const all = delivered().map((e) => (e.event as { id: string }).id);
    expect(all.slice(300)).toEqual(first);
  });

  it('retries Firehose throttling and partial failures, and says so', async () => {
    firehose.script.queue.push({ kind: 'throttle' }, { kind: 'partial', failIndices: [0] });
    const result = await cli([`s3://${LOGS}/${KEY}`, '--stream', STREAM, '--quarantine', `s3://${LAKE}/q`]);
    expect(result.code).toBe(INGEST_EXIT.ok);
    expect(result.stdout).toContain('300 events delivered');
    expect(result.stdout).toMatch(/3 Firehose calls, 2 records retried/);
    expect(delivered()).toHaveLength(300);
  });

  it('fails with what is missing when Firehose refuses the records', async () => {
    firehose.script.defaultPlan = { kind: 'error', status: 400, errorType: 'InvalidArgumentException' };
    const result = await cli([`s3://${LOGS}/${KEY}`, '--stream', STREAM, '--quarantine', `s3://${LAKE}/q`]);
    expect(result.code).toBe(INGEST_EXIT.failed);
    expect(result.stderr).toContain(`s3://${LOGS}/${KEY}: FAILED: DeliveryError: delivery failed:`);
    expect(result.stderr).toContain(
      '0 events were delivered before it failed; the rest of the object was not.',
    );
    expect(result.stdout).toContain('0 processed, 0 skipped, 1 failed');
  });

  it('names an unknown delivery stream', async () => {
    const result = await cli([`s3://${LOGS}/${KEY}`, '--stream', 'no-such-stream']);
    expect(result.code).toBe(INGEST_EXIT.failed);
    expect(result.stderr).toContain("is --stream the stack's DeliveryStreamName, in this region?");
  });
});

describe('cf-logs ingest (in-process)', () => {
  it('reports rejected lines on standard error without --quarantine', async () => {
    const result = await run({ objects: [`s3://${LOGS}/${KEY}`] });
    expect(result.code).toBe(INGEST_EXIT.ok);
    expect(result.stderr).toContain(`cf-logs ingest: s3://${LOGS}/${KEY}:101: invalid JSON`);
    expect(result.stderr).toContain('\n  {"RayID":"cut short\n');
    expect(result.stdout).toContain(
      '1 quarantined (on standard error: pass --quarantine s3://BUCKET/PREFIX to keep them)',
    );
    expect(s3.listKeys(LAKE)).toEqual([]);
  });

  it('goes on after a missing object, skips a challenge file, and exits 1', async () => {
    const challenge = `logpush/http_requests/${ZONE}/20261120/ownership-challenge.txt`;
    s3.putObject(LOGS, challenge, 'eyJhbGciOi.payload.sig');
    const result = await run({
      objects: [
        `s3://${LOGS}/logpush/http_requests/${ZONE}/20261120/gone.log.gz`,
        `s3://${LOGS}/${challenge}`,
        `s3://${LOGS}/${KEY}`,
      ],
    });
    expect(result.code).toBe(INGEST_EXIT.failed);
    expect(result.stderr).toContain('gone.log.gz: FAILED: no such object (NoSuchKey)');
    expect(result.stderr).toContain('ownership-challenge.txt: skipped: ownership-challenge');
    expect(result.stdout).toContain(
      '3 objects: 1 processed, 1 skipped, 1 failed; 302 lines in, 300 events delivered',
    );
    expect(delivered()).toHaveLength(300);
  });

  it('says how many events Firehose took before an object failed', async () => {
    const key = `logpush/http_requests/${ZONE}/20261120/big.log.gz`;
    const rnd = prng(9);
    // About 6 MB of events: more than one 4 MiB call.
    const lines = Array.from({ length: 3000 }, (_, i) => syntheticLine('http_requests', i, rnd));
    s3.putObject(LOGS, key, gzipSync(`${lines.join('\n')}\n`));
    firehose.script.queue.push({ kind: 'accept' });
    firehose.script.defaultPlan = { kind: 'error', status: 400, errorType: 'InvalidArgumentException' };
    const result = await run({ objects: [`s3://${LOGS}/${key}`] });
    expect(result.code).toBe(INGEST_EXIT.failed);
    const taken = delivered().length;
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(3000);
    expect(result.stderr).toContain(`${taken} events were delivered before it failed`);
    expect(result.stdout).toContain(`${taken} events delivered`);
  });

  it('maps with --dataset whatever the key says', async () => {
    const key = 'elsewhere/20261120/batch.log.gz';
    const rnd = prng(7);
    s3.putObject(LOGS, key, gzipSync(`${syntheticLine('firewall_events', 1, rnd)}\n`));
    const result = await run({ objects: [`s3://${LOGS}/${key}`], dataset: 'firewall_events' });
    expect(result.code).toBe(INGEST_EXIT.ok);
    expect(result.stderr).toContain('1 events delivered (firewall_events 1)');
  });

  it('refuses a wrong command line', async () => {
    expect((await run({ objects: [] })).stderr).toContain('name at least one object: s3://BUCKET/KEY');
    expect((await run({ objects: ['s3://b'] })).stderr).toContain('s3://b is not s3://BUCKET/KEY');
    const noStream = await run({ objects: [`s3://${LOGS}/${KEY}`], stream: '' });
    expect(noStream.code).toBe(INGEST_EXIT.usage);
    expect(noStream.stderr).toContain('--stream is required');
    expect((await run({ objects: [`s3://${LOGS}/${KEY}`], dataset: 'http_request' })).stderr).toContain(
      '--dataset http_request is not a Logpush dataset',
    );
    const badQuarantine = await run({ objects: [`s3://${LOGS}/${KEY}`], quarantine: `s3://${LAKE}/` });
    expect(badQuarantine.code).toBe(INGEST_EXIT.usage);
    expect(badQuarantine.stderr).toContain('(a prefix is needed)');
    expect(s3.requestsFor('GetObject')).toEqual([]);
  });
});
