import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { RetryPolicy } from '../core/deliver.ts';
import { BlobQuarantine, type Quarantine } from '../core/quarantine.ts';
import { CloudflareApi, type CloudflareApiOptions } from '../poll/cloudflare-api.ts';
import { createPollSource } from '../poll/sources.ts';
import type { CheckpointStore, CredentialProvider, PollSource, PollSourceName } from '../poll/types.ts';
import type { BlobStore, Clock, RecordSink } from '../ports.ts';
import type { PollSettings } from '../settings.ts';

/** What the handler tells a source it builds: the deadline, and where to report API retries. */
export interface SourceHooks {
  /** Milliseconds this source may still use (its share of the invocation). */
  readonly remainingMs: () => number;
  /** Called before each retry of an API call (`rateLimited` for a 429). */
  readonly onRetry: (info: { readonly rateLimited: boolean; readonly status?: number | undefined }) => void;
}

/** The summary of one source's run, as far as the handler reads it (the poller core's `PollSummary`). */
export interface SourceRunSummary {
  readonly source: PollSourceName;
  readonly outcome: string;
  readonly window: { readonly since: string; readonly until: string };
  readonly pages: number;
  readonly events: number;
  readonly duplicates: number;
  readonly stale?: number;
  readonly deferred?: number;
  readonly quarantined: number;
  readonly checkpointWrites: number;
  readonly newest?: string;
  readonly lagSeconds?: number;
  readonly behindSeconds?: number;
  readonly delivery: {
    readonly calls: number;
    readonly records: number;
    readonly retriedRecords: number;
    readonly failedCalls: number;
  };
}

/** One run of one source (the poller core's `PollRun`). */
export interface SourceRun {
  readonly source: PollSource;
  readonly store: CheckpointStore;
  readonly sink: RecordSink;
  readonly quarantine: Quarantine;
  readonly clock: Clock;
  readonly remainingMs: () => number;
  readonly options: {
    readonly delayMs: number;
    readonly lookbackMs: number;
    readonly overlapMs: number;
    readonly safetyMs: number;
    readonly retry?: Omit<RetryPolicy, 'remainingMs'>;
  };
}

/** The poller core (`runPoll`): returns a summary, or throws an error that may carry the summary so far. */
export type PollRunner = (run: SourceRun) => Promise<SourceRunSummary>;

/** Everything the poll handler is built from; the Lambda entry builds it from the environment. */
export interface PollDependencies {
  readonly settings: PollSettings;
  /** The Cloudflare credential, cached across invocations; invalidated after Cloudflare rejects it. */
  readonly credentials: CredentialProvider & { invalidate(): void };
  /** Builds the API source of `name` (a Cloudflare API client reading `credentials`). */
  readonly createSource: (name: PollSourceName, hooks: SourceHooks) => PollSource;
  readonly runPoll: PollRunner;
  readonly store: CheckpointStore;
  /** Firehose sink; build its client with `maxAttempts: 1`, the core retries failed entries itself. */
  readonly sink: RecordSink;
  /** Where quarantined events are written (the lake bucket). */
  readonly quarantineStore: BlobStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly retry?: Omit<RetryPolicy, 'remainingMs'>;
}

/** What an invocation did, per source (also the handler's return value, visible in a test invoke). */
export interface PollInvocationResult {
  readonly sources: readonly {
    readonly source: PollSourceName;
    readonly outcome: string;
    readonly events: number;
    readonly error?: string;
  }[];
}

/** One or more sources failed in this invocation; the others ran. Thrown so Lambda counts an error. */
export class PollInvocationError extends Error {
  override readonly name = 'PollInvocationError';
  readonly failed: readonly PollSourceName[];
  constructor(failed: readonly PollSourceName[], options?: ErrorOptions) {
    super(`poll failed for ${failed.join(', ')}; the other sources ran (see the logs)`, options);
    this.failed = failed;
  }
}

/** Stands in for the quarantined event's object in quarantine records of API events (they come from no bucket). */
export const API_QUARANTINE_BUCKET = 'cloudflare-api';

/**
 * The poll Lambda, invoked by the schedule: polls each configured source in turn with its share of the remaining
 * time. A failing source (rejected credential, API failure, undeliverable records) is logged and counted, and
 * the next source still runs; the invocation then throws so that Lambda's Errors metric and its alarm see it.
 * A run that loses the checkpoint to a concurrent run (conflict) is not a failure.
 */
export function createPollHandler(deps: PollDependencies) {
  const { settings, logger, metrics, clock } = deps;

  const pollOne = async (
    name: PollSourceName,
    remainingMs: () => number,
    invokedAt: string,
  ): Promise<PollInvocationResult['sources'][number]> => {
    const counts = { retries: 0, rateLimited: 0 };
    const source = deps.createSource(name, {
      remainingMs,
      onRetry: (info) => {
        if (info.rateLimited) counts.rateLimited += 1;
        else counts.retries += 1;
      },
    });
    // Quarantine files are named after (bucket, key): one set per source and invocation.
    const quarantine = new BlobQuarantine({
      store: deps.quarantineStore,
      prefix: settings.quarantinePrefix,
      source: { bucket: API_QUARANTINE_BUCKET, key: `accounts/${settings.accountId}/${name}/${invokedAt}` },
      clock,
    });
    let summary: SourceRunSummary | undefined;
    let failure: unknown;
    try {
      summary = await deps.runPoll({
        source,
        store: deps.store,
        sink: deps.sink,
        quarantine,
        clock,
        remainingMs,
        options: {
          delayMs: settings.delaySeconds * 1_000,
          lookbackMs: settings.lookbackHours * 3_600_000,
          overlapMs: settings.overlapSeconds * 1_000,
          safetyMs: settings.safetySeconds * 1_000,
          ...(deps.retry === undefined ? {} : { retry: deps.retry }),
        },
      });
    } catch (error) {
      failure = error;
      summary = (error as { summary?: SourceRunSummary }).summary;
    }

    const metric = (
      metricName: string,
      unit: (typeof MetricUnit)[keyof typeof MetricUnit],
      value: number | undefined,
    ): void => {
      if (value === undefined) return;
      const single = metrics.singleMetric();
      single.addDimension('Source', name);
      single.addMetric(metricName, unit, value);
    };
    if (summary) {
      metric('Pages', MetricUnit.Count, summary.pages);
      metric('EventsDelivered', MetricUnit.Count, summary.events);
      metric('DuplicatesDropped', MetricUnit.Count, summary.duplicates);
      metric('EventsQuarantined', MetricUnit.Count, summary.quarantined);
      metric('CheckpointWrites', MetricUnit.Count, summary.checkpointWrites);
      metric('FirehoseRetriedRecords', MetricUnit.Count, summary.delivery.retriedRecords);
      metric('LagSeconds', MetricUnit.Seconds, summary.lagSeconds);
      metric('BehindSeconds', MetricUnit.Seconds, summary.behindSeconds);
    }
    metric('ApiRetries', MetricUnit.Count, counts.retries);
    metric('RateLimited', MetricUnit.Count, counts.rateLimited);
    metric('PollConflicts', MetricUnit.Count, summary?.outcome === 'conflict' ? 1 : 0);
    metric('PollDeadlines', MetricUnit.Count, summary?.outcome === 'deadline' ? 1 : 0);
    metric('PollFailures', MetricUnit.Count, failure === undefined ? 0 : 1);

    const details = {
      source: name,
      apiRetries: counts.retries,
      rateLimited: counts.rateLimited,
      ...(summary ?? {}),
    };
    if (failure !== undefined) {
      if (isCredentialRejection(failure)) {
        // The operator may have rotated the secret since it was cached: the next source and run read it again.
        deps.credentials.invalidate();
        logger.error('Cloudflare rejected the credential; the checkpoint is untouched', {
          ...details,
          secretId: settings.secretId,
          error: failure as Error,
        });
      } else {
        logger.error('source failed; its checkpoint keeps the progress saved so far', {
          ...details,
          error: failure as Error,
        });
      }
      return {
        source: name,
        outcome: 'failed',
        events: summary?.events ?? 0,
        error: `${(failure as Error).name}: ${(failure as Error).message}`,
      };
    }
    const outcome = summary?.outcome ?? 'done';
    const log = outcome === 'conflict' || outcome === 'deadline' ? logger.warn : logger.info;
    log.call(logger, `source polled: ${outcome}`, details);
    return { source: name, outcome, events: summary?.events ?? 0 };
  };

  return middy(async (_event: unknown, context: Context): Promise<PollInvocationResult> => {
    const invokedAt = clock.now().toISOString();
    const results: PollInvocationResult['sources'][number][] = [];
    const { sources } = settings;
    for (const [index, name] of sources.entries()) {
      // Each source gets an equal share of what is left; time a source does not use goes to the next. A backlog
      // in the first source thus cannot starve the others.
      const left = sources.length - index;
      const reserved = (context.getRemainingTimeInMillis() * (left - 1)) / left;
      results.push(await pollOne(name, () => context.getRemainingTimeInMillis() - reserved, invokedAt));
    }
    const failed = results.filter((result) => result.outcome === 'failed').map((result) => result.source);
    // Without a dimension: the invocation as a whole (and the main metrics object is never empty).
    metrics.addMetric('SourcesPolled', MetricUnit.Count, results.length);
    metrics.addMetric('SourcesFailed', MetricUnit.Count, failed.length);
    if (failed.length > 0) throw new PollInvocationError(failed);
    return { sources: results };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

/** Whether a source's error (or one of its causes) is Cloudflare refusing the credential (401/403, auth codes). */
export function isCredentialRejection(error: unknown): boolean {
  for (let e = error as { name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.name === 'CloudflareAuthError') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Builds each source on a Cloudflare API client of its own, reading `credentials`, with the source's deadline
 * less half the safety margin (a request never starts when the run could not save its progress after it) and
 * its retries reported to the handler.
 */
export function cloudflareSourceFactory(
  settings: PollSettings,
  credentials: CredentialProvider,
  api: Omit<CloudflareApiOptions, 'credentials' | 'baseUrl' | 'remainingMs' | 'onRetry'> = {},
): PollDependencies['createSource'] {
  const margin = (settings.safetySeconds * 1_000) / 2;
  return (name, hooks) =>
    createPollSource(
      name,
      new CloudflareApi({
        ...api,
        credentials,
        baseUrl: settings.apiBase,
        remainingMs: () => hooks.remainingMs() - margin,
        onRetry: (info) => hooks.onRetry(info),
      }),
      { accountId: settings.accountId },
    );
}
