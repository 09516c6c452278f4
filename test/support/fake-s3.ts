/**
 * A local fake of the Amazon S3 REST API (path-style addressing) for integration tests that drive the real
 * `@aws-sdk/client-s3` against `127.0.0.1`. It never talks to AWS.
 *
 * Supported: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, ListObjectsV2 (prefix, delimiter,
 * continuation-token, start-after, max-keys, encoding-type=url), GetObject (Range, If-Match, If-None-Match,
 * chunked streaming with backpressure, CRC32 response checksums), HeadObject, PutObject (plain bodies and
 * `aws-chunked` bodies with checksum trailers, checksum / Content-MD5 / payload-hash verification,
 * `If-None-Match: *` and `If-Match` conditional writes) and DeleteObject. Anything else answers `501 NotImplemented`.
 *
 * Fault injection (see {@link S3Fault}) can delay a request, answer it with an S3 XML error, corrupt a
 * GetObject body, or drop the connection after N body bytes; every request is recorded in `requests`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { listenOnLoopback } from './loopback-server.ts';

/** The S3 operations the fake recognises (`Unsupported` answers 501 NotImplemented). */
export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'ListObjectsV2'
  | 'GetObject'
  | 'HeadObject'
  | 'PutObject'
  | 'DeleteObject'
  | 'Unsupported';

/** Checksum algorithms S3 knows; the fake verifies CRC32, SHA1 and SHA256 and stores the others as sent. */
export type S3ChecksumAlgorithm = 'crc32' | 'crc32c' | 'crc64nvme' | 'sha1' | 'sha256';

const CHECKSUM_ALGORITHMS: readonly S3ChecksumAlgorithm[] = [
  'crc32',
  'crc32c',
  'crc64nvme',
  'sha1',
  'sha256',
];

/** One object as stored by the fake. */
export interface FakeS3Object {
  /** The decoded object bytes (aws-chunked framing and trailers removed). */
  readonly body: Buffer;
  /** Quoted hex MD5 of the body, exactly as sent in the `ETag` header (e.g. `"9e10..."`). */
  readonly etag: string;
  /** When the object was stored. */
  readonly lastModified: Date;
  /** `Content-Type` given at upload (S3's default is `binary/octet-stream`). */
  readonly contentType: string;
  /** `Content-Encoding` given at upload, without the `aws-chunked` transport token. */
  readonly contentEncoding: string | undefined;
  /** User metadata (`x-amz-meta-*`), keys lower-cased without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Full-object checksums (base64), always including `crc32` (computed when the client sent none). */
  readonly checksums: Readonly<Partial<Record<S3ChecksumAlgorithm, string>>>;
}

/** Optional attributes for {@link FakeS3.putObject}. */
export interface FakeS3PutMeta {
  /** `Content-Type` (default `binary/octet-stream`). */
  contentType?: string;
  /** `Content-Encoding`, e.g. `gzip`. */
  contentEncoding?: string;
  /** User metadata, served back as `x-amz-meta-<name>`. */
  metadata?: Record<string, string>;
  /** Override the stored modification time. */
  lastModified?: Date;
}

/** What the fake recorded about one HTTP request. */
export interface S3RequestLog {
  /** Position of the request in `requests` (0-based). */
  readonly index: number;
  /** HTTP method. */
  readonly method: string;
  /** Raw request target (path and query, still URL-encoded). */
  readonly url: string;
  /** The recognised operation. */
  readonly operation: S3Operation;
  /** URL-decoded bucket name (`''` for service-level requests). */
  readonly bucket: string;
  /** URL-decoded object key (`''` for bucket-level requests). */
  readonly key: string;
  /** Decoded query parameters (the SDK's `x-id` included). */
  readonly query: Readonly<Record<string, string>>;
  /** All request headers (lower-case names; repeated headers joined with `, `), `authorization` included. */
  readonly headers: Readonly<Record<string, string>>;
  /** Bytes of the raw request body as received (before aws-chunked decoding). */
  bodyBytes: number;
  /** HTTP status sent, or `undefined` when no response was sent (connection dropped). */
  status: number | undefined;
  /** S3 error code sent, if the response was an error. */
  errorCode: string | undefined;
  /** Which injected fault, if any, shaped this request. */
  fault: 'delay' | 'error' | 'reset' | 'corrupt' | undefined;
}

/**
 * A fault to inject. Matching is on the optional `operation`, `bucket`, `key` and `keyPrefix` filters;
 * the first matching fault that still has uses left is consumed (one use per request). `delayMs` may be
 * combined with one of `error`, `resetAfterBytes` or `corrupt`; a fault with only `delayMs` delays a
 * request that is then served normally.
 */
export interface S3Fault {
  /** Only requests of this operation (or these operations). Default: any. */
  operation?: S3Operation | readonly S3Operation[];
  /** Only requests to this bucket. Default: any. */
  bucket?: string;
  /** Only requests for exactly this (decoded) key. Default: any. */
  key?: string;
  /** Only requests whose key starts with this prefix. Default: any. */
  keyPrefix?: string;
  /** How many requests this fault applies to (default 1; `Infinity` for every matching request). */
  times?: number;
  /** Wait this long before answering (capped at 60 s). */
  delayMs?: number;
  /** Answer with this S3 XML error instead of serving the request (e.g. 503 `SlowDown`, 500 `InternalError`). */
  error?: { status: number; code: string; message?: string };
  /**
   * Drop the connection mid-response. For GetObject: send the status line and headers (with a
   * `Content-Length` announcing the full size), then this many body bytes, then destroy the socket.
   * For every other operation the socket is destroyed before any response byte is written.
   */
  resetAfterBytes?: number;
  /** GetObject only: flip one byte of the served body (the stored object is untouched), so checksums mismatch. */
  corrupt?: boolean;
}

/** Live view of an injected fault. */
export interface S3FaultHandle {
  /** Uses left (`Infinity` for unlimited). */
  readonly remaining: number;
  /** How many requests the fault has shaped so far. */
  readonly hits: number;
  /** Stop applying the fault. */
  cancel(): void;
}

/** Options for {@link startFakeS3}. */
export interface FakeS3Options {
  /** Buckets that exist from the start (more can be created by CreateBucket or {@link FakeS3.createBucket}). */
  buckets?: readonly string[];
  /** GetObject body write size in bytes (default 64 KiB). */
  chunkSize?: number;
  /** Largest request body accepted, in bytes (default 64 MiB); larger uploads get `400 EntityTooLarge`. */
  maxRequestBodyBytes?: number;
}

/** A running fake S3 server. */
export interface FakeS3 {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint` (use with `forcePathStyle: true`). */
  readonly endpoint: string;
  /** The ephemeral port the server listens on. */
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: S3RequestLog[];
  /** Stop the server, cancel pending delays and destroy every open connection. */
  close(): Promise<void>;
  /** Create a bucket (no-op if it exists). */
  createBucket(bucket: string): void;
  /** Store an object directly (creates the bucket if needed) and return what was stored. */
  putObject(bucket: string, key: string, body: Buffer | string, meta?: FakeS3PutMeta): FakeS3Object;
  /** The stored bytes of an object, or `undefined`. */
  getObject(bucket: string, key: string): Buffer | undefined;
  /** The stored object with its attributes, or `undefined`. */
  statObject(bucket: string, key: string): FakeS3Object | undefined;
  /** Delete an object directly; returns whether it existed. */
  deleteObject(bucket: string, key: string): boolean;
  /** Keys of a bucket in S3 order (UTF-8 byte order), optionally filtered by prefix; `[]` for an unknown bucket. */
  listKeys(bucket: string, prefix?: string): string[];
  /** Inject a fault; see {@link S3Fault}. */
  addFault(fault: S3Fault): S3FaultHandle;
  /** Remove every injected fault. */
  clearFaults(): void;
  /** Requests for one operation (optionally one key), a shorthand over `requests`. */
  requestsFor(operation: S3Operation, key?: string): S3RequestLog[];
}

const DEFAULT_CHUNK_SIZE = 64 * 1024;
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;
const MAX_DELAY_MS = 60_000;
const MAX_LIST_KEYS = 1000;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

interface Bucket {
  readonly created: Date;
  readonly objects: Map<string, FakeS3Object>;
}

interface FaultState {
  readonly fault: S3Fault;
  remaining: number;
  hits: number;
}

class S3Error extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, string>;
  constructor(status: number, code: string, message: string, extra: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/** Escape text for an XML element body. */
function xmlEscape(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data) >>> 0);
  return out.toString('base64');
}

function computeChecksum(algorithm: S3ChecksumAlgorithm, data: Buffer): string | undefined {
  switch (algorithm) {
    case 'crc32':
      return crc32Base64(data);
    case 'sha1':
      return createHash('sha1').update(data).digest('base64');
    case 'sha256':
      return createHash('sha256').update(data).digest('base64');
    default:
      return undefined; // crc32c / crc64nvme: Node has no built-in; stored unverified.
  }
}

function md5Etag(data: Buffer): string {
  return `"${createHash('md5').update(data).digest('hex')}"`;
}

/** Compare keys the way S3 orders them: by UTF-8 bytes. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Strip surrounding quotes (and a weak `W/` prefix) from an ETag for comparison. */
function bareEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}

function etagListMatches(header: string, etag: string): boolean {
  const want = bareEtag(etag);
  return header.split(',').some((part) => {
    const p = part.trim();
    return p === '*' || bareEtag(p) === want;
  });
}

interface DecodedChunked {
  body: Buffer;
  trailers: Record<string, string>;
}

/**
 * Decode an `aws-chunked` payload: `<hex-size>[;chunk-signature=...]\r\n<data>\r\n ... 0\r\n<trailers>\r\n\r\n`.
 * Bounded: every iteration consumes at least one framing line.
 */
function decodeAwsChunked(raw: Buffer): DecodedChunked {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let pos = 0;
  for (let guard = 0; guard <= raw.length; guard++) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) throw new S3Error(400, 'IncompleteBody', 'aws-chunked body ended inside a chunk header.');
    const header = raw.subarray(pos, eol).toString('latin1');
    const sizeHex = header.split(';', 1)[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeHex)) {
      throw new S3Error(
        400,
        'InvalidRequest',
        `Malformed aws-chunked chunk header: ${JSON.stringify(header)}`,
      );
    }
    const size = Number.parseInt(sizeHex, 16);
    pos = eol + 2;
    if (size === 0) {
      // Trailer lines until an empty line (or the end of the body).
      for (let tguard = 0; tguard <= raw.length && pos < raw.length; tguard++) {
        const tEol = raw.indexOf('\r\n', pos);
        const line = raw.subarray(pos, tEol < 0 ? raw.length : tEol).toString('latin1');
        pos = tEol < 0 ? raw.length : tEol + 2;
        if (line === '') break;
        const colon = line.indexOf(':');
        if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      return { body: Buffer.concat(parts), trailers };
    }
    if (pos + size + 2 > raw.length || raw[pos + size] !== 0x0d || raw[pos + size + 1] !== 0x0a) {
      throw new S3Error(400, 'IncompleteBody', 'aws-chunked chunk shorter than announced.');
    }
    parts.push(raw.subarray(pos, pos + size));
    pos += size + 2;
  }
  throw new S3Error(400, 'IncompleteBody', 'aws-chunked body has no final chunk.');
}

interface ParsedRange {
  start: number;
  end: number; // inclusive
}

/** Parse a single `bytes=` range; `undefined` means "serve the whole object" (absent or unsupported syntax). */
function parseRange(header: string | undefined, size: number): ParsedRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable');
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return undefined;
  }
  if (start >= size) {
    throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
      RangeRequested: header,
      ActualObjectSize: String(size),
    });
  }
  return { start, end };
}

function splitTarget(url: string): { bucket: string; key: string; query: Record<string, string> } {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) query[k] = v;
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const slash = path.indexOf('/');
  const rawBucket = slash < 0 ? path : path.slice(0, slash);
  const rawKey = slash < 0 ? '' : path.slice(slash + 1);
  try {
    return { bucket: decodeURIComponent(rawBucket), key: decodeURIComponent(rawKey), query };
  } catch {
    throw new S3Error(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
}

const SUBRESOURCES = [
  'acl',
  'tagging',
  'uploads',
  'uploadId',
  'versioning',
  'versionId',
  'location',
  'policy',
  'cors',
  'lifecycle',
  'delete',
  'attributes',
  'retention',
  'legal-hold',
  'torrent',
  'restore',
  'select',
  'notification',
  'encryption',
  'website',
  'logging',
  'replication',
  'ownershipControls',
  'publicAccessBlock',
  'object-lock',
];

function classify(
  method: string,
  bucket: string,
  key: string,
  query: Record<string, string>,
  headers: IncomingMessage['headers'],
): S3Operation {
  if (SUBRESOURCES.some((s) => s in query)) return 'Unsupported';
  if (bucket === '') return method === 'GET' ? 'ListBuckets' : 'Unsupported';
  if (key === '') {
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'GET' && query['list-type'] === '2') return 'ListObjectsV2';
    return 'Unsupported';
  }
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'PUT') return headers['x-amz-copy-source'] === undefined ? 'PutObject' : 'Unsupported';
  if (method === 'DELETE') return 'DeleteObject';
  return 'Unsupported';
}

function faultMatches(f: S3Fault, op: S3Operation, bucket: string, key: string): boolean {
  if (f.operation !== undefined) {
    const ops: readonly S3Operation[] = typeof f.operation === 'string' ? [f.operation] : f.operation;
    if (!ops.includes(op)) return false;
  }
  if (f.bucket !== undefined && f.bucket !== bucket) return false;
  if (f.key !== undefined && f.key !== key) return false;
  if (f.keyPrefix !== undefined && !key.startsWith(f.keyPrefix)) return false;
  return true;
}

/**
 * Start a fake S3 server on `127.0.0.1` with an ephemeral port.
 *
 * @example
 * const s3 = await startFakeS3({ buckets: ['logs'] });
 * const client = fakeS3Client(s3);
 * await client.send(new PutObjectCommand({ Bucket: 'logs', Key: 'a.json', Body: '{}' }));
 * expect(s3.getObject('logs', 'a.json')?.toString()).toBe('{}');
 * await s3.close();
 */
export async function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_CHUNK_SIZE));
  const maxBody = options.maxRequestBodyBytes ?? DEFAULT_MAX_BODY;
  const buckets = new Map<string, Bucket>();
  const faults: FaultState[] = [];
  const requests: S3RequestLog[] = [];
  const timers = new Map<NodeJS.Timeout, () => void>();
  let requestCounter = 0;
  let closed = false;

  const ensureBucket = (name: string): Bucket => {
    let b = buckets.get(name);
    if (!b) {
      b = { created: new Date(), objects: new Map() };
      buckets.set(name, b);
    }
    return b;
  };
  for (const name of options.buckets ?? []) ensureBucket(name);

  const store = (
    bucket: string,
    key: string,
    body: Buffer,
    meta: FakeS3PutMeta,
    checksums: Partial<Record<S3ChecksumAlgorithm, string>>,
  ): FakeS3Object => {
    const obj: FakeS3Object = {
      body,
      etag: md5Etag(body),
      lastModified: meta.lastModified ?? new Date(),
      contentType: meta.contentType ?? 'binary/octet-stream',
      contentEncoding: meta.contentEncoding,
      metadata: { ...(meta.metadata ?? {}) },
      checksums: { crc32: crc32Base64(body), ...checksums },
    };
    ensureBucket(bucket).objects.set(key, obj);
    return obj;
  };

  /** Sleep that `close()` cuts short; resolves `false` if the server closed meanwhile. */
  const sleep = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          resolve(!closed);
        },
        Math.min(Math.max(0, ms), MAX_DELAY_MS),
      );
      timers.set(timer, () => resolve(false));
    });

  const nextRequestId = (): string => (++requestCounter).toString(16).toUpperCase().padStart(16, '0');

  const baseHeaders = (): Record<string, string> => {
    const id = nextRequestId();
    return { 'x-amz-request-id': id, 'x-amz-id-2': Buffer.from(`fake-s3-${id}`).toString('base64') };
  };

  const sendXml = (
    res: ServerResponse,
    status: number,
    xml: string,
    extra: Record<string, string> = {},
  ): void => {
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, 'utf8');
    res.writeHead(status, {
      ...baseHeaders(),
      'content-type': 'application/xml',
      'content-length': String(body.length),
      ...extra,
    });
    res.end(body);
  };

  const sendError = (res: ServerResponse, log: S3RequestLog, err: S3Error): void => {
    log.errorCode = err.code;
    const resource = log.key ? `/${log.bucket}/${log.key}` : log.bucket ? `/${log.bucket}` : '/';
    const extra = Object.entries(err.extra)
      .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
      .join('');
    const keyXml = log.key && err.code === 'NoSuchKey' ? `<Key>${xmlEscape(log.key)}</Key>` : '';
    const bucketXml = err.code === 'NoSuchBucket' ? `<BucketName>${xmlEscape(log.bucket)}</BucketName>` : '';
    sendXml(
      res,
      err.status,
      `<Error><Code>${xmlEscape(err.code)}</Code><Message>${xmlEscape(err.message)}</Message>${keyXml}${bucketXml}` +
        `${extra}<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestCounter.toString(16)}</RequestId></Error>`,
    );
  };

  const getBucket = (name: string): Bucket => {
    const b = buckets.get(name);
    if (!b) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    return b;
  };

  const getExisting = (bucket: string, key: string): FakeS3Object => {
    const obj = getBucket(bucket).objects.get(key);
    if (!obj) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    return obj;
  };

  const objectHeaders = (obj: FakeS3Object): Record<string, string> => {
    const h: Record<string, string> = {
      etag: obj.etag,
      'last-modified': obj.lastModified.toUTCString(),
      'content-type': obj.contentType,
      'accept-ranges': 'bytes',
      'x-amz-server-side-encryption': 'AES256',
    };
    if (obj.contentEncoding) h['content-encoding'] = obj.contentEncoding;
    for (const [k, v] of Object.entries(obj.metadata)) h[`x-amz-meta-${k}`] = v;
    return h;
  };

  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const parts: Buffer[] = [];
    let total = 0;
    let tooLarge = false;
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > maxBody) tooLarge = true;
      if (!tooLarge) parts.push(buf);
    }
    if (tooLarge) {
      throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
        ProposedSize: String(total),
        MaxSizeAllowed: String(maxBody),
      });
    }
    return Buffer.concat(parts);
  };

  /** Write `body` in `chunkSize` pieces, waiting for 'drain' when the socket buffer is full. */
  const streamBody = async (res: ServerResponse, body: Buffer): Promise<boolean> => {
    const chunks = Math.ceil(body.length / chunkSize);
    for (let i = 0; i < chunks; i++) {
      if (res.destroyed || closed) return false;
      const piece = body.subarray(i * chunkSize, Math.min(body.length, (i + 1) * chunkSize));
      if (!res.write(piece)) {
        const ok = await new Promise<boolean>((resolve) => {
          const onDrain = (): void => {
            res.off('close', onClose);
            resolve(true);
          };
          const onClose = (): void => {
            res.off('drain', onDrain);
            resolve(false);
          };
          res.once('drain', onDrain);
          res.once('close', onClose);
        });
        if (!ok) return false;
      }
    }
    return true;
  };

  /** Send headers and the first `n` body bytes, wait until they are flushed, then destroy the socket. */
  const sendPartialThenReset = async (
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: Buffer,
    n: number,
  ): Promise<void> => {
    res.writeHead(status, headers);
    res.flushHeaders();
    const head = body.subarray(0, Math.max(0, Math.min(n, body.length)));
    const socket = res.socket;
    if (await streamBody(res, head)) {
      // Flush what was written, then close the socket (FIN) short of the announced Content-Length.
      socket?.destroySoon();
    } else {
      socket?.destroy();
    }
  };

  const handleList = (res: ServerResponse, bucketName: string, query: Record<string, string>): void => {
    const bucket = getBucket(bucketName);
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter ?? '';
    const startAfter = query['start-after'] ?? '';
    const urlEncode = query['encoding-type'] === 'url';
    const rawMax = query['max-keys'] === undefined ? MAX_LIST_KEYS : Number(query['max-keys']);
    if (!Number.isInteger(rawMax) || rawMax < 0) {
      throw new S3Error(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    }
    const maxKeys = Math.min(rawMax, MAX_LIST_KEYS);
    let after = startAfter;
    let afterIsPrefix = false;
    const token = query['continuation-token'];
    if (token !== undefined) {
      try {
        const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
          a: string;
          p: boolean;
        };
        if (typeof parsed.a !== 'string') throw new Error('bad token');
        after = parsed.a;
        afterIsPrefix = parsed.p === true;
      } catch {
        throw new S3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect');
      }
    }
    const keys = [...bucket.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    const contents: { key: string; obj: FakeS3Object }[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let last: { a: string; p: boolean } | undefined;
    for (const key of keys) {
      if (after !== '' && compareKeys(key, after) <= 0) continue;
      if (afterIsPrefix && key.startsWith(after)) continue;
      let commonPrefix: string | undefined;
      if (delimiter !== '') {
        const idx = key.indexOf(delimiter, prefix.length);
        if (idx >= 0) commonPrefix = key.slice(0, idx + delimiter.length);
      }
      if (commonPrefix !== undefined && prefixes[prefixes.length - 1] === commonPrefix) continue;
      if (contents.length + prefixes.length >= maxKeys) {
        truncated = true;
        break;
      }
      if (commonPrefix !== undefined) {
        prefixes.push(commonPrefix);
        last = { a: commonPrefix, p: true };
      } else {
        contents.push({ key, obj: bucket.objects.get(key)! });
        last = { a: key, p: false };
      }
    }
    const enc = (s: string): string => xmlEscape(urlEncode ? encodeURIComponent(s) : s);
    let xml = `<ListBucketResult xmlns="${XMLNS}"><Name>${xmlEscape(bucketName)}</Name><Prefix>${enc(prefix)}</Prefix>`;
    if (delimiter) xml += `<Delimiter>${enc(delimiter)}</Delimiter>`;
    if (startAfter) xml += `<StartAfter>${enc(startAfter)}</StartAfter>`;
    if (token !== undefined) xml += `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`;
    xml += `<KeyCount>${contents.length + prefixes.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>`;
    if (urlEncode) xml += '<EncodingType>url</EncodingType>';
    xml += `<IsTruncated>${truncated}</IsTruncated>`;
    if (truncated && last) {
      const next = Buffer.from(JSON.stringify(last), 'utf8').toString('base64url');
      xml += `<NextContinuationToken>${next}</NextContinuationToken>`;
    }
    for (const { key, obj } of contents) {
      xml +=
        `<Contents><Key>${enc(key)}</Key><LastModified>${obj.lastModified.toISOString()}</LastModified>` +
        `<ETag>${xmlEscape(obj.etag)}</ETag><Size>${obj.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    }
    for (const p of prefixes) xml += `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`;
    xml += '</ListBucketResult>';
    sendXml(res, 200, xml);
  };

  const handlePut = (req: IncomingMessage, res: ServerResponse, log: S3RequestLog, raw: Buffer): void => {
    const { bucket, key } = log;
    const b = getBucket(bucket);
    const contentEncodingHeader = headerValue(req, 'content-encoding') ?? '';
    const sha256Header = headerValue(req, 'x-amz-content-sha256') ?? '';
    const encodings = contentEncodingHeader
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const chunked = encodings.includes('aws-chunked') || sha256Header.startsWith('STREAMING-');
    // Like S3: an upload must announce its size, as Content-Length or (aws-chunked) x-amz-decoded-content-length.
    const lengthHeader = chunked ? 'x-amz-decoded-content-length' : 'content-length';
    if (headerValue(req, lengthHeader) === undefined) {
      throw new S3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    }
    let body = raw;
    let trailers: Record<string, string> = {};
    if (chunked) {
      ({ body, trailers } = decodeAwsChunked(raw));
      const decodedLength = headerValue(req, 'x-amz-decoded-content-length');
      if (decodedLength !== undefined && Number(decodedLength) !== body.length) {
        throw new S3Error(
          400,
          'IncompleteBody',
          `You did not provide the number of bytes specified by x-amz-decoded-content-length (${decodedLength}, got ${body.length})`,
        );
      }
    }
    if (/^[0-9a-f]{64}$/i.test(sha256Header)) {
      const actual = createHash('sha256').update(body).digest('hex');
      if (actual !== sha256Header.toLowerCase()) {
        throw new S3Error(
          400,
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
          {
            ClientComputedContentSHA256: sha256Header,
            S3ComputedContentSHA256: actual,
          },
        );
      }
    }
    const md5 = headerValue(req, 'content-md5');
    if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) {
      throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const checksums: Partial<Record<S3ChecksumAlgorithm, string>> = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const given = trailers[`x-amz-checksum-${alg}`] ?? headerValue(req, `x-amz-checksum-${alg}`);
      if (given === undefined) continue;
      const actual = computeChecksum(alg, body);
      if (actual !== undefined && actual !== given) {
        throw new S3Error(
          400,
          'BadDigest',
          `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`,
        );
      }
      checksums[alg] = given;
    }
    const existing = b.objects.get(key);
    const ifNoneMatch = headerValue(req, 'if-none-match');
    if (ifNoneMatch !== undefined) {
      if (ifNoneMatch.trim() !== '*') {
        throw new S3Error(
          501,
          'NotImplemented',
          'A header you provided implies functionality that is not implemented',
          {
            Header: 'If-None-Match',
          },
        );
      }
      if (existing) {
        throw new S3Error(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          {
            Condition: 'If-None-Match',
          },
        );
      }
    }
    const ifMatch = headerValue(req, 'if-match');
    if (ifMatch !== undefined) {
      if (!existing) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      if (!etagListMatches(ifMatch, existing.etag)) {
        throw new S3Error(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          {
            Condition: 'If-Match',
          },
        );
      }
    }
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-amz-meta-') && value !== undefined) {
        metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
      }
    }
    const contentEncoding = encodings.filter((e) => e !== 'aws-chunked').join(', ');
    const obj = store(
      bucket,
      key,
      body,
      {
        contentType: headerValue(req, 'content-type'),
        contentEncoding: contentEncoding === '' ? undefined : contentEncoding,
        metadata,
      },
      checksums,
    );
    const headers: Record<string, string> = {
      ...baseHeaders(),
      etag: obj.etag,
      'x-amz-server-side-encryption': 'AES256',
      'content-length': '0',
    };
    for (const [alg, value] of Object.entries(checksums)) headers[`x-amz-checksum-${alg}`] = value;
    res.writeHead(200, headers);
    res.end();
  };

  const handleGetOrHead = async (
    req: IncomingMessage,
    res: ServerResponse,
    log: S3RequestLog,
    fault: S3Fault | undefined,
  ): Promise<void> => {
    const obj = getExisting(log.bucket, log.key);
    const ifMatch = headerValue(req, 'if-match');
    if (ifMatch !== undefined && !etagListMatches(ifMatch, obj.etag)) {
      throw new S3Error(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        {
          Condition: 'If-Match',
        },
      );
    }
    const ifNoneMatch = headerValue(req, 'if-none-match');
    if (ifNoneMatch !== undefined && etagListMatches(ifNoneMatch, obj.etag)) {
      res.writeHead(304, {
        ...baseHeaders(),
        etag: obj.etag,
        'last-modified': obj.lastModified.toUTCString(),
      });
      res.end();
      return;
    }
    const range = parseRange(headerValue(req, 'range'), obj.body.length);
    let body = range ? obj.body.subarray(range.start, range.end + 1) : obj.body;
    const headers: Record<string, string> = {
      ...baseHeaders(),
      ...objectHeaders(obj),
      'content-length': String(body.length),
    };
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${obj.body.length}`;
    if (!range && headerValue(req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
      for (const [alg, value] of Object.entries(obj.checksums)) headers[`x-amz-checksum-${alg}`] = value;
      headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    const status = range ? 206 : 200;
    if (req.method === 'HEAD') {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    if (fault?.corrupt && body.length > 0) {
      body = Buffer.from(body);
      const at = Math.floor(body.length / 2);
      body[at] = (body[at] ?? 0) ^ 0xff;
    }
    if (fault?.resetAfterBytes !== undefined) {
      await sendPartialThenReset(res, status, headers, body, fault.resetAfterBytes);
      return;
    }
    res.writeHead(status, headers);
    if (await streamBody(res, body)) res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const log: S3RequestLog = {
      index: requests.length,
      method,
      url,
      operation: 'Unsupported',
      bucket: '',
      key: '',
      query: {},
      headers: flattenHeaders(req),
      bodyBytes: 0,
      status: undefined,
      errorCode: undefined,
      fault: undefined,
    };
    requests.push(log);
    res.on('finish', () => {
      log.status = res.statusCode;
    });
    let target: ReturnType<typeof splitTarget>;
    try {
      target = splitTarget(url);
    } catch (err) {
      req.resume();
      sendError(res, log, err as S3Error);
      return;
    }
    const operation = classify(method, target.bucket, target.key, target.query, req.headers);
    Object.assign(log, { operation, bucket: target.bucket, key: target.key, query: target.query });
    let fault: S3Fault | undefined;
    try {
      const raw = await readBody(req);
      log.bodyBytes = raw.length;
      const state = faults.find(
        (f) => f.remaining > 0 && faultMatches(f.fault, operation, log.bucket, log.key),
      );
      if (state) {
        state.remaining -= 1;
        state.hits += 1;
        fault = state.fault;
        log.fault = 'delay';
        if (fault.delayMs !== undefined && !(await sleep(fault.delayMs))) {
          res.socket?.destroy();
          return;
        }
        if (fault.error) {
          log.fault = 'error';
          throw new S3Error(
            fault.error.status,
            fault.error.code,
            fault.error.message ?? `Injected ${fault.error.code}`,
          );
        }
        if (fault.resetAfterBytes !== undefined) {
          log.fault = 'reset';
          if (operation !== 'GetObject') {
            res.socket?.destroy();
            return;
          }
        }
        if (fault.corrupt) log.fault = 'corrupt';
      }
      switch (operation) {
        case 'ListBuckets': {
          const items = [...buckets.entries()]
            .sort(([a], [b]) => compareKeys(a, b))
            .map(
              ([n, b]) =>
                `<Bucket><Name>${xmlEscape(n)}</Name><CreationDate>${b.created.toISOString()}</CreationDate></Bucket>`,
            )
            .join('');
          sendXml(
            res,
            200,
            `<ListAllMyBucketsResult xmlns="${XMLNS}"><Owner><ID>fake-owner</ID></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`,
          );
          return;
        }
        case 'CreateBucket':
          ensureBucket(log.bucket);
          res.writeHead(200, { ...baseHeaders(), location: `/${log.bucket}`, 'content-length': '0' });
          res.end();
          return;
        case 'HeadBucket':
          getBucket(log.bucket);
          res.writeHead(200, { ...baseHeaders(), 'x-amz-bucket-region': 'us-east-1' });
          res.end();
          return;
        case 'DeleteBucket':
          if (getBucket(log.bucket).objects.size > 0) {
            throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty');
          }
          buckets.delete(log.bucket);
          res.writeHead(204, baseHeaders());
          res.end();
          return;
        case 'ListObjectsV2':
          handleList(res, log.bucket, log.query);
          return;
        case 'GetObject':
        case 'HeadObject':
          await handleGetOrHead(req, res, log, fault);
          return;
        case 'PutObject':
          handlePut(req, res, log, raw);
          return;
        case 'DeleteObject':
          getBucket(log.bucket).objects.delete(log.key);
          res.writeHead(204, baseHeaders());
          res.end();
          return;
        default:
          throw new S3Error(501, 'NotImplemented', `The fake S3 does not implement ${method} ${url}`);
      }
    } catch (err) {
      if (!(err instanceof S3Error)) throw err;
      if (res.headersSent || res.destroyed) {
        res.socket?.destroy();
        return;
      }
      sendError(res, log, err);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake-s3 internal error: ${String(err)}`);
      } else {
        res.socket?.destroy();
      }
    });
  });
  const loopback = await listenOnLoopback(server);
  const { port } = loopback;

  return {
    endpoint: loopback.endpoint,
    port,
    requests,
    async close() {
      if (closed) return;
      closed = true;
      for (const [timer, cancel] of timers) {
        clearTimeout(timer);
        cancel();
      }
      timers.clear();
      await loopback.close();
    },
    createBucket(bucket) {
      ensureBucket(bucket);
    },
    putObject(bucket, key, body, meta = {}) {
      const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
      return store(bucket, key, buf, meta, {});
    },
    getObject(bucket, key) {
      return buckets.get(bucket)?.objects.get(key)?.body;
    },
    statObject(bucket, key) {
      return buckets.get(bucket)?.objects.get(key);
    },
    deleteObject(bucket, key) {
      return buckets.get(bucket)?.objects.delete(key) ?? false;
    },
    listKeys(bucket, prefix = '') {
      const b = buckets.get(bucket);
      if (!b) return [];
      return [...b.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    },
    addFault(fault) {
      const state: FaultState = { fault, remaining: fault.times ?? 1, hits: 0 };
      faults.push(state);
      return {
        get remaining() {
          return state.remaining;
        },
        get hits() {
          return state.hits;
        },
        cancel() {
          state.remaining = 0;
        },
      };
    },
    clearFaults() {
      for (const f of faults) f.remaining = 0;
      faults.length = 0;
    },
    requestsFor(operation, key) {
      return requests.filter((r) => r.operation === operation && (key === undefined || r.key === key));
    },
  };
}
