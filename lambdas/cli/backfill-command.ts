/**
 * `cf-logs backfill --from DATE --to DATE [--dataset NAME]... [--bucket NAME] [--queue URL] ...`: sends the
 * Logpush objects of a range of days through the stack's queue again, one S3 event notification per object, so
 * the normalize Lambda processes them as it processes new ones (same mappers, quarantine, retries, dead-letter
 * queue). Objects are found by listing the day folders of the range (`backfill-plan.ts`), counted first (the dry
 * run stops there), then listed again and sent in S3 key order, so `--start-after KEY` resumes a run exactly.
 */
import type { Writable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  type OutgoingMessage,
  SqsBatches,
  SqsCallError,
  type SqsRetryPolicy,
} from '../adapters/sqs-batches.ts';
import type { SkipReason } from '../core/object-key.ts';
import { type DatasetName, isDatasetName } from '../datasets/catalog.ts';
import { parseDestination } from '../logpush/jobs.ts';
import { type Clock, systemClock } from '../ports.ts';
import { DEFAULT_LOGPUSH_PREFIX } from '../settings.ts';
import {
  CLI_REQUEST_HANDLER,
  explainAwsError,
  isQueueUrl,
  regionOfQueueUrl,
  sqsClientFor,
} from './aws-setup.ts';
import {
  BackfillRangeError,
  backfillSkipReason,
  compareKeys,
  type DayFolder,
  type DayFolderPlan,
  dayFolders,
  type KeyLister,
  type ListedObject,
  parseDayRange,
  planDayFolder,
  showDay,
  startAfterIn,
} from './backfill-plan.ts';
import {
  formatBytes,
  formatDuration,
  formatProgressBar,
  formatProgressLine,
  ProgressReporter,
} from './progress.ts';
import { batchSizeFor, createRateLimiter } from './rate-limiter.ts';
import { s3EventNotification } from './s3-event-notification.ts';
import { S3KeyLister } from './s3-key-lister.ts';
import { DEFAULT_OUTPUTS_FILE, readStackOutputs, StackOutputsError } from './stack-outputs.ts';

/** Exit codes of `cf-logs backfill`. */
export const BACKFILL_EXIT = {
  /** Every object was sent (or, with --dry-run, listed). */
  ok: 0,
  /** Some objects could not be sent, the listing failed, or the run was interrupted: the resume key is printed. */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
} as const;

/**
 * Objects a second unless `--rate` says otherwise: about what the normalize function works through at its default
 * concurrency (10) with objects of a few MB, so objects Logpush writes meanwhile do not wait behind the backfill
 * and Firehose stays within its default quota.
 */
export const DEFAULT_BACKFILL_RATE = 5;

/** The options of `cf-logs backfill`, as given on the command line. */
export interface BackfillCommandArgs {
  readonly from?: string;
  readonly to?: string;
  readonly dataset?: readonly string[];
  readonly bucket?: string;
  readonly queue?: string;
  readonly prefix?: string;
  readonly outputs?: string;
  readonly stack?: string;
  readonly rate?: string;
  readonly dryRun?: boolean;
  readonly startAfter?: string;
}

/** Where the command reads and writes; injectable so tests run it in-process against 127.0.0.1. */
export interface BackfillCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** `AWS_REGION`, `AWS_ENDPOINT_URL_SQS`, ... (the SDK reads the rest of its environment itself). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory the outputs file is resolved from. */
  readonly cwd: string;
  /** @default a client of the standard AWS SDK environment in the bucket's region */
  readonly s3?: (region: string | undefined) => S3Client;
  /** @default a client of the standard AWS SDK environment in the queue's region, `maxAttempts: 1` */
  readonly sqs?: (region: string | undefined) => SQSClient;
  /** Time of the rate limit, the retries and the progress. @default the system clock */
  readonly clock?: Clock;
  /** Draw a progress bar (a terminal) rather than plain lines. @default whether standard error is a TTY */
  readonly tty?: boolean;
  readonly columns?: number;
  /** Aborted (Ctrl-C): the run stops after the batch in flight and prints where to resume. */
  readonly signal?: AbortSignal;
  readonly retry?: SqsRetryPolicy;
  /** For the retries' jitter. */
  readonly random?: () => number;
}

/** A wrong command line or missing setting: reported, exit 2. */
class UsageError extends Error {}

/** The command line, checked and completed from the outputs file. */
interface Setup {
  readonly from: string;
  readonly to: string;
  readonly datasets: readonly DatasetName[];
  readonly bucket: string;
  readonly region: string | undefined;
  readonly queue: string | undefined;
  readonly prefix: string;
  readonly rate: number;
  readonly dryRun: boolean;
  readonly startAfter: string | undefined;
}

/** A key prefix as the stack accepts it (no `*`, no leading or trailing slash). */
const PREFIX = /^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Keys of failures listed one by one; past that, a count (the resume key covers them all). */
const LISTED_FAILURES = 20;

/**
 * Runs `cf-logs backfill`.
 * @returns the exit code ({@link BACKFILL_EXIT}).
 */
export async function runBackfillCommand(args: BackfillCommandArgs, io: BackfillCommandIo): Promise<number> {
  const say = (line: string) => io.stderr.write(`cf-logs backfill: ${line}\n`);
  let setup: Setup;
  try {
    setup = resolveSetup(args, io);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof StackOutputsError ||
      error instanceof BackfillRangeError
    ) {
      say(error.message);
      return BACKFILL_EXIT.usage;
    }
    throw error;
  }
  const clock = io.clock ?? systemClock;
  const s3 =
    io.s3?.(setup.region) ??
    new S3Client({
      requestHandler: CLI_REQUEST_HANDLER,
      // A --bucket in another region than the environment's is listed all the same.
      followRegionRedirects: true,
      ...(setup.region === undefined ? {} : { region: setup.region }),
    });
  let listCalls = 0;
  const lister = new S3KeyLister(s3, setup.bucket, () => listCalls++);
  const progress = new ProgressReporter({
    stream: io.stderr,
    tty: io.tty ?? (io.stderr as { isTTY?: boolean }).isTTY === true,
    columns: io.columns ?? (io.stderr as { columns?: number }).columns ?? 80,
    now: () => clock.now().getTime(),
    label: 'cf-logs backfill: ',
  });
  const range = `${showDay(setup.from)} to ${showDay(setup.to)}`;
  const where = `s3://${setup.bucket}/${setup.prefix}/`;
  say(
    `${where} from ${range} (UTC days), ${setup.datasets.length > 0 ? setup.datasets.join(', ') : 'every dataset'}` +
      `${setup.startAfter === undefined ? '' : `, after ${setup.startAfter}`}` +
      `${setup.dryRun ? ': dry run, nothing is sent' : ` to ${setup.queue}, ${setup.rate === 0 ? 'no rate limit' : `${setup.rate} objects/s`}`}`,
  );

  // Counting first gives the total for the progress and the dry run, and sends nothing before the listing works.
  let plans: DayFolderPlan[];
  let region: string;
  try {
    // The events name the bucket's region; without one given, the one the SDK resolved for the listing.
    region = setup.region ?? (await s3.config.region());
    plans = await planRange(lister, setup, progress, clock, io.signal);
  } catch (error) {
    progress.finish();
    if (error instanceof Interrupted) {
      say(`interrupted while listing ${where}: nothing was sent`);
    } else {
      say(`listing ${where} failed after ${listCalls} calls: ${explainAwsError(error)}`);
    }
    return BACKFILL_EXIT.failed;
  }
  progress.finish();
  if (setup.dryRun) {
    io.stdout.write(dryRunReport(plans, setup, listCalls));
    return BACKFILL_EXIT.ok;
  }
  const total = plans.reduce((n, p) => n + p.objects, 0);
  if (total === 0) {
    io.stdout.write(`Nothing to send: no Logpush objects in ${where} from ${range}${skippedNote(plans)}.\n`);
    return BACKFILL_EXIT.ok;
  }
  const sqsRegion = regionOfQueueUrl(setup.queue!) ?? region;
  const sqs = io.sqs?.(sqsRegion) ?? sqsClientFor(setup.queue!, io.env, region);
  const sender = new Sender(setup, plans, region, {
    batches: new SqsBatches({
      client: sqs,
      clock,
      ...(io.retry === undefined ? {} : { retry: io.retry }),
      ...(io.random === undefined ? {} : { random: io.random }),
    }),
    lister,
    clock,
    progress,
    say: (line) => progress.log(`cf-logs backfill: ${line}`),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
  const result = await sender.run();
  progress.finish();
  io.stdout.write(sender.summary(listCalls));
  for (const line of sender.closing(result)) say(line);
  return result === 'done' && sender.failures.length === 0 ? BACKFILL_EXIT.ok : BACKFILL_EXIT.failed;
}

function resolveSetup(args: BackfillCommandArgs, io: BackfillCommandIo): Setup {
  const { from, to } = parseDayRange(args.from, args.to);
  const datasets: DatasetName[] = [];
  for (const name of args.dataset ?? []) {
    if (!isDatasetName(name))
      throw new UsageError(`--dataset ${name} is not a Logpush dataset this project knows`);
    if (!datasets.includes(name)) datasets.push(name);
  }
  const rate = args.rate === undefined ? DEFAULT_BACKFILL_RATE : Number(args.rate);
  if (args.rate !== undefined && (!/^\d+(\.\d+)?$/.test(args.rate) || !Number.isFinite(rate))) {
    throw new UsageError(`--rate ${args.rate} is not a number of objects per second (0 for no limit)`);
  }
  const outputs = readStackOutputs({ outputs: args.outputs, stack: args.stack, cwd: io.cwd });
  const template = outputs?.values.LogpushDestinationConfTemplate;
  const destination = template === undefined ? undefined : parseDestination(template);
  const prefix = (args.prefix ?? prefixOfTemplate(destination?.path) ?? DEFAULT_LOGPUSH_PREFIX).replace(
    /^\/+|\/+$/g,
    '',
  );
  if (!PREFIX.test(prefix))
    throw new UsageError(`--prefix ${prefix} is not a key prefix (letters, digits, !_.'()- and /)`);
  const fromOutputs = outputs === undefined ? '' : ` (not in ${outputs.file})`;
  const bucket = args.bucket ?? outputs?.values.LogpushBucketName;
  if (bucket === undefined) {
    throw new UsageError(
      `the Logpush bucket is unknown${fromOutputs}: pass --bucket NAME (the stack output LogpushBucketName), or ` +
        `deploy with \`npx cdk deploy --outputs-file ${DEFAULT_OUTPUTS_FILE}\` and run this from the same directory ` +
        '(or pass --outputs FILE)',
    );
  }
  if (!BUCKET.test(bucket)) throw new UsageError(`--bucket ${bucket} is not an S3 bucket name`);
  const queue = args.queue ?? outputs?.values.QueueUrl;
  if (queue === undefined && !args.dryRun) {
    throw new UsageError(
      `the queue is unknown${fromOutputs}: pass --queue URL (the stack output QueueUrl), or run this where ` +
        `\`npx cdk deploy --outputs-file ${DEFAULT_OUTPUTS_FILE}\` wrote its file (or pass --outputs FILE)`,
    );
  }
  if (queue !== undefined && !isQueueUrl(queue)) {
    throw new UsageError(
      `--queue ${queue} is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)`,
    );
  }
  // The stack's region is the bucket's only when the bucket is the stack's.
  const stackBucket = args.bucket === undefined || args.bucket === outputs?.values.LogpushBucketName;
  const region =
    (stackBucket ? (outputs?.values.LogpushBucketRegion ?? destination?.params.region) : undefined) ??
    (io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined);
  const startAfter = args.startAfter;
  if (startAfter !== undefined && !startAfter.startsWith(`${prefix}/`)) {
    throw new UsageError(
      `--start-after ${startAfter} is not a key under ${prefix}/: give the key a previous run printed`,
    );
  }
  return {
    from,
    to,
    datasets,
    bucket,
    region,
    queue,
    prefix,
    rate,
    dryRun: args.dryRun === true,
    startAfter,
  };
}

/** The prefix in the stack's `destination_conf` template path `<prefix>/<dataset>/<account-or-zone-id>/{DATE}`. */
function prefixOfTemplate(path: string | undefined): string | undefined {
  const match = path === undefined ? null : /^(.+)\/[^/]+\/[^/]+\/\{DATE\}$/.exec(path);
  return match?.[1];
}

/** The run was interrupted (Ctrl-C) while listing. */
class Interrupted extends Error {}

/** Lists and counts every day folder of the range. */
async function planRange(
  lister: KeyLister,
  setup: Setup,
  progress: ProgressReporter,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<DayFolderPlan[]> {
  const plans: DayFolderPlan[] = [];
  const started = clock.now().getTime();
  let objects = 0;
  let bytes = 0;
  const view = (folder: string) => {
    const text = () =>
      `listing: ${plans.length} day folders, ${objects} objects, ${formatBytes(bytes)} (${formatDuration((clock.now().getTime() - started) / 1000)}) ${folder}`;
    return { bar: (columns: number) => text().slice(0, Math.max(0, columns - 1)), line: text };
  };
  for await (const folder of dayFolders(lister, {
    prefix: setup.prefix,
    from: setup.from,
    to: setup.to,
    datasets: setup.datasets,
    ...(setup.startAfter === undefined ? {} : { startAfter: setup.startAfter }),
  })) {
    if (signal?.aborted) throw new Interrupted();
    progress.show(view(folder.prefix));
    const plan = await planDayFolder(lister, folder, setup.startAfter);
    plans.push(plan);
    objects += plan.objects;
    bytes += plan.bytes;
  }
  return plans;
}

function skippedNote(plans: readonly DayFolderPlan[]): string {
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const plan of plans) {
    for (const [reason, n] of Object.entries(plan.skipped) as [SkipReason, number][]) {
      skipped[reason] = (skipped[reason] ?? 0) + n;
    }
  }
  const order: readonly SkipReason[] = [
    'ownership-challenge',
    'test-object',
    'not-a-logpush-object',
    'empty-object',
  ];
  const entries = order
    .filter((reason) => skipped[reason] !== undefined)
    .map((r) => [r, skipped[r]] as const);
  if (entries.length === 0) return '';
  const count = entries.reduce((n, [, k]) => n + (k ?? 0), 0);
  return `; ${count} other objects passed over (${entries.map(([r, n]) => `${r} ${n}`).join(', ')}), as the normalize function would`;
}

/** What a dry run prints: per dataset and day, objects, bytes, first and last key; then totals. */
function dryRunReport(plans: readonly DayFolderPlan[], setup: Setup, listCalls: number): string {
  const rows = new Map<
    string,
    {
      dataset: string;
      day: string;
      ids: number;
      objects: number;
      bytes: number;
      first?: string;
      last?: string;
    }
  >();
  for (const plan of plans) {
    if (plan.objects === 0) continue;
    const id = `${plan.dataset} ${plan.day}`;
    const row = rows.get(id) ?? { dataset: plan.dataset, day: plan.day, ids: 0, objects: 0, bytes: 0 };
    row.ids++;
    row.objects += plan.objects;
    row.bytes += plan.bytes;
    if (row.first === undefined || compareKeys(plan.firstKey!, row.first) < 0) row.first = plan.firstKey;
    if (row.last === undefined || compareKeys(plan.lastKey!, row.last) > 0) row.last = plan.lastKey;
    rows.set(id, row);
  }
  const sorted = [...rows.values()].sort(
    (a, b) => compareKeys(a.dataset, b.dataset) || compareKeys(a.day, b.day),
  );
  const lines: string[] = [];
  lines.push(`Would send (dry run: nothing sent) from s3://${setup.bucket}/${setup.prefix}/:`);
  const width = Math.max(7, ...sorted.map((r) => r.dataset.length));
  for (const row of sorted) {
    lines.push(
      `  ${row.dataset.padEnd(width)}  ${showDay(row.day)}  ${String(row.objects).padStart(7)} objects  ` +
        `${formatBytes(row.bytes).padStart(10)}  (${row.ids} ${row.ids === 1 ? 'zone or account' : 'zones or accounts'})`,
      `      first ${row.first}`,
      `      last  ${row.last}`,
    );
  }
  const perDataset = new Map<string, { objects: number; bytes: number }>();
  for (const row of sorted) {
    const d = perDataset.get(row.dataset) ?? { objects: 0, bytes: 0 };
    d.objects += row.objects;
    d.bytes += row.bytes;
    perDataset.set(row.dataset, d);
  }
  for (const [dataset, d] of perDataset) {
    lines.push(
      `  ${dataset.padEnd(width)}  total       ${String(d.objects).padStart(7)} objects  ${formatBytes(d.bytes).padStart(10)}`,
    );
  }
  const objects = sorted.reduce((n, r) => n + r.objects, 0);
  const bytes = sorted.reduce((n, r) => n + r.bytes, 0);
  const withObjects = plans.filter((p) => p.objects > 0);
  lines.push(
    `${objects} objects, ${formatBytes(bytes)} in ${withObjects.length} day folders` +
      `${skippedNote(plans)}; ${listCalls} ListObjectsV2 calls.`,
  );
  if (objects > 0) {
    lines.push(
      `First key: ${withObjects[0]!.firstKey}`,
      `Last key:  ${withObjects[withObjects.length - 1]!.lastKey}`,
    );
    if (setup.rate > 0) {
      lines.push(`At ${setup.rate} objects/s sending takes about ${formatDuration(objects / setup.rate)}.`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Tallies of one dataset. */
interface DatasetTally {
  sent: number;
  sentBytes: number;
  failed: number;
}

/** How a send run ended. */
type RunEnd = 'done' | 'interrupted' | 'stopped';

/** An object that never got into the queue. */
interface SendFailure {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

interface SenderDeps {
  readonly batches: SqsBatches;
  readonly lister: KeyLister;
  readonly clock: Clock;
  readonly progress: ProgressReporter;
  readonly say: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** The sending pass: lists each planned day folder again and sends its objects, paced, in key order. */
class Sender {
  readonly failures: SendFailure[] = [];
  private readonly setup: Setup;
  private readonly plans: readonly DayFolderPlan[];
  private readonly region: string;
  private readonly deps: SenderDeps;
  private readonly tallies = new Map<DatasetName, DatasetTally>();
  private readonly limiter;
  private readonly batchSize: number;
  private total: number;
  private totalBytes: number;
  private sent = 0;
  private sentBytes = 0;
  private calls = 0;
  private retried = 0;
  private started = 0;
  private lastSent: string | undefined;
  /** Every key up to this one (in key order) is in the queue: the safe `--start-after`. */
  private resumeAfter: string | undefined;
  /** A key failed: the resume point stays before it. */
  private gap = false;
  private stopReason = '';
  /** Objects listed and not sent yet: at most one batch. */
  private pending: (ListedObject & { readonly dataset: DatasetName })[] = [];
  /** Settles when the run is interrupted (never without a signal). */
  private readonly aborted: Promise<void>;

  constructor(setup: Setup, plans: readonly DayFolderPlan[], region: string, deps: SenderDeps) {
    this.setup = setup;
    this.plans = plans;
    this.region = region;
    this.deps = deps;
    this.limiter = createRateLimiter(setup.rate, deps.clock);
    this.batchSize = batchSizeFor(setup.rate);
    this.total = plans.reduce((n, p) => n + p.objects, 0);
    this.totalBytes = plans.reduce((n, p) => n + p.bytes, 0);
    this.resumeAfter = setup.startAfter;
    const signal = deps.signal;
    this.aborted = new Promise((resolve) => {
      if (signal?.aborted) resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  async run(): Promise<RunEnd> {
    this.started = this.deps.clock.now().getTime();
    this.show(true);
    for (const plan of this.plans) {
      if (plan.objects === 0) continue;
      const end = await this.sendFolder(plan);
      if (end !== 'done') return end;
    }
    const end = await this.flush();
    this.show(true);
    return end;
  }

  /** Lists a day folder again and sends its objects; batches run on across folders, in key order. */
  private async sendFolder(folder: DayFolder): Promise<RunEnd> {
    try {
      const startAfter = startAfterIn(folder.prefix, this.setup.startAfter);
      for await (const page of this.deps.lister.objects(folder.prefix, startAfter)) {
        for (const object of page) {
          if (backfillSkipReason(object) !== undefined) continue;
          this.pending.push({ ...object, dataset: folder.dataset });
          if (this.pending.length < this.batchSize) continue;
          const end = await this.flush();
          if (end !== 'done') return end;
        }
      }
    } catch (error) {
      this.stopReason = `listing ${folder.prefix} failed: ${explainAwsError(error)}`;
      return 'stopped';
    }
    return 'done';
  }

  /** Sends the objects waiting, as one batch. */
  private async flush(): Promise<RunEnd> {
    if (this.pending.length === 0) return 'done';
    const objects = this.pending;
    this.pending = [];
    if (this.deps.signal?.aborted) return 'interrupted';
    // Ctrl-C during a long wait of a slow rate stops at once, and the batch waiting is not sent.
    await Promise.race([this.limiter.acquire(objects.length), this.aborted]);
    if (this.deps.signal?.aborted) return 'interrupted';
    const time = this.deps.clock.now();
    const messages: OutgoingMessage[] = objects.map((object, index) => ({
      id: String(index),
      body: s3EventNotification(
        {
          bucket: this.setup.bucket,
          key: object.key,
          size: object.size,
          ...(object.eTag === undefined ? {} : { eTag: object.eTag }),
        },
        { region: this.region, time },
      ),
    }));
    let outcome: Awaited<ReturnType<SqsBatches['send']>>;
    try {
      outcome = await this.deps.batches.send(this.setup.queue!, messages);
    } catch (error) {
      this.stopReason = `sending to ${this.setup.queue} failed: ${error instanceof SqsCallError ? explainAwsError(error) : String(error)}`;
      return 'stopped';
    }
    this.calls += outcome.calls;
    this.retried += outcome.retried;
    const failed = new Map(outcome.failed.map((f) => [f.id, f]));
    objects.forEach((object, index) => {
      const tally = this.tallies.get(object.dataset) ?? { sent: 0, sentBytes: 0, failed: 0 };
      this.tallies.set(object.dataset, tally);
      const failure = failed.get(String(index));
      if (failure) {
        tally.failed++;
        this.failures.push({ key: object.key, code: failure.code, message: failure.message });
        this.deps.say(
          `not sent: ${object.key}: ${failure.code}${failure.message ? ` (${failure.message})` : ''}`,
        );
        this.gap = true;
        return;
      }
      tally.sent++;
      tally.sentBytes += object.size;
      this.sent++;
      this.sentBytes += object.size;
      this.lastSent = object.key;
      if (!this.gap) this.resumeAfter = object.key;
    });
    this.show(false);
    return 'done';
  }

  private show(force: boolean): void {
    // Objects written after the plan was made are sent too: the total grows with them.
    this.total = Math.max(this.total, this.sent + this.failures.length);
    this.totalBytes = Math.max(this.totalBytes, this.sentBytes);
    const counts = {
      done: this.sent,
      failed: this.failures.length,
      total: this.total,
      bytes: this.sentBytes,
      totalBytes: this.totalBytes,
      elapsedMs: this.deps.clock.now().getTime() - this.started,
    };
    this.deps.progress.show(
      { bar: (columns) => formatProgressBar(counts, columns), line: () => formatProgressLine(counts) },
      force,
    );
  }

  /** The final summary: per dataset, then totals. */
  summary(listCalls: number): string {
    const lines = [
      `Backfill of s3://${this.setup.bucket}/${this.setup.prefix}/ from ${showDay(this.setup.from)} to ${showDay(this.setup.to)}:`,
    ];
    for (const [dataset, tally] of [...this.tallies].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(
        `  ${dataset}: ${tally.sent} objects sent (${formatBytes(tally.sentBytes)})${tally.failed > 0 ? `, ${tally.failed} not sent` : ''}`,
      );
    }
    const seconds = (this.deps.clock.now().getTime() - this.started) / 1000;
    lines.push(
      `${this.sent} of ${this.total} objects sent (${formatBytes(this.sentBytes)}), ${this.failures.length} not sent` +
        `${skippedNote(this.plans)}; ${this.calls} SendMessageBatch calls, ${this.retried} entries retried, ` +
        `${listCalls} ListObjectsV2 calls (${formatDuration(seconds)})`,
    );
    return `${lines.join('\n')}\n`;
  }

  /** What to do next, on standard error: the failures and where to resume. */
  closing(end: RunEnd): string[] {
    const lines: string[] = [];
    if (end === 'interrupted') lines.push(`interrupted after ${this.sent} of ${this.total} objects`);
    if (end === 'stopped')
      lines.push(`stopped after ${this.sent} of ${this.total} objects: ${this.stopReason}`);
    if (this.failures.length > 0) {
      lines.push(`${this.failures.length} objects were not sent:`);
      for (const failure of this.failures.slice(0, LISTED_FAILURES))
        lines.push(`  ${failure.key} (${failure.code})`);
      if (this.failures.length > LISTED_FAILURES)
        lines.push(`  and ${this.failures.length - LISTED_FAILURES} more`);
    }
    if (end !== 'done' || this.failures.length > 0) {
      if (this.lastSent !== undefined) lines.push(`last key sent: ${this.lastSent}`);
      lines.push(
        this.resumeAfter === undefined
          ? 'to resume, run the same command again (nothing before the first object was sent)'
          : `to resume, run the same command with --start-after ${this.resumeAfter}` +
              (this.gap
                ? ' (objects sent after the first failure are sent again: the pipeline gives them the same event ids)'
                : ''),
      );
    }
    return lines;
  }
}
