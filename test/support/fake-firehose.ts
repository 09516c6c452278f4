/**
 * A local fake of the Amazon Data Firehose JSON API (AWS JSON 1.1) for integration tests that drive the real
 * `@aws-sdk/client-firehose` against `127.0.0.1`. It never talks to AWS.
 *
 * Supported: `PutRecordBatch` and `PutRecord`. Every call is validated against the real service limits
 * (≤ 500 records, each ≤ 1,000 KiB decoded, ≤ 4 MiB decoded per call, known stream name) and then answered
 * according to a deterministic, scriptable plan (see {@link FirehosePlan} and {@link FirehoseScript}).
 * Only accepted records are stored, in acceptance order, so a test can assert "every event exactly once".
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.ts';
import { mulberry32 } from './prng.ts';

/** Largest decoded `Data` of one record Firehose accepts: 1,000 KiB. */
export const FIREHOSE_MAX_RECORD_BYTES = 1_024_000;
/** Most records one `PutRecordBatch` call may carry. */
export const FIREHOSE_MAX_BATCH_RECORDS = 500;
/** Largest total decoded `Data` of one `PutRecordBatch` call: 4 MiB. */
export const FIREHOSE_MAX_BATCH_BYTES = 4_194_304;
/** Delivery stream the fake knows when `deliveryStreams` is not given. */
export const DEFAULT_FAKE_DELIVERY_STREAM = 'test-stream';

const TARGET_PREFIX = 'Firehose_20150804.';
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
const MAX_DELAY_MS = 60_000;
const ACCOUNT_ID = '000000000000';

/** Per-record error codes Firehose reports inside a successful `PutRecordBatch` response. */
export type FirehoseEntryErrorCode = 'ServiceUnavailableException' | 'InternalFailure';

/**
 * What to do with one (valid) call. Every plan may add `latencyMs` before the answer.
 *
 * - `accept`: store every record.
 * - `partial`: fail the entries selected by `failIndices`, `failWhere` and/or `failFraction` (drawn from the
 *   server's seeded PRNG, one draw per record); store the rest. `PutRecord` turns any failure into a
 *   whole-call 503 `ServiceUnavailableException`.
 * - `throttle`: reject the whole call; default HTTP 503 `ServiceUnavailableException` "Slow down." (what
 *   Firehose sends when a stream's throughput is exceeded); `errorType: 'ThrottlingException'` defaults to 400.
 * - `error`: reject the whole call with any status and `__type`.
 * - `reset`: destroy the connection without answering; with `acceptFirst` the records are stored first
 *   (the "succeeded but the client never heard" case that causes duplicates on retry).
 */
export type FirehosePlan =
  | { kind: 'accept'; latencyMs?: number }
  | {
      kind: 'partial';
      failIndices?: readonly number[];
      failWhere?: (data: Buffer, index: number) => boolean;
      failFraction?: number;
      errorCode?: FirehoseEntryErrorCode;
      errorMessage?: string;
      latencyMs?: number;
    }
  | { kind: 'throttle'; status?: number; errorType?: string; message?: string; latencyMs?: number }
  | { kind: 'error'; status: number; errorType: string; message?: string; latencyMs?: number }
  | { kind: 'reset'; acceptFirst?: boolean; latencyMs?: number };

/** Chooses the plan for a call; `undefined` falls back to `defaultPlan`. Must be deterministic. */
export type FirehosePlanner = (
  callIndex: number,
  records: readonly Buffer[],
  deliveryStreamName: string,
) => FirehosePlan | undefined;

/**
 * The fake's mutable script. For each valid call the plan is the head of `queue` if any (consumed), else
 * `planner(...)` if set and not `undefined`, else `defaultPlan`. Calls rejected for a limit violation,
 * a malformed body or an unknown stream never consume a plan.
 */
export interface FirehoseScript {
  /** Plans consumed one per valid call, in order. */
  queue: FirehosePlan[];
  /** Consulted when the queue is empty. */
  planner: FirehosePlanner | undefined;
  /** Used when neither the queue nor the planner chose (initially `{ kind: 'accept' }`). */
  defaultPlan: FirehosePlan;
  /** Latency added to every call, valid or not, in ms (capped at 60 s together with the plan's). */
  latencyMs: number;
}

/** Why a call was rejected before any plan applied. */
export type FirehoseViolation =
  | 'too-many-records'
  | 'record-too-large'
  | 'batch-too-large'
  | 'empty-batch'
  | 'unknown-stream'
  | 'malformed-request'
  | 'unknown-operation';

/** How a call was answered. */
export type FirehoseOutcome = 'accepted' | 'partial' | 'throttled' | 'error' | 'rejected' | 'reset';

/** What the fake recorded about one API call. */
export interface FirehoseCallLog {
  /** Position in `calls` (0-based); this is the `callIndex` given to a planner. */
  readonly index: number;
  /** `PutRecordBatch`, `PutRecord`, or the unknown operation name sent. */
  readonly operation: string;
  /** `DeliveryStreamName` from the request (`''` if missing). */
  readonly deliveryStreamName: string;
  /** SDK attempt number from the `amz-sdk-request` header (1 for a first attempt, 0 if absent). */
  readonly attempt: number;
  /** Records in the request. */
  readonly recordCount: number;
  /** Sum of decoded record sizes. */
  readonly totalBytes: number;
  /** Largest decoded record size. */
  readonly maxRecordBytes: number;
  /** Records stored from this call. */
  accepted: number;
  /** Records reported as failed (per-entry failures, or all of them when the whole call failed). */
  failed: number;
  /** How the call was answered. */
  outcome: FirehoseOutcome;
  /** HTTP status sent (`undefined` for `reset`). */
  status: number | undefined;
  /** `__type` of an error response. */
  errorType: string | undefined;
  /** Set when the call broke a service limit or was otherwise rejected before planning. */
  violation: FirehoseViolation | undefined;
}

/** Options for {@link startFakeFirehose}. */
export interface FakeFirehoseOptions {
  /** Delivery streams that exist (default `[DEFAULT_FAKE_DELIVERY_STREAM]`); others get ResourceNotFoundException. */
  deliveryStreams?: readonly string[];
  /** Seed of the PRNG used by `partial` plans with `failFraction` (default 1). */
  seed?: number;
  /** Initial script fields (the rest keep their defaults). */
  script?: Partial<FirehoseScript>;
}

/** A running fake Firehose server. */
export interface FakeFirehose {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  /** The ephemeral port the server listens on. */
  readonly port: number;
  /** Every accepted record's decoded data, across all streams, in acceptance order. */
  readonly records: Buffer[];
  /** One entry per API call, in arrival order. */
  readonly calls: FirehoseCallLog[];
  /** The mutable script that decides how calls are answered. */
  readonly script: FirehoseScript;
  /** Accepted records of one delivery stream, in acceptance order. */
  recordsFor(deliveryStreamName: string): Buffer[];
  /** Calls that broke a limit or were malformed (`violation` set). */
  violations(): FirehoseCallLog[];
  /** Stop the server, cancel pending latencies and destroy every open connection. */
  close(): Promise<void>;
}

interface ApiError {
  status: number;
  type: string;
  message: string;
  violation?: FirehoseViolation;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeData(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

function validation(message: string, violation: FirehoseViolation): ApiError {
  return {
    status: 400,
    type: 'ValidationException',
    message: `1 validation error detected: ${message}`,
    violation,
  };
}

/**
 * Start a fake Firehose server on `127.0.0.1` with an ephemeral port.
 *
 * @example
 * const fh = await startFakeFirehose({ deliveryStreams: ['logs'] });
 * fh.script.queue.push({ kind: 'throttle' }, { kind: 'partial', failIndices: [0] });
 * const client = fakeFirehoseClient(fh);
 * // ... run the code under test, then:
 * expect(fh.violations()).toEqual([]);
 * expect(fh.recordsFor('logs').map(String)).toEqual(expected);
 * await fh.close();
 */
export async function startFakeFirehose(options: FakeFirehoseOptions = {}): Promise<FakeFirehose> {
  const streams = new Set(options.deliveryStreams ?? [DEFAULT_FAKE_DELIVERY_STREAM]);
  const random = mulberry32(options.seed ?? 1);
  const records: Buffer[] = [];
  const byStream = new Map<string, Buffer[]>();
  const calls: FirehoseCallLog[] = [];
  const script: FirehoseScript = {
    queue: [],
    planner: undefined,
    defaultPlan: { kind: 'accept' },
    latencyMs: 0,
    ...options.script,
  };
  const timers = new Map<NodeJS.Timeout, () => void>();
  let recordCounter = 0;
  let closed = false;

  const sleep = (ms: number): Promise<boolean> => {
    if (ms <= 0) return Promise.resolve(!closed);
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          resolve(!closed);
        },
        Math.min(ms, MAX_DELAY_MS),
      );
      timers.set(timer, () => resolve(false));
    });
  };

  const accept = (stream: string, data: Buffer): string => {
    records.push(data);
    let list = byStream.get(stream);
    if (!list) {
      list = [];
      byStream.set(stream, list);
    }
    list.push(data);
    recordCounter += 1;
    return `fakeRecordId-${recordCounter.toString(16).padStart(16, '0')}`;
  };

  const sendJson = (res: ServerResponse, status: number, payload: unknown, errorType?: string): void => {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': String(body.length),
      'x-amzn-requestid': randomUUID(),
    };
    if (errorType) headers['x-amzn-errortype'] = `${errorType}:`;
    res.writeHead(status, headers);
    res.end(body);
  };

  const sendError = (res: ServerResponse, err: ApiError): void => {
    sendJson(res, err.status, { __type: err.type, message: err.message }, err.type);
  };

  const readBody = async (req: IncomingMessage): Promise<Buffer | undefined> => {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total <= MAX_REQUEST_BYTES) parts.push(buf);
    }
    return total > MAX_REQUEST_BYTES ? undefined : Buffer.concat(parts);
  };

  const choosePlan = (index: number, data: readonly Buffer[], stream: string): FirehosePlan =>
    script.queue.shift() ?? script.planner?.(index, data, stream) ?? script.defaultPlan;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : String(target ?? '');
    const attemptHeader =
      typeof req.headers['amz-sdk-request'] === 'string' ? req.headers['amz-sdk-request'] : '';
    const attempt = Number(/attempt=(\d+)/.exec(attemptHeader)?.[1] ?? 0);
    const raw = await readBody(req);

    let stream = '';
    let data: Buffer[] = [];
    let problem: ApiError | undefined;
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
      problem = {
        status: 404,
        type: 'UnknownOperationException',
        message: 'Not found',
        violation: 'unknown-operation',
      };
    } else if (operation !== 'PutRecordBatch' && operation !== 'PutRecord') {
      problem = {
        status: 400,
        type: 'UnknownOperationException',
        message: `The fake Firehose does not implement ${operation || '(no X-Amz-Target)'}`,
        violation: 'unknown-operation',
      };
    } else if (raw === undefined) {
      problem = {
        status: 413,
        type: 'SerializationException',
        message: 'Request too large',
        violation: 'malformed-request',
      };
    } else {
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
      const obj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      stream = typeof obj.DeliveryStreamName === 'string' ? obj.DeliveryStreamName : '';
      const rawRecords: unknown[] =
        operation === 'PutRecord'
          ? obj.Record === undefined
            ? []
            : [obj.Record]
          : Array.isArray(obj.Records)
            ? obj.Records
            : [];
      const decoded = rawRecords.map((r) =>
        typeof r === 'object' && r !== null ? decodeData((r as Record<string, unknown>).Data) : undefined,
      );
      if (body === undefined || typeof body !== 'object' || body === null) {
        problem = {
          status: 400,
          type: 'SerializationException',
          message: 'Malformed JSON body',
          violation: 'malformed-request',
        };
      } else if (decoded.some((d) => d === undefined)) {
        problem = {
          status: 400,
          type: 'SerializationException',
          message: 'Record Data must be a base64 string',
          violation: 'malformed-request',
        };
      } else {
        data = decoded as Buffer[];
      }
      if (!problem && stream === '') {
        problem = validation(
          "Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null",
          'malformed-request',
        );
      }
      if (!problem && operation === 'PutRecordBatch' && data.length === 0) {
        problem = validation(
          "Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
          'empty-batch',
        );
      }
      if (!problem && operation === 'PutRecord' && data.length === 0) {
        problem = validation(
          "Value null at 'record' failed to satisfy constraint: Member must not be null",
          'malformed-request',
        );
      }
      if (!problem && data.length > FIREHOSE_MAX_BATCH_RECORDS) {
        problem = validation(
          `Value '[...${data.length} records]' at 'records' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_MAX_BATCH_RECORDS}`,
          'too-many-records',
        );
      }
      const tooBig = problem ? -1 : data.findIndex((d) => d.length > FIREHOSE_MAX_RECORD_BYTES);
      if (tooBig >= 0) {
        const where = operation === 'PutRecord' ? 'record.data' : `records.${tooBig + 1}.member.data`;
        problem = validation(
          `Value at '${where}' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_MAX_RECORD_BYTES}`,
          'record-too-large',
        );
      }
      const total = data.reduce((n, d) => n + d.length, 0);
      if (!problem && total > FIREHOSE_MAX_BATCH_BYTES) {
        problem = {
          status: 400,
          type: 'InvalidArgumentException',
          message: 'Records size exceeds 4 MB limit',
          violation: 'batch-too-large',
        };
      }
      if (!problem && !streams.has(stream)) {
        problem = {
          status: 400,
          type: 'ResourceNotFoundException',
          message: `Firehose ${stream} under account ${ACCOUNT_ID} not found.`,
          violation: 'unknown-stream',
        };
      }
    }

    const log: FirehoseCallLog = {
      index: calls.length,
      operation,
      deliveryStreamName: stream,
      attempt,
      recordCount: data.length,
      totalBytes: data.reduce((n, d) => n + d.length, 0),
      maxRecordBytes: data.reduce((n, d) => Math.max(n, d.length), 0),
      accepted: 0,
      failed: 0,
      outcome: 'rejected',
      status: undefined,
      errorType: undefined,
      violation: undefined,
    };
    calls.push(log);

    const respondError = (err: ApiError, outcome: FirehoseOutcome): void => {
      log.outcome = outcome;
      log.status = err.status;
      log.errorType = err.type;
      log.failed = data.length;
      log.violation = err.violation;
      sendError(res, err);
    };

    if (problem) {
      if (!(await sleep(script.latencyMs))) return;
      respondError(problem, 'rejected');
      return;
    }

    const plan = choosePlan(log.index, data, stream);
    if (!(await sleep(script.latencyMs + (plan.latencyMs ?? 0)))) return;

    switch (plan.kind) {
      case 'throttle': {
        const type = plan.errorType ?? 'ServiceUnavailableException';
        const status = plan.status ?? (type === 'ServiceUnavailableException' ? 503 : 400);
        respondError(
          { status, type, message: plan.message ?? (status === 503 ? 'Slow down.' : 'Rate exceeded') },
          'throttled',
        );
        return;
      }
      case 'error':
        respondError(
          {
            status: plan.status,
            type: plan.errorType,
            message: plan.message ?? `Injected ${plan.errorType}`,
          },
          'error',
        );
        return;
      case 'reset':
        if (plan.acceptFirst) {
          for (const d of data) accept(stream, d);
          log.accepted = data.length;
        } else {
          log.failed = data.length;
        }
        log.outcome = 'reset';
        res.socket?.destroy();
        return;
      default:
        break;
    }

    const failIndices = plan.kind === 'partial' ? new Set(plan.failIndices ?? []) : new Set<number>();
    const entries = data.map((d, i) => {
      if (plan.kind !== 'partial') return true;
      // Draw for every record when a fraction is set, so the PRNG sequence does not depend on other selectors.
      const draw = plan.failFraction !== undefined ? random() < plan.failFraction : false;
      return !(failIndices.has(i) || draw || (plan.failWhere?.(d, i) ?? false));
    });
    const failed = entries.filter((ok) => !ok).length;
    const errorCode: FirehoseEntryErrorCode =
      plan.kind === 'partial'
        ? (plan.errorCode ?? 'ServiceUnavailableException')
        : 'ServiceUnavailableException';
    const errorMessage =
      plan.kind === 'partial' && plan.errorMessage !== undefined
        ? plan.errorMessage
        : errorCode === 'InternalFailure'
          ? 'Internal service failure.'
          : 'Slow down.';

    if (operation === 'PutRecord') {
      if (failed > 0) {
        respondError(
          { status: 503, type: 'ServiceUnavailableException', message: errorMessage },
          'throttled',
        );
        return;
      }
      const recordId = accept(stream, data[0]!);
      log.accepted = 1;
      log.outcome = 'accepted';
      log.status = 200;
      sendJson(res, 200, { RecordId: recordId, Encrypted: false });
      return;
    }

    const responses = data.map((d, i) =>
      entries[i] ? { RecordId: accept(stream, d) } : { ErrorCode: errorCode, ErrorMessage: errorMessage },
    );
    log.accepted = data.length - failed;
    log.failed = failed;
    log.outcome = failed > 0 ? 'partial' : 'accepted';
    log.status = 200;
    sendJson(res, 200, { FailedPutCount: failed, Encrypted: false, RequestResponses: responses });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(
          res,
          500,
          { __type: 'InternalFailure', message: `fake-firehose internal error: ${String(err)}` },
          'InternalFailure',
        );
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
    records,
    calls,
    script,
    recordsFor(name) {
      return [...(byStream.get(name) ?? [])];
    },
    violations() {
      return calls.filter((c) => c.violation !== undefined);
    },
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
  };
}

/** The NDJSON events packed into Firehose records (one per line, as the normalize path packs them). */
export function eventsInRecords<T>(records: readonly Buffer[]): T[] {
  return records.flatMap((record) =>
    record
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as T),
  );
}
