import { type DatasetName, isDatasetName } from '../datasets/catalog.ts';
import { LOGPUSH_OBJECT_SUFFIX } from '../settings.ts';

/** What the key of a Logpush object says: `<prefix>/<dataset>/<account-or-zone-id>/<YYYYMMDD>/<file>.log.gz`. */
export interface LogpushKeyInfo {
  readonly dataset?: DatasetName;
  /** The account or zone id segment after the dataset, when present. */
  readonly scopeId?: string;
  /** The `{DATE}` folder as `yyyy-MM-dd`, when present. */
  readonly date?: string;
}

const SCOPE_ID = /^[0-9a-f]{32}$/i;
const DATE_FOLDER = /^(\d{4})(\d{2})(\d{2})$/;

/**
 * Reads dataset, scope id and date from an object key laid out as this project's `destination_conf` writes it.
 * The dataset is the first path segment (after `prefix`, when the key starts with it) that names a Logpush
 * dataset; keys laid out otherwise give what they can, and the dataset is then detected from the records.
 */
export function parseLogpushKey(key: string, prefix?: string): LogpushKeyInfo {
  let rest = key;
  if (prefix && key.startsWith(`${prefix}/`)) rest = key.slice(prefix.length + 1);
  const segments = rest.split('/');
  segments.pop(); // the file name
  let dataset: DatasetName | undefined;
  let scopeId: string | undefined;
  let date: string | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (dataset === undefined && isDatasetName(segment)) {
      dataset = segment;
      const next = segments[i + 1];
      if (next !== undefined && SCOPE_ID.test(next)) scopeId = next.toLowerCase();
      continue;
    }
    const m = DATE_FOLDER.exec(segment);
    if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31) {
      date = `${m[1]}-${m[2]}-${m[3]}`;
    }
  }
  return { dataset, scopeId, date };
}

/** Why an object is not processed. Skipped objects are counted and logged, and never retried. */
export type SkipReason = 'ownership-challenge' | 'test-object' | 'not-a-logpush-object' | 'empty-object';

/**
 * Why the object at `key` (of `size` bytes, when known) is skipped, or undefined when it is to be processed.
 * Cloudflare writes `ownership-challenge.txt` into the destination when a job is set up (FACTS A3) and may
 * write test files when validating a destination (FACTS A4); neither holds logs. Zero-byte objects hold nothing
 * (PRACTICES 3.1). The notification filters on `.log.gz` already; this guards every other entry point.
 */
export function skipReasonForKey(key: string, size?: number): SkipReason | undefined {
  const file = key.slice(key.lastIndexOf('/') + 1);
  if (file.startsWith('ownership-challenge')) return 'ownership-challenge';
  if (/^test[._-]/i.test(file)) return 'test-object';
  if (!file.endsWith(LOGPUSH_OBJECT_SUFFIX)) return 'not-a-logpush-object';
  if (size === 0) return 'empty-object';
  return undefined;
}
