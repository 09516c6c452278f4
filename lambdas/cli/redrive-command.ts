/**
 * `cf-logs redrive [--dlq URL] [--queue URL] [--max N] [--dry-run]`: moves the messages of the dead-letter queue
 * back to the queue the normalize function reads, after the cause of their failure was fixed. Each message is
 * received from the dead-letter queue, sent to the queue with the same body and attributes, and deleted from the
 * dead-letter queue only once the send was accepted; what could not be sent stays, for the next run. Each message
 * is shown with the Logpush objects its S3 event names.
 *
 * `aws sqs start-message-move-task` does the move inside SQS; this command is for when you want to see what
 * moves (and try it with `--dry-run` or a few with `--max`), or the queues are not AWS's own.
 */
import type { Writable } from 'node:stream';
import type { Message, MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import {
  type EntryFailure,
  SQS_BATCH_MAX,
  SqsBatches,
  type SqsRetryPolicy,
} from '../adapters/sqs-batches.ts';
import { objectsInS3Event } from '../core/s3-event.ts';
import { type Clock, type ObjectRef, systemClock } from '../ports.ts';
import { explainAwsError, isQueueUrl, regionOfQueueUrl, sqsClientFor } from './aws-setup.ts';
import { formatBytes } from './progress.ts';
import { DEFAULT_OUTPUTS_FILE, readStackOutputs, StackOutputsError } from './stack-outputs.ts';

/** Exit codes of `cf-logs redrive`. */
export const REDRIVE_EXIT = {
  /** Every message received was moved (with --dry-run: shown, and released). */
  ok: 0,
  /** Some messages were not moved, or moved but not deleted, or a queue could not be read. */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
} as const;

/** Seconds a received message stays hidden: enough to send and delete its batch with retries. */
export const REDRIVE_VISIBILITY_SECONDS = 120;
/**
 * Seconds a dry run keeps messages hidden while it reads on (so it sees each message once), before it releases
 * them all at the end.
 */
export const DRY_RUN_VISIBILITY_SECONDS = 300;
/** Long poll of each receive: short, but it asks every SQS server, so an empty answer means an empty queue. */
const WAIT_SECONDS = 1;
/** Empty receives in a row after which the dead-letter queue is taken as empty. */
const EMPTY_RECEIVES = 2;
/** Receives in a row that bring only messages already seen (hidden time ran out) after which the run ends. */
const REPEAT_RECEIVES = 2;

/** The options of `cf-logs redrive`, as given on the command line. */
export interface RedriveCommandArgs {
  readonly dlq?: string;
  readonly queue?: string;
  readonly outputs?: string;
  readonly stack?: string;
  readonly max?: string;
  readonly dryRun?: boolean;
}

/** Where the command reads and writes; injectable so tests run it in-process against 127.0.0.1. */
export interface RedriveCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** `AWS_REGION`, `AWS_ENDPOINT_URL_SQS`, ... (the SDK reads the rest of its environment itself). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory the outputs file is resolved from. */
  readonly cwd: string;
  /** @default a client of the standard AWS SDK environment in the queue's region, `maxAttempts: 1` */
  readonly sqs?: (region: string | undefined) => SQSClient;
  /** Time of the retries. @default the system clock */
  readonly clock?: Clock;
  /** Aborted (Ctrl-C): the run stops after the batch in flight and releases what it holds. */
  readonly signal?: AbortSignal;
  readonly retry?: SqsRetryPolicy;
  /** For the retries' jitter. */
  readonly random?: () => number;
}

/** A wrong command line or missing setting: reported, exit 2. */
class UsageError extends Error {}

interface Setup {
  readonly dlq: string;
  readonly queue: string | undefined;
  readonly region: string | undefined;
  readonly max: number;
  readonly dryRun: boolean;
}

/** What a message names, for the lines the command prints. */
interface Described {
  readonly text: string;
  readonly objects: number;
  readonly s3Event: boolean;
}

/**
 * Runs `cf-logs redrive`.
 * @returns the exit code ({@link REDRIVE_EXIT}).
 */
export async function runRedriveCommand(args: RedriveCommandArgs, io: RedriveCommandIo): Promise<number> {
  const say = (line: string) => io.stderr.write(`cf-logs redrive: ${line}\n`);
  let setup: Setup;
  try {
    setup = resolveSetup(args, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof StackOutputsError) {
      say(error.message);
      return REDRIVE_EXIT.usage;
    }
    throw error;
  }
  const clients = new Map<string, SQSClient>();
  const clientFor = (url: string) => {
    const region = regionOfQueueUrl(url) ?? setup.region;
    const id = region ?? '';
    let client = clients.get(id);
    if (client === undefined) {
      client = io.sqs?.(region) ?? sqsClientFor(url, io.env, setup.region);
      clients.set(id, client);
    }
    return client;
  };
  const batchesFor = (url: string) =>
    new SqsBatches({
      client: clientFor(url),
      clock: io.clock ?? systemClock,
      ...(io.retry === undefined ? {} : { retry: io.retry }),
      ...(io.random === undefined ? {} : { random: io.random }),
    });
  const redrive = new Redrive(setup, {
    dlq: batchesFor(setup.dlq),
    queue: setup.queue === undefined ? undefined : batchesFor(setup.queue),
    stdout: io.stdout,
    say,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
  say(
    setup.dryRun
      ? `dry run: showing the messages of ${setup.dlq}; nothing moves`
      : `moving the messages of ${setup.dlq} to ${setup.queue}`,
  );
  const depth = await queueDepth(clientFor(setup.dlq), setup.dlq);
  if (typeof depth === 'string') say(`could not read the queue's attributes (${depth}); going on`);
  else say(`about ${depth.waiting} messages waiting, ${depth.inFlight} in flight (SQS's approximate counts)`);
  const ok = await redrive.run();
  io.stdout.write(redrive.summary());
  return ok ? REDRIVE_EXIT.ok : REDRIVE_EXIT.failed;
}

function resolveSetup(args: RedriveCommandArgs, io: RedriveCommandIo): Setup {
  let max = Number.POSITIVE_INFINITY;
  if (args.max !== undefined) {
    if (!/^[1-9]\d*$/.test(args.max))
      throw new UsageError(`--max ${args.max} is not a whole number of messages above 0`);
    max = Number(args.max);
  }
  const outputs = readStackOutputs({ outputs: args.outputs, stack: args.stack, cwd: io.cwd });
  const fromOutputs = outputs === undefined ? '' : ` (not in ${outputs.file})`;
  const how =
    `or run this where \`npx cdk deploy --outputs-file ${DEFAULT_OUTPUTS_FILE}\` wrote its file ` +
    '(or pass --outputs FILE)';
  const dlq = args.dlq ?? outputs?.values.DeadLetterQueueUrl;
  if (dlq === undefined) {
    throw new UsageError(
      `the dead-letter queue is unknown${fromOutputs}: pass --dlq URL (the stack output DeadLetterQueueUrl), ${how}`,
    );
  }
  const queue = args.queue ?? outputs?.values.QueueUrl;
  if (queue === undefined && !args.dryRun) {
    throw new UsageError(
      `the queue is unknown${fromOutputs}: pass --queue URL (the stack output QueueUrl), ${how}`,
    );
  }
  for (const [flag, url] of [
    ['--dlq', dlq],
    ['--queue', queue],
  ] as const) {
    if (url !== undefined && !isQueueUrl(url)) {
      throw new UsageError(
        `${flag} ${url} is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)`,
      );
    }
  }
  if (queue !== undefined && sameQueue(queue, dlq)) {
    throw new UsageError(
      `--queue and --dlq name the same queue (${dlq}): messages would go round in circles`,
    );
  }
  const region =
    outputs?.values.LogpushBucketRegion ?? (io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined);
  return { dlq, queue, region, max, dryRun: args.dryRun === true };
}

function sameQueue(a: string, b: string): boolean {
  return new URL(a).pathname.replace(/\/+$/, '') === new URL(b).pathname.replace(/\/+$/, '');
}

/** The queue's approximate counts, or why they could not be read. */
async function queueDepth(
  client: SQSClient,
  url: string,
): Promise<{ waiting: string; inFlight: string } | string> {
  try {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      waiting: Attributes?.ApproximateNumberOfMessages ?? '?',
      inFlight: Attributes?.ApproximateNumberOfMessagesNotVisible ?? '?',
    };
  } catch (error) {
    return explainAwsError(error);
  }
}

/** The objects a message's S3 event names, or why it is not one (such a message is moved all the same). */
export function describeMessage(body: string): Described {
  let refs: ObjectRef[];
  try {
    refs = objectsInS3Event(body);
  } catch (error) {
    return {
      text: `not an S3 event notification (${(error as Error).message}); it moves as it is`,
      objects: 0,
      s3Event: false,
    };
  }
  if (refs.length === 0)
    return { text: 'an S3 event naming no object (a test event)', objects: 0, s3Event: true };
  const text = refs
    .map(
      (ref) => `s3://${ref.bucket}/${ref.key}${ref.size === undefined ? '' : ` (${formatBytes(ref.size)})`}`,
    )
    .join(', ');
  return { text, objects: refs.length, s3Event: true };
}

/** Message attributes as they can be sent again: the list values SQS does not implement left out. */
function sendableAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (attributes === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
      },
    ]),
  );
}

interface RedriveDeps {
  readonly dlq: SqsBatches;
  readonly queue: SqsBatches | undefined;
  readonly stdout: Writable;
  readonly say: (line: string) => void;
  readonly signal?: AbortSignal;
}

const INTERRUPTED = 'interrupted (what this run holds was made visible again)';

/** What became of the messages a run saw, by message id. */
type Fate = 'moved' | 'shown' | 'not-sent' | 'not-deleted';

/** One run of the redrive loop. */
class Redrive {
  private readonly setup: Setup;
  private readonly deps: RedriveDeps;
  /** Every message seen, with its latest receipt handle. */
  private readonly seen = new Map<string, { fate: Fate; receiptHandle: string }>();
  private objects = 0;
  private notS3 = 0;
  private receives = 0;
  private ending = '';
  private failedCall = false;

  constructor(setup: Setup, deps: RedriveDeps) {
    this.setup = setup;
    this.deps = deps;
  }

  /** Receives until the dead-letter queue is empty, --max is reached or the run is interrupted. */
  async run(): Promise<boolean> {
    let empty = 0;
    let repeats = 0;
    try {
      while (this.seen.size < this.setup.max) {
        if (this.deps.signal?.aborted) {
          this.ending = INTERRUPTED;
          break;
        }
        const want = Math.min(SQS_BATCH_MAX, this.setup.max - this.seen.size);
        const visibility = this.setup.dryRun ? DRY_RUN_VISIBILITY_SECONDS : REDRIVE_VISIBILITY_SECONDS;
        this.receives++;
        const messages = await this.deps.dlq.receive(this.setup.dlq, want, visibility, WAIT_SECONDS);
        if (messages.length === 0) {
          if (++empty >= EMPTY_RECEIVES) break;
          continue;
        }
        empty = 0;
        const fresh = await this.sortOut(messages);
        if (fresh.length === 0) {
          // Only messages seen before: their hidden time ran out while this run went on. The rest are later's.
          if (++repeats >= REPEAT_RECEIVES) {
            this.ending = 'it saw only messages it had already handled';
            break;
          }
          continue;
        }
        repeats = 0;
        if (this.setup.dryRun) this.show(fresh);
        else if (!(await this.move(fresh))) break;
      }
      if (this.seen.size >= this.setup.max && this.ending === '')
        this.ending = `--max ${this.setup.max} reached`;
    } catch (error) {
      this.failedCall = true;
      this.deps.say(`receiving from ${this.setup.dlq} failed: ${explainAwsError(error)}`);
    }
    await this.release();
    const fates = [...this.seen.values()].map((s) => s.fate);
    return (
      !this.failedCall && this.ending !== INTERRUPTED && fates.every((f) => f === 'moved' || f === 'shown')
    );
  }

  /**
   * Splits a receive into messages not seen before and repeats. A repeat keeps its fate: its new receipt handle is
   * noted (to release it), and one sent but not deleted is deleted now, not sent twice.
   */
  private async sortOut(messages: readonly Message[]): Promise<Message[]> {
    const fresh: Message[] = [];
    const undeleted: { id: string; receiptHandle: string }[] = [];
    for (const message of messages) {
      const id = message.MessageId ?? '';
      const handle = message.ReceiptHandle ?? '';
      const known = this.seen.get(id);
      if (known === undefined) {
        fresh.push(message);
        continue;
      }
      known.receiptHandle = handle;
      if (known.fate === 'not-deleted') undeleted.push({ id, receiptHandle: handle });
    }
    if (undeleted.length > 0) {
      // A failure here is the delete's: it must not pass for a failed receive, nor lose the fresh messages.
      try {
        const outcome = await this.deps.dlq.delete(this.setup.dlq, undeleted);
        for (const id of outcome.succeeded) {
          this.seen.get(id)!.fate = 'moved';
          this.deps.say(`${id}: deleted from the dead-letter queue at the second try`);
        }
      } catch (error) {
        this.deps.say(
          `deleting ${undeleted.length} moved messages from ${this.setup.dlq} failed (${explainAwsError(error)}): ` +
            'a later run moves them again',
        );
      }
    }
    return fresh;
  }

  private show(messages: readonly Message[]): void {
    for (const message of messages) {
      const id = message.MessageId ?? '';
      this.seen.set(id, { fate: 'shown', receiptHandle: message.ReceiptHandle ?? '' });
      this.line('would move', message, this.describe(message));
    }
  }

  /**
   * Sends a batch to the queue and deletes from the dead-letter queue what the queue accepted.
   * @returns false when the queue could not be sent to at all: the run stops rather than churn through the rest.
   */
  private async move(messages: readonly Message[]): Promise<boolean> {
    const byId = new Map(messages.map((m) => [m.MessageId ?? '', m]));
    let sent: readonly string[] = [];
    let failed: readonly EntryFailure[] = [];
    try {
      const outcome = await this.deps.queue!.send(
        this.setup.queue!,
        [...byId].map(([id, m]) => {
          const attributes = sendableAttributes(m.MessageAttributes);
          return { id, body: m.Body ?? '', ...(attributes === undefined ? {} : { attributes }) };
        }),
      );
      sent = outcome.succeeded;
      failed = outcome.failed;
    } catch (error) {
      this.failedCall = true;
      const reason = explainAwsError(error);
      this.ending = `sending to ${this.setup.queue} failed: ${reason}`;
      failed = [...byId.keys()].map((id) => ({ id, code: reason, message: '', senderFault: false }));
    }
    for (const failure of failed) {
      const message = byId.get(failure.id)!;
      this.seen.set(failure.id, { fate: 'not-sent', receiptHandle: message.ReceiptHandle ?? '' });
      const why = `${failure.code}${failure.message ? ` (${failure.message})` : ''}`;
      this.line('NOT MOVED', message, this.describe(message), `: ${why}; left in the dead-letter queue`);
    }
    if (sent.length === 0) return this.ending === '';
    const deleted = new Set<string>();
    const notDeleted = new Map<string, string>();
    try {
      const outcome = await this.deps.dlq.delete(
        this.setup.dlq,
        sent.map((id) => ({ id, receiptHandle: byId.get(id)!.ReceiptHandle ?? '' })),
      );
      for (const id of outcome.succeeded) deleted.add(id);
      for (const failure of outcome.failed) notDeleted.set(failure.id, failure.code);
    } catch (error) {
      for (const id of sent) notDeleted.set(id, explainAwsError(error));
    }
    for (const id of sent) {
      const message = byId.get(id)!;
      const described = this.describe(message);
      if (deleted.has(id)) {
        this.seen.set(id, { fate: 'moved', receiptHandle: message.ReceiptHandle ?? '' });
        this.line('moved', message, described);
        continue;
      }
      this.seen.set(id, { fate: 'not-deleted', receiptHandle: message.ReceiptHandle ?? '' });
      this.line(
        'moved',
        message,
        described,
        `, but not deleted from the dead-letter queue (${notDeleted.get(id) ?? 'no answer'}): a later run moves ` +
          'it again (the pipeline gives its events the same ids)',
      );
    }
    return true;
  }

  /** What a message names; counted when it went to the queue (or would, in a dry run). */
  private describe(message: Message): Described {
    return describeMessage(message.Body ?? '');
  }

  private line(verb: string, message: Message, described: Described, tail = ''): void {
    if (this.seen.get(message.MessageId ?? '')?.fate !== 'not-sent') {
      this.objects += described.objects;
      if (!described.s3Event) this.notS3++;
    }
    const count = message.Attributes?.ApproximateReceiveCount;
    const received = count === undefined ? '' : ` (receive count ${count})`;
    this.deps.stdout.write(`${verb} ${message.MessageId}${received}: ${described.text}${tail}\n`);
  }

  /** Makes the messages this run holds and did not move visible again at once. */
  private async release(): Promise<void> {
    const held = [...this.seen]
      .filter(([, s]) => s.fate !== 'moved')
      .map(([id, s]) => ({ id, receiptHandle: s.receiptHandle }));
    for (let i = 0; i < held.length; i += SQS_BATCH_MAX) {
      const batch = held.slice(i, i + SQS_BATCH_MAX);
      try {
        const outcome = await this.deps.dlq.changeVisibility(this.setup.dlq, batch, 0);
        for (const failure of outcome.failed) {
          // Its hidden time ran out while the run went on (a long run, or a slow one): it is visible already.
          if (/MessageNotInflight/.test(failure.code)) continue;
          this.failedCall = true;
          this.deps.say(
            `${failure.id}: could not be made visible again (${failure.code}); it is back in the dead-letter ` +
              `queue after ${this.setup.dryRun ? DRY_RUN_VISIBILITY_SECONDS : REDRIVE_VISIBILITY_SECONDS} s`,
          );
        }
      } catch (error) {
        this.failedCall = true;
        this.deps.say(
          `releasing ${batch.length} messages failed (${explainAwsError(error)}): they are back later`,
        );
      }
    }
  }

  summary(): string {
    const count = (fate: Fate) => [...this.seen.values()].filter((s) => s.fate === fate).length;
    const notS3 = this.notS3 > 0 ? `; ${this.notS3} not S3 events (moved as they are)` : '';
    const ending = this.ending === '' ? '' : ` Stopped: ${this.ending}.`;
    if (this.setup.dryRun) {
      return (
        `Dry run: ${count('shown')} messages would move (${this.objects} objects) from ${this.setup.dlq}` +
        `${this.setup.queue === undefined ? '' : ` to ${this.setup.queue}`}${notS3}; all made visible again, ` +
        `nothing moved; ${this.receives} receives.${ending}\n`
      );
    }
    return (
      `Redrive from ${this.setup.dlq} to ${this.setup.queue}: ${count('moved')} messages moved ` +
      `(${this.objects} objects sent)${notS3}; ${count('not-sent')} not moved (left in the dead-letter queue), ` +
      `${count('not-deleted')} moved but not deleted; ${this.receives} receives.${ending}\n`
    );
  }
}
