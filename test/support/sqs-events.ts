/**
 * Builders for what the normalize Lambda receives: SQS records whose body is an S3 event notification (as S3
 * sends it to a queue), the `s3:TestEvent` S3 sends when a notification is configured, and a Lambda context.
 * Shapes follow the S3 User Guide (event message structure, version 2.1) and the SQS event source of Lambda.
 */
import { createHash } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

/** Region, account and queue the fixtures pretend to live in (documentation values, never real). */
export const FIXTURE_REGION = 'us-east-1';
export const FIXTURE_ACCOUNT = '111122223333';
export const FIXTURE_QUEUE_ARN = `arn:aws:sqs:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:cf-logs-normalize`;

/** One object an S3 event names. */
export interface S3EventObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** ETag as S3 events carry it: without quotes. */
  readonly eTag?: string;
  /** @default 'ObjectCreated:Put' */
  readonly eventName?: string;
}

/** S3 encodes keys in events like a form value: each segment URL-encoded, spaces as `+`, slashes kept. */
export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

/** The body S3 sends to the queue when `objects` are created (one notification may name several). */
export function s3EventBody(objects: readonly S3EventObject[]): string {
  return JSON.stringify({
    Records: objects.map((object, i) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: FIXTURE_REGION,
      eventTime: '2026-11-20T10:01:05.123Z',
      eventName: object.eventName ?? 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:AIDAEXAMPLEPRINCIPAL' },
      requestParameters: { sourceIPAddress: '192.0.2.10' },
      responseElements: {
        'x-amz-request-id': `EXAMPLE${String(i).padStart(9, '0')}`,
        'x-amz-id-2': 'EXAMPLEid2EXAMPLEid2EXAMPLEid2',
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'cf-logs-logpush-objects',
        bucket: {
          name: object.bucket,
          ownerIdentity: { principalId: 'AEXAMPLEOWNER' },
          arn: `arn:aws:s3:::${object.bucket}`,
        },
        object: {
          key: encodeEventKey(object.key),
          size: object.size,
          ...(object.eTag === undefined ? {} : { eTag: object.eTag }),
          sequencer: `0066F1A2B3C4D5E6${String(i).padStart(2, '0')}`,
        },
      },
    })),
  });
}

/** The body of the test message S3 sends once when a bucket notification is configured. */
export function s3TestEventBody(bucket: string): string {
  return JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: '2026-11-20T09:00:00.000Z',
    Bucket: bucket,
    RequestId: 'EXAMPLE000000000',
    HostId: 'EXAMPLEhostidEXAMPLEhostid',
  });
}

/** A message id that looks like SQS's (a UUID), derived from `seed` so fixtures stay deterministic. */
export function messageIdFor(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Options of {@link sqsRecord}. */
export interface SqsRecordOptions {
  /** @default derived from the body */
  readonly messageId?: string;
  /** `ApproximateReceiveCount`: 1 on first delivery, more on redelivery. @default 1 */
  readonly receiveCount?: number;
}

/** One SQS record as the Lambda event source hands it over. */
export function sqsRecord(body: string, options: SqsRecordOptions = {}): SQSRecord {
  const messageId = options.messageId ?? messageIdFor(body);
  return {
    messageId,
    receiptHandle: `AQEB${createHash('sha256').update(`receipt:${messageId}`).digest('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: '1795168865123',
      SenderId: 'AIDAEXAMPLES3SENDER',
      ApproximateFirstReceiveTimestamp: '1795168865200',
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: FIXTURE_QUEUE_ARN,
    awsRegion: FIXTURE_REGION,
  };
}

/** An SQS event of `records`. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** Options of {@link lambdaContext}. */
export interface LambdaContextOptions {
  /** What `getRemainingTimeInMillis` answers, always (the tests use no wall clock). @default 600000 */
  readonly remainingMs?: number;
  /** @default 'c0ffee00-0000-4000-8000-000000000001' */
  readonly awsRequestId?: string;
}

/** A Lambda context for the normalize function; `getRemainingTimeInMillis` is fixed, so tests never race it. */
export function lambdaContext(options: LambdaContextOptions = {}): Context {
  const functionName = 'cf-logs-normalize';
  const unsupported = (): never => {
    throw new Error('callback-style context methods are not used by async handlers');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: options.awsRequestId ?? 'c0ffee00-0000-4000-8000-000000000001',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/20/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => options.remainingMs ?? 600_000,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
