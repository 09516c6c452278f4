/**
 * S3ObjectSource against the fake S3 with the real `@aws-sdk/client-s3`: streaming in chunks, resuming a broken
 * body with a ranged GET pinned by `If-Match`, giving up, and refusing a changed object.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectSource, type S3ObjectSourceOptions } from '../../lambdas/adapters/s3-object-source.ts';
import type { ObjectRef } from '../../lambdas/ports.ts';
import { fakeS3Client } from '../support/aws-clients.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';

const BUCKET = 'cf-logpush-example';
const SIZE = 3 * 1024 * 1024 + 123;

/** Deterministic pseudo-random bytes (xorshift32 seeded from `seed`), so a misplaced chunk cannot hide. */
function objectBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size + 3);
  let x = createHash('sha256').update(seed).digest().readUInt32BE(0) || 1;
  for (let at = 0; at < size; at += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32BE(x >>> 0, at);
  }
  return out.subarray(0, size);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What one read of an object gave: the bytes, chunk count, resumes reported. */
interface Read {
  readonly bytes: Buffer;
  readonly chunks: number;
  readonly resumes: { readonly offset: number; readonly error: unknown }[];
}

let s3: FakeS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startFakeS3({ buckets: [BUCKET], chunkSize: 32 * 1024 });
  client = fakeS3Client(s3);
});

afterAll(async () => {
  await s3?.close();
});

afterEach(() => {
  s3.clearFaults();
});

function put(key: string, size = SIZE): { ref: ObjectRef; body: Buffer; eTag: string } {
  const body = objectBytes(size, key);
  const stored = s3.putObject(BUCKET, key, body);
  return { ref: { bucket: BUCKET, key, size }, body, eTag: stored.etag };
}

/** Opens `ref` and reads it to the end (or to the error, which is rethrown with what was read so far attached). */
async function readAll(
  ref: ObjectRef,
  options: Omit<S3ObjectSourceOptions, 'onResume'> & { onResume?: S3ObjectSourceOptions['onResume'] } = {},
  s3Client: S3Client = client,
): Promise<Read> {
  const resumes: Read['resumes'] = [];
  const source = new S3ObjectSource(s3Client, {
    ...options,
    onResume: (r, offset, error) => {
      resumes.push({ offset, error });
      options.onResume?.(r, offset, error);
    },
  });
  const opened = await source.open(ref);
  const parts: Buffer[] = [];
  try {
    for await (const chunk of opened.body) parts.push(Buffer.from(chunk));
  } catch (error) {
    throw Object.assign(error as Error, {
      readSoFar: { bytes: Buffer.concat(parts), chunks: parts.length, resumes },
    });
  }
  return { bytes: Buffer.concat(parts), chunks: parts.length, resumes };
}

async function failureOf(
  read: Promise<Read>,
): Promise<Error & { readSoFar: Read } & Record<string, unknown>> {
  try {
    await read;
  } catch (error) {
    return error as Error & { readSoFar: Read } & Record<string, unknown>;
  }
  throw new Error('expected the read to fail');
}

/**
 * A one-object S3 stand-in whose first GetObject sends the headers and `stallAfter` bytes, then goes silent with the
 * connection open (what a wedged network path looks like); ranged GETs pinned to the ETag are served whole. The
 * fake S3 can drop a connection but not stall one, hence this.
 */
async function startStallingS3(
  bucket: string,
  key: string,
  body: Buffer,
  stallAfter: number,
): Promise<{ endpoint: string; ranges: (string | undefined)[]; close: () => Promise<void> }> {
  const eTag = `"${createHash('md5').update(body).digest('hex')}"`;
  const ranges: (string | undefined)[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    const range = req.headers.range;
    ranges.push(range);
    if (req.method !== 'GET' || req.url?.split('?')[0] !== `/${bucket}/${key}` || ranges.length > 10) {
      res.writeHead(400).end();
      return;
    }
    const from = range === undefined ? 0 : Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? Number.NaN);
    if (range !== undefined && (req.headers['if-match'] !== eTag || !(from < body.length))) {
      res.writeHead(412).end();
      return;
    }
    const headers = {
      etag: eTag,
      'content-type': 'binary/octet-stream',
      'content-length': String(body.length - from),
    };
    if (range === undefined) {
      res.writeHead(200, headers);
      res.write(body.subarray(0, stallAfter));
      return; // and never another byte
    }
    res.writeHead(206, { ...headers, 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` });
    res.end(body.subarray(from));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ranges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('S3ObjectSource', () => {
  it('streams a large object in many chunks, and the bytes equal the object exactly', async () => {
    const { ref, body, eTag } = put('plain.log.gz');
    const source = new S3ObjectSource(client);

    const opened = await source.open(ref);
    expect(opened).toMatchObject({ size: SIZE, eTag, lastModified: expect.any(Date) });
    const hash = createHash('sha256');
    let chunks = 0;
    for await (const chunk of opened.body) {
      hash.update(chunk);
      chunks++;
    }

    expect(hash.digest('hex')).toBe(sha256(body));
    expect(chunks).toBeGreaterThan(SIZE / (64 * 1024));
    expect(s3.requestsFor('GetObject', ref.key).map((r) => [r.headers.range, r.status])).toEqual([
      [undefined, 200],
    ]);
  });

  it('never resumes a body that arrives whole', async () => {
    const { ref, body } = put('whole.log.gz');
    const read = await readAll(ref);
    expect(sha256(read.bytes)).toBe(sha256(body));
    expect(read.resumes).toEqual([]);
    expect(s3.requestsFor('GetObject', ref.key)).toHaveLength(1);
  });

  it.each([
    ['right after the headers', 0],
    ['after the first byte', 1],
    ['inside the first chunk', 20_000],
    ['on a chunk boundary', 64 * 1024],
    ['in the middle', 1_500_000],
    ['before the last byte', SIZE - 1],
  ])(
    'resumes a body broken %s from the first byte not received, pinned to the ETag',
    async (_where, breakAt) => {
      const { ref, body, eTag } = put(`break-${breakAt}.log.gz`);
      s3.addFault({ operation: 'GetObject', key: ref.key, resetAfterBytes: breakAt });

      const read = await readAll(ref);

      expect(read.bytes.length).toBe(SIZE);
      expect(sha256(read.bytes)).toBe(sha256(body));
      expect(read.resumes).toHaveLength(1);
      const { offset, error } = read.resumes[0]!;
      // Bytes the socket held but the reader had not taken yet are lost with the socket: the offset is what was
      // yielded, at most what was sent.
      expect(offset).toBeLessThanOrEqual(breakAt);
      if (breakAt === 0) expect(offset).toBe(0);
      expect(error).toMatchObject({ code: 'ECONNRESET' });
      expect(
        s3.requestsFor('GetObject', ref.key).map((r) => [r.headers.range, r.headers['if-match'], r.status]),
      ).toEqual([
        [undefined, undefined, undefined],
        [`bytes=${offset}-`, eTag, 206],
      ]);
    },
  );

  it('resumes again and again, each time from where the last part stopped', async () => {
    const { ref, body, eTag } = put('breaks-often.log.gz');
    const breaks = [0, 300_000, 0, 1, 700_000];
    for (const resetAfterBytes of breaks)
      s3.addFault({ operation: 'GetObject', key: ref.key, resetAfterBytes });

    const read = await readAll(ref);

    expect(sha256(read.bytes)).toBe(sha256(body));
    const offsets = read.resumes.map((r) => r.offset);
    expect(offsets).toHaveLength(breaks.length);
    for (let i = 1; i < offsets.length; i++) {
      expect(offsets[i]).toBeGreaterThanOrEqual(offsets[i - 1]!);
      expect(offsets[i]).toBeLessThanOrEqual(offsets[i - 1]! + breaks[i]!);
    }
    const gets = s3.requestsFor('GetObject', ref.key);
    expect(gets.map((r) => r.headers.range)).toEqual([undefined, ...offsets.map((o) => `bytes=${o}-`)]);
    expect(gets.slice(1).map((r) => r.headers['if-match'])).toEqual(breaks.map(() => eTag));
  });

  it('gives up after maxResumes and throws the connection error itself', async () => {
    const { ref, body } = put('breaks-forever.log.gz');
    const fault = s3.addFault({
      operation: 'GetObject',
      key: ref.key,
      resetAfterBytes: 100_000,
      times: Number.POSITIVE_INFINITY,
    });

    const error = await failureOf(readAll(ref, { maxResumes: 2 }));

    expect(error).toMatchObject({ code: 'ECONNRESET', message: 'aborted' });
    expect(error.cause).toBeUndefined();
    expect(error.readSoFar.resumes).toHaveLength(2);
    expect(fault.hits).toBe(3);
    // What was yielded before giving up is a true prefix of the object.
    const got = error.readSoFar.bytes;
    expect(got.length).toBeLessThan(SIZE);
    expect(got.equals(body.subarray(0, got.length))).toBe(true);
  });

  it('resumes five times by default, not six', async () => {
    const { ref } = put('default-resumes.log.gz');
    const fault = s3.addFault({
      operation: 'GetObject',
      key: ref.key,
      resetAfterBytes: 50_000,
      times: Number.POSITIVE_INFINITY,
    });

    const error = await failureOf(readAll(ref));

    expect(error.readSoFar.resumes).toHaveLength(5);
    expect(fault.hits).toBe(6);
  });

  it('fails with 412 PreconditionFailed when the object was replaced before the resume, after a true prefix', async () => {
    const { ref, body, eTag } = put('replaced.log.gz');
    s3.addFault({ operation: 'GetObject', key: ref.key, resetAfterBytes: 500_000 });
    const replacement = objectBytes(SIZE, 'a new upload under the same key');

    const error = await failureOf(
      readAll(ref, { onResume: () => s3.putObject(BUCKET, ref.key, replacement) }),
    );

    expect(error).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const got = error.readSoFar.bytes;
    expect(got.equals(body.subarray(0, got.length))).toBe(true);
    expect(
      s3.requestsFor('GetObject', ref.key).map((r) => [r.headers['if-match'], r.status, r.errorCode]),
    ).toEqual([
      [undefined, undefined, undefined],
      [eTag, 412, 'PreconditionFailed'],
    ]);
  });

  it('leaves a failed resume request to the SDK retry policy, and still yields the object exactly', async () => {
    const { ref, body } = put('resume-throttled.log.gz');
    s3.addFault({ operation: 'GetObject', key: ref.key, resetAfterBytes: 200_000 });
    s3.addFault({ operation: 'GetObject', key: ref.key, error: { status: 503, code: 'SlowDown' } });

    const read = await readAll(ref, {}, fakeS3Client(s3, { maxAttempts: 3 }));

    expect(sha256(read.bytes)).toBe(sha256(body));
    const gets = s3.requestsFor('GetObject', ref.key);
    expect(gets.map((r) => [r.status, r.errorCode])).toEqual([
      [undefined, undefined],
      [503, 'SlowDown'],
      [206, undefined],
    ]);
    expect(gets[1]?.headers.range).toBe(gets[2]?.headers.range);
  });

  it('does not resume an error that is not a broken connection', async () => {
    const { ref } = put('resume-refused.log.gz');
    s3.addFault({ operation: 'GetObject', key: ref.key, resetAfterBytes: 200_000 });
    s3.addFault({ operation: 'GetObject', key: ref.key, error: { status: 500, code: 'InternalError' } });

    const error = await failureOf(readAll(ref));

    expect(error).toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    expect(error.readSoFar.resumes).toHaveLength(1);
    expect(s3.requestsFor('GetObject', ref.key)).toHaveLength(2);
  });

  it('resumes a body that stalls once the S3 client socket timeout fires (no timeout, no resume)', async () => {
    const body = objectBytes(256 * 1024, 'stalled');
    const stalling = await startStallingS3(BUCKET, 'stalled.log.gz', body, 100_000);
    try {
      const s3Client = fakeS3Client(stalling.endpoint, {
        requestHandler: { connectionTimeout: 2_000, socketTimeout: 200 },
      });

      const read = await readAll({ bucket: BUCKET, key: 'stalled.log.gz', size: body.length }, {}, s3Client);

      expect(sha256(read.bytes)).toBe(sha256(body));
      expect(read.resumes).toHaveLength(1);
      expect(read.resumes[0]?.error).toMatchObject({ name: 'TimeoutError' });
      expect(read.resumes[0]?.offset).toBeLessThanOrEqual(100_000);
      expect(stalling.ranges).toEqual([undefined, `bytes=${read.resumes[0]?.offset}-`]);
    } finally {
      await stalling.close();
    }
  });
});
