/**
 * `apply`: carries out a plan, job by job. A job that fails does not stop the others; each outcome is reported.
 * Creates and destination changes go through the ownership challenge, whose file is deleted afterwards (also
 * when the create fails: a new challenge is requested on every try).
 */
import { describeScope, type LogpushApi, type LogpushJob } from './api.ts';
import { type ChallengeStore, obtainOwnershipToken } from './challenge.ts';
import { createBody, updateBody } from './jobs.ts';
import { type LogpushPlan, messageOf, type PlannedJob } from './plan.ts';

/** What happened to one planned job. */
export interface AppliedJob {
  readonly planned: PlannedJob;
  readonly outcome: 'created' | 'updated' | 'unchanged' | 'blocked' | 'failed';
  /** The job as Cloudflare returned it after the change (or as it was). */
  readonly job?: LogpushJob;
  /** Why it failed or was blocked. */
  readonly error?: string;
  /** A challenge file that could not be deleted (the job itself is fine). */
  readonly warning?: string;
}

/** Options of {@link applyPlan}. */
export interface ApplyOptions {
  readonly api: LogpushApi;
  readonly store: ChallengeStore;
  readonly bucket: string;
  /** Called before each change and after each outcome, for a progress line. */
  readonly onProgress?: (message: string) => void;
  /** How long to wait for a challenge token. @default 60_000 */
  readonly challengeTimeoutMs?: number;
  readonly challengePollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Applies every create and update of the plan, in order. */
export async function applyPlan(plan: LogpushPlan, options: ApplyOptions): Promise<AppliedJob[]> {
  const results: AppliedJob[] = [];
  for (const planned of plan.jobs) {
    if (planned.action === 'none') {
      results.push({ planned, outcome: 'unchanged', job: planned.job });
      continue;
    }
    if (planned.action === 'blocked') {
      results.push({ planned, outcome: 'blocked', error: planned.reasons.join('; ') });
      continue;
    }
    const label = `${planned.target.dataset} in ${describeScope(planned.target.scope)}`;
    options.onProgress?.(
      planned.action === 'create' ? `creating ${label}` : `updating ${label} (job ${planned.job.id})`,
    );
    results.push(await applyOne(planned, options));
  }
  return results;
}

async function applyOne(
  planned: Extract<PlannedJob, { action: 'create' | 'update' }>,
  options: ApplyOptions,
): Promise<AppliedJob> {
  const { api, store } = options;
  const { target, desired } = planned;
  const challenge = planned.action === 'create' || planned.challenge;
  let key: string | undefined;
  try {
    let token: string | undefined;
    if (challenge) {
      const obtained = await obtainOwnershipToken({
        api,
        store,
        scope: target.scope,
        destinationConf: desired.destinationConf,
        bucket: options.bucket,
        ...(options.challengeTimeoutMs === undefined ? {} : { timeoutMs: options.challengeTimeoutMs }),
        ...(options.challengePollMs === undefined ? {} : { pollMs: options.challengePollMs }),
        ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
        ...(options.now === undefined ? {} : { now: options.now }),
      });
      token = obtained.token;
      key = obtained.key;
    }
    const job =
      planned.action === 'create'
        ? await api.createJob(target.scope, target.dataset, createBody(desired, token as string))
        : await api.updateJob(
            target.scope,
            planned.job.id,
            target.dataset,
            updateBody(desired, planned.job, token),
          );
    const outcome = planned.action === 'create' ? 'created' : 'updated';
    const warning = key === undefined ? undefined : await removeChallenge(store, options.bucket, key);
    return { planned, outcome, job, ...(warning ? { warning } : {}) };
  } catch (error) {
    const warning = key === undefined ? undefined : await removeChallenge(store, options.bucket, key);
    return { planned, outcome: 'failed', error: messageOf(error), ...(warning ? { warning } : {}) };
  }
}

async function removeChallenge(
  store: ChallengeStore,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  try {
    await store.remove(key);
    return undefined;
  } catch (error) {
    return `could not delete the challenge file s3://${bucket}/${key} (${messageOf(error)}); it is harmless (the normalize function ignores it) and may be deleted by hand`;
  }
}
