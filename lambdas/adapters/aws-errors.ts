/**
 * Whether a failed AWS SDK call may succeed when made again: shared by the adapters that keep their own retry
 * policy (Firehose, SQS), each with the error names of its service.
 */

/** Node.js network error codes after which the same call can succeed. */
const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** A failed call, reduced to what a retry decision and a message need. */
export interface AwsCallFailure {
  /** The SDK error's name, e.g. `ThrottlingException`, `AccessDenied`. */
  readonly name: string;
  readonly message: string;
  /** Throttling, a 5xx, a timeout or a broken connection: the same call can succeed. */
  readonly retryable: boolean;
}

/**
 * Classifies an SDK or network error of a whole call.
 * @param retryableNames the service's error names after which the same call can succeed.
 */
export function classifyAwsError(error: unknown, retryableNames: ReadonlySet<string>): AwsCallFailure {
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const retryable =
    retryableNames.has(name) ||
    (e.code !== undefined && RETRYABLE_NETWORK.has(e.code)) ||
    (status !== undefined && (status >= 500 || status === 429));
  return { name, message: e.message ?? String(error), retryable };
}
