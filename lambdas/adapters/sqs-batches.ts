/**
 * SQS batch calls with the retries the operations commands need: SendMessageBatch, DeleteMessageBatch and
 * ChangeMessageVisibilityBatch answer 200 with some entries failed, so only those are sent again, with backoff;
 * a whole call that fails with throttling, a 5xx or a network error is tried again too. Build the client with
 * `maxAttempts: 1` so this is the only retry policy (as with Firehose, `firehose-sink.ts`).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Clock } from '../ports.ts';
import { classifyAwsError } from './aws-errors.ts';

/** Most entries one SQS batch call may carry. */
export const SQS_BATCH_MAX = 10;

/** Retry policy of one batch. */
export interface SqsRetryPolicy {
  /** Attempts per batch, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** Attempt n waits a random time up to `min(maxDelayMs, baseDelayMs * 2^(n-1))`. @default 200 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
}

/** An entry that did not get in, and why. */
export interface EntryFailure {
  readonly id: string;
  readonly code: string;
  readonly message: string;
  /** SQS says the request was at fault: the same entry would fail again. */
  readonly senderFault: boolean;
}

/** What happened to a batch after its retries. */
export interface BatchOutcome {
  /** Ids of entries SQS accepted. */
  readonly succeeded: readonly string[];
  /** Entries that never got in. */
  readonly failed: readonly EntryFailure[];
  /** Calls made, retries included. */
  readonly calls: number;
  /** Entries sent again after a partial or whole-call failure. */
  readonly retried: number;
}

/** A whole call failed: with an error retrying cannot fix, or still after the last attempt. */
export class SqsCallError extends Error {
  override readonly name = 'SqsCallError';
  /** The SDK error's name, e.g. `QueueDoesNotExist`, `AccessDenied`, `RequestThrottled`. */
  readonly code: string;
  readonly retryable: boolean;
  constructor(message: string, code: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.retryable = retryable;
  }
}

// Whole-call errors after which the same call can succeed (SQS API Reference, common errors; SDK error names).
const RETRYABLE = new Set([
  'RequestThrottled',
  'ThrottlingException',
  'Throttling',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'KmsThrottled',
  'RequestTimeout',
  'TimeoutError',
]);
/** Classifies an SDK or network error of a whole call. */
export function toSqsCallError(error: unknown): SqsCallError {
  if (error instanceof SqsCallError) return error;
  const { name, message, retryable } = classifyAwsError(error, RETRYABLE);
  return new SqsCallError(message, name, retryable, { cause: error });
}

/** The response of a batch call, reduced to what retrying needs. */
interface BatchResponse {
  readonly Successful?: readonly { readonly Id?: string }[];
  readonly Failed?: readonly {
    readonly Id?: string;
    readonly Code?: string;
    readonly Message?: string;
    readonly SenderFault?: boolean;
  }[];
}

/** A message to send: its body and the attributes to carry. */
export interface OutgoingMessage {
  readonly id: string;
  readonly body: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
}

/** A received message to delete or release. */
export interface ReceiptEntry {
  readonly id: string;
  readonly receiptHandle: string;
}

/** Options of {@link SqsBatches}. */
export interface SqsBatchesOptions {
  readonly client: SQSClient;
  readonly clock: Clock;
  readonly retry?: SqsRetryPolicy;
  /** For the backoff's jitter. @default Math.random */
  readonly random?: () => number;
}

/** SQS calls of a queue with retries; every method works on at most {@link SQS_BATCH_MAX} entries. */
export class SqsBatches {
  private readonly options: SqsBatchesOptions;

  constructor(options: SqsBatchesOptions) {
    this.options = options;
  }

  /** Sends `messages` (ids unique in the batch) to the queue. */
  send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<BatchOutcome> {
    const byId = new Map(messages.map((m) => [m.id, m]));
    return this.retryBatch([...byId.keys()], (ids) =>
      this.options.client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: ids.map((id) => {
            const message = byId.get(id)!;
            return {
              Id: id,
              MessageBody: message.body,
              ...(message.attributes === undefined || Object.keys(message.attributes).length === 0
                ? {}
                : { MessageAttributes: message.attributes }),
            };
          }),
        }),
      ),
    );
  }

  /** Deletes received messages from the queue. */
  delete(queueUrl: string, entries: readonly ReceiptEntry[]): Promise<BatchOutcome> {
    const byId = new Map(entries.map((e) => [e.id, e.receiptHandle]));
    return this.retryBatch([...byId.keys()], (ids) =>
      this.options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: ids.map((id) => ({ Id: id, ReceiptHandle: byId.get(id)! })),
        }),
      ),
    );
  }

  /** Sets the visibility timeout of received messages (0: visible again at once). */
  changeVisibility(
    queueUrl: string,
    entries: readonly ReceiptEntry[],
    seconds: number,
  ): Promise<BatchOutcome> {
    const byId = new Map(entries.map((e) => [e.id, e.receiptHandle]));
    return this.retryBatch([...byId.keys()], (ids) =>
      this.options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: ids.map((id) => ({ Id: id, ReceiptHandle: byId.get(id)!, VisibilityTimeout: seconds })),
        }),
      ),
    );
  }

  /**
   * Receives up to `max` messages with their system and message attributes, hidden for `visibilitySeconds`.
   * @throws SqsCallError when the call fails for good.
   */
  async receive(
    queueUrl: string,
    max: number,
    visibilitySeconds: number,
    waitSeconds: number,
  ): Promise<readonly Message[]> {
    const response = await this.retryCall(() =>
      this.options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(SQS_BATCH_MAX, max),
          VisibilityTimeout: visibilitySeconds,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      ),
    );
    return response.Messages ?? [];
  }

  /** One call, tried again after a retryable failure. */
  private async retryCall<T>(call: () => Promise<T>): Promise<T> {
    const maxAttempts = this.options.retry?.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const failure = toSqsCallError(error);
        if (!failure.retryable || attempt >= maxAttempts) throw failure;
        await this.backoff(attempt);
      }
    }
  }

  /**
   * Runs a batch call until every entry is in, the entries left failed for a reason of the request
   * (`SenderFault`), or the attempts are spent. When a whole call fails for good after an earlier attempt got
   * some entries in, the entries still pending are returned as failed with that call's error: the caller must
   * learn which ones did get in (a redrive deletes those from the dead-letter queue, a backfill counts them).
   * @throws SqsCallError when a whole call fails with an error retrying cannot fix, or on its last attempt,
   * before any entry got in.
   */
  private async retryBatch(
    ids: readonly string[],
    call: (ids: readonly string[]) => Promise<BatchResponse>,
  ): Promise<BatchOutcome> {
    const maxAttempts = this.options.retry?.maxAttempts ?? 5;
    const succeeded: string[] = [];
    const final: EntryFailure[] = [];
    let pending = [...ids];
    let calls = 0;
    let retried = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) retried += pending.length;
      calls++;
      let response: BatchResponse;
      try {
        response = await call(pending);
      } catch (error) {
        const failure = toSqsCallError(error);
        if (failure.retryable && attempt < maxAttempts) {
          await this.backoff(attempt);
          continue;
        }
        if (succeeded.length === 0) throw failure;
        for (const id of pending) {
          final.push({ id, code: failure.code, message: failure.message, senderFault: !failure.retryable });
        }
        break;
      }
      const ok = new Set((response.Successful ?? []).map((entry) => entry.Id));
      const failures = new Map(
        (response.Failed ?? []).map((entry) => [
          entry.Id,
          {
            id: entry.Id ?? '',
            code: entry.Code ?? 'Unknown',
            message: entry.Message ?? '',
            senderFault: entry.SenderFault === true,
          },
        ]),
      );
      const retry: string[] = [];
      for (const id of pending) {
        if (ok.has(id)) {
          succeeded.push(id);
          continue;
        }
        // An entry the response does not mention is treated as failed, and can be tried again.
        const failure = failures.get(id) ?? {
          id,
          code: 'MissingFromResponse',
          message: 'the response names this entry neither successful nor failed',
          senderFault: false,
        };
        if (failure.senderFault || attempt >= maxAttempts) final.push(failure);
        else retry.push(id);
      }
      pending = retry;
      if (pending.length > 0) await this.backoff(attempt);
    }
    return { succeeded, failed: final, calls, retried };
  }

  /** Exponential backoff with full jitter, on the injected clock. */
  private async backoff(attempt: number): Promise<void> {
    const base = this.options.retry?.baseDelayMs ?? 200;
    const cap = this.options.retry?.maxDelayMs ?? 5000;
    const random = this.options.random ?? Math.random;
    await this.options.clock.sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1))));
  }
}
