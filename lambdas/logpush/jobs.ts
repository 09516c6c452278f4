/**
 * The Logpush jobs the configuration asks for, which existing job is ours, and how it differs from what it should
 * be. Pure: no network, no SDK. A job is recognised as the stack's by its destination (bucket and prefix), not by
 * its name, so a job made by hand in the dashboard with the stack's `destination_conf` is found and kept in line.
 */
import { logpushDestinationConf } from '../../lib/logpush-destination.ts';
import type { DatasetName } from '../datasets/catalog.ts';
import type { LogpushJob, LogpushJobBody, LogpushScope } from './api.ts';
import {
  type LogpushFilter,
  type LogpushJobOptions,
  type LogpushSettings,
  type TimestampFormat,
  UPLOAD_LIMITS,
  type UploadLimitName,
} from './settings.ts';

/** One job the configuration asks for: a dataset in a zone or in the account. */
export interface LogpushTarget {
  readonly dataset: DatasetName;
  readonly scope: LogpushScope;
}

/** Where the stack's Logpush jobs write. */
export interface LogpushBucket {
  readonly bucket: string;
  /** Key prefix of Logpush objects, without slashes at either end. */
  readonly prefix: string;
  readonly region: string;
}

/** Every (dataset, zone) and (dataset, account) pair of the configuration, zones first, in configuration order. */
export function logpushTargets(config: {
  readonly cloudflare: {
    readonly accountId?: string;
    readonly zones: readonly { id: string; name?: string }[];
  };
  readonly datasets: { readonly account: readonly DatasetName[]; readonly zone: readonly DatasetName[] };
}): LogpushTarget[] {
  const targets: LogpushTarget[] = [];
  for (const dataset of config.datasets.zone) {
    for (const zone of config.cloudflare.zones) {
      const scope: LogpushScope =
        zone.name === undefined
          ? { kind: 'zone', id: zone.id }
          : { kind: 'zone', id: zone.id, name: zone.name };
      targets.push({ dataset, scope });
    }
  }
  const accountId = config.cloudflare.accountId;
  if (accountId !== undefined) {
    for (const dataset of config.datasets.account) {
      targets.push({ dataset, scope: { kind: 'account', id: accountId } });
    }
  }
  return targets;
}

/** The job's name in the dashboard (`[a-zA-Z0-9.-]` only, FACTS A6): `cf-logs-http-requests`. */
export function jobName(dataset: string): string {
  return `cf-logs-${dataset.replaceAll('_', '-')}`;
}

/** Logpush's `output_options` formatting keys and their NDJSON defaults (FACTS B). A job must keep them. */
export const NDJSON_FORMAT_DEFAULTS: Readonly<Record<string, string>> = {
  batch_prefix: '',
  batch_suffix: '',
  record_prefix: '{',
  record_suffix: '}\n',
  record_template: '',
  record_delimiter: '',
  field_delimiter: ',',
};

/** Log4j mitigation (`${` → `x{`): off, so the lake holds what Cloudflare logged. */
const CVE_KEY = 'CVE-2021-44228';

/** What one job should be. */
export interface DesiredJob {
  readonly target: LogpushTarget;
  readonly name: string;
  readonly destinationConf: string;
  readonly timestampFormat: TimestampFormat;
  readonly fieldNames: readonly string[];
  readonly sampleRate: number;
  readonly filter: LogpushFilter | undefined;
  /** Only the limits the configuration sets, by API field name. */
  readonly uploadLimits: Readonly<Partial<Record<(typeof UPLOAD_LIMITS)[UploadLimitName]['field'], number>>>;
}

/**
 * The job a target should have, given the fields Cloudflare lists for its dataset. Problems (a configured field
 * or filter key Cloudflare does not list) are returned rather than thrown, so `plan` shows every one of them.
 */
export function desiredJob(
  target: LogpushTarget,
  settings: LogpushSettings,
  bucket: LogpushBucket,
  availableFields: readonly string[],
): { job: DesiredJob; problems: string[] } {
  const options: LogpushJobOptions = settings.jobs[target.dataset] ?? {};
  const problems: string[] = [];
  const known = new Set(availableFields);
  const setting = `logpush.jobs.${target.dataset}`;
  const unknown = (names: readonly string[]) => names.filter((name) => !known.has(name));
  const listed = `Cloudflare lists ${availableFields.length} fields for ${target.dataset}`;
  let fieldNames: readonly string[];
  if (options.fields !== undefined) {
    fieldNames = options.fields;
    const missing = unknown(options.fields);
    if (missing.length > 0) {
      problems.push(
        `${setting}.fields names ${quoteList(missing)}, not a field of ${target.dataset} (${listed})`,
      );
    }
  } else {
    const excluded = new Set(options.excludeFields ?? []);
    fieldNames = availableFields.filter((name) => !excluded.has(name));
    const missing = unknown(options.excludeFields ?? []);
    if (missing.length > 0) {
      problems.push(
        `${setting}.excludeFields names ${quoteList(missing)}, not a field of ${target.dataset} (${listed})`,
      );
    }
  }
  if (fieldNames.length === 0) problems.push(`${setting}: no field left to push`);
  if (options.filter !== undefined) {
    const missing = unknown([...new Set(filterKeys(options.filter.where))]);
    if (missing.length > 0) {
      problems.push(
        `${setting}.filter uses ${quoteList(missing)}, not a field of ${target.dataset} (${listed})`,
      );
    }
  }
  const uploadLimits: Partial<Record<string, number>> = {};
  for (const [name, spec] of Object.entries(UPLOAD_LIMITS) as [
    UploadLimitName,
    (typeof UPLOAD_LIMITS)[UploadLimitName],
  ][]) {
    const value = settings[name];
    if (value !== undefined) uploadLimits[spec.field] = value;
  }
  return {
    job: {
      target,
      name: jobName(target.dataset),
      destinationConf: logpushDestinationConf({
        ...bucket,
        dataset: target.dataset,
        scopeId: target.scope.id,
      }),
      timestampFormat: settings.timestampFormat,
      fieldNames,
      sampleRate: options.sampleRate ?? 1,
      filter: options.filter,
      uploadLimits,
    },
    problems,
  };
}

function filterKeys(node: LogpushFilter['where']): string[] {
  if ('and' in node) return node.and.flatMap(filterKeys);
  if ('or' in node) return node.or.flatMap(filterKeys);
  return [node.key];
}

function quoteList(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((name) => `"${name}"`);
  return names.length > 8 ? `${shown.join(', ')} and ${names.length - 8} more` : shown.join(', ');
}

/** An `s3://` destination taken apart: bucket, path (no slashes at either end) and query parameters. */
export interface ParsedDestination {
  readonly bucket: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses an `s3://bucket/path?query` destination; undefined for any other scheme. */
export function parseDestination(destinationConf: string): ParsedDestination | undefined {
  const match = /^s3:\/\/([^/?]+)\/?([^?]*)(?:\?(.*))?$/.exec(destinationConf);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(match[3] ?? '')) params[key] = value;
  return { bucket: match[1]!, path: match[2]!.replace(/\/+$/, ''), params };
}

/** The scheme and host part of a destination, safe to print (no keys of S3-compatible destinations). */
export function showDestination(destinationConf: string): string {
  const parsed = parseDestination(destinationConf);
  if (!parsed) return `${destinationConf.split(/[?:]/, 1)[0]}://…`;
  const shown = Object.entries(parsed.params)
    .map(([key, value]) => `${key}=${/secret|key/i.test(key) ? '…' : value}`)
    .join('&');
  return `s3://${parsed.bucket}/${parsed.path}${shown ? `?${shown}` : ''}`;
}

/** Whether a job writes into the stack's bucket under its Logpush prefix. */
export function writesToBucket(job: LogpushJob, bucket: LogpushBucket): boolean {
  const parsed = parseDestination(job.destination_conf);
  return (
    parsed !== undefined && parsed.bucket === bucket.bucket && parsed.path.startsWith(`${bucket.prefix}/`)
  );
}

/**
 * The target a job of the stack's bucket writes for, read from its path (`<prefix>/<dataset>/<scope id>/{DATE}`):
 * undefined for a path in another layout.
 */
export function jobTargetKey(job: LogpushJob, bucket: LogpushBucket): string | undefined {
  const parsed = parseDestination(job.destination_conf);
  if (!parsed || job.dataset === null) return undefined;
  const [dataset, scopeId] = parsed.path.slice(bucket.prefix.length + 1).split('/');
  if (dataset !== job.dataset || scopeId === undefined || !/^[0-9a-f]{32}$/.test(scopeId)) return undefined;
  return targetKey(job.dataset, scopeId);
}

/**
 * Whether a job (listed in the target's scope) is the target's: it writes the target's dataset into the stack's
 * bucket. Its path may still be wrong (another layout, another scope's id): then `plan` corrects the destination.
 */
export function sameTarget(job: LogpushJob, target: LogpushTarget, bucket: LogpushBucket): boolean {
  return job.dataset === target.dataset && writesToBucket(job, bucket);
}

/** Key of a (dataset, scope id) pair. */
export function targetKey(dataset: string, scopeId: string): string {
  return `${dataset}/${scopeId}`;
}

/** One difference between a job and what it should be. */
export interface JobChange {
  /** The job field (`destination_conf`, `output_options.field_names`, `filter`, …). */
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
  /** For field lists: names to add and to remove. */
  readonly added?: readonly string[];
  readonly removed?: readonly string[];
}

/** How the job differs from what it should be; empty when it is in line. */
export function diffJob(desired: DesiredJob, job: LogpushJob): JobChange[] {
  const changes: JobChange[] = [];
  const change = (field: string, from: unknown, to: unknown) => changes.push({ field, from, to });
  if (!sameDestination(job.destination_conf, desired.destinationConf)) {
    change('destination_conf', job.destination_conf, desired.destinationConf);
  }
  if (job.name !== desired.name) change('name', job.name, desired.name);
  if (!job.enabled) change('enabled', job.enabled, true);

  const options = job.output_options ?? {};
  const outputType = options.output_type ?? 'ndjson';
  if (outputType !== 'ndjson') change('output_options.output_type', outputType, 'ndjson');
  const timestampFormat = options.timestamp_format ?? 'unixnano';
  if (timestampFormat !== desired.timestampFormat) {
    change('output_options.timestamp_format', timestampFormat, desired.timestampFormat);
  }
  const actualFields = Array.isArray(options.field_names) ? options.field_names.map(String) : [];
  const has = new Set(actualFields);
  const wanted = new Set(desired.fieldNames);
  const added = desired.fieldNames.filter((name) => !has.has(name));
  const removed = actualFields.filter((name) => !wanted.has(name));
  if (added.length > 0 || removed.length > 0) {
    changes.push({
      field: 'output_options.field_names',
      from: actualFields.length,
      to: desired.fieldNames.length,
      added,
      removed,
    });
  }
  const sampleRate = typeof options.sample_rate === 'number' ? options.sample_rate : 1;
  if (sampleRate !== desired.sampleRate) change('output_options.sample_rate', sampleRate, desired.sampleRate);
  if ((options[CVE_KEY] ?? false) !== false) change(`output_options.${CVE_KEY}`, options[CVE_KEY], false);
  for (const [key, fallback] of Object.entries(formatDrift(options))) {
    change(`output_options.${key}`, options[key], fallback);
  }

  const actualFilter = parseFilter(job.filter);
  const desiredFilter = desired.filter === undefined ? undefined : canonicalJson(desired.filter);
  if (actualFilter !== desiredFilter) change('filter', job.filter || null, desiredFilter ?? null);
  for (const [field, value] of Object.entries(desired.uploadLimits)) {
    const actual = job[field as keyof typeof desired.uploadLimits];
    if (actual !== value) change(field, actual, value);
  }
  return changes;
}

/** Formatting keys holding something other than the NDJSON default (null and "" count as the default). */
function formatDrift(options: Readonly<Record<string, unknown>>): Record<string, string> {
  const drift: Record<string, string> = {};
  for (const [key, fallback] of Object.entries(NDJSON_FORMAT_DEFAULTS)) {
    const value = options[key];
    if (value === undefined || value === null || value === '' || value === fallback) continue;
    drift[key] = fallback;
  }
  return drift;
}

/** Same bucket, path and query parameters (in any order). */
function sameDestination(a: string, b: string): boolean {
  const pa = parseDestination(a);
  const pb = parseDestination(b);
  if (!pa || !pb) return a === b;
  return (
    pa.bucket === pb.bucket && pa.path === pb.path && canonicalJson(pa.params) === canonicalJson(pb.params)
  );
}

/** A job's filter string as canonical JSON; undefined for none, the raw text when it is not JSON. */
function parseFilter(filter: string | null): string | undefined {
  if (filter === null || filter.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(filter) as unknown;
    if (parsed === null || (typeof parsed === 'object' && Object.keys(parsed).length === 0)) return undefined;
    return canonicalJson(parsed);
  } catch {
    return filter;
  }
}

/** JSON with object keys sorted, so two equal values give the same text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** `output_options` to send: ours, plus the NDJSON defaults of formatting keys the job had changed. */
function outputOptions(desired: DesiredJob, job?: LogpushJob): Record<string, unknown> {
  return {
    output_type: 'ndjson',
    timestamp_format: desired.timestampFormat,
    field_names: [...desired.fieldNames],
    sample_rate: desired.sampleRate,
    [CVE_KEY]: false,
    ...(job?.output_options ? formatDrift(job.output_options) : {}),
  };
}

/** The body of `POST …/logpush/jobs` for a new job (with the ownership token). */
export function createBody(desired: DesiredJob, ownershipChallenge: string): LogpushJobBody {
  return {
    dataset: desired.target.dataset,
    name: desired.name,
    destination_conf: desired.destinationConf,
    ownership_challenge: ownershipChallenge,
    enabled: true,
    output_options: outputOptions(desired),
    ...(desired.filter === undefined ? {} : { filter: JSON.stringify(desired.filter) }),
    ...desired.uploadLimits,
  };
}

/**
 * The body of `PUT …/logpush/jobs/{id}` that brings a job in line. A new `destination_conf` needs a new ownership
 * token (FACTS A3); the other fields do not.
 */
export function updateBody(
  desired: DesiredJob,
  job: LogpushJob,
  ownershipChallenge?: string,
): LogpushJobBody {
  const hadFilter = parseFilter(job.filter) !== undefined;
  return {
    name: desired.name,
    destination_conf: desired.destinationConf,
    ...(ownershipChallenge === undefined ? {} : { ownership_challenge: ownershipChallenge }),
    enabled: true,
    output_options: outputOptions(desired, job),
    ...(desired.filter !== undefined
      ? { filter: JSON.stringify(desired.filter) }
      : hadFilter
        ? { filter: '' }
        : {}),
    ...desired.uploadLimits,
  };
}

/** Whether bringing the job in line changes its destination, which needs an ownership challenge. */
export function needsChallenge(changes: readonly JobChange[]): boolean {
  return changes.some((change) => change.field === 'destination_conf');
}
