import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { StreamSink } from '../adapters/stream-sink.ts';
import { normalizeObject, type ObjectSummary } from '../core/pipeline.ts';
import { type DatasetName, isDatasetName } from '../datasets/catalog.ts';
import { MAPPERS } from '../datasets/index.ts';
import { type Clock, systemClock } from '../ports.ts';
import { inputLinePrefix, StderrQuarantine } from './stderr-quarantine.ts';

/** Where `cf-logs normalize` reads and writes; injectable so tests run it in-process. */
export interface NormalizeIo {
  readonly stdin: AsyncIterable<Uint8Array>;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly clock?: Clock;
}

/** Exit codes of `cf-logs normalize`. */
export const NORMALIZE_EXIT = {
  /** Every line became an event (or was blank). */
  ok: 0,
  /** Some lines were rejected (reported on stderr), or an input could not be read to its end. */
  rejected: 1,
  /** The command line was wrong. */
  usage: 2,
} as const;

/**
 * `cf-logs normalize [--dataset NAME] [FILE...]`: Logpush NDJSON (gzip or plain; stdin when no file, or `-`)
 * to ECS NDJSON on stdout, through the same pipeline as the Lambda. The dataset comes from `--dataset`, else
 * from the file path when it is laid out like the Logpush bucket, else from each record's fields.
 *
 * @returns the exit code ({@link NORMALIZE_EXIT}).
 */
export async function runNormalize(
  args: { dataset?: string; files: string[] },
  io: NormalizeIo,
): Promise<number> {
  const { stderr } = io;
  let dataset: DatasetName | undefined;
  if (args.dataset !== undefined) {
    if (!isDatasetName(args.dataset)) {
      stderr.write(
        `cf-logs normalize: --dataset ${args.dataset} is not a Logpush dataset; datasets: ${Object.keys(MAPPERS).sort().join(', ')}\n`,
      );
      return NORMALIZE_EXIT.usage;
    }
    dataset = args.dataset;
  }
  const inputs = args.files.length > 0 ? args.files : ['-'];
  const sink = new StreamSink(io.stdout);
  const clock = io.clock ?? systemClock;
  const totals = { inputs: 0, lines: 0, events: 0, rejected: 0, blank: 0, failed: 0 };

  for (const input of inputs) {
    const quarantine = new StderrQuarantine(
      stderr,
      inputLinePrefix('cf-logs', input === '-' ? '<stdin>' : input),
    );
    let summary: ObjectSummary;
    try {
      // stat first: a stream opened on a missing file would fail later, outside this try.
      const opened =
        input === '-'
          ? { body: io.stdin }
          : { lastModified: (await stat(input)).mtime, body: createReadStream(input) };
      summary = await normalizeObject(
        { bucket: '', key: input === '-' ? 'stdin' : input },
        opened,
        quarantine,
        {
          sink,
          clock,
          dataset,
          // One record per write keeps output flowing for piped input; there is no per-call cost here.
          packLimits: { maxRecordsPerCall: 1 },
          maxInFlight: 1,
          rows: 'ecs',
        },
      );
    } catch (error) {
      totals.failed++;
      stderr.write(`cf-logs: ${input}: ${(error as Error).message}\n`);
      continue;
    }
    totals.inputs++;
    totals.lines += summary.lines;
    totals.events += summary.events;
    totals.rejected += summary.quarantined;
    totals.blank += summary.blankLines;
  }
  stderr.write(
    `cf-logs: ${totals.events} events from ${totals.lines} lines in ${totals.inputs} input(s); ` +
      `${totals.rejected} rejected, ${totals.blank} blank${totals.failed ? `, ${totals.failed} input(s) failed` : ''}\n`,
  );
  return totals.rejected > 0 || totals.failed > 0 ? NORMALIZE_EXIT.rejected : NORMALIZE_EXIT.ok;
}
