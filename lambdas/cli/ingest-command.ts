/**
 * `cf-logs ingest s3://BUCKET/KEY ... --stream NAME [--quarantine s3://BUCKET/PREFIX] [--dataset NAME]`: the
 * normalize Lambda's path ({@link createObjectIngester}) on objects named on the command line, with the standard
 * AWS SDK environment (region, credential chain, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_FIREHOSE`).
 */
import type { Writable } from 'node:stream';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { DeliveryError } from '../core/errors.ts';
import type { ObjectSummary } from '../core/pipeline.ts';
import { type DatasetName, isDatasetName } from '../datasets/catalog.ts';
import { createObjectIngester } from '../ingest/object-ingester.ts';
import { type Clock, type ObjectRef, type RecordSink, systemClock } from '../ports.ts';
import { DEFAULT_LOGPUSH_PREFIX } from '../settings.ts';
import { inputLinePrefix, StderrQuarantine } from './stderr-quarantine.ts';

/** Exit codes of `cf-logs ingest`. */
export const INGEST_EXIT = {
  /** Every record of every object was delivered or quarantined (or the object was skipped, with its reason). */
  ok: 0,
  /** An object failed: some of its records may not have been delivered (said per object). */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
} as const;

/** The options of `cf-logs ingest`, as given on the command line. */
export interface IngestCommandArgs {
  readonly objects: readonly string[];
  readonly stream?: string;
  readonly quarantine?: string;
  readonly dataset?: string;
  /** Key prefix the dataset is read after. @default 'logpush' */
  readonly prefix?: string;
}

/** Where the command writes; the clients are injectable for in-process tests. */
export interface IngestCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** @default a client of the standard AWS SDK environment */
  readonly s3?: S3Client;
  /** @default a client of the standard AWS SDK environment, `maxAttempts: 1` (the pipeline retries) */
  readonly firehose?: FirehoseClient;
  readonly clock?: Clock;
}

// As the Lambda's clients: without a socket timeout a stalled connection would hang the command.
const REQUEST_HANDLER = { connectionTimeout: 3_000, socketTimeout: 30_000 };

/** `s3://<bucket>/<rest>`, the bucket named as S3 allows. */
const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/;

/** Parses `s3://bucket/key`; the key may hold any character after the bucket's slash. */
function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const match = S3_URL.exec(url);
  return match?.[2] ? { bucket: match[1]!, key: match[2] } : undefined;
}

/** Counts what Firehose accepted, so a failed object can say how much of it was delivered. */
class CountingSink implements RecordSink {
  readonly inner: RecordSink;
  events = 0;
  constructor(inner: RecordSink) {
    this.inner = inner;
  }
  async putRecords(records: readonly Uint8Array[]) {
    const result = await this.inner.putRecords(records);
    const failed = new Set(result.failed.map((f) => f.index));
    records.forEach((record, index) => {
      if (failed.has(index)) return;
      // A packed record holds newline-terminated events.
      for (let i = record.indexOf(10); i !== -1; i = record.indexOf(10, i + 1)) this.events++;
    });
    return result;
  }
}

/**
 * Runs `cf-logs ingest`.
 * @returns the exit code ({@link INGEST_EXIT}).
 */
export async function runIngestCommand(args: IngestCommandArgs, io: IngestCommandIo): Promise<number> {
  const { stderr } = io;
  const say = (line: string) => stderr.write(`cf-logs ingest: ${line}\n`);
  const usage = (message: string) => {
    say(message);
    return INGEST_EXIT.usage;
  };
  if (args.objects.length === 0) return usage('name at least one object: s3://BUCKET/KEY');
  const refs: ObjectRef[] = [];
  for (const url of args.objects) {
    const parsed = parseS3Url(url);
    if (!parsed) return usage(`${url} is not s3://BUCKET/KEY`);
    refs.push(parsed);
  }
  if (args.stream === undefined || args.stream === '') {
    return usage('--stream is required: the Firehose delivery stream (stack output DeliveryStreamName)');
  }
  if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(args.stream)) {
    return usage(`--stream ${args.stream} is not a Firehose delivery stream name`);
  }
  if (args.dataset !== undefined && !isDatasetName(args.dataset)) {
    return usage(`--dataset ${args.dataset} is not a Logpush dataset this project knows`);
  }
  let quarantine: { bucket: string; prefix: string } | undefined;
  if (args.quarantine !== undefined) {
    const parsed = parseS3Url(args.quarantine);
    const prefix = parsed?.key.replace(/\/+$/, '');
    if (!parsed || !prefix) {
      return usage(`--quarantine ${args.quarantine} is not s3://BUCKET/PREFIX (a prefix is needed)`);
    }
    quarantine = { bucket: parsed.bucket, prefix };
  }

  const clock = io.clock ?? systemClock;
  const s3 = io.s3 ?? new S3Client({ requestHandler: REQUEST_HANDLER });
  const firehose = io.firehose ?? new FirehoseClient({ maxAttempts: 1, requestHandler: REQUEST_HANDLER });
  let counter: CountingSink | undefined;
  let current = '';
  const ingest = createObjectIngester({
    s3,
    firehose,
    deliveryStream: args.stream,
    quarantine:
      quarantine ?? (() => new StderrQuarantine(stderr, inputLinePrefix('cf-logs ingest', current))),
    clock,
    logpushPrefix: args.prefix ?? DEFAULT_LOGPUSH_PREFIX,
    ...(args.dataset === undefined ? {} : { dataset: args.dataset as DatasetName }),
    onResume: (ref, offset) => say(`s3://${ref.bucket}/${ref.key}: stream broke, resumed at byte ${offset}`),
    wrapSink: (sink) => {
      counter = new CountingSink(sink);
      return counter;
    },
  });

  const totals = {
    processed: 0,
    skipped: 0,
    failed: 0,
    lines: 0,
    blank: 0,
    events: 0,
    quarantined: 0,
    calls: 0,
    retried: 0,
  };
  for (const ref of refs) {
    current = `s3://${ref.bucket}/${ref.key}`;
    const before = counter?.events ?? 0;
    const started = Date.now();
    let summary: ObjectSummary;
    try {
      summary = await ingest(ref);
    } catch (error) {
      totals.failed++;
      const delivered = (counter?.events ?? 0) - before;
      totals.events += delivered;
      const undelivered =
        error instanceof DeliveryError ? ` (${error.undelivered} packed records undelivered)` : '';
      say(
        `${current}: FAILED: ${explain(error)}${undelivered}. ${delivered} events were delivered before it failed; ` +
          'the rest of the object was not. Run it again: the same lines give the same event ids, and the ' +
          "lake's queries count each id once.",
      );
      continue;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (summary.outcome === 'skipped') {
      totals.skipped++;
      const hint = summary.skipReason === 'not-a-logpush-object' ? ' (Logpush objects end in .log.gz)' : '';
      say(`${current}: skipped: ${summary.skipReason}${hint}`);
      continue;
    }
    totals.processed++;
    totals.lines += summary.lines;
    totals.blank += summary.blankLines;
    totals.events += summary.events;
    totals.quarantined += summary.quarantined;
    totals.calls += summary.delivery.calls;
    totals.retried += summary.delivery.retriedRecords;
    const datasets = Object.entries(summary.eventsByDataset)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ');
    say(
      `${current}: ${summary.lines} lines, ${summary.events} events delivered${datasets ? ` (${datasets})` : ''}, ` +
        `${summary.quarantined} quarantined, ${summary.blankLines} blank; ${summary.delivery.calls} Firehose ` +
        `calls, ${summary.delivery.retriedRecords} records retried (${seconds} s)`,
    );
  }
  const where = quarantine
    ? ` in s3://${quarantine.bucket}/${quarantine.prefix}/`
    : totals.quarantined > 0
      ? ' (on standard error: pass --quarantine s3://BUCKET/PREFIX to keep them)'
      : '';
  io.stdout.write(
    `${refs.length} objects: ${totals.processed} processed, ${totals.skipped} skipped, ${totals.failed} failed; ` +
      `${totals.lines} lines in, ${totals.events} events delivered, ${totals.quarantined} quarantined${where}, ` +
      `${totals.blank} blank; ${totals.calls} Firehose calls, ${totals.retried} records retried\n`,
  );
  return totals.failed > 0 ? INGEST_EXIT.failed : INGEST_EXIT.ok;
}

/** An AWS error as an operator needs it: its name and message, with a hint for the common setup mistakes. */
function explain(error: unknown): string {
  const e = error as { name?: string; message?: string };
  const name = e.name ?? 'Error';
  const message = e.message ?? String(error);
  if (/Region is missing/i.test(message)) return `${message}: set AWS_REGION (or a profile with a region)`;
  if (name === 'NoSuchKey') return 'no such object (NoSuchKey)';
  if (name === 'NoSuchBucket') return 'no such bucket (NoSuchBucket)';
  if (name === 'AccessDenied') return 'access denied: these AWS credentials may not s3:GetObject it';
  if (
    chain(error).some((c) => c.name === 'ResourceNotFoundException' || c.code === 'ResourceNotFoundException')
  ) {
    return `${name}: ${message} (is --stream the stack's DeliveryStreamName, in this region?)`;
  }
  return `${name}: ${message}`;
}

/** The error and its causes (a DeliveryError wraps the sink's error, which wraps the SDK's). */
function chain(error: unknown): { name?: string; code?: string }[] {
  const list: { name?: string; code?: string }[] = [];
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    list.push(current as { name?: string; code?: string });
    current = (current as { cause?: unknown }).cause;
  }
  return list;
}
