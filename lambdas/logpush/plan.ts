/**
 * `plan`: what Cloudflare has against what the configuration asks for, scope by scope. Reads only (job lists and
 * dataset fields); every problem is collected so one run shows all of them.
 */
import {
  describeScope,
  type LogpushApi,
  LogpushApiError,
  type LogpushJob,
  type LogpushScope,
} from './api.ts';
import {
  type DesiredJob,
  desiredJob,
  diffJob,
  type JobChange,
  jobTargetKey,
  type LogpushBucket,
  type LogpushTarget,
  needsChallenge,
  sameTarget,
  targetKey,
  writesToBucket,
} from './jobs.ts';
import { type LogpushSettings, MAX_JOBS_PER_ZONE } from './settings.ts';

/** What `apply` will do for one target. */
export type PlannedJob =
  | { readonly action: 'create'; readonly target: LogpushTarget; readonly desired: DesiredJob }
  | {
      readonly action: 'update';
      readonly target: LogpushTarget;
      readonly desired: DesiredJob;
      readonly job: LogpushJob;
      readonly changes: readonly JobChange[];
      /** The destination changes, so Cloudflare wants a new ownership token. */
      readonly challenge: boolean;
    }
  | {
      readonly action: 'none';
      readonly target: LogpushTarget;
      readonly desired: DesiredJob;
      readonly job: LogpushJob;
    }
  | {
      readonly action: 'blocked';
      readonly target: LogpushTarget;
      /** Why nothing can be done (configuration, permission, job limit), with the fix. */
      readonly reasons: readonly string[];
      readonly job?: LogpushJob;
    };

/** One zone or the account, as found. */
export interface ScopeFindings {
  readonly scope: LogpushScope;
  /** Every job of the scope; undefined when they could not be listed (see `error`). */
  readonly jobs: readonly LogpushJob[] | undefined;
  readonly error?: string;
  /** Jobs writing elsewhere (other destinations, other tools): left alone, but they count toward the zone limit. */
  readonly others: readonly LogpushJob[];
  /** Jobs writing into the stack's bucket for a dataset the configuration no longer lists: left alone. */
  readonly strays: readonly LogpushJob[];
  /** More jobs for a target that already has one: the same logs pushed twice. Left alone. */
  readonly duplicates: readonly LogpushJob[];
}

/** The whole plan. */
export interface LogpushPlan {
  readonly jobs: readonly PlannedJob[];
  readonly scopes: readonly ScopeFindings[];
}

/** Inputs of {@link planLogpush}. */
export interface PlanInput {
  readonly api: LogpushApi;
  readonly targets: readonly LogpushTarget[];
  readonly settings: LogpushSettings;
  readonly bucket: LogpushBucket;
}

/** Reads the scopes of the targets and plans each target. */
export async function planLogpush(input: PlanInput): Promise<LogpushPlan> {
  const { api, targets, settings, bucket } = input;
  const scopes = uniqueScopes(targets.map((target) => target.scope));
  const planned: PlannedJob[] = [];
  const findings: ScopeFindings[] = [];
  // A dataset's field list is the same in every zone: read once per dataset and scope kind (a failure is not
  // kept, so each zone still reports its own permission problem).
  const fieldLists = new Map<string, Promise<string[]>>();
  const fields = (target: LogpushTarget): Promise<string[]> => {
    const key = `${target.scope.kind}/${target.dataset}`;
    let list = fieldLists.get(key);
    if (!list) {
      list = api.fields(target.scope, target.dataset);
      fieldLists.set(key, list);
      list.catch(() => fieldLists.delete(key));
    }
    return list;
  };
  for (const scope of scopes) {
    const scopeTargets = targets.filter(
      (target) => target.scope.id === scope.id && target.scope.kind === scope.kind,
    );
    let jobs: LogpushJob[];
    try {
      jobs = await api.listJobs(scope);
    } catch (error) {
      const reason = messageOf(error);
      findings.push({ scope, jobs: undefined, error: reason, others: [], strays: [], duplicates: [] });
      for (const target of scopeTargets) planned.push({ action: 'blocked', target, reasons: [reason] });
      continue;
    }
    const ours = jobs.filter((job) => writesToBucket(job, bucket));
    const others = jobs.filter((job) => !writesToBucket(job, bucket));
    const claimed = new Set<number>();
    const duplicates: LogpushJob[] = [];
    const scopePlans: PlannedJob[] = [];
    for (const target of scopeTargets) {
      const candidates = ours.filter((job) => sameTarget(job, target, bucket));
      const [job, ...extra] = rankCandidates(candidates, target, bucket);
      for (const item of [job, ...extra]) if (item) claimed.add(item.id);
      duplicates.push(...extra);
      scopePlans.push(await planTarget(fields, target, settings, bucket, job));
    }
    const strays = ours.filter((job) => !claimed.has(job.id));
    if (scope.kind === 'zone') limitCreates(scope, scopePlans, jobs.length);
    planned.push(...scopePlans);
    findings.push({ scope, jobs, others, strays, duplicates });
  }
  return { jobs: planned, scopes: findings };
}

async function planTarget(
  fieldsOf: (target: LogpushTarget) => Promise<string[]>,
  target: LogpushTarget,
  settings: LogpushSettings,
  bucket: LogpushBucket,
  job: LogpushJob | undefined,
): Promise<PlannedJob> {
  let fields: string[];
  try {
    fields = await fieldsOf(target);
  } catch (error) {
    return { action: 'blocked', target, reasons: [messageOf(error)], ...(job ? { job } : {}) };
  }
  const { job: desired, problems } = desiredJob(target, settings, bucket, fields);
  if (problems.length > 0) return { action: 'blocked', target, reasons: problems, ...(job ? { job } : {}) };
  if (!job) return { action: 'create', target, desired };
  if (job.kind === 'edge') {
    return {
      action: 'blocked',
      target,
      job,
      reasons: [
        `job ${job.id} is an Instant Logs (edge) job, whose kind cannot change: delete it and apply again`,
      ],
    };
  }
  const changes = diffJob(desired, job);
  if (changes.length === 0) return { action: 'none', target, desired, job };
  return { action: 'update', target, desired, job, changes, challenge: needsChallenge(changes) };
}

/**
 * The job kept for a target when several match: the one already writing the exact destination, then an enabled
 * one, then the oldest (lowest id).
 */
function rankCandidates(
  candidates: LogpushJob[],
  target: LogpushTarget,
  bucket: LogpushBucket,
): LogpushJob[] {
  const exact = (job: LogpushJob) =>
    jobTargetKey(job, bucket) === targetKey(target.dataset, target.scope.id) ? 0 : 1;
  return [...candidates].sort(
    (a, b) => exact(a) - exact(b) || Number(b.enabled) - Number(a.enabled) || a.id - b.id,
  );
}

/** Blocks the creates that would take a zone past Cloudflare's job limit (later targets first). */
function limitCreates(scope: LogpushScope, plans: PlannedJob[], existing: number): void {
  let count = existing;
  plans.forEach((plan, index) => {
    if (plan.action !== 'create') return;
    if (count < MAX_JOBS_PER_ZONE) {
      count++;
      return;
    }
    plans[index] = {
      action: 'blocked',
      target: plan.target,
      reasons: [
        `${describeScope(scope)} would have more than ${MAX_JOBS_PER_ZONE} Logpush jobs, Cloudflare's limit per ` +
          `zone (it has ${existing}, and this plan creates ` +
          `${count - existing} before this one). Delete a job you no longer need (\`cf-logs logpush list\` shows ` +
          'them all) or list fewer zone datasets.',
      ],
    };
  });
}

function uniqueScopes(scopes: readonly LogpushScope[]): LogpushScope[] {
  const seen = new Map<string, LogpushScope>();
  for (const scope of scopes) {
    const key = `${scope.kind}/${scope.id}`;
    if (!seen.has(key)) seen.set(key, scope);
  }
  return [...seen.values()];
}

/** An error's message (a LogpushApiError already says what to do). */
export function messageOf(error: unknown): string {
  if (error instanceof LogpushApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Whether anything would change. */
export function hasChanges(plan: LogpushPlan): boolean {
  return plan.jobs.some((job) => job.action === 'create' || job.action === 'update');
}

/** Whether something cannot be done. */
export function hasBlocked(plan: LogpushPlan): boolean {
  return (
    plan.jobs.some((job) => job.action === 'blocked') ||
    plan.scopes.some((scope) => scope.error !== undefined)
  );
}
