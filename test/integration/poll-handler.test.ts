/**
 * The poll Lambda: `readPollSettings` on the environment the stack sets, and `createPollHandler` invoked as the
 * schedule invokes it, with scripted poller runs, so what the handler itself decides is visible: every source
 * runs even when one fails, the invocation fails at the end, metrics per source, the credential dropped after a
 * rejection, each source's share of the time.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { FirehoseRecordSink } from '../../lambdas/adapters/firehose-sink.ts';
import { S3BlobStore } from '../../lambdas/adapters/s3-blob-store.ts';
import { S3CheckpointStore } from '../../lambdas/adapters/s3-checkpoint-store.ts';
import { SecretsManagerCredentials } from '../../lambdas/adapters/secrets-credentials.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';
import {
  cloudflareSourceFactory,
  createPollHandler,
  type PollDependencies,
  PollInvocationError,
  type PollRunner,
  type SourceHooks,
  type SourceRun,
  type SourceRunSummary,
} from '../../lambdas/handlers/poll-app.ts';
import { runPoll } from '../../lambdas/poll/poller.ts';
import type { CloudflareCredential, PollSource, PollSourceName } from '../../lambdas/poll/types.ts';
import type { BlobStore, RecordSink } from '../../lambdas/ports.ts';
import { POLL_ENV, type PollSettings, readPollSettings } from '../../lambdas/settings.ts';
import { fakeFirehoseClient, fakeS3Client } from '../support/aws-clients.ts';
import { fakeClock } from '../support/clock.ts';
import {
  FAKE_CF_ACCOUNT_ID,
  FAKE_CF_API_TOKEN,
  fakeAccessRequest,
  fakeAuditLogV1,
  startFakeCloudflare,
} from '../support/fake-cloudflare.ts';
import { startFakeFirehose } from '../support/fake-firehose.ts';
import { startFakeS3 } from '../support/fake-s3.ts';
import { fakeSecretsManagerClient, startFakeSecretsManager } from '../support/fake-secrets-manager.ts';
import { captureOutput } from '../support/lambda-output.ts';
import { lambdaContext } from '../support/sqs-events.ts';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const TOKEN = 'cf-token-SECRET-abcdefghijklmnopqrstuvwxyz0123';

const ENV = {
  [POLL_ENV.sources]: 'access_requests,audit_logs',
  [POLL_ENV.accountId]: ACCOUNT,
  [POLL_ENV.secretId]: 'cf-logs/cloudflare-api',
  [POLL_ENV.checkpointBucket]: 'cf-logs-lake-123456789012',
  [POLL_ENV.deliveryStream]: 'cf-logs-ecs',
  [POLL_ENV.lakeBucket]: 'cf-logs-lake-123456789012',
};

function errorOf(run: () => unknown): Error | undefined {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

describe('readPollSettings', () => {
  it('reads the environment the stack sets, with defaults', () => {
    expect(readPollSettings(ENV)).toEqual({
      sources: ['access_requests', 'audit_logs'],
      accountId: ACCOUNT,
      secretId: 'cf-logs/cloudflare-api',
      checkpointBucket: 'cf-logs-lake-123456789012',
      checkpointPrefix: 'state/poller',
      deliveryStream: 'cf-logs-ecs',
      lakeBucket: 'cf-logs-lake-123456789012',
      quarantinePrefix: 'quarantine',
      apiBase: 'https://api.cloudflare.com/client/v4',
      delaySeconds: 60,
      lookbackHours: 24,
      overlapSeconds: 300,
      safetySeconds: 30,
    });
  });

  it('reads every setting given, a secret ARN and a loopback API base included', () => {
    const settings = readPollSettings({
      ...ENV,
      [POLL_ENV.sources]: ' audit_logs_v2 , access_requests',
      [POLL_ENV.secretId]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cf-logs/api-AbCdEf',
      [POLL_ENV.checkpointPrefix]: 'state/poller-2',
      [POLL_ENV.apiBase]: 'http://127.0.0.1:8787/client/v4/',
      [POLL_ENV.delaySeconds]: '0',
      [POLL_ENV.lookbackHours]: '720',
      [POLL_ENV.overlapSeconds]: '600',
      [POLL_ENV.safetySeconds]: '45',
    });
    expect(settings).toMatchObject({
      sources: ['audit_logs_v2', 'access_requests'],
      secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cf-logs/api-AbCdEf',
      checkpointPrefix: 'state/poller-2',
      apiBase: 'http://127.0.0.1:8787/client/v4',
      delaySeconds: 0,
      lookbackHours: 720,
      overlapSeconds: 600,
      safetySeconds: 45,
    });
  });

  it('names every missing or wrong variable at once', () => {
    const error = errorOf(() =>
      readPollSettings({
        [POLL_ENV.sources]: 'access_requests,access_logs,access_requests',
        [POLL_ENV.accountId]: ACCOUNT.toUpperCase(),
        [POLL_ENV.checkpointBucket]: 'Not_A_Bucket',
        [POLL_ENV.checkpointPrefix]: '/state/',
        [POLL_ENV.apiBase]: 'http://api.cloudflare.com/client/v4',
        [POLL_ENV.delaySeconds]: '-1',
        [POLL_ENV.lookbackHours]: '1.5',
        [POLL_ENV.safetySeconds]: '1',
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    const message = error?.message ?? '';
    for (const expected of [
      'CF_LOGS_POLL_SOURCES names "access_logs"',
      'CF_LOGS_POLL_SOURCES repeats access_requests',
      'CF_LOGS_CLOUDFLARE_ACCOUNT_ID must be 32 lowercase hexadecimal characters',
      'CF_LOGS_CREDENTIAL_SECRET is not set',
      'CF_LOGS_CHECKPOINT_BUCKET must be an S3 bucket name',
      'CF_LOGS_CHECKPOINT_PREFIX must be a key prefix without leading or trailing slash',
      'CF_LOGS_DELIVERY_STREAM is not set',
      'CF_LOGS_LAKE_BUCKET is not set',
      'CF_LOGS_CLOUDFLARE_API_BASE must be an https:// URL',
      'CF_LOGS_POLL_DELAY_SECONDS must be a whole number from 0 to 3600, got "-1"',
      'CF_LOGS_POLL_LOOKBACK_HOURS must be a whole number from 1 to 13200, got "1.5"',
      'CF_LOGS_POLL_SAFETY_SECONDS must be a whole number from 5 to 300, got "1"',
    ]) {
      expect(message).toContain(expected);
    }
    expect(message).not.toContain('CF_LOGS_POLL_OVERLAP_SECONDS');
  });

  it('refuses an empty source list', () => {
    expect(errorOf(() => readPollSettings({ ...ENV, [POLL_ENV.sources]: '' }))?.message).toContain(
      'CF_LOGS_POLL_SOURCES is not set',
    );
  });
});

/** A summary as the poller core returns it. */
function summary(source: PollSourceName, overrides: Partial<SourceRunSummary> = {}): SourceRunSummary {
  return {
    source,
    outcome: 'done',
    window: { since: '2026-11-20T12:00:00.000Z', until: '2026-11-21T11:59:00.000Z' },
    pages: 2,
    events: 7,
    duplicates: 1,
    stale: 0,
    deferred: 0,
    quarantined: 0,
    checkpointWrites: 2,
    newest: '2026-11-21T11:58:30.000Z',
    lagSeconds: 90,
    behindSeconds: 60,
    delivery: { calls: 1, records: 1, retriedRecords: 0, failedCalls: 0 },
    ...overrides,
  };
}

/** An error carrying the progress so far, as the core's PollRunError does. */
class FakeRunError extends Error {
  override readonly name = 'PollRunError';
  readonly summary: SourceRunSummary;
  constructor(message: string, summary: SourceRunSummary, cause?: unknown) {
    super(message, { cause });
    this.summary = summary;
  }
}

class FakeAuthError extends Error {
  override readonly name = 'CloudflareAuthError';
}

type Script = (run: SourceRun, hooks: SourceHooks) => Promise<SourceRunSummary>;

const SETTINGS: PollSettings = readPollSettings({
  ...ENV,
  [POLL_ENV.sources]: 'access_requests,audit_logs,audit_logs_v2',
});

/** A handler whose runs follow `scripts`, with everything else inert; records what it was given. */
function handlerWith(scripts: Partial<Record<PollSourceName, Script>>, settings: PollSettings = SETTINGS) {
  const clock = fakeClock();
  const calls: { name: PollSourceName; run: SourceRun; hooks: SourceHooks }[] = [];
  const hooksOf = new Map<PollSource, SourceHooks>();
  let invalidations = 0;
  const credential: CloudflareCredential = { kind: 'token', apiToken: TOKEN };
  const runPoll: PollRunner = async (run) => {
    const hooks = hooksOf.get(run.source);
    if (!hooks) throw new Error('run of a source the handler did not build');
    calls.push({ name: run.source.name, run, hooks });
    const script = scripts[run.source.name];
    return script ? script(run, hooks) : summary(run.source.name);
  };
  const inert: RecordSink & BlobStore = {
    putRecords: async () => ({ failed: [] }),
    putObject: async () => {},
  };
  const deps: PollDependencies = {
    settings,
    credentials: {
      get: async () => credential,
      invalidate: () => {
        invalidations += 1;
      },
    },
    createSource: (name, hooks) => {
      const source: PollSource = {
        name,
        dataset: name,
        async *pages() {},
      };
      hooksOf.set(source, hooks);
      return source;
    },
    runPoll,
    store: { read: async () => undefined, write: async () => '"v"' },
    sink: inert,
    quarantineStore: inert,
    logger: new Logger({ serviceName: 'cf-logs-poll' }),
    metrics: new Metrics({ namespace: 'CloudflareLogLake', serviceName: 'cf-logs-poll' }),
    clock,
  };
  return { handler: createPollHandler(deps), calls, invalidations: () => invalidations };
}

const SCHEDULE_EVENT = {}; // EventBridge Scheduler's default input for a Lambda target

describe('poll handler', () => {
  it('polls every configured source in order with the timing settings', async () => {
    const { handler, calls } = handlerWith({});
    const { outcome } = await captureOutput(() =>
      handler(SCHEDULE_EVENT, lambdaContext({ remainingMs: 300_000 })),
    );
    expect(outcome).toMatchObject({
      status: 'fulfilled',
      value: {
        sources: [
          { source: 'access_requests', outcome: 'done', events: 7 },
          { source: 'audit_logs', outcome: 'done', events: 7 },
          { source: 'audit_logs_v2', outcome: 'done', events: 7 },
        ],
      },
    });
    expect(calls.map((call) => call.name)).toEqual(['access_requests', 'audit_logs', 'audit_logs_v2']);
    expect(calls[0]?.run.options).toEqual({
      delayMs: 60_000,
      lookbackMs: 86_400_000,
      overlapMs: 300_000,
      safetyMs: 30_000,
    });
  });

  it('runs the other sources when one fails, then fails the invocation naming it', async () => {
    const { handler, calls } = handlerWith({
      audit_logs: async () => {
        throw new FakeRunError(
          'Cloudflare API GET /accounts/…/audit_logs: HTTP 500 after 3 attempts',
          summary('audit_logs', { outcome: 'failed', pages: 1, events: 3 }),
        );
      },
    });
    const { outcome, output } = await captureOutput(() => handler(SCHEDULE_EVENT, lambdaContext()));
    expect(calls.map((call) => call.name)).toEqual(['access_requests', 'audit_logs', 'audit_logs_v2']);
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(PollInvocationError);
    expect((error as PollInvocationError).failed).toEqual(['audit_logs']);
    expect(output.metric('PollFailures', { Source: 'audit_logs' })).toBe(1);
    expect(output.metric('PollFailures', { Source: 'access_requests' })).toBe(0);
    expect(output.metric('EventsDelivered', { Source: 'audit_logs' })).toBe(3);
    expect(output.metric('EventsDelivered', { Source: 'audit_logs_v2' })).toBe(7);
    expect(output.metric('SourcesPolled')).toBe(3);
    expect(output.metric('SourcesFailed')).toBe(1);
    expect(output.lines.join('\n')).not.toContain('No application metrics');
    const [logged] = output.logs('source failed; its checkpoint keeps the progress saved so far');
    expect(logged).toMatchObject({ level: 'ERROR', source: 'audit_logs', pages: 1, events: 3 });
  });

  it('fails the invocation on an error without a summary (the checkpoint could not be read)', async () => {
    const { handler } = handlerWith({
      access_requests: async () => {
        throw new Error('checkpoint s3://…/access_requests.json: not JSON');
      },
    });
    const { outcome, output } = await captureOutput(() => handler(SCHEDULE_EVENT, lambdaContext()));
    expect((outcome as PromiseRejectedResult).reason).toMatchObject({ failed: ['access_requests'] });
    expect(output.metric('PollFailures', { Source: 'access_requests' })).toBe(1);
    expect(output.hasMetric('EventsDelivered')).toBe(true);
  });

  it('drops the cached credential after Cloudflare rejects it, and never logs it', async () => {
    const { handler, invalidations } = handlerWith({
      access_requests: async (run) => {
        await run.source
          .pages({ since: new Date(0), until: new Date(0) })
          [Symbol.asyncIterator]()
          .next();
        throw new FakeRunError(
          'run failed',
          summary('access_requests', { outcome: 'failed', pages: 0, events: 0 }),
          new FakeAuthError('Cloudflare API: HTTP 403, code 10000 Authentication error'),
        );
      },
    });
    const { outcome, output } = await captureOutput(() => handler(SCHEDULE_EVENT, lambdaContext()));
    expect(outcome.status).toBe('rejected');
    expect(invalidations()).toBe(1);
    expect(output.logs('Cloudflare rejected the credential; the checkpoint is untouched')).toMatchObject([
      { level: 'ERROR', source: 'access_requests', secretId: 'cf-logs/cloudflare-api' },
    ]);
    expect(output.lines.join('\n')).not.toContain(TOKEN);
  });

  it('does not count a lost checkpoint race or a deadline stop as a failure', async () => {
    const { handler } = handlerWith({
      access_requests: async () => summary('access_requests', { outcome: 'conflict', pages: 0, events: 0 }),
      audit_logs: async () => summary('audit_logs', { outcome: 'deadline' }),
    });
    const { outcome, output } = await captureOutput(() => handler(SCHEDULE_EVENT, lambdaContext()));
    expect(outcome.status).toBe('fulfilled');
    expect(output.metric('PollConflicts', { Source: 'access_requests' })).toBe(1);
    expect(output.metric('PollDeadlines', { Source: 'audit_logs' })).toBe(1);
    expect(output.metric('PollFailures')).toBe(0);
    expect(output.logs('source polled: conflict')).toMatchObject([{ level: 'WARN' }]);
  });

  it('emits the run metrics per source, API retries and 429s included', async () => {
    const { handler } = handlerWith({
      audit_logs: async (_run, hooks) => {
        hooks.onRetry({ rateLimited: true, status: 429 });
        hooks.onRetry({ rateLimited: true, status: 429 });
        hooks.onRetry({ rateLimited: false, status: 502 });
        return summary('audit_logs', {
          pages: 4,
          events: 1200,
          duplicates: 5,
          quarantined: 1,
          checkpointWrites: 4,
          lagSeconds: 75,
          behindSeconds: 61,
          delivery: { calls: 4, records: 3, retriedRecords: 2, failedCalls: 0 },
        });
      },
    });
    const { output } = await captureOutput(() => handler(SCHEDULE_EVENT, lambdaContext()));
    const of = (name: string) => output.metric(name, { Source: 'audit_logs', service: 'cf-logs-poll' });
    expect({
      Pages: of('Pages'),
      EventsDelivered: of('EventsDelivered'),
      DuplicatesDropped: of('DuplicatesDropped'),
      EventsQuarantined: of('EventsQuarantined'),
      CheckpointWrites: of('CheckpointWrites'),
      FirehoseRetriedRecords: of('FirehoseRetriedRecords'),
      ApiRetries: of('ApiRetries'),
      RateLimited: of('RateLimited'),
      LagSeconds: of('LagSeconds'),
      BehindSeconds: of('BehindSeconds'),
      PollFailures: of('PollFailures'),
    }).toEqual({
      Pages: 4,
      EventsDelivered: 1200,
      DuplicatesDropped: 5,
      EventsQuarantined: 1,
      CheckpointWrites: 4,
      FirehoseRetriedRecords: 2,
      ApiRetries: 1,
      RateLimited: 2,
      LagSeconds: 75,
      BehindSeconds: 61,
      PollFailures: 0,
    });
    const lag = output
      .metrics()
      .find((doc) =>
        doc._aws.CloudWatchMetrics.some((m) => m.Metrics.some((d) => d.Name === 'BehindSeconds')),
      );
    expect(lag?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'CloudflareLogLake',
      Dimensions: [['service', 'Source']],
      Metrics: [{ Name: 'BehindSeconds', Unit: 'Seconds' }],
    });
  });

  it('gives each source an equal share of the remaining time; unused time goes to the next', async () => {
    let remaining = 900_000;
    const shares: number[] = [];
    const { handler } = handlerWith({
      access_requests: async (run, hooks) => {
        shares.push(run.remainingMs());
        expect(hooks.remainingMs()).toBe(run.remainingMs());
        remaining -= 100_000; // finished early
        return summary('access_requests');
      },
      audit_logs: async (run) => {
        shares.push(run.remainingMs());
        remaining -= run.remainingMs(); // used its whole share (deadline)
        return summary('audit_logs', { outcome: 'deadline' });
      },
      audit_logs_v2: async (run) => {
        shares.push(run.remainingMs());
        return summary('audit_logs_v2');
      },
    });
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => remaining };
    await captureOutput(() => handler(SCHEDULE_EVENT, context));
    expect(shares).toEqual([300_000, 400_000, 400_000]);
  });

  it('polls only the configured sources', async () => {
    const { handler, calls } = handlerWith({}, { ...SETTINGS, sources: ['audit_logs_v2'] });
    await captureOutput(() => handler(SCHEDULE_EVENT, lambdaContext()));
    expect(calls.map((call) => call.name)).toEqual(['audit_logs_v2']);
  });
});

describe('poll handler end to end (fake Cloudflare, S3, Firehose and Secrets Manager on 127.0.0.1)', () => {
  const BUCKET = 'cf-logs-checkpoints-example';
  const LAKE = 'cf-logs-lake-example';
  const STREAM = 'cf-logs-ecs-example';
  const SECRET = 'cf-logs/cloudflare-api';
  const NOW = new Date('2026-11-21T12:00:00Z');

  /** Everything running, a handler built like the Lambda entry builds it, and what reached Firehose. */
  async function world() {
    const cf = await startFakeCloudflare({ accountId: FAKE_CF_ACCOUNT_ID });
    const s3 = await startFakeS3({ buckets: [BUCKET, LAKE] });
    const fh = await startFakeFirehose({ deliveryStreams: [STREAM] });
    const sm = await startFakeSecretsManager();
    sm.setSecret(SECRET, JSON.stringify({ apiToken: FAKE_CF_API_TOKEN }));
    const clients = { s3: fakeS3Client(s3), fh: fakeFirehoseClient(fh), sm: fakeSecretsManagerClient(sm) };
    const settings = readPollSettings({
      ...ENV,
      [POLL_ENV.accountId]: FAKE_CF_ACCOUNT_ID,
      [POLL_ENV.secretId]: SECRET,
      [POLL_ENV.checkpointBucket]: BUCKET,
      [POLL_ENV.lakeBucket]: LAKE,
      [POLL_ENV.deliveryStream]: STREAM,
      [POLL_ENV.apiBase]: cf.baseUrl,
    });
    const clock = fakeClock(NOW);
    const credentials = new SecretsManagerCredentials(clients.sm, SECRET, { clock });
    const handler = createPollHandler({
      settings,
      credentials,
      createSource: cloudflareSourceFactory(settings, credentials, {
        sleep: async () => {},
        random: () => 0,
      }),
      runPoll,
      store: new S3CheckpointStore(clients.s3, { bucket: BUCKET, prefix: settings.checkpointPrefix }),
      sink: new FirehoseRecordSink(clients.fh, STREAM),
      quarantineStore: new S3BlobStore(clients.s3, LAKE),
      logger: new Logger({ serviceName: 'cf-logs-poll' }),
      metrics: new Metrics({ namespace: 'CloudflareLogLake', serviceName: 'cf-logs-poll' }),
      clock,
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
    });
    /** Event ids (ray ids / audit ids, from `cloudflare.*`) of the ECS events delivered, per dataset. */
    const delivered = () => {
      const out: Record<string, string[]> = {};
      for (const record of fh.recordsFor(STREAM)) {
        for (const line of record.toString('utf8').split('\n')) {
          if (line === '') continue;
          const event = JSON.parse(line) as { event: { dataset: string; id: string } };
          out[event.event.dataset] = [...(out[event.event.dataset] ?? []), event.event.id];
        }
      }
      return out;
    };
    const close = async () => {
      for (const client of Object.values(clients)) client.destroy();
      await Promise.all([cf.close(), s3.close(), fh.close(), sm.close()]);
    };
    return { cf, s3, fh, sm, handler, credentials, delivered, close };
  }

  const minutesAgo = (m: number, extraMs = 0) => new Date(NOW.getTime() - m * 60_000 + extraMs).toISOString();

  it('delivers each event once, keeps going past a failing source and continues it on the next run', async () => {
    const w = await world();
    try {
      for (let n = 1; n <= 30; n++) w.cf.add('access_requests', fakeAccessRequest(n, minutesAgo(120 - n)));
      for (let n = 1; n <= 12; n++) w.cf.add('audit_logs', fakeAuditLogV1(n, minutesAgo(90 - n)));
      // The audit API fails on every request of the first invocation (after the client's retries).
      w.cf.script.planner = (request) =>
        request.source === 'audit_logs' ? { kind: 'server-error', status: 502 } : undefined;

      const first = await captureOutput(() => w.handler({}, lambdaContext({ remainingMs: 300_000 })));
      expect(first.outcome.status).toBe('rejected');
      expect((first.outcome as PromiseRejectedResult).reason).toMatchObject({ failed: ['audit_logs'] });
      expect(w.delivered().access_requests).toHaveLength(30);
      expect(w.delivered().audit_logs).toBeUndefined();
      expect(w.s3.listKeys(BUCKET)).toEqual(['state/poller/access_requests.json']);
      expect(first.output.metric('EventsDelivered', { Source: 'access_requests' })).toBe(30);
      expect(first.output.metric('PollFailures', { Source: 'audit_logs' })).toBe(1);
      expect(first.output.metric('ApiRetries', { Source: 'audit_logs' })).toBeGreaterThan(0);

      w.cf.script.planner = undefined;
      w.cf.add('access_requests', fakeAccessRequest(31, minutesAgo(5)));
      const second = await captureOutput(() => w.handler({}, lambdaContext({ remainingMs: 300_000 })));
      expect(second.outcome.status).toBe('fulfilled');
      const ids = w.delivered();
      expect(ids.access_requests).toHaveLength(31);
      expect(new Set(ids.access_requests).size).toBe(31);
      expect(ids.audit_logs).toHaveLength(12);
      expect(new Set(ids.audit_logs).size).toBe(12);
      expect(second.output.metric('DuplicatesDropped', { Source: 'access_requests' })).toBeGreaterThan(0);
      expect(w.s3.listKeys(BUCKET)).toEqual([
        'state/poller/access_requests.json',
        'state/poller/audit_logs.json',
      ]);
      expect(w.fh.violations()).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('stops on a rejected credential with the checkpoints untouched, and reads the fixed secret next run', async () => {
    const w = await world();
    try {
      for (let n = 1; n <= 3; n++) w.cf.add('access_requests', fakeAccessRequest(n, minutesAgo(30 - n)));
      w.sm.setSecret(SECRET, JSON.stringify({ apiToken: 'revoked-token-SECRET-0000000000000000' }));
      const first = await captureOutput(() => w.handler({}, lambdaContext()));
      expect((first.outcome as PromiseRejectedResult).reason).toMatchObject({
        failed: ['access_requests', 'audit_logs'],
      });
      expect(w.s3.listKeys(BUCKET)).toEqual([]);
      expect(w.delivered()).toEqual({});
      expect(
        first.output.logs('Cloudflare rejected the credential; the checkpoint is untouched'),
      ).toHaveLength(2);
      expect(first.output.lines.join('\n')).not.toContain('revoked-token-SECRET');

      w.sm.setSecret(SECRET, JSON.stringify({ apiToken: FAKE_CF_API_TOKEN }));
      const second = await captureOutput(() => w.handler({}, lambdaContext()));
      expect(second.outcome.status).toBe('fulfilled');
      expect(w.delivered().access_requests).toHaveLength(3);
      expect(second.output.lines.join('\n')).not.toContain(FAKE_CF_API_TOKEN);
    } finally {
      await w.close();
    }
  });
});
