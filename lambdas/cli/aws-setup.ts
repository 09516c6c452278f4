/**
 * What the operations commands (`backfill`, `redrive`) share about AWS: the SQS client of a queue URL in the
 * standard SDK environment, and AWS errors put the way an operator needs them.
 */
import { SQSClient } from '@aws-sdk/client-sqs';

/** As the Lambda's clients: without a socket timeout a stalled connection would hang the command. */
export const CLI_REQUEST_HANDLER = { connectionTimeout: 3_000, socketTimeout: 30_000 };

/** The region in an SQS queue URL (`https://sqs.<region>.amazonaws.com/...`, or the legacy `<region>.queue...`). */
export function regionOfQueueUrl(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const host = new URL(url).hostname;
  return (/^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host) ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host))?.[1];
}

/** Whether `url` looks like a queue URL: http(s), a host, and `/<account>/<queue name>`. */
export function isQueueUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return /^https?:$/.test(parsed.protocol) && /^\/[^/]+\/[^/]+\/?$/.test(parsed.pathname);
}

/**
 * An SQS client for `queueUrl`, `maxAttempts: 1` (the batches retry themselves, `sqs-batches.ts`). The region is
 * the queue URL's, else `fallbackRegion`, else the SDK's own chain. When `AWS_ENDPOINT_URL_SQS` (or
 * `AWS_ENDPOINT_URL`) is set, the client sends there whatever host the queue URL names: the SDK otherwise
 * follows the queue URL's host, and an endpoint set on purpose would be ignored.
 */
export function sqsClientFor(
  queueUrl: string,
  env: Readonly<Record<string, string | undefined>>,
  fallbackRegion: string | undefined,
): SQSClient {
  const region = regionOfQueueUrl(queueUrl) ?? fallbackRegion;
  const endpointSet = Boolean(env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL);
  return new SQSClient({
    maxAttempts: 1,
    requestHandler: CLI_REQUEST_HANDLER,
    ...(region === undefined ? {} : { region }),
    ...(endpointSet ? { useQueueUrlAsEndpoint: false } : {}),
  });
}

/** An AWS error as an operator needs it: its name and message, with a hint for the common setup mistakes. */
export function explainAwsError(error: unknown): string {
  const e = (error as { cause?: unknown }).cause ?? error;
  const { name = 'Error', message = String(e) } = e as { name?: string; message?: string };
  if (/Region is missing/i.test(message)) return `${message}: set AWS_REGION (or a profile with a region)`;
  if (/credential/i.test(name) || /Could not load credentials/i.test(message)) {
    return `${name}: ${message} (set AWS_PROFILE or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of the account)`;
  }
  if (name === 'NoSuchBucket') return "no such bucket (NoSuchBucket): is it the stack's LogpushBucketName?";
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
    return `no such queue (${name}): is the URL the stack's output, in this account and region?`;
  }
  if (/AccessDenied/.test(name)) return `access denied (${name}): ${message}`;
  return `${name}: ${message}`;
}
