/**
 * The deployment's configuration: a JSON file (default `cf-logs.config.json`, another with `-c config=path`),
 * optionally overridden setting by setting with CDK context (`-c normalize.memoryMiB=2048`). Everything is
 * checked before anything is built; all problems are reported together, each naming its setting.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../lambdas/core/errors.ts';
import { show, suggestion } from '../lambdas/core/setting-messages.ts';
import {
  DATASET_NAMES,
  type DatasetName,
  datasetHasScope,
  isDatasetName,
} from '../lambdas/datasets/catalog.ts';
import { type LogpushSettings, UPLOAD_LIMITS } from '../lambdas/logpush/settings.ts';
import { checkLogpushSettings } from '../lambdas/logpush/settings-check.ts';
import { DEFAULT_LOGPUSH_PREFIX, DEFAULT_QUARANTINE_PREFIX } from '../lambdas/settings.ts';
import {
  POLLER_INTEGER_SPECS,
  type PollerSettings,
  pollerSettingProblems,
  type ResolvedPollerSettings,
  resolvePollerSettings,
} from './api-poller.ts';
import {
  ATHENA_SPECS,
  type AthenaSettings,
  FIREHOSE_SPECS,
  type FirehoseSettings,
  lakeSettingProblems,
  MONITORING_INTEGER_SPECS,
  type MonitoringSettings,
  NORMALIZE_SPECS,
  type NormalizeFunctionSettings,
  RETENTION_SPECS,
  type ResolvedMonitoringSettings,
  type RetentionSettings,
  resolveMonitoringSettings,
  withDefaults,
} from './lake-settings.ts';

/** Default configuration file, relative to the directory `cdk` runs in (the repository root). */
export const DEFAULT_CONFIG_FILE = 'cf-logs.config.json';

/** CDK context key naming the configuration file. */
export const CONFIG_CONTEXT_KEY = 'config';

/** Every message starts with this, so it is clear where the problem is. */
const MESSAGE_PREFIX = 'cf-logs config: ';

/** A Cloudflare zone whose Logpush jobs write into the stack. */
export interface ZoneConfig {
  /** Zone id: 32 lowercase hex characters. */
  readonly id: string;
  /** Zone name (domain), only used in descriptions. */
  readonly name?: string;
}

/** What happens to buckets and log groups when the stack is deleted. */
export type RemovalPolicySetting = 'retain' | 'destroy';

/** The whole configuration, checked, with defaults applied. */
export interface CfLogsConfig {
  readonly cloudflare: {
    /** Cloudflare account id (32 lowercase hex); required when `datasets.account` is not empty. */
    readonly accountId?: string;
    readonly zones: readonly ZoneConfig[];
  };
  /** Logpush datasets to print a `destination_conf` for, by scope. */
  readonly datasets: {
    readonly account: readonly DatasetName[];
    readonly zone: readonly DatasetName[];
  };
  readonly logpushPrefix: string;
  readonly quarantinePrefix: string;
  readonly retention: Required<RetentionSettings>;
  readonly normalize: Required<NormalizeFunctionSettings>;
  readonly firehose: Required<FirehoseSettings>;
  /** The Glue database, partition projection and the Athena workgroup. */
  readonly athena: Required<AthenaSettings>;
  readonly removalPolicy: RemovalPolicySetting;
  readonly accessLogs: boolean;
  /** The API pollers (off unless `poller.enabled`). */
  readonly poller: ResolvedPollerSettings;
  /** Alarm thresholds, where alarms notify, the dashboard. */
  readonly monitoring: ResolvedMonitoringSettings;
  /** What the Logpush jobs `cf-logs logpush` creates look like (the stack itself does not use it). */
  readonly logpush: LogpushSettings;
}

/** How a setting is written, which decides how a `-c` string is turned into it. */
type SettingKind = 'string' | 'integer' | 'boolean' | 'zones' | 'list' | 'json';

const kindOf = (specs: Record<string, { readonly kind: string }>, section: string) =>
  Object.fromEntries(
    Object.entries(specs).map(([key, spec]) => [
      `${section}.${key}`,
      spec.kind === 'integer' ? 'integer' : 'string',
    ]),
  ) as Record<string, SettingKind>;

/** Every setting, by dotted path. Anything else in the file or in `-c` overrides is an error. */
const SETTINGS: Readonly<Record<string, SettingKind>> = {
  'cloudflare.accountId': 'string',
  'cloudflare.zones': 'zones',
  'datasets.account': 'list',
  'datasets.zone': 'list',
  logpushPrefix: 'string',
  quarantinePrefix: 'string',
  ...kindOf(RETENTION_SPECS, 'retention'),
  ...kindOf(NORMALIZE_SPECS, 'normalize'),
  ...kindOf(FIREHOSE_SPECS, 'firehose'),
  ...kindOf(ATHENA_SPECS, 'athena'),
  removalPolicy: 'string',
  accessLogs: 'boolean',
  'poller.enabled': 'boolean',
  'poller.sources': 'list',
  'poller.secretName': 'string',
  'poller.secretArn': 'string',
  'poller.apiBase': 'string',
  'poller.reservedConcurrency': 'boolean',
  ...kindOf(POLLER_INTEGER_SPECS, 'poller'),
  'monitoring.emails': 'list',
  'monitoring.topicArn': 'string',
  'monitoring.dashboard': 'boolean',
  ...kindOf(MONITORING_INTEGER_SPECS, 'monitoring'),
  'logpush.timestampFormat': 'string',
  ...(Object.fromEntries(Object.keys(UPLOAD_LIMITS).map((name) => [`logpush.${name}`, 'integer'])) as Record<
    string,
    SettingKind
  >),
  // An object keyed by dataset: -c takes it as JSON (`-c 'logpush.jobs={"http_requests":{"sampleRate":0.5}}'`).
  'logpush.jobs': 'json',
};

/** The section whose unknown keys `checkLogpushSettings` reports (so the generic check skips it). */
const LOGPUSH_SECTION = 'logpush';

const SECTIONS = [
  ...new Set(Object.keys(SETTINGS).flatMap((path) => (path.includes('.') ? [path.split('.')[0]!] : []))),
];
const TOP_LEVEL = [...new Set(Object.keys(SETTINGS).map((path) => path.split('.')[0]!))];

const HEX32 = /^[0-9a-f]{32}$/;
const ZONE_NAME = /^(?=.{1,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;
const REMOVAL_POLICIES: readonly RemovalPolicySetting[] = ['retain', 'destroy'];

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** All CDK context (`app.node.getAllContext()`): `config` names the file, setting paths override it. */
  readonly context: Readonly<Record<string, unknown>>;
  /** Directory relative file paths are resolved from. */
  readonly cwd: string;
}

/**
 * Reads the configuration file (the default one may be missing: then defaults apply), applies `-c` overrides
 * and checks the result.
 * @throws ConfigError listing every problem, one per line.
 */
export function loadConfig(options: LoadConfigOptions): CfLogsConfig {
  const named = options.context[CONFIG_CONTEXT_KEY];
  if (named !== undefined && (typeof named !== 'string' || named === '')) {
    throw new ConfigError(
      `${MESSAGE_PREFIX}"-c ${CONFIG_CONTEXT_KEY}" must be a file path, got ${show(named)}`,
    );
  }
  const file = resolve(options.cwd, named ?? DEFAULT_CONFIG_FILE);
  let raw: unknown = {};
  if (existsSync(file)) {
    raw = readJsonFile(file);
  } else if (named !== undefined) {
    throw new ConfigError(`${MESSAGE_PREFIX}file ${file} (from -c ${CONFIG_CONTEXT_KEY}) does not exist`);
  }
  const { overrides, problems } = contextOverrides(options.context);
  return checkConfig(raw, overrides, problems);
}

/**
 * Checks a parsed configuration object (the file's JSON) with optional overrides by setting path.
 * @throws ConfigError listing every problem, one per line.
 */
export function parseConfig(raw: unknown, overrides: Readonly<Record<string, unknown>> = {}): CfLogsConfig {
  return checkConfig(raw, overrides, []);
}

/**
 * Picks the CDK context entries that are setting paths (`normalize.memoryMiB`) and turns their strings into the
 * setting's type: numbers, `true`/`false`, lists as JSON or comma-separated (`-c datasets.zone=a,b`; zones as
 * `id` or `id:name`). Other context (CDK feature flags) is left alone, except keys that start like a setting.
 */
export function contextOverrides(context: Readonly<Record<string, unknown>>): {
  overrides: Record<string, unknown>;
  problems: string[];
} {
  const overrides: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    const top = key.split('.')[0]!;
    if (!TOP_LEVEL.includes(top)) continue;
    const kind = SETTINGS[key];
    if (kind === undefined) {
      problems.push(`${MESSAGE_PREFIX}"-c ${key}" is not a setting${suggestion(key, Object.keys(SETTINGS))}`);
      continue;
    }
    if (kind === 'json' && typeof value === 'string') {
      try {
        overrides[key] = JSON.parse(value) as unknown;
      } catch (error) {
        problems.push(
          `${MESSAGE_PREFIX}"-c ${key}" must be JSON, got ${show(value)} (${(error as Error).message})`,
        );
      }
      continue;
    }
    overrides[key] = typeof value === 'string' ? fromContextString(value, kind) : value;
  }
  return { overrides, problems };
}

function fromContextString(value: string, kind: SettingKind): unknown {
  const text = value.trim();
  switch (kind) {
    case 'integer':
      return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : value;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : value;
    case 'zones':
    case 'list': {
      if (text.startsWith('[')) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return value;
        }
      }
      const items = text.split(',').flatMap((item) => (item.trim() === '' ? [] : [item.trim()]));
      if (kind === 'list') return items;
      return items.map((item) => {
        const [id, name] = item.split(':');
        return name === undefined ? { id } : { id, name };
      });
    }
    default:
      return value;
  }
}

function checkConfig(
  raw: unknown,
  overrides: Readonly<Record<string, unknown>>,
  earlier: readonly string[],
): CfLogsConfig {
  const problems = [...earlier];
  const add = (path: string, problem: string) => problems.push(`${MESSAGE_PREFIX}"${path}" ${problem}`);

  if (!isRecord(raw)) {
    add('(file)', `must be a JSON object, got ${show(raw)}`);
    throw new ConfigError(problems.join('\n'));
  }
  const merged = withOverrides(raw, overrides);
  for (const [key, value] of Object.entries(merged)) {
    if (!TOP_LEVEL.includes(key)) {
      add(key, `is not a setting${suggestion(key, TOP_LEVEL)}`);
    } else if (SECTIONS.includes(key) && value !== undefined) {
      if (!isRecord(value)) {
        add(key, `must be an object, got ${show(value)}`);
        continue;
      }
      if (key === LOGPUSH_SECTION) continue;
      const known = Object.keys(SETTINGS).filter((path) => path.startsWith(`${key}.`));
      for (const leaf of Object.keys(value)) {
        const path = `${key}.${leaf}`;
        if (!known.includes(path)) add(path, `is not a setting${suggestion(path, known)}`);
      }
    }
  }
  const section = (name: string): Record<string, unknown> => {
    const value = merged[name];
    return isRecord(value) ? value : {};
  };

  const cloudflare = section('cloudflare');
  const accountId = cloudflare.accountId;
  if (accountId !== undefined && !(typeof accountId === 'string' && HEX32.test(accountId))) {
    add(
      'cloudflare.accountId',
      `must be 32 lowercase hexadecimal characters (a Cloudflare account id), got ${show(accountId)}`,
    );
  }
  const zones = readZones(cloudflare.zones, add);
  const datasets = section('datasets');
  const account = readDatasets(datasets.account, 'account', add);
  const zone = readDatasets(datasets.zone, 'zone', add);
  if (account.length > 0 && accountId === undefined) {
    add('cloudflare.accountId', 'is required: datasets.account lists account-scoped datasets');
  }
  if (zone.length > 0 && zones.length === 0) {
    add('cloudflare.zones', 'must list at least one zone: datasets.zone lists zone-scoped datasets');
  }

  const lake = {
    logpushPrefix: (merged.logpushPrefix ?? DEFAULT_LOGPUSH_PREFIX) as string,
    quarantinePrefix: (merged.quarantinePrefix ?? DEFAULT_QUARANTINE_PREFIX) as string,
    retention: withDefaults(RETENTION_SPECS, section('retention') as RetentionSettings),
    normalize: withDefaults(NORMALIZE_SPECS, section('normalize') as NormalizeFunctionSettings),
    firehose: withDefaults(FIREHOSE_SPECS, section('firehose') as FirehoseSettings),
    athena: withDefaults(ATHENA_SPECS, section('athena') as AthenaSettings),
    monitoring: resolveMonitoringSettings(section('monitoring') as MonitoringSettings),
  };
  for (const problem of lakeSettingProblems(lake)) problems.push(`${MESSAGE_PREFIX}${problem}`);

  const removalPolicy = merged.removalPolicy ?? 'retain';
  if (!REMOVAL_POLICIES.includes(removalPolicy as RemovalPolicySetting)) {
    add('removalPolicy', `must be one of "retain", "destroy", got ${show(removalPolicy)}`);
  }
  const accessLogs = merged.accessLogs ?? true;
  if (typeof accessLogs !== 'boolean') add('accessLogs', `must be true or false, got ${show(accessLogs)}`);

  const poller = resolvePollerSettings(section('poller') as PollerSettings);
  for (const problem of pollerSettingProblems(poller, {
    ...(accountId === undefined ? {} : { accountId: accountId as string }),
    logpushAccountDatasets: account,
  })) {
    problems.push(`${MESSAGE_PREFIX}${problem}`);
  }

  const logpush = checkLogpushSettings(isRecord(merged.logpush) ? merged.logpush : undefined, {
    account,
    zone,
  });
  for (const problem of logpush.problems) problems.push(`${MESSAGE_PREFIX}${problem}`);

  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return {
    cloudflare: { ...(accountId === undefined ? {} : { accountId: accountId as string }), zones },
    datasets: { account, zone },
    ...lake,
    removalPolicy: removalPolicy as RemovalPolicySetting,
    accessLogs: accessLogs as boolean,
    poller,
    logpush: logpush.settings,
  };
}

function readZones(value: unknown, add: (path: string, problem: string) => void): ZoneConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    add(
      'cloudflare.zones',
      `must be a list of { "id": "<zone id>", "name": "<domain>" }, got ${show(value)}`,
    );
    return [];
  }
  const zones: ZoneConfig[] = [];
  value.forEach((item: unknown, index) => {
    const path = `cloudflare.zones[${index}]`;
    if (!isRecord(item)) {
      add(path, `must be an object { "id": "<zone id>", "name": "<domain>" }, got ${show(item)}`);
      return;
    }
    for (const key of Object.keys(item)) {
      if (key !== 'id' && key !== 'name')
        add(`${path}.${key}`, `is not a setting${suggestion(key, ['id', 'name'])}`);
    }
    const { id, name } = item;
    if (!(typeof id === 'string' && HEX32.test(id))) {
      add(
        `${path}.id`,
        `must be 32 lowercase hexadecimal characters (a Cloudflare zone id), got ${show(id)}`,
      );
      return;
    }
    if (name !== undefined && !(typeof name === 'string' && ZONE_NAME.test(name))) {
      add(`${path}.name`, `must be a domain name such as "example.com", got ${show(name)}`);
      return;
    }
    const first = zones.findIndex((zone) => zone.id === id);
    if (first >= 0) {
      add(`${path}.id`, `repeats cloudflare.zones[${first}].id ${show(id)}`);
      return;
    }
    zones.push(name === undefined ? { id } : { id, name: name as string });
  });
  return zones;
}

function readDatasets(
  value: unknown,
  scope: 'account' | 'zone',
  add: (path: string, problem: string) => void,
): DatasetName[] {
  const path = `datasets.${scope}`;
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    add(path, `must be a list of Cloudflare Logpush dataset names, got ${show(value)}`);
    return [];
  }
  const datasets: DatasetName[] = [];
  value.forEach((name: unknown, index) => {
    const itemPath = `${path}[${index}]`;
    if (typeof name !== 'string' || !isDatasetName(name)) {
      add(
        itemPath,
        `must be a Cloudflare Logpush dataset known to this project (lambdas/datasets/catalog.ts), got ${show(name)}` +
          (typeof name === 'string' ? suggestion(name, DATASET_NAMES) : ''),
      );
      return;
    }
    if (!datasetHasScope(name, scope)) {
      const other = scope === 'zone' ? 'account' : 'zone';
      add(
        itemPath,
        `is "${name}", which has no ${scope}-scoped Logpush job: list it under datasets.${other}`,
      );
      return;
    }
    if (datasets.includes(name)) {
      add(itemPath, `repeats "${name}"`);
      return;
    }
    datasets.push(name);
  });
  return datasets;
}

/** The file's object with `-c` overrides written into it at their paths. */
function withOverrides(
  raw: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = structuredClone(raw);
  for (const [path, value] of Object.entries(overrides)) {
    const [first, second] = path.split('.') as [string, string | undefined];
    if (second === undefined) {
      merged[first] = value;
      continue;
    }
    const section = merged[first] ?? {};
    // A section that is not an object is reported as such; the override cannot go anywhere.
    if (isRecord(section)) merged[first] = { ...section, [second]: value };
  }
  return merged;
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${MESSAGE_PREFIX}cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8 quotes the text around the error ("...apiToken": cfut_..."), which may be a credential pasted into the
    // wrong file: keep what went wrong and where, never the text itself (nor the error that holds it).
    throw new ConfigError(
      `${MESSAGE_PREFIX}${file} is not valid JSON: ${jsonErrorWithoutText(error as Error)}`,
    );
  }
}

/** A JSON.parse error message without the excerpt of the input V8 puts in some of them. */
function jsonErrorWithoutText(error: Error): string {
  return error.message
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/^(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, 'the text is not valid JSON');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
