/**
 * Tests of the local AWS fakes themselves, driven by the real SDK v3 clients.
 * Nothing here reaches AWS: every client is built by `aws-clients.ts`, which refuses non-loopback endpoints.
 */
import { Readable } from 'node:stream';
import {
  FirehoseServiceException,
  PutRecordBatchCommand,
  type PutRecordBatchCommandOutput,
  PutRecordCommand,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertLoopbackEndpoint,
  fakeFirehoseClient,
  fakeS3Client,
  SILENT_AWS_LOGGER,
} from '../support/aws-clients.ts';
import {
  type FakeFirehose,
  FIREHOSE_MAX_BATCH_BYTES,
  FIREHOSE_MAX_BATCH_RECORDS,
  FIREHOSE_MAX_RECORD_BYTES,
  startFakeFirehose,
} from '../support/fake-firehose.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';

/** Await a promise that must reject and return the rejection. */
async function rejectionOf(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Deterministic pseudo-random bytes (so a broken chunk boundary cannot hide in a run of equal bytes). */
function patternBytes(size: number, seed = 7): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Every page of a ListObjectsV2 listing (at most 20 pages). */
async function listPages(
  client: S3Client,
  input: ListObjectsV2CommandInput,
): Promise<ListObjectsV2CommandOutput[]> {
  const pages: ListObjectsV2CommandOutput[] = [];
  let token: string | undefined;
  for (let page = 0; page < 20; page++) {
    const out: ListObjectsV2CommandOutput = await client.send(
      new ListObjectsV2Command({ ...input, ContinuationToken: token }),
    );
    pages.push(out);
    token = out.NextContinuationToken;
    if (!out.IsTruncated) break;
  }
  return pages;
}

describe('fake S3 with @aws-sdk/client-s3', () => {
  let s3: FakeS3;
  let client: S3Client;
  const bucket = 'fake-bucket';

  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: [bucket] });
    client = fakeS3Client(s3);
  });
  afterEach(() => s3.clearFaults());
  afterAll(async () => {
    client.destroy();
    await s3.close();
  });

  it('round-trips an 8 MiB binary object, streaming it to the client in many chunks', async () => {
    const body = patternBytes(8 * 1024 * 1024);
    const put = await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'big/object.bin', Body: body }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const putLog = s3.requestsFor('PutObject', 'big/object.bin')[0]!;
    // What the SDK sends for a Buffer body by default: a plain body plus a CRC32 header (no aws-chunked).
    expect(putLog.headers['x-amz-checksum-crc32']).toBeDefined();
    expect(putLog.headers['content-encoding']).toBeUndefined();
    expect(s3.getObject(bucket, 'big/object.bin')?.equals(body)).toBe(true);

    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/object.bin' }));
    expect(got.ContentLength).toBe(body.length);
    expect(got.ETag).toBe(put.ETag);
    expect(got.ChecksumCRC32).toBe(putLog.headers['x-amz-checksum-crc32']);
    let chunks = 0;
    const parts: Buffer[] = [];
    for await (const chunk of got.Body as Readable) {
      chunks += 1;
      parts.push(chunk as Buffer);
    }
    expect(chunks).toBeGreaterThan(16);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
  });

  it('decodes aws-chunked stream uploads with a checksum trailer, and plain ones without checksums', async () => {
    const data = patternBytes(300_000, 3);
    const stream = Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]);
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'chunked.bin', Body: stream, ContentLength: data.length }),
    );
    const log = s3.requestsFor('PutObject', 'chunked.bin')[0]!;
    expect(log.headers['content-encoding']).toBe('aws-chunked');
    expect(log.headers['x-amz-trailer']).toBe('x-amz-checksum-crc32');
    expect(log.bodyBytes).toBeGreaterThan(data.length);
    expect(s3.getObject(bucket, 'chunked.bin')?.equals(data)).toBe(true);
    expect(s3.statObject(bucket, 'chunked.bin')?.contentEncoding).toBeUndefined();

    const plain = fakeS3Client(s3, {
      requestChecksumCalculation: 'WHEN_REQUIRED',
      logger: SILENT_AWS_LOGGER,
    });
    await plain.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'plain.bin',
        Body: Readable.from([data]),
        ContentLength: data.length,
      }),
    );
    // S3 refuses an upload of unknown length (plain HTTP chunked, which the SDK sends in this mode).
    const unknownLength = await rejectionOf(
      plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'no-length.bin', Body: Readable.from([data]) })),
    );
    expect(unknownLength.name).toBe('MissingContentLength');
    expect(s3.getObject(bucket, 'no-length.bin')).toBeUndefined();
    plain.destroy();
    const plainLog = s3.requestsFor('PutObject', 'plain.bin')[0]!;
    expect(plainLog.headers['content-encoding']).toBeUndefined();
    expect(plainLog.headers['x-amz-checksum-crc32']).toBeUndefined();
    expect(s3.getObject(bucket, 'plain.bin')?.equals(data)).toBe(true);
  });

  it('rejects a body whose checksum does not match', async () => {
    const err = await rejectionOf(
      client.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'bad-sum', Body: 'hello', ChecksumCRC32: 'AAAAAA==' }),
      ),
    );
    expect(err.name).toBe('BadDigest');
    expect(s3.getObject(bucket, 'bad-sum')).toBeUndefined();
  });

  it('serves HeadObject attributes and ranged GETs', async () => {
    s3.putObject(bucket, 'meta.json', '{"hello":"world"}', {
      contentType: 'application/json',
      metadata: { origin: 'test' },
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta.json' }));
    expect(head.ContentLength).toBe(17);
    expect(head.ContentType).toBe('application/json');
    expect(head.ETag).toBe(s3.statObject(bucket, 'meta.json')?.etag);
    expect(head.Metadata).toEqual({ origin: 'test' });
    expect(head.LastModified).toBeInstanceOf(Date);

    const ranged = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'meta.json', Range: 'bytes=2-6' }),
    );
    expect(ranged.ContentRange).toBe('bytes 2-6/17');
    expect(await ranged.Body!.transformToString()).toBe('hello');

    const missing = await rejectionOf(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'nope' })));
    expect(missing.name).toBe('NotFound'); // HEAD has no body, so the SDK cannot say NoSuchKey.
  });

  it('raises NoSuchKey / NoSuchBucket with the right error names', async () => {
    const noKey = await rejectionOf(
      client.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing/key' })),
    );
    expect(noKey).toBeInstanceOf(NoSuchKey);
    expect(noKey.name).toBe('NoSuchKey');
    expect((noKey.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(404);
    const noBucket = await rejectionOf(
      client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })),
    );
    expect(noBucket.name).toBe('NoSuchBucket');
  });

  it('lists with prefix, delimiter and continuation-token pagination', async () => {
    const keys = Array.from({ length: 23 }, (_, i) => `list/p${String(i).padStart(2, '0')}.txt`);
    for (const k of keys) s3.putObject(bucket, k, k);
    s3.putObject(bucket, 'list/sub/a.txt', 'a');
    s3.putObject(bucket, 'list/sub/b.txt', 'b');

    const pages = await listPages(client, { Bucket: bucket, Prefix: 'list/p', MaxKeys: 10 });
    expect(pages.map((p) => p.KeyCount)).toEqual([10, 10, 3]);
    expect(pages.flatMap((p) => (p.Contents ?? []).map((c) => c.Key))).toEqual(keys);

    const grouped = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', Delimiter: '/', MaxKeys: 1000 }),
    );
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['list/sub/']);
    expect(grouped.Contents).toHaveLength(23);
    expect(grouped.Contents?.[0]?.Size).toBe(keys[0]!.length);

    // A common prefix counts as one entry and is never repeated across pages.
    const small = await listPages(client, { Bucket: bucket, Prefix: 'list/', Delimiter: '/', MaxKeys: 5 });
    expect(small).toHaveLength(5);
    const items = small.flatMap((p) => [
      ...(p.Contents ?? []).map((c) => c.Key),
      ...(p.CommonPrefixes ?? []).map((c) => c.Prefix),
    ]);
    expect(items).toEqual([...keys, 'list/sub/']);
  });

  it('enforces conditional writes (If-None-Match: * and If-Match)', async () => {
    const key = 'cursor/state.json';
    const first = await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v1', IfNoneMatch: '*' }),
    );
    const again = await rejectionOf(
      client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v1bis', IfNoneMatch: '*' })),
    );
    expect(again.name).toBe('PreconditionFailed');
    expect((again.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(412);

    const second = await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v2', IfMatch: first.ETag }),
    );
    const stale = await rejectionOf(
      client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v3', IfMatch: first.ETag })),
    );
    expect(stale.name).toBe('PreconditionFailed');
    expect(s3.getObject(bucket, key)?.toString()).toBe('v2');
    expect(second.ETag).toBe(s3.statObject(bucket, key)?.etag);

    const absent = await rejectionOf(
      client.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'cursor/absent', Body: 'x', IfMatch: first.ETag }),
      ),
    );
    expect(absent.name).toBe('NoSuchKey');
  });

  it('round-trips awkward keys (spaces, =, +, %, unicode, double slashes)', async () => {
    const keys = [
      'dt=2024-01-01/a b+c=d.json',
      'ünïcødé/日本語/😀.ndjson',
      'pct%20literal&amp?#frag',
      'quote\'s "x" <tag>',
      'dir//double/./dot/../x',
      'tilde~*()!@$,;',
    ];
    for (const [i, key] of keys.entries()) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body-${i}` }));
    }
    for (const [i, key] of keys.entries()) {
      expect(s3.getObject(bucket, key)?.toString()).toBe(`body-${i}`);
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await got.Body!.transformToString()).toBe(`body-${i}`);
    }
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const listedKeys = new Set((listed.Contents ?? []).map((c) => c.Key));
    for (const key of keys) expect(listedKeys.has(key)).toBe(true);

    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keys[0]! }));
    expect(s3.getObject(bucket, keys[0]!)).toBeUndefined();
  });

  it('surfaces a connection reset mid-body as a stream error on the client', async () => {
    const body = patternBytes(2 * 1024 * 1024, 11);
    s3.putObject(bucket, 'reset.bin', body);
    const fault = s3.addFault({ operation: 'GetObject', key: 'reset.bin', resetAfterBytes: 300_000 });
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'reset.bin' }));
    expect(got.ContentLength).toBe(body.length); // headers announced the full size
    let received = 0;
    const err = await rejectionOf(
      (async () => {
        for await (const chunk of got.Body as Readable) received += (chunk as Buffer).length;
      })(),
    );
    expect(err.code).toBe('ECONNRESET');
    expect(err.message).toBe('aborted');
    expect(received).toBeLessThan(body.length);
    expect(fault.remaining).toBe(0);
    expect(s3.requestsFor('GetObject', 'reset.bin').map((r) => [r.fault, r.status])).toEqual([
      ['reset', undefined],
    ]);

    // The fault was consumed: the next read succeeds.
    const again = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'reset.bin' }));
    expect(Buffer.from(await again.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('makes a corrupted body fail the SDK checksum validation', async () => {
    s3.putObject(bucket, 'corrupt.bin', patternBytes(100_000, 5));
    s3.addFault({ key: 'corrupt.bin', corrupt: true });
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'corrupt.bin' }));
    const err = await rejectionOf(got.Body!.transformToByteArray());
    expect(err.message).toMatch(/Checksum mismatch/);
  });

  it('injects 5xx errors and delays, counted in the request log', async () => {
    s3.putObject(bucket, 'flaky.txt', 'ok');
    s3.addFault({
      operation: 'GetObject',
      key: 'flaky.txt',
      error: { status: 503, code: 'SlowDown' },
      times: 2,
    });
    const slow = await rejectionOf(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'flaky.txt' })));
    expect(slow.name).toBe('SlowDown');
    expect((slow.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(503);

    s3.clearFaults();
    s3.addFault({ operation: 'GetObject', key: 'flaky.txt', error: { status: 500, code: 'InternalError' } });
    const retrying = fakeS3Client(s3, { maxAttempts: 2 });
    const ok = await retrying.send(new GetObjectCommand({ Bucket: bucket, Key: 'flaky.txt' }));
    retrying.destroy();
    expect(await ok.Body!.transformToString()).toBe('ok');
    expect(ok.$metadata.attempts).toBe(2);
    expect(s3.requestsFor('GetObject', 'flaky.txt').map((r) => r.status)).toEqual([503, 500, 200]);

    s3.addFault({ operation: 'HeadObject', delayMs: 150 });
    const started = Date.now();
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'flaky.txt' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('drops the connection before answering non-GET requests on a reset fault', async () => {
    s3.addFault({ operation: 'PutObject', resetAfterBytes: 0 });
    const err = await rejectionOf(
      client.send(new PutObjectCommand({ Bucket: bucket, Key: 'dropped', Body: 'x' })),
    );
    expect(err.code).toBe('ECONNRESET');
    expect(err.name).toBe('TimeoutError'); // the SDK's node handler renames ECONNRESET/EPIPE/ETIMEDOUT errors
    expect(s3.getObject(bucket, 'dropped')).toBeUndefined();
  });
});

describe('fake Firehose with @aws-sdk/client-firehose', () => {
  const stream = 'fake-stream';
  let fh: FakeFirehose;
  let client: ReturnType<typeof fakeFirehoseClient>;
  const enc = (s: string): { Data: Uint8Array } => ({ Data: Buffer.from(s) });
  const put = (records: { Data: Uint8Array }[], name = stream): Promise<PutRecordBatchCommandOutput> =>
    client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records }));
  const text = (): string[] => fh.records.map((r) => r.toString());

  beforeAll(async () => {
    fh = await startFakeFirehose({ deliveryStreams: [stream], seed: 42 });
    client = fakeFirehoseClient(fh);
  });
  afterEach(() => {
    fh.records.length = 0;
    fh.calls.length = 0;
    fh.script.queue.length = 0;
    fh.script.planner = undefined;
    fh.script.defaultPlan = { kind: 'accept' };
    fh.script.latencyMs = 0;
  });
  afterAll(async () => {
    client.destroy();
    await fh.close();
  });

  it('accepts a batch and stores the decoded records in order', async () => {
    const out = await put([enc('a'), enc('b'), enc('{"x":1}\n')]);
    expect(out.FailedPutCount).toBe(0);
    expect(out.RequestResponses?.every((r) => typeof r.RecordId === 'string')).toBe(true);
    expect(text()).toEqual(['a', 'b', '{"x":1}\n']);
    expect(fh.recordsFor(stream)).toHaveLength(3);
    expect(fh.calls[0]).toMatchObject({
      operation: 'PutRecordBatch',
      recordCount: 3,
      accepted: 3,
      outcome: 'accepted',
    });

    const single = await client.send(
      new PutRecordCommand({ DeliveryStreamName: stream, Record: enc('solo') }),
    );
    expect(single.RecordId).toBeDefined();
    expect(text()).toEqual(['a', 'b', '{"x":1}\n', 'solo']);
  });

  it('returns partial failures the SDK parses, storing only accepted entries', async () => {
    fh.script.queue.push({ kind: 'partial', failIndices: [1, 3], errorCode: 'InternalFailure' });
    const out = await put(['r0', 'r1', 'r2', 'r3'].map(enc));
    expect(out.FailedPutCount).toBe(2);
    expect(out.RequestResponses?.map((r) => r.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'InternalFailure',
      'ok',
      'InternalFailure',
    ]);
    expect(out.RequestResponses?.[1]?.ErrorMessage).toBeDefined();
    expect(text()).toEqual(['r0', 'r2']);
    expect(fh.calls[0]).toMatchObject({ outcome: 'partial', accepted: 2, failed: 2 });
  });

  it('throws ServiceUnavailableException (503) or ThrottlingException (400) for a throttled call', async () => {
    fh.script.queue.push({ kind: 'throttle' }, { kind: 'throttle', errorType: 'ThrottlingException' });
    const unavailable = await rejectionOf(put([enc('x')]));
    expect(unavailable).toBeInstanceOf(ServiceUnavailableException);
    expect(unavailable.name).toBe('ServiceUnavailableException');
    expect((unavailable.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(503);
    const throttled = await rejectionOf(put([enc('y')]));
    expect(throttled).toBeInstanceOf(FirehoseServiceException);
    expect(throttled.name).toBe('ThrottlingException');
    expect(fh.records).toHaveLength(0);
    expect(fh.calls.map((c) => [c.outcome, c.status, c.errorType])).toEqual([
      ['throttled', 503, 'ServiceUnavailableException'],
      ['throttled', 400, 'ThrottlingException'],
    ]);

    // With retries enabled (maxAttempts > 1) the SDK retries the 503 by itself.
    fh.script.queue.push({ kind: 'throttle' });
    const retrying = fakeFirehoseClient(fh, { maxAttempts: 2 });
    const out = await retrying.send(
      new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: [enc('z')] }),
    );
    retrying.destroy();
    expect(out.$metadata.attempts).toBe(2);
    expect(fh.calls.slice(-2).map((c) => c.attempt)).toEqual([1, 2]);
    expect(text()).toEqual(['z']);
  });

  it('rejects limit violations like AWS and counts them', async () => {
    const many = Array.from({ length: FIREHOSE_MAX_BATCH_RECORDS + 1 }, (_, i) => enc(`r${i}`));
    const cases: [() => Promise<unknown>, string][] = [
      [() => put(many), 'ValidationException'],
      [() => put([{ Data: Buffer.alloc(FIREHOSE_MAX_RECORD_BYTES + 1) }]), 'ValidationException'],
      [
        () => put(Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(900_000) }))),
        'InvalidArgumentException',
      ],
      [() => put([enc('x')], 'no-such-stream'), 'ResourceNotFoundException'],
      [() => put([]), 'ValidationException'],
    ];
    for (const [call, name] of cases) expect((await rejectionOf(call())).name).toBe(name);
    expect(fh.violations().map((c) => c.violation)).toEqual([
      'too-many-records',
      'record-too-large',
      'batch-too-large',
      'unknown-stream',
      'empty-batch',
    ]);
    expect(fh.records).toHaveLength(0);

    // Exactly at the limits is fine.
    await put(Array.from({ length: FIREHOSE_MAX_BATCH_RECORDS }, (_, i) => enc(`r${i}`)));
    const exact = [
      ...Array.from({ length: 4 }, () => FIREHOSE_MAX_RECORD_BYTES),
      FIREHOSE_MAX_BATCH_BYTES - 4 * FIREHOSE_MAX_RECORD_BYTES,
    ];
    const out = await put(exact.map((n) => ({ Data: Buffer.alloc(n, 1) })));
    expect(out.FailedPutCount).toBe(0);
    expect(fh.calls.at(-1)?.totalBytes).toBe(FIREHOSE_MAX_BATCH_BYTES);
    expect(fh.violations()).toHaveLength(5);
  });

  it('fails a seeded fraction deterministically and lets a planner script calls', async () => {
    const pattern = async (seed: number): Promise<string> => {
      const other = await startFakeFirehose({ deliveryStreams: [stream], seed });
      other.script.defaultPlan = { kind: 'partial', failFraction: 0.3 };
      const c = fakeFirehoseClient(other);
      const out = await c.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: stream,
          Records: Array.from({ length: 200 }, (_, i) => enc(`${i}`)),
        }),
      );
      c.destroy();
      await other.close();
      expect(other.records).toHaveLength(200 - (out.FailedPutCount ?? 0));
      return (out.RequestResponses ?? []).map((r) => (r.ErrorCode ? 'x' : '.')).join('');
    };
    const a = await pattern(7);
    expect(await pattern(7)).toBe(a);
    expect(await pattern(8)).not.toBe(a);
    const failures = a.split('').filter((c) => c === 'x').length;
    expect(failures).toBeGreaterThan(30);
    expect(failures).toBeLessThan(90);

    fh.script.planner = (callIndex) =>
      callIndex === 0
        ? { kind: 'partial', failWhere: (d) => d.toString() === 'bad' }
        : { kind: 'accept', latencyMs: 100 };
    const first = await put([enc('good'), enc('bad')]);
    expect(first.FailedPutCount).toBe(1);
    const started = Date.now();
    await put([enc('bad')]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(text()).toEqual(['good', 'bad']);
  });

  it('can drop the connection, optionally after accepting (duplicate-on-retry case)', async () => {
    fh.script.queue.push({ kind: 'reset' }, { kind: 'reset', acceptFirst: true });
    const lost = await rejectionOf(put([enc('lost')]));
    expect(lost.code).toBe('ECONNRESET');
    const ghost = await rejectionOf(put([enc('ghost')]));
    expect(ghost.name).toBe('TimeoutError');
    expect(text()).toEqual(['ghost']);
    expect(fh.calls.map((c) => [c.outcome, c.accepted])).toEqual([
      ['reset', 0],
      ['reset', 1],
    ]);
  });
});

describe('aws-clients', () => {
  it('refuses endpoints that are not loopback http', () => {
    expect(() => assertLoopbackEndpoint('http://127.0.0.1:1234')).not.toThrow();
    expect(() => assertLoopbackEndpoint('http://localhost:1')).not.toThrow();
    expect(() => assertLoopbackEndpoint('https://s3.us-east-1.amazonaws.com')).toThrow(/non-loopback/);
    expect(() => fakeS3Client('http://10.0.0.1:9000')).toThrow(/non-loopback/);
    expect(() => fakeFirehoseClient({ endpoint: 'not a url' })).toThrow(/not a URL/);
  });

  it('close() ends promptly even with a request parked in a delay', async () => {
    const s3 = await startFakeS3({ buckets: ['b'] });
    s3.addFault({ delayMs: 30_000 });
    const c = fakeS3Client(s3);
    const pending = rejectionOf(c.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' })));
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await s3.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await pending).code).toBe('ECONNRESET');
    c.destroy();
  });
});
