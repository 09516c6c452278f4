/**
 * `cf-logs logpush plan|apply|list|delete`: the Logpush jobs that write into the stack's bucket, set up from the
 * configuration file the stack was deployed with. Cloudflare is reached with a token from the environment or from
 * the pollers' secret; the ownership-challenge file is read from the bucket with the caller's AWS credentials.
 */
import type { Writable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type CfLogsConfig, DEFAULT_CONFIG_FILE, loadConfig } from '../../lib/config.ts';
import { S3ChallengeStore } from '../adapters/s3-challenge-store.ts';
import { SecretsManagerCredentials } from '../adapters/secrets-credentials.ts';
import { ConfigError } from '../core/errors.ts';
import { isDatasetName } from '../datasets/catalog.ts';
import { describeScope, LogpushApi, type LogpushJob, type LogpushScope } from '../logpush/api.ts';
import { type AppliedJob, applyPlan } from '../logpush/apply.ts';
import type { ChallengeStore } from '../logpush/challenge.ts';
import {
  type JobChange,
  type LogpushBucket,
  type LogpushTarget,
  logpushTargets,
  parseDestination,
  showDestination,
  writesToBucket,
} from '../logpush/jobs.ts';
import {
  hasBlocked,
  hasChanges,
  type LogpushPlan,
  messageOf,
  type PlannedJob,
  planLogpush,
} from '../logpush/plan.ts';
import { CloudflareApi, DEFAULT_CLOUDFLARE_API_BASE } from '../poll/cloudflare-api.ts';
import type { CredentialProvider } from '../poll/types.ts';
import { environmentCredential } from './cloudflare-env.ts';
import { DEFAULT_OUTPUTS_FILE, readStackOutputs, StackOutputsError } from './stack-outputs.ts';

/** The actions of `cf-logs logpush`. */
export const LOGPUSH_ACTIONS = ['plan', 'apply', 'list', 'delete'] as const;
export type LogpushAction = (typeof LOGPUSH_ACTIONS)[number];

/** Exit codes of `cf-logs logpush`. */
export const LOGPUSH_EXIT = {
  /** Done; for `plan`, also: nothing blocked. */
  ok: 0,
  /** A job could not be planned, created, updated or deleted; or Cloudflare could not be read. */
  failed: 1,
  /** The command line, the configuration or the environment was wrong. */
  usage: 2,
  /** `plan --check` only: jobs would be created or updated. */
  changes: 3,
} as const;

/** The options of `cf-logs logpush`, as given on the command line. */
export interface LogpushCommandArgs {
  readonly action?: string;
  readonly config?: string;
  readonly outputs?: string;
  readonly stack?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly secret?: string;
  readonly dataset?: readonly string[];
  readonly job?: readonly string[];
  readonly json?: boolean;
  readonly yes?: boolean;
  readonly check?: boolean;
  readonly challengeTimeout?: string;
}

/** Where the command reads and writes; injectable so tests run it in-process against 127.0.0.1. */
export interface LogpushCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`), `CLOUDFLARE_API_BASE`, `AWS_REGION`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory the configuration and outputs files are resolved from. */
  readonly cwd: string;
  /** @default a client of the standard AWS SDK environment (AWS_ENDPOINT_URL_S3 included) */
  readonly s3?: (region: string) => S3Client;
  /** @default a client of the standard AWS SDK environment */
  readonly secretsManager?: (region: string) => SecretsManagerClient;
  /** Waits of the Cloudflare client and the challenge polling. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** A wrong command line, configuration or environment: reported, exit 2. */
class UsageError extends Error {}

/** What the command works on, resolved from the command line, the files and the environment. */
interface Setup {
  readonly config: CfLogsConfig;
  readonly targets: readonly LogpushTarget[];
  readonly scopes: readonly LogpushScope[];
  readonly bucket: LogpushBucket | undefined;
  readonly api: LogpushApi;
  readonly credentialSource: string;
}

/**
 * Runs `cf-logs logpush <action>`.
 * @returns the exit code ({@link LOGPUSH_EXIT}).
 */
export async function runLogpushCommand(args: LogpushCommandArgs, io: LogpushCommandIo): Promise<number> {
  const { stderr } = io;
  const say = (line: string) => stderr.write(`cf-logs logpush: ${line}\n`);
  let setup: Setup;
  let action: LogpushAction;
  try {
    action = readAction(args.action);
    setup = resolveSetup(args, io, action);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof StackOutputsError) {
      say(error.message.replaceAll('\n', '\n  '));
      return LOGPUSH_EXIT.usage;
    }
    throw error;
  }
  const where = setup.bucket
    ? `s3://${setup.bucket.bucket}/${setup.bucket.prefix}/ in ${setup.bucket.region}`
    : 'no bucket given';
  say(`${where}; credential from ${setup.credentialSource}`);
  try {
    switch (action) {
      case 'plan':
      case 'apply':
        return await planOrApply(action, args, io, setup);
      case 'list':
        return await list(args, io, setup);
      case 'delete':
        return await remove(args, io, setup);
    }
  } catch (error) {
    say(messageOf(error));
    return LOGPUSH_EXIT.failed;
  }
}

function readAction(action: string | undefined): LogpushAction {
  if (action === undefined) throw new UsageError(`an action is required: ${LOGPUSH_ACTIONS.join(', ')}`);
  if (!(LOGPUSH_ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`unknown action "${action}": ${LOGPUSH_ACTIONS.join(', ')}`);
  }
  return action as LogpushAction;
}

function resolveSetup(args: LogpushCommandArgs, io: LogpushCommandIo, action: LogpushAction): Setup {
  const config = loadConfig({
    context: args.config === undefined ? {} : { config: args.config },
    cwd: io.cwd,
  });
  const configFile = args.config ?? DEFAULT_CONFIG_FILE;
  const datasets = args.dataset ?? [];
  for (const name of datasets) {
    if (!isDatasetName(name))
      throw new UsageError(`--dataset ${name} is not a Logpush dataset this project knows`);
  }
  let targets = logpushTargets(config);
  if (datasets.length > 0) {
    const unconfigured = datasets.filter((name) => !targets.some((target) => target.dataset === name));
    if (unconfigured.length > 0 && action !== 'delete') {
      throw new UsageError(
        `--dataset ${unconfigured.join(', ')}: not in ${configFile} (datasets.zone / datasets.account)`,
      );
    }
    targets = targets.filter((target) => datasets.includes(target.dataset));
  }
  const scopes = configuredScopes(config);
  if (scopes.length === 0) {
    throw new UsageError(
      `${configFile} names no Cloudflare account or zone (cloudflare.accountId, cloudflare.zones): nothing to do`,
    );
  }
  if (targets.length === 0 && (action === 'plan' || action === 'apply')) {
    throw new UsageError(
      `${configFile} lists no Logpush dataset (datasets.zone, datasets.account): nothing to do`,
    );
  }

  const outputs = readStackOutputs({ outputs: args.outputs, stack: args.stack, cwd: io.cwd });
  const bucketName = args.bucket ?? outputs?.values.LogpushBucketName;
  const region =
    args.region ??
    outputs?.values.LogpushBucketRegion ??
    regionOf(outputs?.values.LogpushDestinationConfTemplate) ??
    (io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined);
  if (bucketName === undefined && action !== 'list') {
    throw new UsageError(
      'the Logpush bucket is unknown: pass --bucket NAME --region REGION (the stack outputs LogpushBucketName and ' +
        `LogpushBucketRegion), or deploy with \`npx cdk deploy --outputs-file ${DEFAULT_OUTPUTS_FILE}\` and run ` +
        'this from the same directory (or pass --outputs FILE)',
    );
  }
  if (bucketName !== undefined && region === undefined) {
    throw new UsageError(
      'the bucket region is unknown: pass --region REGION (the stack output LogpushBucketRegion)',
    );
  }
  const bucket =
    bucketName === undefined || region === undefined
      ? undefined
      : { bucket: bucketName, prefix: config.logpushPrefix, region };

  const secretsRegion = region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const { credentials, source } = resolveCredential(args, io, config, outputs?.values, secretsRegion);
  const baseUrl = io.env.CLOUDFLARE_API_BASE || config.poller.apiBase || DEFAULT_CLOUDFLARE_API_BASE;
  if (!URL.canParse(baseUrl)) throw new UsageError(`CLOUDFLARE_API_BASE ${baseUrl} is not a URL`);
  const api = new LogpushApi(
    new CloudflareApi({
      credentials,
      baseUrl,
      userAgent: 'cf-logs-logpush',
      ...(io.sleep === undefined ? {} : { sleep: io.sleep }),
    }),
  );
  return { config, targets, scopes, bucket, api, credentialSource: source };
}

/** The account (when configured) and every configured zone. */
function configuredScopes(config: CfLogsConfig): LogpushScope[] {
  const scopes: LogpushScope[] = config.cloudflare.zones.map((zone) =>
    zone.name === undefined ? { kind: 'zone', id: zone.id } : { kind: 'zone', id: zone.id, name: zone.name },
  );
  if (config.cloudflare.accountId !== undefined)
    scopes.push({ kind: 'account', id: config.cloudflare.accountId });
  return scopes;
}

function regionOf(destinationConf: string | undefined): string | undefined {
  if (destinationConf === undefined) return undefined;
  return parseDestination(destinationConf)?.params.region;
}

/**
 * The Cloudflare credential: `--secret`, else the environment, else the pollers' secret (the stack output
 * `PollCredentialSecretArn`, or `poller.secretArn` / `poller.secretName` of the configuration).
 */
function resolveCredential(
  args: LogpushCommandArgs,
  io: LogpushCommandIo,
  config: CfLogsConfig,
  outputs: Readonly<Record<string, string>> | undefined,
  region: string | undefined,
): { credentials: CredentialProvider; source: string } {
  const fromSecret = (secretId: string, how: string) => {
    if (region === undefined) {
      throw new UsageError(`reading the secret ${secretId} needs a region: pass --region or set AWS_REGION`);
    }
    const client = io.secretsManager?.(region) ?? new SecretsManagerClient({ region });
    return { credentials: new SecretsManagerCredentials(client, secretId), source: `${how} ${secretId}` };
  };
  if (args.secret !== undefined) return fromSecret(args.secret, 'the secret');
  const fromEnv = environmentCredential(io.env);
  if (typeof fromEnv === 'string') throw new UsageError(fromEnv);
  if (fromEnv !== undefined) {
    const name =
      fromEnv.kind === 'token' ? 'CLOUDFLARE_API_TOKEN' : 'CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY';
    return { credentials: { get: async () => fromEnv }, source: `the environment (${name})` };
  }
  const pollerSecret =
    outputs?.PollCredentialSecretArn ?? config.poller.secretArn ?? config.poller.secretName;
  if (pollerSecret !== undefined) return fromSecret(pollerSecret, "the pollers' secret");
  throw new UsageError(
    'no Cloudflare credential: set CLOUDFLARE_API_TOKEN (a token with Logs: Edit, plus Zero Trust: PII Read for ' +
      'Zero Trust datasets), or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY, or pass --secret ID (a Secrets Manager ' +
      'secret holding {"apiToken": "..."}, like the pollers\')',
  );
}

async function planOrApply(
  action: 'plan' | 'apply',
  args: LogpushCommandArgs,
  io: LogpushCommandIo,
  setup: Setup,
): Promise<number> {
  const bucket = setup.bucket as LogpushBucket;
  const plan = await planLogpush({
    api: setup.api,
    targets: setup.targets,
    settings: setup.config.logpush,
    bucket,
  });
  if (action === 'plan') {
    if (args.json) io.stdout.write(`${JSON.stringify({ bucket, plan: planJson(plan) }, null, 2)}\n`);
    else io.stdout.write(formatPlan(plan));
    if (hasBlocked(plan)) return LOGPUSH_EXIT.failed;
    return args.check && hasChanges(plan) ? LOGPUSH_EXIT.changes : LOGPUSH_EXIT.ok;
  }
  if (!args.json) io.stdout.write(formatPlan(plan));
  const timeoutSeconds = args.challengeTimeout === undefined ? 60 : Number(args.challengeTimeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 3600) {
    io.stderr.write(
      `cf-logs logpush: --challenge-timeout ${args.challengeTimeout} is not 1 to 3600 seconds\n`,
    );
    return LOGPUSH_EXIT.usage;
  }
  const store: ChallengeStore = new S3ChallengeStore(
    io.s3?.(bucket.region) ?? new S3Client({ region: bucket.region }),
    bucket.bucket,
  );
  const results = await applyPlan(plan, {
    api: setup.api,
    store,
    bucket: bucket.bucket,
    challengeTimeoutMs: timeoutSeconds * 1000,
    onProgress: (message) => io.stderr.write(`cf-logs logpush: ${message}\n`),
    ...(io.sleep === undefined ? {} : { sleep: io.sleep }),
    ...(io.now === undefined ? {} : { now: io.now }),
  });
  if (args.json) {
    io.stdout.write(
      `${JSON.stringify({ bucket, plan: planJson(plan), results: resultsJson(results) }, null, 2)}\n`,
    );
  } else {
    io.stdout.write(formatResults(results));
  }
  const failed = results.some((result) => result.outcome === 'failed' || result.outcome === 'blocked');
  return failed || plan.scopes.some((scope) => scope.error) ? LOGPUSH_EXIT.failed : LOGPUSH_EXIT.ok;
}

async function list(args: LogpushCommandArgs, io: LogpushCommandIo, setup: Setup): Promise<number> {
  const listed: { scope: LogpushScope; jobs?: LogpushJob[]; error?: string }[] = [];
  for (const scope of setup.scopes) {
    try {
      listed.push({ scope, jobs: await setup.api.listJobs(scope) });
    } catch (error) {
      listed.push({ scope, error: messageOf(error) });
    }
  }
  const datasets = args.dataset ?? [];
  const shown = (job: LogpushJob) => datasets.length === 0 || datasets.includes(job.dataset ?? '');
  if (args.json) {
    const json = listed.map(({ scope, jobs, error }) => ({
      scope,
      ...(error === undefined ? {} : { error }),
      jobs: (jobs ?? []).filter(shown).map((job) => jobJson(job, setup.bucket)),
    }));
    io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    const lines: string[] = [];
    for (const { scope, jobs, error } of listed) {
      lines.push(describeScope(scope));
      if (error !== undefined) {
        lines.push(`  ! ${error}`);
        continue;
      }
      const visible = (jobs ?? []).filter(shown);
      if (visible.length === 0) lines.push('  (no Logpush jobs)');
      for (const job of visible) lines.push(...formatJob(job, setup.bucket));
      if (scope.kind === 'zone' && jobs) lines.push(`  ${jobs.length} of 4 jobs this zone may have`);
    }
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return listed.some((entry) => entry.error) ? LOGPUSH_EXIT.failed : LOGPUSH_EXIT.ok;
}

async function remove(args: LogpushCommandArgs, io: LogpushCommandIo, setup: Setup): Promise<number> {
  const bucket = setup.bucket as LogpushBucket;
  const ids = (args.job ?? []).map((text) => ({ text, id: Number(text) }));
  const badId = ids.find(({ id }) => !Number.isSafeInteger(id) || id < 1);
  if (badId) {
    io.stderr.write(`cf-logs logpush: --job ${badId.text} is not a job id (a positive integer)\n`);
    return LOGPUSH_EXIT.usage;
  }
  const datasets = args.dataset ?? [];
  const doomed: { scope: LogpushScope; job: LogpushJob }[] = [];
  const notOurs: string[] = [];
  let failed = false;
  for (const scope of setup.scopes) {
    let jobs: LogpushJob[];
    try {
      jobs = await setup.api.listJobs(scope);
    } catch (error) {
      io.stderr.write(`cf-logs logpush: ${messageOf(error)}\n`);
      failed = true;
      continue;
    }
    for (const job of jobs) {
      const named = ids.some(({ id }) => id === job.id);
      if (ids.length > 0 && !named) continue;
      if (datasets.length > 0 && !datasets.includes(job.dataset ?? '')) continue;
      if (!writesToBucket(job, bucket)) {
        if (named)
          notOurs.push(`job ${job.id} (${job.dataset}) writes to ${showDestination(job.destination_conf)}`);
        continue;
      }
      doomed.push({ scope, job });
    }
  }
  for (const reason of notOurs) {
    io.stderr.write(`cf-logs logpush: not deleted: ${reason}, not into the stack's bucket\n`);
    failed = true;
  }
  const missing = ids.filter(
    ({ id }) => !doomed.some(({ job }) => job.id === id) && !notOurs.some((r) => r.startsWith(`job ${id} `)),
  );
  for (const { text } of missing) {
    io.stderr.write(`cf-logs logpush: job ${text} is not in the configured account or zones\n`);
    failed = true;
  }
  const lines = doomed.map(
    ({ scope, job }) =>
      `  - job ${job.id} ${job.dataset} in ${describeScope(scope)} → ${showDestination(job.destination_conf)}`,
  );
  if (doomed.length === 0) {
    io.stdout.write("No Logpush job writing into the stack's bucket matches.\n");
    return failed ? LOGPUSH_EXIT.failed : LOGPUSH_EXIT.ok;
  }
  if (!args.yes) {
    io.stdout.write(
      `Would delete ${doomed.length} job(s) (nothing deleted: add --yes):\n${lines.join('\n')}\n` +
        'Logs already in the bucket and the lake stay; Cloudflare stops pushing (it cannot backfill later).\n',
    );
    return failed ? LOGPUSH_EXIT.failed : LOGPUSH_EXIT.ok;
  }
  const done: string[] = [];
  for (const { scope, job } of doomed) {
    try {
      await setup.api.deleteJob(scope, job.id, job.dataset);
      done.push(`  - deleted job ${job.id} ${job.dataset} in ${describeScope(scope)}`);
    } catch (error) {
      io.stderr.write(`cf-logs logpush: ${messageOf(error)}\n`);
      failed = true;
    }
  }
  io.stdout.write(`${done.join('\n')}\nDeleted ${done.length} of ${doomed.length} job(s).\n`);
  return failed ? LOGPUSH_EXIT.failed : LOGPUSH_EXIT.ok;
}

// ---- text output ----

const SYMBOL: Record<PlannedJob['action'], string> = { create: '+', update: '~', none: '=', blocked: '!' };
const VERB: Record<PlannedJob['action'], string> = {
  create: 'create',
  update: 'update',
  none: 'in sync',
  blocked: 'blocked',
};

/** The plan for people: per scope, one line per job and its changes, then a count. */
function formatPlan(plan: LogpushPlan): string {
  const lines: string[] = [];
  for (const findings of plan.scopes) {
    const { scope } = findings;
    lines.push(describeScope(scope));
    // A scope that could not be read blocks all its jobs for the same reason: said once.
    if (findings.error) lines.push(`  ! ${findings.error}`);
    for (const planned of plan.jobs.filter(
      (p) => p.target.scope.id === scope.id && p.target.scope.kind === scope.kind,
    )) {
      const job = 'job' in planned && planned.job ? ` job ${planned.job.id}` : '';
      lines.push(
        `  ${SYMBOL[planned.action]} ${VERB[planned.action].padEnd(8)}${planned.target.dataset}${job}`,
      );
      if (planned.action === 'create') {
        const { desired } = planned;
        lines.push(`      name              ${desired.name}`);
        lines.push(`      destination_conf  ${desired.destinationConf}`);
        lines.push(
          `      output_options    ndjson, timestamp_format ${desired.timestampFormat}, ${desired.fieldNames.length} fields` +
            `${desired.sampleRate === 1 ? '' : `, sample_rate ${desired.sampleRate}`}`,
        );
        if (desired.filter) lines.push(`      filter            ${JSON.stringify(desired.filter)}`);
        for (const [field, value] of Object.entries(desired.uploadLimits)) {
          lines.push(`      ${field.padEnd(18)}${value}`);
        }
        lines.push('      (ownership challenge: requested, read from the bucket, then deleted)');
      } else if (planned.action === 'update') {
        for (const change of planned.changes) lines.push(`      ${formatChange(change)}`);
        if (planned.challenge)
          lines.push('      (new destination: ownership challenge requested, read, then deleted)');
        const { job: current } = planned;
        if (current.last_error || current.error_message) {
          lines.push(
            `      last error ${current.last_error ?? '?'}: ${current.error_message ?? ''} (Cloudflare may have disabled it)`,
          );
        }
      } else if (planned.action === 'blocked' && !findings.error) {
        for (const reason of planned.reasons) lines.push(`      ${reason}`);
      }
    }
    if (findings.error) continue;
    for (const job of findings.duplicates) {
      lines.push(
        `  ! duplicate job ${job.id} also pushes ${job.dataset} into the bucket: every event arrives twice ` +
          `(the lake deduplicates by event.id, at a cost). Delete it: cf-logs logpush delete --job ${job.id}`,
      );
    }
    for (const job of findings.strays) {
      lines.push(
        `  ? job ${job.id} pushes ${job.dataset} into the bucket but the configuration does not list it ` +
          `(left alone; cf-logs logpush delete --job ${job.id} removes it)`,
      );
    }
    if (findings.others.length > 0) {
      const others = findings.others.map((job) => `job ${job.id} ${job.dataset ?? '?'}`).join(', ');
      const limit = scope.kind === 'zone' ? ', counted toward the 4 jobs per zone' : '';
      lines.push(`  · other destinations, left alone${limit}: ${others}`);
    }
  }
  const count = (action: PlannedJob['action']) => plan.jobs.filter((job) => job.action === action).length;
  lines.push(
    `Plan: ${count('create')} to create, ${count('update')} to update, ${count('none')} in sync, ${count('blocked')} blocked.`,
  );
  return `${lines.join('\n')}\n`;
}

function formatChange(change: JobChange): string {
  if (change.added !== undefined || change.removed !== undefined) {
    const parts: string[] = [];
    if (change.added?.length) parts.push(`+ ${preview(change.added)}`);
    if (change.removed?.length) parts.push(`- ${preview(change.removed)}`);
    return `${change.field}: ${change.from} → ${change.to} fields (${parts.join('; ')})`;
  }
  return `${change.field}: ${show(change.from)} → ${show(change.to)}`;
}

function preview(names: readonly string[]): string {
  return names.length > 10
    ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`
    : names.join(', ');
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function formatResults(results: readonly AppliedJob[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const { target } = result.planned;
    const label = `${target.dataset} in ${describeScope(target.scope)}`;
    if (result.outcome === 'created' || result.outcome === 'updated') {
      lines.push(
        `  ${result.outcome} ${label}: job ${result.job?.id}${result.job?.enabled ? ', enabled' : ''}`,
      );
    } else if (result.outcome === 'failed' || result.outcome === 'blocked') {
      lines.push(`  ${result.outcome === 'failed' ? 'FAILED' : 'blocked'} ${label}: ${result.error}`);
    }
    if (result.warning) lines.push(`  warning: ${result.warning}`);
  }
  const count = (outcome: AppliedJob['outcome']) => results.filter((r) => r.outcome === outcome).length;
  lines.push(
    `Applied: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ` +
      `${count('failed')} failed, ${count('blocked')} blocked.`,
  );
  return `${lines.join('\n')}\n`;
}

function formatJob(job: LogpushJob, bucket: LogpushBucket | undefined): string[] {
  const ours = bucket !== undefined && writesToBucket(job, bucket) ? ' [this stack]' : '';
  const lines = [
    `  job ${job.id} ${job.dataset ?? '?'} ${job.enabled ? 'enabled' : 'DISABLED'}${job.name ? ` "${job.name}"` : ''}${ours}`,
    `      → ${showDestination(job.destination_conf)}`,
    `      last complete ${job.last_complete ?? 'never'}`,
  ];
  if (job.last_error || job.error_message) {
    lines.push(`      last error ${job.last_error ?? '?'}: ${job.error_message ?? ''}`);
  }
  return lines;
}

// ---- JSON output ----

function planJson(plan: LogpushPlan): unknown {
  return {
    jobs: plan.jobs.map((planned) => ({
      action: planned.action,
      dataset: planned.target.dataset,
      scope: planned.target.scope,
      ...('job' in planned && planned.job ? { jobId: planned.job.id } : {}),
      ...('desired' in planned
        ? {
            destination_conf: planned.desired.destinationConf,
            field_names: planned.desired.fieldNames,
          }
        : {}),
      ...(planned.action === 'update' ? { changes: planned.changes, challenge: planned.challenge } : {}),
      ...(planned.action === 'blocked' ? { reasons: planned.reasons } : {}),
    })),
    scopes: plan.scopes.map((findings) => ({
      scope: findings.scope,
      ...(findings.error === undefined ? {} : { error: findings.error }),
      jobCount: findings.jobs?.length,
      others: findings.others.map((job) => job.id),
      strays: findings.strays.map((job) => job.id),
      duplicates: findings.duplicates.map((job) => job.id),
    })),
  };
}

function resultsJson(results: readonly AppliedJob[]): unknown {
  return results.map((result) => ({
    dataset: result.planned.target.dataset,
    scope: result.planned.target.scope,
    outcome: result.outcome,
    ...(result.job ? { jobId: result.job.id } : {}),
    ...(result.error ? { error: result.error } : {}),
    ...(result.warning ? { warning: result.warning } : {}),
  }));
}

function jobJson(job: LogpushJob, bucket: LogpushBucket | undefined): unknown {
  return {
    ...job,
    destination_conf: showDestination(job.destination_conf),
    stack: bucket !== undefined && writesToBucket(job, bucket),
  };
}
