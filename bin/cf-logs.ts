#!/usr/bin/env node
/**
 * `cf-logs`: the project's command line. It runs the same core as the Lambdas.
 *   cf-logs normalize [--dataset NAME] [FILE...]
 *   cf-logs poll --source NAME --account ID [--since T] [--until T] [--state FILE] [--delay SECONDS]
 *   cf-logs logpush plan|apply|list|delete [options]
 *   cf-logs ingest s3://BUCKET/KEY [...] --stream NAME [--quarantine s3://BUCKET/PREFIX] [--dataset NAME]
 *   cf-logs backfill --from DATE --to DATE [--dataset NAME]... [--bucket NAME] [--queue URL] [options]
 *   cf-logs redrive [--dlq URL] [--queue URL] [--outputs FILE [--stack NAME]] [--max N] [--dry-run]
 */
import { parseArgs } from 'node:util';
import { BACKFILL_EXIT, DEFAULT_BACKFILL_RATE, runBackfillCommand } from '../lambdas/cli/backfill-command.ts';
import { INGEST_EXIT, runIngestCommand } from '../lambdas/cli/ingest-command.ts';
import { LOGPUSH_EXIT, runLogpushCommand } from '../lambdas/cli/logpush-command.ts';
import { NORMALIZE_EXIT, runNormalize } from '../lambdas/cli/normalize-command.ts';
import { POLL_EXIT, runPollCommand } from '../lambdas/cli/poll-command.ts';
import { REDRIVE_EXIT, runRedriveCommand } from '../lambdas/cli/redrive-command.ts';
import { MAPPERS } from '../lambdas/datasets/index.ts';
import { POLL_SOURCES } from '../lambdas/poll/types.ts';

const HELP = `cf-logs — Cloudflare logs into an AWS security data lake

Usage:
  cf-logs normalize [--dataset NAME] [FILE...]
      Logpush NDJSON (gzip or plain; standard input when no FILE or FILE is -) to ECS NDJSON on
      standard output. Rejected lines are reported on standard error with their reason, followed by
      a summary line. The dataset comes from --dataset, else from a path laid out like the Logpush
      bucket (.../<dataset>/<id>/<YYYYMMDD>/...), else from each record's fields.
      Exit status: 0 every line normalized, 1 some lines rejected or an input unreadable, 2 usage.
      Datasets with a mapper: ${Object.keys(MAPPERS).sort().join(', ')}

  cf-logs poll --source NAME --account ID [--since T] [--until T] [--state FILE] [--delay SECONDS]
      Reads a Cloudflare log API once and writes its events as ECS NDJSON on standard output, through
      the same poller and mappers as the poll Lambda; a summary line goes to standard error.
      Sources: ${POLL_SOURCES.join(', ')} (audit_logs is the v1 API, audit_logs_v2 the v2 one).
      The window is --since (default: the state's newest event minus an overlap, else 24 hours ago)
      to --until (default: now minus --delay, 60 s unless given); times are RFC 3339.
      --state FILE keeps each source's checkpoint in FILE: the next run continues from it and events
      already delivered are not written again. Without --state nothing is remembered.
      Environment: CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY);
      CLOUDFLARE_API_BASE (default https://api.cloudflare.com/client/v4).
      Exit status: 0 every event written, 1 the API or state failed or events were rejected, 2 usage.

  cf-logs logpush plan|apply|list|delete [--config FILE] [--bucket NAME --region REGION | --outputs FILE
                 [--stack NAME]] [--dataset NAME]... [--secret ID] [--json]
      The Logpush jobs that write into the stack's bucket: one per dataset of datasets.zone in every zone of
      cloudflare.zones, and one per dataset of datasets.account in the account (the same --config file as
      cdk deploy; default cf-logs.config.json), shaped by its logpush section.
        plan    shows what Cloudflare has against the configuration (destination, fields, options, filter,
                upload limits, enabled), and other jobs of each zone; --check exits 3 when there are changes
        apply   creates or updates every job that differs, enabled; a new destination goes through the S3
                ownership challenge (the token file is read from the bucket, then deleted)
                [--challenge-timeout SECONDS, default 60]; running it again changes nothing
        list    every Logpush job of the configured account and zones, marking the stack's, with health
        delete  deletes the stack's jobs (--dataset NAME, --job ID to choose); a dry run without --yes
      The bucket: --bucket and --region (stack outputs LogpushBucketName, LogpushBucketRegion), else the
      outputs file of \`npx cdk deploy --outputs-file cdk-outputs.json\` (default ./cdk-outputs.json).
      The Cloudflare credential: --secret ID (Secrets Manager, {"apiToken": "..."}), else
      CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY), else the pollers' secret. The token
      needs Logs: Edit, plus Zero Trust: PII Read for Zero Trust datasets. AWS: the standard SDK environment;
      s3:GetObject and s3:DeleteObject on the Logpush prefix for the challenge file.
      Exit status: 0 done, 1 a job failed or is blocked, 2 usage or configuration, 3 plan --check: changes.

  cf-logs ingest s3://BUCKET/KEY [s3://BUCKET/KEY ...] --stream NAME [--quarantine s3://BUCKET/PREFIX]
                 [--dataset NAME] [--prefix PREFIX]
      Runs the normalize Lambda's own path on each object: the S3 source (a broken stream resumes), decoder,
      mappers, packing, the Firehose delivery stream NAME with its retries, and the quarantine: rejected lines
      go to s3://BUCKET/PREFIX/dt=<day>/ (the stack's is s3://<LakeBucketName>/quarantine), else to standard
      error. A progress line per object and a summary; the dataset comes from --dataset, else from the key
      (after --prefix, default logpush), else from each record's fields.
      AWS: the standard SDK environment only: region, credential chain, AWS_ENDPOINT_URL_S3 and
      AWS_ENDPOINT_URL_FIREHOSE (S3-compatible stores, local endpoints).
      Exit status: 0 every record of every object delivered or quarantined (or the object skipped, with the
      reason), 1 an object failed (it says how much was delivered), 2 usage.

  cf-logs backfill --from DATE --to DATE [--dataset NAME]... [--bucket NAME] [--queue URL] [--prefix PREFIX]
                   [--outputs FILE [--stack NAME]] [--rate OBJECTS_PER_SECOND] [--dry-run] [--start-after KEY]
      Sends the Logpush objects already in the bucket through the stack's queue again, one S3 ObjectCreated
      event per object, so the normalize function processes them as new ones (mappers, quarantine, retries,
      dead-letter queue). DATEs are YYYY-MM-DD, UTC days of the {DATE} folders, both included. Every dataset
      and zone or account folder unless --dataset; only .log.gz data objects (not ownership-challenge, test
      or empty files). The bucket's folders are listed with a delimiter, then each day of the range: never
      the whole bucket. Objects are counted first, then sent in key order, up to 10 to a SendMessageBatch
      call (fewer below 10 a second: as many as --rate allows in a second); failed entries are sent again
      with backoff, and those that never get in are listed.
      --rate: objects a second (default ${DEFAULT_BACKFILL_RATE}: about what the normalize function works through at its
      default concurrency of 10, so objects Logpush writes meanwhile do not wait behind the backfill and
      Firehose stays within its default quota; raise it with normalize.maxConcurrency; 0: no limit).
      --dry-run: per dataset and day, the objects, bytes, first and last key; nothing is sent.
      Progress on standard error (a bar on a terminal); the summary on standard output. On Ctrl-C or a
      failure it prints the last key sent and the --start-after KEY to resume with.
      Bucket, region and queue: the flags, else the outputs file of \`npx cdk deploy --outputs-file
      cdk-outputs.json\` (LogpushBucketName, LogpushBucketRegion, QueueUrl). AWS: the standard SDK environment
      (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS); s3:ListBucket on the bucket, sqs:SendMessage on the queue.
      Exit status: 0 every object sent (or listed, with --dry-run), 1 some objects not sent, the listing
      failed or interrupted, 2 usage.

  cf-logs redrive [--dlq URL] [--queue URL] [--outputs FILE [--stack NAME]] [--max N] [--dry-run]
      Moves the messages of the dead-letter queue back to the queue the normalize function reads, once the
      cause of their failure is fixed: received 10 at a time (hidden 120 s), sent to the queue with the same
      body and attributes, and deleted from the dead-letter queue only when the send was accepted; a message
      that could not be sent stays there, made visible again for the next run. Each message is printed with
      the Logpush objects its S3 event names (a body that is not an S3 event is moved too, and said so),
      then a summary. It stops when the dead-letter queue is empty or after --max N messages.
      --dry-run: shows what would move, then makes the messages visible again at once; nothing moves.
      Queues: the flags, else the outputs file (DeadLetterQueueUrl, QueueUrl).
      \`aws sqs start-message-move-task --source-arn <dead-letter queue ARN>\` does the same inside SQS, and
      is the better choice for many thousands of messages or when seeing them does not matter: it runs in
      the service at a rate you set, with no terminal kept open. Use this command to see which objects move,
      to try with --dry-run or --max first, or with queues that are not AWS's own (AWS_ENDPOINT_URL_SQS).
      AWS: the standard SDK environment; sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility
      and sqs:GetQueueAttributes on the dead-letter queue, sqs:SendMessage on the queue.
      Exit status: 0 every message received was moved (or shown and released, with --dry-run), 1 some were
      not moved or not deleted, a queue could not be read, or interrupted, 2 usage.

  cf-logs help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? NORMALIZE_EXIT.usage : 0;
  }
  if (command === 'normalize') {
    let parsed: ReturnType<typeof parseNormalizeArgs>;
    try {
      parsed = parseNormalizeArgs(rest);
    } catch (error) {
      process.stderr.write(`cf-logs normalize: ${(error as Error).message}\n${HELP}`);
      return NORMALIZE_EXIT.usage;
    }
    if (parsed.values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    return runNormalize(
      { dataset: parsed.values.dataset, files: parsed.positionals },
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    );
  }
  if (command === 'poll') {
    let parsed: ReturnType<typeof parsePollArgs>;
    try {
      parsed = parsePollArgs(rest);
    } catch (error) {
      process.stderr.write(`cf-logs poll: ${(error as Error).message}\n${HELP}`);
      return POLL_EXIT.usage;
    }
    if (parsed.values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const { help: _, ...args } = parsed.values;
    return runPollCommand(args, { stdout: process.stdout, stderr: process.stderr, env: process.env });
  }
  if (command === 'logpush') {
    let parsed: ReturnType<typeof parseLogpushArgs>;
    try {
      parsed = parseLogpushArgs(rest);
    } catch (error) {
      process.stderr.write(`cf-logs logpush: ${(error as Error).message}\n${HELP}`);
      return LOGPUSH_EXIT.usage;
    }
    if (parsed.values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (parsed.positionals.length > 1) {
      process.stderr.write(`cf-logs logpush: one action only, got ${parsed.positionals.join(' ')}\n`);
      return LOGPUSH_EXIT.usage;
    }
    const { help: _, 'challenge-timeout': challengeTimeout, ...values } = parsed.values;
    return runLogpushCommand(
      {
        ...values,
        ...(parsed.positionals[0] === undefined ? {} : { action: parsed.positionals[0] }),
        ...(challengeTimeout === undefined ? {} : { challengeTimeout }),
      },
      { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
    );
  }
  if (command === 'ingest') {
    let parsed: ReturnType<typeof parseIngestArgs>;
    try {
      parsed = parseIngestArgs(rest);
    } catch (error) {
      process.stderr.write(`cf-logs ingest: ${(error as Error).message}\n${HELP}`);
      return INGEST_EXIT.usage;
    }
    if (parsed.values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const { help: _, ...values } = parsed.values;
    return runIngestCommand(
      { ...values, objects: parsed.positionals },
      { stdout: process.stdout, stderr: process.stderr },
    );
  }
  if (command === 'backfill') {
    let parsed: ReturnType<typeof parseBackfillArgs>;
    try {
      parsed = parseBackfillArgs(rest);
    } catch (error) {
      process.stderr.write(`cf-logs backfill: ${(error as Error).message}\n${HELP}`);
      return BACKFILL_EXIT.usage;
    }
    if (parsed.values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const { help: _, 'dry-run': dryRun, 'start-after': startAfter, ...values } = parsed.values;
    return withInterrupt((signal) =>
      runBackfillCommand(
        {
          ...values,
          ...(dryRun === undefined ? {} : { dryRun }),
          ...(startAfter === undefined ? {} : { startAfter }),
        },
        { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal },
      ),
    );
  }
  if (command === 'redrive') {
    let parsed: ReturnType<typeof parseRedriveArgs>;
    try {
      parsed = parseRedriveArgs(rest);
    } catch (error) {
      process.stderr.write(`cf-logs redrive: ${(error as Error).message}\n${HELP}`);
      return REDRIVE_EXIT.usage;
    }
    if (parsed.values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const { help: _, 'dry-run': dryRun, ...values } = parsed.values;
    return withInterrupt((signal) =>
      runRedriveCommand(
        { ...values, ...(dryRun === undefined ? {} : { dryRun }) },
        { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal },
      ),
    );
  }
  process.stderr.write(`cf-logs: unknown command "${command}"\n${HELP}`);
  return NORMALIZE_EXIT.usage;
}

function parseNormalizeArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { dataset: { type: 'string', short: 'd' }, help: { type: 'boolean', short: 'h' } },
  });
}

function parsePollArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: false,
    options: {
      source: { type: 'string', short: 's' },
      account: { type: 'string', short: 'a' },
      since: { type: 'string' },
      until: { type: 'string' },
      state: { type: 'string' },
      delay: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function parseIngestArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      stream: { type: 'string', short: 's' },
      quarantine: { type: 'string', short: 'q' },
      dataset: { type: 'string', short: 'd' },
      prefix: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function parseBackfillArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: false,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      dataset: { type: 'string', short: 'd', multiple: true },
      bucket: { type: 'string' },
      queue: { type: 'string' },
      prefix: { type: 'string' },
      outputs: { type: 'string' },
      stack: { type: 'string' },
      rate: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'start-after': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function parseRedriveArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: false,
    options: {
      dlq: { type: 'string' },
      queue: { type: 'string' },
      outputs: { type: 'string' },
      stack: { type: 'string' },
      max: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * Runs a command that stops cleanly on Ctrl-C (SIGINT): the first one aborts `signal`, and the command finishes
 * its call in flight and says where to resume; a second one ends the process at once.
 */
async function withInterrupt(run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: stopping after the call in flight (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  try {
    const code = await run(controller.signal);
    // A wait of the rate limit may still hold a timer: do not let it keep an interrupted run alive.
    if (controller.signal.aborted) process.exit(code);
    return code;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function parseLogpushArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      outputs: { type: 'string' },
      stack: { type: 'string' },
      bucket: { type: 'string' },
      region: { type: 'string' },
      secret: { type: 'string' },
      dataset: { type: 'string', short: 'd', multiple: true },
      job: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      check: { type: 'boolean' },
      'challenge-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

// EPIPE on stdout (`cf-logs normalize x.gz | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
