/**
 * What `cf-logs backfill` sends: the Logpush objects of a date range, found folder by folder in the layout the
 * Logpush jobs write (`<prefix>/<dataset>/<zone-or-account-id>/<YYYYMMDD>/<file>.log.gz`), so a range of days
 * costs a listing of those days and not of the whole bucket. Listing goes through {@link KeyLister}, so the
 * planning is tested without S3.
 */
import { type SkipReason, skipReasonForKey } from '../core/object-key.ts';
import { type DatasetName, isDatasetName } from '../datasets/catalog.ts';

/** An object as a listing gives it. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly eTag?: string;
}

/** Lists a bucket the way S3's ListObjectsV2 does, in S3 key order (UTF-8 bytes). */
export interface KeyLister {
  /** The folders (common prefixes, ending in `/`) directly under `prefix`, after `startAfter` when given. */
  folders(prefix: string, startAfter?: string): AsyncIterable<string>;
  /** Every object under `prefix`, page by page, after `startAfter` when given. */
  objects(prefix: string, startAfter?: string): AsyncIterable<readonly ListedObject[]>;
}

/** A wrong date or range on the command line. */
export class BackfillRangeError extends Error {
  override readonly name = 'BackfillRangeError';
}

/** A day of the range: `YYYYMMDD`, as Logpush names its `{DATE}` folders (UTC). */
export type Day = string;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Reads a `YYYY-MM-DD` date of the command line (`flag` names it in the error).
 * @throws BackfillRangeError when it is not a date of the calendar in that form.
 */
export function parseDay(text: string, flag: string): Day {
  const match = DATE.exec(text);
  const date = match ? new Date(`${text}T00:00:00Z`) : undefined;
  // Date.parse rolls 2026-02-30 over to March: a real date formats back to the same text.
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
    throw new BackfillRangeError(
      `${flag} ${text} is not a date: expected YYYY-MM-DD (a UTC day, e.g. 2026-11-20)`,
    );
  }
  return `${match![1]}${match![2]}${match![3]}`;
}

/** `YYYYMMDD` as `YYYY-MM-DD`. */
export function showDay(day: Day): string {
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
}

/**
 * The range of `--from` and `--to`, both included.
 * @throws BackfillRangeError when a date is malformed or `from` is after `to`.
 */
export function parseDayRange(from: string | undefined, to: string | undefined): { from: Day; to: Day } {
  if (from === undefined || to === undefined) {
    throw new BackfillRangeError(
      '--from DATE and --to DATE are required (YYYY-MM-DD, UTC days, both included)',
    );
  }
  const range = { from: parseDay(from, '--from'), to: parseDay(to, '--to') };
  if (range.from > range.to) throw new BackfillRangeError(`--from ${from} is after --to ${to}`);
  return range;
}

/** Whether every key under `prefix` sorts at or before `key` in S3 order (so a resume skips the whole folder). */
export function folderBefore(prefix: string, key: string): boolean {
  return !key.startsWith(prefix) && compareKeys(prefix, key) < 0;
}

/** S3 key order: UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** One `<prefix>/<dataset>/<id>/<YYYYMMDD>/` folder of the range. */
export interface DayFolder {
  readonly dataset: DatasetName;
  readonly scopeId: string;
  readonly day: Day;
  /** The folder's key prefix, ending in `/`. */
  readonly prefix: string;
}

/** What to plan. */
export interface BackfillScope {
  /** The Logpush key prefix, without slashes around it. */
  readonly prefix: string;
  readonly from: Day;
  readonly to: Day;
  /** Datasets to send; every dataset folder found when empty. */
  readonly datasets: readonly DatasetName[];
  /** Only keys after this one (S3 order): the resume point of an earlier run. */
  readonly startAfter?: string;
}

/**
 * The day folders of the range, in S3 key order: dataset folders (or the given datasets), then each one's id
 * folders, then the id's day folders from `from` to `to`, listed with a delimiter so only days that exist are
 * visited. Folders entirely before `startAfter` are left out. Folders under the prefix that are not datasets
 * are not Logpush's and are passed over.
 */
export async function* dayFolders(lister: KeyLister, scope: BackfillScope): AsyncGenerator<DayFolder> {
  const root = `${scope.prefix}/`;
  const skip = (folder: string) => scope.startAfter !== undefined && folderBefore(folder, scope.startAfter);
  const datasets: { name: DatasetName; folder: string }[] = [];
  if (scope.datasets.length > 0) {
    for (const name of [...new Set(scope.datasets)]) datasets.push({ name, folder: `${root}${name}/` });
    datasets.sort((a, b) => compareKeys(a.folder, b.folder));
  } else {
    for await (const folder of lister.folders(root)) {
      const name = folder.slice(root.length, -1);
      if (isDatasetName(name)) datasets.push({ name, folder });
    }
  }
  for (const dataset of datasets) {
    if (skip(dataset.folder)) continue;
    for await (const idFolder of lister.folders(dataset.folder)) {
      if (skip(idFolder)) continue;
      const scopeId = idFolder.slice(dataset.folder.length, -1);
      // `<id>/<from>` sorts just before `<id>/<from>/`: the listing starts at the first day of the range.
      for await (const dayFolder of lister.folders(idFolder, `${idFolder}${scope.from}`)) {
        const day = dayFolder.slice(idFolder.length, -1);
        if (!/^\d{8}$/.test(day) || day < scope.from) continue;
        if (day > scope.to) break;
        if (skip(dayFolder)) continue;
        yield { dataset: dataset.name, scopeId, day, prefix: dayFolder };
      }
    }
  }
}

/** Why a listed object is not sent: the normalize Lambda would skip it too. */
export function backfillSkipReason(object: ListedObject): SkipReason | undefined {
  return skipReasonForKey(object.key, object.size);
}

/** Counts of one day folder: what would be sent, and what is passed over (with the reason). */
export interface DayFolderPlan extends DayFolder {
  objects: number;
  bytes: number;
  firstKey: string | undefined;
  lastKey: string | undefined;
  skipped: Partial<Record<SkipReason, number>>;
}

/** Lists one day folder (after `startAfter` when the resume point is inside it) and counts what it holds. */
export async function planDayFolder(
  lister: KeyLister,
  folder: DayFolder,
  startAfter?: string,
): Promise<DayFolderPlan> {
  const plan: DayFolderPlan = {
    ...folder,
    objects: 0,
    bytes: 0,
    firstKey: undefined,
    lastKey: undefined,
    skipped: {},
  };
  for await (const page of lister.objects(folder.prefix, startAfterIn(folder.prefix, startAfter))) {
    for (const object of page) {
      const reason = backfillSkipReason(object);
      if (reason !== undefined) {
        plan.skipped[reason] = (plan.skipped[reason] ?? 0) + 1;
        continue;
      }
      plan.objects++;
      plan.bytes += object.size;
      plan.firstKey ??= object.key;
      plan.lastKey = object.key;
    }
  }
  return plan;
}

/** The `StartAfter` of a folder's listing: the resume key when it lies inside the folder. */
export function startAfterIn(prefix: string, startAfter: string | undefined): string | undefined {
  return startAfter?.startsWith(prefix) ? startAfter : undefined;
}
