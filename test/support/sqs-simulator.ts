/**
 * An SQS queue with a Lambda event source mapping, in process and on a virtual clock, for tests that follow
 * messages across receives: what the normalize handler does on the first receive, what SQS does with a failed
 * message (visible again after the visibility timeout, moved to the dead-letter queue after `maxReceiveCount`
 * receives), and how long that takes, without waiting for it.
 *
 * Semantics (SQS Developer Guide, "Amazon SQS visibility timeout" and "Using dead-letter queues"; Lambda Developer
 * Guide, "Using Lambda with Amazon SQS" and "Handling errors for an SQS event source"):
 * - A receive hides the message for the visibility timeout and adds one to its `ApproximateReceiveCount`.
 * - The handler's answer decides what is deleted: a returned `batchItemFailures` list keeps the messages it names
 *   (all of them when it names one that is not in the batch, or names none by an empty id); a thrown error or a
 *   run past the function timeout keeps every message of the batch. Kept messages are not made visible early:
 *   they come back when their visibility timeout ends.
 * - A message that has been received `maxReceiveCount` times is moved to the dead-letter queue when it would be
 *   received once more, instead of being delivered.
 *
 * Time: the handler gets the simulator's {@link VirtualClock} and a context whose remaining time runs down on it.
 * When no message is visible the clock jumps to the next one that will be. Every loop is bounded.
 */
import { createHash } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Clock } from '../../lambdas/ports.ts';
import { type CapturedOutput, captureOutput } from './lambda-output.ts';
import { FIXTURE_QUEUE_ARN, FIXTURE_REGION, lambdaContext, messageIdFor } from './sqs-events.ts';

/**
 * A clock that never waits. `sleep(ms)` moves the time to at least `ms` after the moment it was called, so
 * callers that sleep at the same time (the packer's batches in flight, each retrying) move it to the latest of
 * their wake-up times, not to the sum of their sleeps, as they would on a real clock.
 */
export class VirtualClock implements Clock {
  /** Every sleep asked for, in ms, in order. */
  readonly slept: number[] = [];
  private ms: number;

  constructor(start = new Date('2026-11-21T12:00:00Z')) {
    this.ms = start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** Milliseconds since the epoch. */
  get time(): number {
    return this.ms;
  }

  async sleep(ms: number): Promise<void> {
    const wake = this.ms + Math.max(0, ms);
    this.slept.push(ms);
    // Let the other sleepers of this moment register before the time moves.
    await Promise.resolve();
    if (wake > this.ms) this.ms = wake;
  }

  /** Moves the time forward to `ms` since the epoch (never back). */
  advanceTo(ms: number): void {
    if (ms > this.ms) this.ms = ms;
  }
}

/** The Lambda handler the queue invokes. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** Queue, event source and function settings; the defaults are the deployed ones (lib/lake-settings.ts). */
export interface SqsSimulatorOptions {
  readonly handler: SqsHandler;
  readonly clock: VirtualClock;
  /** @default 1800 (six times the function timeout, as lib/normalize-ingest.ts sets it) */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
  /** @default 1 */
  readonly batchSize?: number;
  /** @default 300 */
  readonly functionTimeoutSeconds?: number;
}

/** A message while it is in the queue. */
interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceiveAt: number | undefined;
  visibleAt: number;
}

/** One message of an invocation, as it was received. */
export interface ReceivedMessage {
  readonly id: string;
  readonly receiveCount: number;
}

/** What one invocation of the handler did. */
export interface Invocation {
  /** 0-based, in order. */
  readonly index: number;
  /** Virtual times, ms since the epoch. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly messages: readonly ReceivedMessage[];
  /** `returned` (a batch response), `threw`, or `timed-out` (the virtual clock passed the function timeout). */
  readonly outcome: 'returned' | 'threw' | 'timed-out';
  readonly response?: SQSBatchResponse;
  readonly error?: unknown;
  /** Ids of the messages that stayed in the queue. */
  readonly failed: readonly string[];
  /** What the handler printed (Powertools logs and EMF metrics). */
  readonly output: CapturedOutput;
}

/** A message that left the queue: deleted after success, or moved to the dead-letter queue. */
export interface RemovedMessage {
  readonly id: string;
  readonly body: string;
  /** Receives it had. */
  readonly receiveCount: number;
  /** Virtual time it left the queue, ms since the epoch. */
  readonly at: number;
}

/** The simulated queue, its dead-letter queue and the event source mapping that invokes the handler. */
export class SqsSimulator {
  readonly invocations: Invocation[] = [];
  /** Messages deleted after the handler succeeded with them. */
  readonly deleted: RemovedMessage[] = [];
  /** Messages moved to the dead-letter queue. */
  readonly deadLetters: RemovedMessage[] = [];
  private readonly options: Required<SqsSimulatorOptions>;
  private readonly queue: QueuedMessage[] = [];
  private sent = 0;

  constructor(options: SqsSimulatorOptions) {
    this.options = {
      visibilityTimeoutSeconds: 1800,
      maxReceiveCount: 5,
      batchSize: 1,
      functionTimeoutSeconds: 300,
      ...options,
    };
  }

  /** Sends a message (visible at once). @returns its message id. */
  send(body: string, options: { readonly messageId?: string } = {}): string {
    const id = options.messageId ?? messageIdFor(`sqs-simulator:${this.sent}:${body}`);
    this.sent++;
    const now = this.options.clock.time;
    this.queue.push({ id, body, sentAt: now, receiveCount: 0, firstReceiveAt: undefined, visibleAt: now });
    return id;
  }

  /** Messages still in the queue (visible or not). */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Lets the event source work until the queue is empty: invokes the handler with the visible messages, jumps the
   * clock to the next visibility when none is, and dead-letters what has been received too often.
   * @throws when more than `maxInvocations` invocations would be needed.
   */
  async run(options: { readonly maxInvocations: number }): Promise<void> {
    const { clock, maxReceiveCount, batchSize } = this.options;
    // Each step invokes, dead-letters or jumps to a moment when a message is visible: bounded by this.
    const maxSteps = 3 * (options.maxInvocations + this.queue.length) + 3;
    for (let step = 0; step < maxSteps; step++) {
      if (this.queue.length === 0) return;
      const now = clock.time;
      const visible = this.queue.filter((m) => m.visibleAt <= now);
      if (visible.length === 0) {
        clock.advanceTo(Math.min(...this.queue.map((m) => m.visibleAt)));
        continue;
      }
      const batch: QueuedMessage[] = [];
      for (const message of visible) {
        if (message.receiveCount >= maxReceiveCount) {
          this.remove(message, this.deadLetters, now);
        } else if (batch.length < batchSize) {
          batch.push(message);
        }
      }
      if (batch.length === 0) continue;
      if (this.invocations.length >= options.maxInvocations) {
        throw new Error(
          `SqsSimulator: more than ${options.maxInvocations} invocations; ${this.queue.length} messages left`,
        );
      }
      await this.invoke(batch);
    }
    throw new Error(`SqsSimulator: no end after ${maxSteps} steps`);
  }

  private async invoke(batch: QueuedMessage[]): Promise<void> {
    const { clock, handler, visibilityTimeoutSeconds, functionTimeoutSeconds } = this.options;
    const startedAt = clock.time;
    const records = batch.map((message) => {
      message.receiveCount++;
      message.firstReceiveAt ??= startedAt;
      message.visibleAt = startedAt + visibilityTimeoutSeconds * 1000;
      return this.record(message);
    });
    const index = this.invocations.length;
    const deadline = startedAt + functionTimeoutSeconds * 1000;
    const context: Context = {
      ...lambdaContext({ awsRequestId: requestIdFor(index) }),
      getRemainingTimeInMillis: () => deadline - clock.time,
    };
    const { outcome, output } = await captureOutput(() => handler({ Records: records }, context));
    const endedAt = clock.time;
    const ids = batch.map((m) => m.id);
    let failed: string[];
    let result: Pick<Invocation, 'outcome' | 'response' | 'error'>;
    if (endedAt > deadline) {
      failed = ids;
      result = {
        outcome: 'timed-out',
        ...(outcome.status === 'fulfilled' && outcome.value ? { response: outcome.value } : {}),
      };
    } else if (outcome.status === 'rejected') {
      failed = ids;
      result = { outcome: 'threw', error: outcome.reason };
    } else {
      const listed = (outcome.value?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      // An identifier that names no message of the batch fails the whole batch (Lambda's rule).
      failed = listed.every((id) => ids.includes(id)) ? ids.filter((id) => listed.includes(id)) : ids;
      result = { outcome: 'returned', ...(outcome.value ? { response: outcome.value } : {}) };
    }
    for (const message of batch) {
      if (!failed.includes(message.id)) this.remove(message, this.deleted, endedAt);
    }
    this.invocations.push({
      index,
      startedAt,
      endedAt,
      messages: batch.map((m) => ({ id: m.id, receiveCount: m.receiveCount })),
      ...result,
      failed,
      output,
    });
  }

  /** The record as the event source hands it over. */
  private record(message: QueuedMessage): SQSRecord {
    return {
      messageId: message.id,
      receiptHandle: `AQEB${createHash('sha256').update(`receipt:${message.id}:${message.receiveCount}`).digest('base64')}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'AIDAEXAMPLES3SENDER',
        ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: FIXTURE_QUEUE_ARN,
      awsRegion: FIXTURE_REGION,
    };
  }

  private remove(message: QueuedMessage, to: RemovedMessage[], at: number): void {
    this.queue.splice(this.queue.indexOf(message), 1);
    to.push({ id: message.id, body: message.body, receiveCount: message.receiveCount, at });
  }
}

/** A Lambda request id per invocation, deterministic. */
function requestIdFor(index: number): string {
  return `c0ffee00-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
}
