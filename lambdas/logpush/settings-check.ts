/**
 * Checks the `logpush` section of the configuration against `settings.ts`: every problem is found and named by
 * its full setting path, and the section comes back typed, with defaults applied. No CDK import, so the command
 * line loads it without the CDK. Whether field names exist in a dataset is not checked here: only Cloudflare's
 * live field list knows, and `cf-logs logpush` asks it.
 */
import { show, suggestion } from '../core/setting-messages.ts';
import { DATASET_NAMES, type DatasetName, datasetHasScope, isDatasetName } from '../datasets/catalog.ts';
import {
  DEFAULT_LOGPUSH_SETTINGS,
  FILTER_OPERATORS,
  type FilterOperator,
  type LogpushFilter,
  type LogpushJobOptions,
  type LogpushSettings,
  MAX_FILTER_BYTES,
  MAX_FILTER_CONDITIONS,
  TIMESTAMP_FORMATS,
  type TimestampFormat,
  UPLOAD_LIMITS,
  type UploadLimitName,
} from './settings.ts';

/** The datasets the configuration lists, by scope (`datasets.account`, `datasets.zone`). */
export interface ConfiguredDatasets {
  readonly account: readonly DatasetName[];
  readonly zone: readonly DatasetName[];
}

/** The checked section and its problems. */
export interface LogpushSettingsCheck {
  /** The section with defaults applied; only meaningful when `problems` is empty. */
  readonly settings: LogpushSettings;
  /** One `"<setting path>" <problem>` line per problem, without the `cf-logs config: ` prefix. */
  readonly problems: string[];
}

/** Path of the section in the configuration file. */
const SECTION = 'logpush';
const SECTION_KEYS = ['timestampFormat', ...Object.keys(UPLOAD_LIMITS), 'jobs'] as const;
const JOB_KEYS = ['fields', 'excludeFields', 'filter', 'sampleRate'] as const;
const CONDITION_KEYS = ['key', 'operator', 'value'] as const;
const LIST_OPERATORS: readonly FilterOperator[] = ['in', '!in'];
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const FILTER_LIMITS_QUOTE = 'Cloudflare accepts filters of "approximately 30 operators and 1000 bytes"';

type Add = (path: string, problem: string) => void;

/**
 * Checks the raw `logpush` section (`undefined` when the file has none).
 * @param configured the datasets of `datasets.account` and `datasets.zone`: `jobs` may only name those.
 * @returns the typed section and every problem, each `"<setting path>" <what was expected>, got <value>`.
 */
export function checkLogpushSettings(raw: unknown, configured: ConfiguredDatasets): LogpushSettingsCheck {
  const problems: string[] = [];
  const add: Add = (path, problem) => problems.push(`"${path}" ${problem}`);
  if (raw === undefined) return { settings: DEFAULT_LOGPUSH_SETTINGS, problems };
  if (!isRecord(raw)) {
    add(SECTION, `must be an object, got ${show(raw)}`);
    return { settings: DEFAULT_LOGPUSH_SETTINGS, problems };
  }
  for (const key of Object.keys(raw)) {
    if (!(SECTION_KEYS as readonly string[]).includes(key)) {
      const path = `${SECTION}.${key}`;
      add(
        path,
        `is not a setting${suggestion(
          path,
          SECTION_KEYS.map((known) => `${SECTION}.${known}`),
        )}`,
      );
    }
  }

  let timestampFormat = DEFAULT_LOGPUSH_SETTINGS.timestampFormat;
  if (raw.timestampFormat !== undefined) {
    if (TIMESTAMP_FORMATS.includes(raw.timestampFormat as TimestampFormat)) {
      timestampFormat = raw.timestampFormat as TimestampFormat;
    } else {
      add(
        `${SECTION}.timestampFormat`,
        `must be ${oneOf(TIMESTAMP_FORMATS)}, got ${show(raw.timestampFormat)}`,
      );
    }
  }

  const limits: Partial<Record<UploadLimitName, number>> = {};
  for (const [name, spec] of Object.entries(UPLOAD_LIMITS) as [
    UploadLimitName,
    (typeof UPLOAD_LIMITS)[UploadLimitName],
  ][]) {
    const value = raw[name];
    if (value === undefined) continue;
    if (
      typeof value === 'number' &&
      Number.isInteger(value) &&
      (value === 0 || (value >= spec.min && value <= spec.max))
    ) {
      limits[name] = value;
    } else {
      // "or 0 to disable it" (FACTS A5): 0 turns that limit off, leaving the setting out leaves Cloudflare's default.
      add(
        `${SECTION}.${name}`,
        `must be 0 (no such limit) or an integer from ${spec.min} to ${spec.max}, got ${show(value)}`,
      );
    }
  }

  const jobs = checkJobs(raw.jobs, configured, add);
  return { settings: { timestampFormat, ...limits, jobs }, problems };
}

function checkJobs(
  value: unknown,
  configured: ConfiguredDatasets,
  add: Add,
): Partial<Record<DatasetName, LogpushJobOptions>> {
  const path = `${SECTION}.jobs`;
  const jobs: Partial<Record<DatasetName, LogpushJobOptions>> = {};
  if (value === undefined) return jobs;
  if (!isRecord(value)) {
    add(
      path,
      `must be an object keyed by dataset name, e.g. {"http_requests": {"sampleRate": 0.5}}, got ${show(value)}`,
    );
    return jobs;
  }
  const listed = [...new Set([...configured.zone, ...configured.account])];
  for (const [dataset, options] of Object.entries(value)) {
    const jobPath = `${path}.${dataset}`;
    const job = checkJob(options, jobPath, add);
    if (!isDatasetName(dataset)) {
      add(
        jobPath,
        `must name a dataset listed under datasets.zone or datasets.account, got ${show(dataset)}` +
          suggestion(dataset, [...listed, ...DATASET_NAMES]),
      );
    } else if (!listed.includes(dataset)) {
      add(
        jobPath,
        `names ${show(dataset)}, which is not configured: list it under ${whereToList(dataset)} first`,
      );
    } else if (job !== undefined) {
      jobs[dataset] = job;
    }
  }
  return jobs;
}

function whereToList(dataset: DatasetName): string {
  const scopes = [
    ...(datasetHasScope(dataset, 'zone') ? ['datasets.zone'] : []),
    ...(datasetHasScope(dataset, 'account') ? ['datasets.account'] : []),
  ];
  return scopes.join(' or ');
}

function checkJob(value: unknown, path: string, add: Add): LogpushJobOptions | undefined {
  if (!isRecord(value)) {
    add(path, `must be an object of ${JOB_KEYS.join(', ')} (each optional), got ${show(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!(JOB_KEYS as readonly string[]).includes(key)) {
      add(`${path}.${key}`, `is not a setting${suggestion(key, JOB_KEYS)}`);
    }
  }
  const fields = checkFieldList(value.fields, `${path}.fields`, add);
  const excludeFields = checkFieldList(value.excludeFields, `${path}.excludeFields`, add);
  if (value.fields !== undefined && value.excludeFields !== undefined) {
    add(
      `${path}.excludeFields`,
      `cannot be set together with ${path}.fields: fields already names exactly the fields pushed`,
    );
  }
  let sampleRate: number | undefined;
  if (value.sampleRate !== undefined) {
    const rate = value.sampleRate;
    if (typeof rate === 'number' && Number.isFinite(rate) && rate > 0 && rate <= 1) {
      sampleRate = rate;
    } else {
      add(
        `${path}.sampleRate`,
        `must be a number greater than 0 and at most 1 (the fraction of records pushed), got ${show(rate)}`,
      );
    }
  }
  const filter = value.filter === undefined ? undefined : checkFilter(value.filter, `${path}.filter`, add);
  return {
    ...(fields === undefined ? {} : { fields }),
    ...(excludeFields === undefined ? {} : { excludeFields }),
    ...(filter === undefined ? {} : { filter }),
    ...(sampleRate === undefined ? {} : { sampleRate }),
  };
}

function checkFieldList(value: unknown, path: string, add: Add): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    add(path, `must be a non-empty list of field names, got ${show(value)}`);
    return undefined;
  }
  const names: string[] = [];
  value.forEach((name: unknown, index) => {
    const itemPath = `${path}[${index}]`;
    if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
      add(itemPath, `must be a field name (a letter, then letters, digits, _ . or -), got ${show(name)}`);
    } else if (names.includes(name)) {
      add(itemPath, `repeats ${show(name)}`);
    } else {
      names.push(name);
    }
  });
  return names;
}

/** Checks a filter (an object or a string of its JSON) and returns it as an object. */
function checkFilter(value: unknown, path: string, report: Add): LogpushFilter | undefined {
  let valid = true;
  const add: Add = (problemPath, problem) => {
    valid = false;
    report(problemPath, problem);
  };
  const expected = 'must be a filter {"where": <condition or group>} or a string of its JSON';
  let filter = value;
  if (typeof value === 'string') {
    try {
      filter = JSON.parse(value) as unknown;
    } catch (error) {
      add(path, `${expected}, got a string that is not JSON (${(error as Error).message}): ${show(value)}`);
      return undefined;
    }
  }
  if (!isRecord(filter)) {
    add(path, `${expected}, got ${show(value)}`);
    return undefined;
  }
  for (const key of Object.keys(filter)) {
    if (key !== 'where') add(`${path}.${key}`, 'is not allowed: a filter holds only "where"');
  }
  let conditions = 0;
  if (filter.where === undefined) {
    add(`${path}.where`, 'is required: a filter is {"where": <condition or group>}');
  } else {
    conditions = checkNode(filter.where, `${path}.where`, add);
  }
  if (conditions > MAX_FILTER_CONDITIONS) {
    add(
      path,
      `must hold at most ${MAX_FILTER_CONDITIONS} conditions (${FILTER_LIMITS_QUOTE}), got ${conditions}`,
    );
  }
  const bytes = new TextEncoder().encode(JSON.stringify(filter)).length;
  if (bytes > MAX_FILTER_BYTES) {
    add(
      path,
      `must be at most ${MAX_FILTER_BYTES} bytes as JSON (${FILTER_LIMITS_QUOTE}), got ${bytes} bytes`,
    );
  }
  // The walk checked every node, so the object now is what the types say.
  return valid ? (filter as unknown as LogpushFilter) : undefined;
}

/** Checks a condition or a group, recursively; returns how many conditions it holds. */
function checkNode(node: unknown, path: string, add: Add): number {
  if (!isRecord(node)) {
    add(
      path,
      `must be a condition {"key", "operator", "value"} or a group {"and": [...]} or {"or": [...]}, got ${show(node)}`,
    );
    return 0;
  }
  const joins = (['and', 'or'] as const).filter((join) => node[join] !== undefined);
  if (joins.length === 0) return checkCondition(node, path, add);
  if (joins.length === 2) add(path, 'must hold "and" or "or", not both: nest one group inside the other');
  for (const key of Object.keys(node)) {
    if (key !== 'and' && key !== 'or') {
      add(`${path}.${key}`, 'is not allowed in a group: a group holds only "and" or "or"');
    }
  }
  let conditions = 0;
  for (const join of joins) {
    const members = node[join];
    if (!Array.isArray(members) || members.length === 0) {
      add(`${path}.${join}`, `must be a non-empty list of conditions or groups, got ${show(members)}`);
      continue;
    }
    members.forEach((member: unknown, index) => {
      conditions += checkNode(member, `${path}.${join}[${index}]`, add);
    });
  }
  return conditions;
}

function checkCondition(node: Readonly<Record<string, unknown>>, path: string, add: Add): number {
  for (const key of Object.keys(node)) {
    if (!(CONDITION_KEYS as readonly string[]).includes(key)) {
      add(
        `${path}.${key}`,
        `is not allowed in a condition: a condition holds "key", "operator" and "value"${suggestion(key, CONDITION_KEYS)}`,
      );
    }
  }
  const { key, operator, value } = node;
  if (typeof key !== 'string' || key === '') {
    add(`${path}.key`, `must be a field name of the dataset (a non-empty string), got ${show(key)}`);
  }
  const known = FILTER_OPERATORS.includes(operator as FilterOperator);
  if (!known) add(`${path}.operator`, `must be ${oneOf(FILTER_OPERATORS)}, got ${show(operator)}`);
  const valuePath = `${path}.value`;
  if (known && LIST_OPERATORS.includes(operator as FilterOperator)) {
    if (!Array.isArray(value) || value.length === 0) {
      add(
        valuePath,
        `must be a non-empty list of strings or numbers for operator "${operator}", got ${show(value)}`,
      );
    } else {
      value.forEach((item: unknown, index) => {
        if (!isListItem(item))
          add(`${valuePath}[${index}]`, `must be a string or a number, got ${show(item)}`);
      });
    }
  } else if (known) {
    if (!isScalar(value)) {
      add(valuePath, `must be a string, number or boolean for operator "${operator}", got ${show(value)}`);
    }
  } else if (!isScalar(value) && !(Array.isArray(value) && value.length > 0 && value.every(isListItem))) {
    add(
      valuePath,
      `must be a string, number or boolean, or a non-empty list of strings or numbers for "in" and "!in", got ${show(value)}`,
    );
  }
  return 1;
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || isFiniteNumber(value);
}

function isListItem(value: unknown): boolean {
  return typeof value === 'string' || isFiniteNumber(value);
}

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function oneOf(values: readonly string[]): string {
  return `one of ${values.map((value) => JSON.stringify(value)).join(', ')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
