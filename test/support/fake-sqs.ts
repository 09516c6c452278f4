/**
 * A local fake of the Amazon SQS API for integration tests that drive the real `@aws-sdk/client-sqs` against
 * `127.0.0.1`. It never talks to AWS.
 *
 * The protocol is the one the client (3.1169.0) speaks: AWS JSON 1.0, `POST /` with
 * `X-Amz-Target: AmazonSQS.<Operation>` and a JSON body; errors answer `{"__type": "com.amazonaws.sqs#<Name>",
 * "message": ...}` with the `x-amzn-query-error: <code>;Sender` header the client reads in query-compatible mode.
 * The client checks the MD5 of every body it sent or received against the response, so the fake computes
 * `MD5OfMessageBody` / `MD5OfBody` (and `MD5OfMessageAttributes`, as SQS documents it).
 *
 * Supported: SendMessage, SendMessageBatch, ReceiveMessage (MaxNumberOfMessages, VisibilityTimeout,
 * WaitTimeSeconds with a short real wait, AttributeNames / MessageSystemAttributeNames, MessageAttributeNames),
 * DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility, ChangeMessageVisibilityBatch, GetQueueAttributes.
 * Queues are addressed by URL (`http://127.0.0.1:<port>/<account>/<name>`; as in SQS, the path finds the queue). Visibility timeouts and delays follow
 * an injectable clock, so a test moves time instead of sleeping. Faults ({@link SqsFault}) throttle or fail a
 * call, fail chosen entries of a batch, or drop the connection; every call is recorded in `requests`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.ts';

/** The operations the fake implements. */
export type SqsOperation =
  | 'SendMessage'
  | 'SendMessageBatch'
  | 'ReceiveMessage'
  | 'DeleteMessage'
  | 'DeleteMessageBatch'
  | 'ChangeMessageVisibility'
  | 'ChangeMessageVisibilityBatch'
  | 'GetQueueAttributes';

const OPERATIONS: readonly SqsOperation[] = [
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'GetQueueAttributes',
];

/** Account id in the fake's queue URLs. */
export const FAKE_SQS_ACCOUNT = '000000000000';
/** Region in the fake's queue ARNs. */
export const FAKE_SQS_REGION = 'us-east-1';
/** SQS limits the fake enforces (SQS Developer Guide, quotas). */
export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_WAIT_SECONDS = 20;
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
export const SQS_DEFAULT_MAX_MESSAGE_BYTES = 262_144;

const TARGET_PREFIX = 'AmazonSQS.';
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Longest real wait of a long poll (the clock is virtual; a test never waits the seconds asked for). */
const DEFAULT_MAX_REAL_WAIT_MS = 100;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
// Characters SQS accepts in a body: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
const INVALID_BODY_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** A message attribute as SQS carries it (binary values base64 on the wire, bytes here). */
export interface SqsMessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Buffer;
}

/** One message as the fake keeps it. */
export interface FakeSqsMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, SqsMessageAttribute>>;
  /** Clock time (ms) the message was sent. */
  readonly sentAt: number;
  /** Times it was received. */
  receiveCount: number;
  /** Clock time (ms) of its first receive, if any. */
  firstReceivedAt: number | undefined;
  /** Clock time (ms) from which it can be received. */
  visibleAt: number;
  /** The receipt handle of its latest receive (older ones no longer change it). */
  receiptHandle: string | undefined;
}

/** What the fake recorded about one call. */
export interface SqsRequestLog {
  /** Position in `requests` (0-based). */
  readonly index: number;
  /** The operation named by `X-Amz-Target` (the raw name when unknown). */
  readonly operation: string;
  /** `QueueUrl` of the request (`''` if missing). */
  readonly queueUrl: string;
  /** The parsed JSON body. */
  readonly input: Readonly<Record<string, unknown>>;
  /** Clock time (ms) when the call arrived. */
  readonly at: number;
  /** HTTP status sent (`undefined` when the connection was dropped). */
  status: number | undefined;
  /** Error name of an error response (`QueueDoesNotExist`, `RequestThrottled`, ...). */
  errorType: string | undefined;
  /** Ids of batch entries that failed, with their code. */
  failedEntries: { id: string; code: string }[];
  /** Which injected fault shaped the call. */
  fault: 'error' | 'entries' | 'reset' | undefined;
}

/** An error answer: the modeled name, HTTP status and query-compatible code. */
export interface SqsErrorSpec {
  /** Error shape name, e.g. `RequestThrottled`, `QueueDoesNotExist`, `InternalError`. */
  readonly type: string;
  /** @default the modeled status of `type`, else 400 */
  readonly status?: number;
  readonly message?: string;
}

/**
 * A fault to inject. It applies to calls of `operation` (any by default) on `queueUrl` (any by default), `times`
 * times (default 1; `Infinity` for all); the first matching fault with uses left is consumed per call.
 */
export interface SqsFault {
  readonly operation?: SqsOperation | readonly SqsOperation[];
  readonly queueUrl?: string;
  readonly times?: number;
  /** Answer the whole call with this error (a throttle: `{ type: 'RequestThrottled' }`). */
  readonly error?: SqsErrorSpec;
  /** Batch calls: fail the entries this selects (by entry id, or a predicate on the entry). The rest succeed. */
  readonly failEntries?: {
    readonly ids?: readonly string[];
    readonly where?: (entry: Readonly<Record<string, unknown>>) => boolean;
    /** @default 'InternalError' */
    readonly code?: string;
    /** @default false (a server fault: retrying can help) */
    readonly senderFault?: boolean;
    readonly message?: string;
  };
  /** Destroy the connection without an answer; with `afterApplying` the call takes effect first. */
  readonly reset?: { readonly afterApplying?: boolean };
}

/** Live view of an injected fault. */
export interface SqsFaultHandle {
  readonly remaining: number;
  readonly hits: number;
  cancel(): void;
}

/** Options of {@link startFakeSqs}. */
export interface FakeSqsOptions {
  /** Queues that exist from the start (more with {@link FakeSqs.createQueue}). */
  readonly queues?: readonly string[];
  /** The clock visibility timeouts, delays and timestamps follow (ms). @default Date.now */
  readonly now?: () => number;
  /** Longest real wait of a long poll that finds nothing. @default 100 */
  readonly maxRealWaitMs?: number;
}

/** Attributes of a queue the fake honours. */
export interface FakeSqsQueueOptions {
  /** Default visibility timeout of received messages, seconds. @default 30 */
  readonly visibilityTimeout?: number;
  /** Largest message (body and attributes), and largest batch, in bytes. @default 262144 */
  readonly maximumMessageSize?: number;
}

/** A running fake SQS. */
export interface FakeSqs {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint` or `AWS_ENDPOINT_URL_SQS`. */
  readonly endpoint: string;
  readonly port: number;
  /** Every call, in arrival order. */
  readonly requests: SqsRequestLog[];
  /** Creates a queue (no-op if it exists) and returns its URL. */
  createQueue(name: string, options?: FakeSqsQueueOptions): string;
  /** URL of a queue by name (whether or not it exists). */
  queueUrl(name: string): string;
  /** Puts a message straight into a queue (as another producer would) and returns its id. */
  sendMessage(queueUrl: string, body: string, attributes?: Record<string, SqsMessageAttribute>): string;
  /** Every message of a queue, visible or in flight, in send order. */
  messages(queueUrl: string): FakeSqsMessage[];
  /** Bodies of every message of a queue, in send order. */
  bodies(queueUrl: string): string[];
  /** Calls of one operation (optionally on one queue). */
  requestsFor(operation: SqsOperation, queueUrl?: string): SqsRequestLog[];
  addFault(fault: SqsFault): SqsFaultHandle;
  clearFaults(): void;
  close(): Promise<void>;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly createdAt: number;
  readonly visibilityTimeout: number;
  readonly maximumMessageSize: number;
  readonly messages: FakeSqsMessage[];
}

interface FaultState {
  readonly fault: SqsFault;
  remaining: number;
  hits: number;
}

/** Modeled errors: query-compatible code and HTTP status (the client's schemas). */
const ERRORS: Readonly<Record<string, readonly [code: string, status: number]>> = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  RequestThrottled: ['RequestThrottled', 403],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  InvalidMessageContents: ['InvalidMessageContents', 400],
  InvalidAttributeName: ['InvalidAttributeName', 400],
  InvalidParameterValue: ['InvalidParameterValue', 400],
  MissingParameter: ['MissingParameter', 400],
  InvalidAction: ['InvalidAction', 400],
  InternalError: ['InternalError', 500],
  ServiceUnavailable: ['ServiceUnavailable', 503],
};

class SqsError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status?: number) {
    super(message);
    this.type = type;
    this.status = status ?? ERRORS[type]?.[1] ?? 400;
  }
}

const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/**
 * MD5 of message attributes as SQS computes it: names sorted; for each, the length-prefixed (4 bytes, big
 * endian) name, data type, a transport byte (1 string, 2 binary) and the length-prefixed value.
 */
export function md5OfMessageAttributes(attributes: Readonly<Record<string, SqsMessageAttribute>>): string {
  const parts: Buffer[] = [];
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name]!;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      field(attribute.BinaryValue);
    } else {
      parts.push(Buffer.from([1]));
      field(Buffer.from(attribute.StringValue ?? '', 'utf8'));
    }
  }
  return md5(Buffer.concat(parts));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and checks the `MessageAttributes` of a send request. */
function parseAttributes(value: unknown): Record<string, SqsMessageAttribute> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new SqsError('InvalidParameterValue', 'MessageAttributes must be a map');
  const attributes: Record<string, SqsMessageAttribute> = {};
  const names = Object.keys(value);
  if (names.length > 10)
    throw new SqsError('InvalidParameterValue', 'Number of message attributes exceeds 10');
  for (const name of names) {
    const raw = value[name];
    if (!isRecord(raw) || typeof raw.DataType !== 'string') {
      throw new SqsError('InvalidParameterValue', `Message attribute ${name} must have a DataType`);
    }
    if (!/^(String|Number|Binary)(\..+)?$/.test(raw.DataType)) {
      throw new SqsError('InvalidParameterValue', `Message attribute ${name} has an invalid DataType`);
    }
    const binary = raw.DataType.startsWith('Binary');
    if (binary) {
      if (typeof raw.BinaryValue !== 'string') {
        throw new SqsError('InvalidParameterValue', `Message attribute ${name} must have a BinaryValue`);
      }
      attributes[name] = { DataType: raw.DataType, BinaryValue: Buffer.from(raw.BinaryValue, 'base64') };
    } else {
      if (typeof raw.StringValue !== 'string' || raw.StringValue === '') {
        throw new SqsError('InvalidParameterValue', `Message attribute ${name} must have a StringValue`);
      }
      attributes[name] = { DataType: raw.DataType, StringValue: raw.StringValue };
    }
  }
  return attributes;
}

function attributeBytes(attributes: Readonly<Record<string, SqsMessageAttribute>>): number {
  let total = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    total += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType);
    total += attribute.BinaryValue?.length ?? Buffer.byteLength(attribute.StringValue ?? '');
  }
  return total;
}

function attributesOnWire(attributes: Readonly<Record<string, SqsMessageAttribute>>) {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, a]) => [
      name,
      a.BinaryValue === undefined
        ? { DataType: a.DataType, StringValue: a.StringValue }
        : { DataType: a.DataType, BinaryValue: a.BinaryValue.toString('base64') },
    ]),
  );
}

function integerIn(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SqsError(
      'InvalidParameterValue',
      `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
    );
  }
  return value;
}

/**
 * Starts a fake SQS on `127.0.0.1` at an ephemeral port.
 *
 * @example
 * const sqs = await startFakeSqs({ queues: ['source', 'dlq'], now: () => clock });
 * const client = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials });
 * sqs.addFault({ operation: 'SendMessageBatch', failEntries: { ids: ['0'] } });
 */
export async function startFakeSqs(options: FakeSqsOptions = {}): Promise<FakeSqs> {
  const now = options.now ?? Date.now;
  const maxRealWaitMs = options.maxRealWaitMs ?? DEFAULT_MAX_REAL_WAIT_MS;
  const queues = new Map<string, Queue>();
  const requests: SqsRequestLog[] = [];
  let faults: FaultState[] = [];
  let endpoint = '';
  let messageCounter = 0;
  let closed = false;

  const urlOf = (name: string) => `${endpoint}/${FAKE_SQS_ACCOUNT}/${name}`;
  // SQS finds a queue by the account and name in its URL: a client may reach it at another host name.
  const pathOf = (url: string) => (URL.canParse(url) ? new URL(url).pathname.replace(/\/+$/, '') : url);

  const createQueue = (name: string, queueOptions: FakeSqsQueueOptions = {}): string => {
    const url = urlOf(name);
    if (!queues.has(pathOf(url))) {
      queues.set(pathOf(url), {
        name,
        url,
        createdAt: now(),
        visibilityTimeout: queueOptions.visibilityTimeout ?? 30,
        maximumMessageSize: queueOptions.maximumMessageSize ?? SQS_DEFAULT_MAX_MESSAGE_BYTES,
        messages: [],
      });
    }
    return url;
  };

  const queueFor = (input: Record<string, unknown>): Queue => {
    const url = input.QueueUrl;
    if (typeof url !== 'string' || url === '') {
      throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
    }
    const queue = queues.get(pathOf(url));
    if (!queue) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  };

  const enqueue = (
    queue: Queue,
    body: string,
    attributes: Record<string, SqsMessageAttribute>,
    delaySeconds = 0,
  ) => {
    messageCounter++;
    const h = md5(`${queue.url}:${messageCounter}`);
    const message: FakeSqsMessage = {
      messageId: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`,
      body,
      attributes,
      sentAt: now(),
      receiveCount: 0,
      firstReceivedAt: undefined,
      visibleAt: now() + delaySeconds * 1000,
      receiptHandle: undefined,
    };
    queue.messages.push(message);
    return message;
  };

  /** Checks one message of a send request; a problem is the entry's (batch) or the call's (single) error. */
  const checkMessage = (queue: Queue, entry: Record<string, unknown>) => {
    const body = entry.MessageBody;
    if (typeof body !== 'string' || body === '') {
      throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    if (INVALID_BODY_CHAR.test(body)) {
      throw new SqsError('InvalidMessageContents', 'Invalid characters found.');
    }
    const attributes = parseAttributes(entry.MessageAttributes);
    const size = Buffer.byteLength(body) + attributeBytes(attributes);
    if (size > queue.maximumMessageSize) {
      throw new SqsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes.`,
      );
    }
    const delay = integerIn(entry.DelaySeconds, 'DelaySeconds', 0, 900) ?? 0;
    return { body, attributes, size, delay };
  };

  const sentResult = (message: FakeSqsMessage) => ({
    MessageId: message.messageId,
    MD5OfMessageBody: md5(message.body),
    ...(Object.keys(message.attributes).length === 0
      ? {}
      : { MD5OfMessageAttributes: md5OfMessageAttributes(message.attributes) }),
  });

  /** The entries of a batch request, checked as SQS checks them before looking at any entry. */
  const batchEntries = (input: Record<string, unknown>): Record<string, unknown>[] => {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new SqsError('EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry.');
    }
    if (entries.length > SQS_MAX_BATCH_ENTRIES) {
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${SQS_MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
      );
    }
    const ids = new Set<string>();
    for (const entry of entries) {
      const id = isRecord(entry) ? entry.Id : undefined;
      if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
        throw new SqsError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. ' +
            'It can be at most 80 letters long.',
        );
      }
      if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
      ids.add(id);
    }
    return entries as Record<string, unknown>[];
  };

  /** Runs a batch: each entry succeeds or fails on its own; `injected` fails chosen entries first. */
  const runBatch = (
    entries: Record<string, unknown>[],
    injected: SqsFault['failEntries'],
    log: SqsRequestLog,
    apply: (entry: Record<string, unknown>) => Record<string, unknown>,
  ) => {
    const Successful: Record<string, unknown>[] = [];
    const Failed: Record<string, unknown>[] = [];
    for (const entry of entries) {
      const id = entry.Id as string;
      if (injected && (injected.ids?.includes(id) || injected.where?.(entry))) {
        const code = injected.code ?? 'InternalError';
        Failed.push({
          Id: id,
          SenderFault: injected.senderFault ?? false,
          Code: code,
          Message: injected.message ?? 'Injected failure',
        });
        log.failedEntries.push({ id, code });
        continue;
      }
      try {
        Successful.push({ Id: id, ...apply(entry) });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        Failed.push({ Id: id, SenderFault: error.status < 500, Code: error.type, Message: error.message });
        log.failedEntries.push({ id, code: error.type });
      }
    }
    return { Successful, Failed };
  };

  const inFlight = (message: FakeSqsMessage) => message.receiveCount > 0 && message.visibleAt > now();

  const findByHandle = (queue: Queue, handle: unknown) => {
    if (typeof handle !== 'string' || handle === '') {
      throw new SqsError('MissingParameter', 'The request must contain the parameter ReceiptHandle.');
    }
    if (!handle.startsWith(`${queue.name}:`)) {
      throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not valid.`);
    }
    return queue.messages.find((m) => m.receiptHandle === handle);
  };

  const deleteOne = (queue: Queue, handle: unknown) => {
    const message = findByHandle(queue, handle);
    // SQS answers success for a handle of a message already deleted, or an older handle of one received again.
    if (message) queue.messages.splice(queue.messages.indexOf(message), 1);
  };

  const changeVisibility = (queue: Queue, handle: unknown, timeout: unknown) => {
    const seconds = integerIn(timeout, 'VisibilityTimeout', 0, SQS_MAX_VISIBILITY_SECONDS);
    if (seconds === undefined) {
      throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
    }
    const message = findByHandle(queue, handle);
    if (!message || !inFlight(message)) {
      throw new SqsError(
        'MessageNotInflight',
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    message.visibleAt = now() + seconds * 1000;
  };

  /** Whether attribute `name` was asked for by a list of names (`All`, `.*`, the name, or a `prefix.*`). */
  const asked = (list: unknown, name: string): boolean =>
    Array.isArray(list) &&
    list.some(
      (item) =>
        item === 'All' ||
        item === '.*' ||
        item === name ||
        (typeof item === 'string' && item.endsWith('.*') && name.startsWith(item.slice(0, -1))),
    );

  const receive = async (queue: Queue, input: Record<string, unknown>) => {
    const max = integerIn(input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, SQS_MAX_BATCH_ENTRIES) ?? 1;
    const visibility =
      integerIn(input.VisibilityTimeout, 'VisibilityTimeout', 0, SQS_MAX_VISIBILITY_SECONDS) ??
      queue.visibilityTimeout;
    const wait = integerIn(input.WaitTimeSeconds, 'WaitTimeSeconds', 0, SQS_MAX_WAIT_SECONDS) ?? 0;
    const visible = () => queue.messages.filter((m) => m.visibleAt <= now());
    // A long poll waits for a message to arrive, in real time but briefly: bounded whatever the request asks.
    const deadline = Date.now() + Math.min(wait * 1000, maxRealWaitMs);
    while (visible().length === 0 && Date.now() < deadline && !closed) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const systemNames = [
      ...(Array.isArray(input.AttributeNames) ? input.AttributeNames : []),
      ...(Array.isArray(input.MessageSystemAttributeNames) ? input.MessageSystemAttributeNames : []),
    ];
    return visible()
      .slice(0, max)
      .map((message) => {
        message.receiveCount++;
        message.firstReceivedAt ??= now();
        message.visibleAt = now() + visibility * 1000;
        message.receiptHandle = `${queue.name}:${message.messageId}:${message.receiveCount}:${randomUUID()}`;
        const system: Record<string, string> = {
          SenderId: 'AIDAFAKESQSSENDER000',
          SentTimestamp: String(message.sentAt),
          ApproximateReceiveCount: String(message.receiveCount),
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
        };
        const Attributes = Object.fromEntries(
          Object.entries(system).filter(([name]) => asked(systemNames, name)),
        );
        const chosen = Object.fromEntries(
          Object.entries(message.attributes).filter(([name]) => asked(input.MessageAttributeNames, name)),
        );
        return {
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle,
          MD5OfBody: md5(message.body),
          Body: message.body,
          ...(Object.keys(Attributes).length === 0 ? {} : { Attributes }),
          ...(Object.keys(chosen).length === 0
            ? {}
            : {
                MessageAttributes: attributesOnWire(chosen),
                MD5OfMessageAttributes: md5OfMessageAttributes(chosen),
              }),
        };
      });
  };

  const queueAttributes = (queue: Queue, names: unknown) => {
    const all: Record<string, string> = {
      QueueArn: `arn:aws:sqs:${FAKE_SQS_REGION}:${FAKE_SQS_ACCOUNT}:${queue.name}`,
      ApproximateNumberOfMessages: String(queue.messages.filter((m) => m.visibleAt <= now()).length),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter(inFlight).length),
      ApproximateNumberOfMessagesDelayed: String(
        queue.messages.filter((m) => m.receiveCount === 0 && m.visibleAt > now()).length,
      ),
      VisibilityTimeout: String(queue.visibilityTimeout),
      MaximumMessageSize: String(queue.maximumMessageSize),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    };
    const list = Array.isArray(names) ? names : [];
    for (const name of list) {
      if (name !== 'All' && !(typeof name === 'string' && name in all) && !KNOWN_QUEUE_ATTRIBUTES.has(name)) {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${String(name)}.`);
      }
    }
    return Object.fromEntries(
      Object.entries(all).filter(([name]) => list.includes('All') || list.includes(name)),
    );
  };

  const takeFault = (operation: string, queueUrl: string): SqsFault | undefined => {
    const state = faults.find((f) => {
      if (f.remaining <= 0) return false;
      const ops = f.fault.operation;
      if (ops !== undefined && !(typeof ops === 'string' ? [ops] : ops).includes(operation as SqsOperation))
        return false;
      return f.fault.queueUrl === undefined || f.fault.queueUrl === queueUrl;
    });
    if (!state) return undefined;
    state.remaining--;
    state.hits++;
    return state.fault;
  };

  const send = (res: ServerResponse, status: number, payload: unknown, errorType?: string) => {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': String(body.length),
      'x-amzn-requestid': randomUUID(),
    };
    if (errorType !== undefined) {
      headers['x-amzn-query-error'] =
        `${ERRORS[errorType]?.[0] ?? errorType};${status >= 500 ? 'Receiver' : 'Sender'}`;
    }
    res.writeHead(status, headers);
    res.end(body);
  };

  const readBody = async (req: IncomingMessage): Promise<string | undefined> => {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of req) {
      total += (chunk as Buffer).length;
      if (total <= MAX_REQUEST_BYTES) parts.push(chunk as Buffer);
    }
    return total > MAX_REQUEST_BYTES ? undefined : Buffer.concat(parts).toString('utf8');
  };

  const execute = async (
    operation: SqsOperation,
    input: Record<string, unknown>,
    injected: SqsFault['failEntries'],
    log: SqsRequestLog,
  ): Promise<unknown> => {
    const queue = queueFor(input);
    switch (operation) {
      case 'SendMessage': {
        const { body, attributes, delay } = checkMessage(queue, input);
        return sentResult(enqueue(queue, body, attributes, delay));
      }
      case 'SendMessageBatch': {
        const entries = batchEntries(input);
        const checked = entries.map((entry) => {
          try {
            return checkMessage(queue, entry);
          } catch {
            return undefined;
          }
        });
        const total = checked.reduce((n, c) => n + (c?.size ?? 0), 0);
        if (total > queue.maximumMessageSize) {
          throw new SqsError(
            'BatchRequestTooLong',
            `Batch requests cannot be longer than ${queue.maximumMessageSize} bytes. You have sent ${total} bytes.`,
          );
        }
        return runBatch(entries, injected, log, (entry) => {
          const { body, attributes, delay } = checkMessage(queue, entry);
          return sentResult(enqueue(queue, body, attributes, delay));
        });
      }
      case 'ReceiveMessage':
        return { Messages: await receive(queue, input) };
      case 'DeleteMessage':
        deleteOne(queue, input.ReceiptHandle);
        return {};
      case 'DeleteMessageBatch':
        return runBatch(batchEntries(input), injected, log, (entry) => {
          deleteOne(queue, entry.ReceiptHandle);
          return {};
        });
      case 'ChangeMessageVisibility':
        changeVisibility(queue, input.ReceiptHandle, input.VisibilityTimeout);
        return {};
      case 'ChangeMessageVisibilityBatch':
        return runBatch(batchEntries(input), injected, log, (entry) => {
          changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout);
          return {};
        });
      case 'GetQueueAttributes':
        return { Attributes: queueAttributes(queue, input.AttributeNames) };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    const raw = await readBody(req);
    let input: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = raw === undefined ? undefined : JSON.parse(raw);
      if (isRecord(parsed)) input = parsed;
    } catch {
      // Answered below as a malformed request.
    }
    const log: SqsRequestLog = {
      index: requests.length,
      operation: operation || String(target ?? ''),
      queueUrl: typeof input?.QueueUrl === 'string' ? input.QueueUrl : '',
      input: input ?? {},
      at: now(),
      status: undefined,
      errorType: undefined,
      failedEntries: [],
      fault: undefined,
    };
    requests.push(log);
    const fail = (error: SqsError) => {
      log.status = error.status;
      log.errorType = error.type;
      send(
        res,
        error.status,
        { __type: `com.amazonaws.sqs#${error.type}`, message: error.message },
        error.type,
      );
    };
    if (req.method !== 'POST' || !(OPERATIONS as readonly string[]).includes(operation)) {
      fail(
        new SqsError(
          'InvalidAction',
          `The fake SQS does not implement ${log.operation || '(no X-Amz-Target)'}.`,
        ),
      );
      return;
    }
    if (input === undefined) {
      fail(new SqsError('InvalidParameterValue', 'The request body is not a JSON object.'));
      return;
    }
    const fault = takeFault(operation, log.queueUrl);
    if (fault?.error) {
      log.fault = 'error';
      fail(
        new SqsError(
          fault.error.type,
          fault.error.message ?? `Injected ${fault.error.type}`,
          fault.error.status,
        ),
      );
      return;
    }
    if (fault?.reset && !fault.reset.afterApplying) {
      log.fault = 'reset';
      res.socket?.destroy();
      return;
    }
    if (fault?.failEntries) log.fault = 'entries';
    try {
      const output = await execute(operation as SqsOperation, input, fault?.failEntries, log);
      if (fault?.reset) {
        log.fault = 'reset';
        res.socket?.destroy();
        return;
      }
      log.status = 200;
      send(res, 200, output);
    } catch (error) {
      if (error instanceof SqsError) fail(error);
      else throw error;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        send(
          res,
          500,
          { __type: 'com.amazonaws.sqs#InternalError', message: `fake-sqs: ${String(error)}` },
          'InternalError',
        );
      } else {
        res.socket?.destroy();
      }
    });
  });
  const loopback = await listenOnLoopback(server);
  endpoint = loopback.endpoint;
  for (const name of options.queues ?? []) createQueue(name);

  const queueByUrl = (url: string): Queue => {
    const queue = queues.get(pathOf(url));
    if (!queue) throw new Error(`fake SQS has no queue ${url}`);
    return queue;
  };

  return {
    endpoint,
    port: loopback.port,
    requests,
    createQueue,
    queueUrl: urlOf,
    sendMessage(queueUrl, body, attributes = {}) {
      return enqueue(queueByUrl(queueUrl), body, attributes).messageId;
    },
    messages(queueUrl) {
      return [...queueByUrl(queueUrl).messages];
    },
    bodies(queueUrl) {
      return queueByUrl(queueUrl).messages.map((m) => m.body);
    },
    requestsFor(operation, queueUrl) {
      return requests.filter(
        (r) => r.operation === operation && (queueUrl === undefined || r.queueUrl === queueUrl),
      );
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
      faults = [];
    },
    async close() {
      if (closed) return;
      closed = true;
      await loopback.close();
    },
  };
}

/** Queue attributes SQS knows that the fake does not report (asking for them is not an error). */
const KNOWN_QUEUE_ATTRIBUTES = new Set<unknown>([
  'Policy',
  'LastModifiedTimestamp',
  'DelaySeconds',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);
