import type { DatasetName } from '../datasets/catalog.ts';
import { detectDataset, mapperFor } from '../datasets/index.ts';
import type { CfRecord, DatasetMapper } from '../datasets/mapper.ts';
import { intoLakeRow } from '../lake/row.ts';
import type { Clock, ObjectRef, ObjectSource, OpenedObject, RecordSink, RowShape } from '../ports.ts';
import { type DecodeOptions, readLines } from './decode.ts';
import { type DeliveryStats, deliverRecords, newDeliveryStats, type RetryPolicy } from './deliver.ts';
import { DecodeError, MappingError } from './errors.ts';
import { type LogpushKeyInfo, parseLogpushKey, type SkipReason, skipReasonForKey } from './object-key.ts';
import { type PackLimits, RecordPacker } from './pack.ts';
import type { Quarantine } from './quarantine.ts';
import { instantFromDate } from './time.ts';

/** What the pipeline needs besides the object. */
export interface PipelineOptions {
  readonly sink: RecordSink;
  readonly clock: Clock;
  /** Key prefix of Logpush objects (to read the dataset from keys). */
  readonly logpushPrefix?: string;
  /** Map every record with this dataset's mapper, whatever the key or fields say. */
  readonly dataset?: DatasetName;
  readonly retry?: RetryPolicy;
  /** Batches (PutRecordBatch calls) in flight at once. @default 4 */
  readonly maxInFlight?: number;
  readonly packLimits?: Partial<PackLimits>;
  readonly decode?: DecodeOptions;
  /** What the sink receives. @default 'lake' */
  readonly rows?: RowShape;
}

/** What happened to one object. */
export interface ObjectSummary {
  readonly bucket: string;
  readonly key: string;
  readonly outcome: 'processed' | 'skipped';
  readonly skipReason?: SkipReason;
  /** Dataset named by the key, if any. */
  readonly keyDataset?: string;
  /** Lines read, blank ones included. */
  lines: number;
  blankLines: number;
  /** Events delivered to the sink. */
  events: number;
  /** Lines quarantined (an object-level entry not included). */
  quarantined: number;
  /** Records mapped with another dataset than the key names, because their fields say so. */
  datasetMismatches: number;
  /** Events delivered from lines with bytes that are not UTF-8 (read as U+FFFD, tagged `invalid_utf8`). */
  invalidUtf8: number;
  /** Delivered events per dataset. */
  readonly eventsByDataset: Record<string, number>;
  readonly delivery: DeliveryStats;
}

/** Makes the quarantine for one object. */
export type QuarantineFactory = (ref: ObjectRef, key: LogpushKeyInfo) => Quarantine;

/**
 * Processes one Logpush object: skips what is not a data object (counted, never retried), streams the rest
 * through decode → map → pack → deliver, and quarantines every line that cannot become an event.
 *
 * @throws when the object as a whole fails (unreadable stream, corrupt gzip, undeliverable records), so the
 *   queue retries it and finally dead-letters it. Retrying is safe: events keep their ids. When the gzip data is
 *   corrupt or truncated, the lines before the damage are delivered (or quarantined) first, since no retry can
 *   read further, and the object is recorded in the quarantine with the reason.
 */
export async function processObject(
  ref: ObjectRef,
  source: ObjectSource,
  makeQuarantine: QuarantineFactory,
  options: PipelineOptions,
): Promise<ObjectSummary> {
  const keyInfo = parseLogpushKey(ref.key, options.logpushPrefix);
  const skipReason = skipReasonForKey(ref.key, ref.size);
  if (skipReason) return { ...emptySummary(ref, keyInfo), outcome: 'skipped', skipReason };
  const opened = await source.open(ref);
  const summary = await normalizeObject(ref, opened, makeQuarantine(ref, keyInfo), options, keyInfo);
  if (summary.lines === 0) return { ...summary, outcome: 'skipped', skipReason: 'empty-object' };
  return summary;
}

/**
 * Normalizes an opened object (no skip rules): the core shared by the Lambda, `cf-logs normalize` and the local
 * run. Events go to the sink packed into records; bad lines go to the quarantine with their reason.
 */
export async function normalizeObject(
  ref: ObjectRef,
  opened: OpenedObject,
  quarantine: Quarantine,
  options: PipelineOptions,
  keyInfo: LogpushKeyInfo = parseLogpushKey(ref.key, options.logpushPrefix),
): Promise<ObjectSummary> {
  const summary = emptySummary(ref, keyInfo);
  const fallbackTime = instantFromDate(opened.lastModified ?? options.clock.now());
  const forced = options.dataset ? mapperFor(options.dataset) : undefined;
  const keyMapper = keyInfo.dataset ? mapperFor(keyInfo.dataset) : undefined;
  const packer = new RecordPacker(
    (records) => deliverRecords(options.sink, records, summary.delivery, options.clock, options.retry),
    options.packLimits,
    options.maxInFlight ?? 4,
  );
  const shape = options.rows === 'ecs' ? undefined : intoLakeRow;
  const packed: Record<string, number> = {};
  let packedEvents = 0;
  let invalidUtf8 = 0;

  const choose = (record: CfRecord): DatasetMapper | undefined => {
    if (forced) return forced;
    if (keyMapper) {
      if (keyMapper.matches(record)) return keyMapper;
      const detected = detectDataset(record);
      if (detected && detected !== keyMapper) {
        summary.datasetMismatches++;
        return detected;
      }
      return keyMapper;
    }
    return detectDataset(record);
  };

  const reject = async (line: number, reason: string, raw: string, dataset?: string, rawBytes?: number) => {
    summary.quarantined++;
    const wait = quarantine.add({ line, reason, raw, dataset, rawBytes });
    if (wait) await wait;
  };

  try {
    for await (const batch of readLines(opened.body, options.decode)) {
      // Over-long lines and bytes that are not UTF-8 are rare: most batches need no lookup table at all.
      const oversized = batch.oversized && new Map(batch.oversized.map((o) => [o.index, o.bytes]));
      const notUtf8 = batch.invalidUtf8 && new Set(batch.invalidUtf8);
      for (let i = 0; i < batch.lines.length; i++) {
        let line = batch.lines[i]!;
        const number = batch.firstLineNumber + i;
        summary.lines++;
        const longBytes = oversized?.get(i);
        if (longBytes !== undefined) {
          await reject(
            number,
            `line of ${longBytes} bytes is longer than the decoder's limit`,
            line,
            keyInfo.dataset,
            longBytes,
          );
          continue;
        }
        if (line === '' || isBlank(line)) {
          summary.blankLines++;
          continue;
        }
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch (error) {
          // Files saved with a byte-order mark and then joined carry one at the start of a later line: the line
          // is read without it. Only lines that fail to parse pay for this check.
          const unmarked = line.charCodeAt(0) === 0xfeff ? parseOrUndefined(line.slice(1)) : undefined;
          if (unmarked === undefined) {
            await reject(number, invalidJsonReason(line, error as Error), line, keyInfo.dataset);
            continue;
          }
          line = line.slice(1);
          record = unmarked;
        }
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          const what = Array.isArray(record)
            ? 'a JSON array'
            : `a JSON ${record === null ? 'null' : typeof record}`;
          await reject(number, `line is ${what}, not one JSON object (NDJSON)`, line, keyInfo.dataset);
          continue;
        }
        const mapper = choose(record as CfRecord);
        if (!mapper) {
          const reason = 'dataset not recognised from the object key or the record fields';
          await reject(number, reason, line, keyInfo.dataset);
          continue;
        }
        const badBytes = notUtf8?.has(i) === true;
        let json: string;
        try {
          const event = mapper.map(record as CfRecord, { line, fallbackTime, invalidUtf8: badBytes });
          json = JSON.stringify(shape ? shape(event) : event);
        } catch (error) {
          // A mapper bug on one odd record must not cost the object: the line is kept with the error.
          const message = error instanceof MappingError ? error.message : `mapper failed: ${String(error)}`;
          await reject(number, message, line, mapper.dataset);
          continue;
        }
        const bytes = Buffer.byteLength(json) + 1;
        if (!packer.fits(bytes)) {
          await reject(
            number,
            `ECS event of ${bytes} bytes exceeds the Firehose record limit`,
            line,
            mapper.dataset,
          );
          continue;
        }
        const wait = packer.add(json, bytes);
        packedEvents++;
        if (badBytes) invalidUtf8++;
        packed[mapper.dataset] = (packed[mapper.dataset] ?? 0) + 1;
        if (wait) await wait;
      }
    }
    await packer.flush();
  } catch (error) {
    if (!(error instanceof DecodeError)) {
      // No delivery of this object may go on once it has failed.
      await packer.settle();
      throw error;
    }
    // No retry reads past the damage, so the lines before it are delivered now: each receive delivers the same
    // lines with the same ids. The object is recorded for the operator and still fails, so the queue retries it
    // and finally dead-letters it.
    const undelivered = await packer.flush().then(
      () => undefined,
      (failure: unknown) => ({ failure }),
    );
    await quarantine.add({ line: null, reason: error.message, dataset: keyInfo.dataset });
    await quarantine.finish();
    // A delivery failure is what keeps the lines before the damage out of the lake: it is the error to report.
    throw undelivered ? undelivered.failure : error;
  }
  await quarantine.finish();
  summary.events = packedEvents;
  summary.invalidUtf8 = invalidUtf8;
  Object.assign(summary.eventsByDataset, packed);
  return summary;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The quarantine reason of a line that is not JSON, with a hint when the object looks pretty-printed. */
function invalidJsonReason(line: string, error: Error): string {
  const trimmed = line.trim();
  if (trimmed === '[' || trimmed === '{') {
    return (
      `invalid JSON: ${error.message} (the object looks like one JSON document spread over several lines; ` +
      'Logpush objects hold one JSON object per line)'
    );
  }
  return `invalid JSON: ${error.message}`;
}

function emptySummary(ref: ObjectRef, keyInfo: LogpushKeyInfo): ObjectSummary {
  return {
    bucket: ref.bucket,
    key: ref.key,
    outcome: 'processed',
    keyDataset: keyInfo.dataset,
    lines: 0,
    blankLines: 0,
    events: 0,
    quarantined: 0,
    datasetMismatches: 0,
    invalidUtf8: 0,
    eventsByDataset: {},
    delivery: newDeliveryStats(),
  };
}

function isBlank(line: string): boolean {
  const c = line.charCodeAt(0);
  return (c === 0x20 || c === 0x09) && line.trim() === '';
}
