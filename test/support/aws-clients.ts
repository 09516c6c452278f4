/**
 * Builders for real AWS SDK v3 clients pointed at the local fakes (`fake-s3.ts`, `fake-firehose.ts`).
 *
 * Every client gets: the fake's loopback endpoint (anything else throws, so a test can never reach AWS),
 * region `us-east-1`, static fake credentials (so the SDK never walks the credential provider chain,
 * reads `~/.aws` or calls IMDS), short connection/socket timeouts so a wedged fake fails a test quickly,
 * and `maxAttempts: 1`.
 *
 * `maxAttempts: 1` matters: the SDK's default ("standard", 3 attempts) silently retries 5xx responses,
 * network errors and throttling errors, which would hide injected faults from a test that counts calls.
 * Tests of retry behaviour pass `{ maxAttempts: n }` in `overrides`.
 *
 * Checksums are left at the SDK defaults (`requestChecksumCalculation` / `responseChecksumValidation`
 * = `WHEN_SUPPORTED`), i.e. what production clients do: PutObject carries a CRC32 (a header for
 * Buffer/string bodies, an `aws-chunked` trailer for stream bodies) and GetObject asks for and validates
 * the object's CRC32. The fake S3 implements both, so tests exercise the real wire format.
 */
import { FirehoseClient, type FirehoseClientConfig } from '@aws-sdk/client-firehose';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/** Region every fake-backed client uses. */
export const FAKE_AWS_REGION = 'us-east-1';

/** Static credentials for fake-backed clients; obviously fake, never valid anywhere. */
export const FAKE_AWS_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = Object.freeze(
  {
    accessKeyId: 'FAKEACCESSKEYID00000',
    secretAccessKey: 'fake-secret-access-key-for-local-tests-only',
  },
);

/** Anything that exposes an endpoint URL: a running fake or a plain string. */
export type FakeEndpoint = { readonly endpoint: string } | string;

/** HTTP handler options applied to fake-backed clients (overridable via `overrides.requestHandler`). */
export const FAKE_REQUEST_HANDLER_OPTIONS: Readonly<{ connectionTimeout: number; socketTimeout: number }> =
  Object.freeze({ connectionTimeout: 2_000, socketTimeout: 10_000 });

const noop = (): void => {};

/**
 * A logger that drops everything. The SDK falls back to `console.warn` for some warnings (e.g. a PutObject
 * stream of unknown length, an error in a non-retryable streaming request) unless a real logger is set:
 * pass `{ logger: SILENT_AWS_LOGGER }` in tests that trigger those on purpose.
 */
export const SILENT_AWS_LOGGER: NonNullable<S3ClientConfig['logger']> = Object.freeze({
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
});

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Throw unless `endpoint` is an `http://` URL on a loopback host, so a mis-wired test can never reach AWS.
 */
export function assertLoopbackEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`fake AWS endpoint is not a URL: ${JSON.stringify(endpoint)}`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'http:' || !loopback) {
    throw new Error(`refusing to point an AWS client at a non-loopback endpoint: ${endpoint}`);
  }
}

function endpointOf(target: FakeEndpoint): string {
  const endpoint = typeof target === 'string' ? target : target.endpoint;
  assertLoopbackEndpoint(endpoint);
  return endpoint;
}

/**
 * What every fake client is configured with: fake region and credentials, `maxAttempts: 1`, the fakes' request
 * handler, then `overrides`, and the endpoint last so that no override can point a client elsewhere.
 */
function fakeClientConfig<C extends object>(target: FakeEndpoint, overrides: C) {
  return {
    region: FAKE_AWS_REGION,
    credentials: { ...FAKE_AWS_CREDENTIALS },
    maxAttempts: 1,
    requestHandler: { ...FAKE_REQUEST_HANDLER_OPTIONS },
    ...overrides,
    endpoint: endpointOf(target),
  };
}

/**
 * An `S3Client` for a fake S3: path-style addressing, fake credentials, `maxAttempts: 1` (override for retry tests).
 *
 * @example
 * const s3 = await startFakeS3({ buckets: ['logs'] });
 * const client = fakeS3Client(s3);               // or fakeS3Client(s3, { maxAttempts: 3 })
 * await client.send(new GetObjectCommand({ Bucket: 'logs', Key: 'k' }));
 */
export function fakeS3Client(target: FakeEndpoint, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client(fakeClientConfig(target, { forcePathStyle: true, ...overrides }));
}

/**
 * A `FirehoseClient` for a fake Firehose: fake credentials, `maxAttempts: 1` (override for retry tests).
 *
 * @example
 * const fh = await startFakeFirehose({ deliveryStreams: ['logs'] });
 * const client = fakeFirehoseClient(fh);
 * await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'logs', Records: [{ Data: bytes }] }));
 */
export function fakeFirehoseClient(
  target: FakeEndpoint,
  overrides: FirehoseClientConfig = {},
): FirehoseClient {
  return new FirehoseClient(fakeClientConfig(target, overrides));
}

/**
 * An `SQSClient` for a fake SQS: fake credentials, `maxAttempts: 1` (the commands keep their own retry policy).
 *
 * @example
 * const sqs = await startFakeSqs();
 * const client = fakeSqsClient(sqs);
 */
export function fakeSqsClient(target: FakeEndpoint, overrides: SQSClientConfig = {}): SQSClient {
  return new SQSClient(fakeClientConfig(target, overrides));
}

/**
 * The environment of a child process (the real `cf-logs` command line) that reaches only the fakes: fake
 * credentials and region, no shared config or instance metadata, and the SDK's service endpoint variables given,
 * e.g. `{ AWS_ENDPOINT_URL_S3: s3.endpoint }`.
 */
export function fakeSdkEnvironment(
  endpoints: Readonly<Record<`AWS_ENDPOINT_URL_${string}`, string>>,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    AWS_REGION: FAKE_AWS_REGION,
    AWS_ACCESS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...endpoints,
  };
}
