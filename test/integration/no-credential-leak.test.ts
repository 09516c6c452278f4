/**
 * No Cloudflare credential leaks. A distinctive token and an email + API key pair are planted where the code reads
 * credentials (the pollers' secret, `CLOUDFLARE_API_TOKEN` / `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`,
 * `cf-logs logpush --secret`); the poll Lambda, `cf-logs poll` and `cf-logs logpush plan|apply` then run end to
 * end against the fakes on 127.0.0.1, through their success and failure paths, and everything the credential
 * could end up in is captured and searched for it: what is written to process.stdout and process.stderr
 * (Powertools logs and EMF metrics included), console calls, the commands' own output streams, thrown errors
 * (message, stack, every cause, their JSON and what console.error would print), returned values, every object in
 * the fake S3 (checkpoints, quarantine, challenge files), every record Firehose received, every request sent to
 * Cloudflare except its credential headers, and process.env. The token is searched as it is, URL-encoded, inside
 * base64 at each alignment, and as any 8 characters of it (a JSON parser's message quotes a few).
 *
 * Then: the template carries no credential in an environment variable or an output, and a configuration file
 * with a token-named field is refused without echoing the value.
 */
import { Buffer } from 'node:buffer';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { formatWithOptions, inspect } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FirehoseRecordSink } from '../../lambdas/adapters/firehose-sink.ts';
import { S3BlobStore } from '../../lambdas/adapters/s3-blob-store.ts';
import { S3CheckpointStore } from '../../lambdas/adapters/s3-checkpoint-store.ts';
import { SecretsManagerCredentials } from '../../lambdas/adapters/secrets-credentials.ts';
import { LOGPUSH_EXIT, runLogpushCommand } from '../../lambdas/cli/logpush-command.ts';
import { POLL_EXIT, runPollCommand, type SourceFactory } from '../../lambdas/cli/poll-command.ts';
import { cloudflareSourceFactory, createPollHandler } from '../../lambdas/handlers/poll-app.ts';
import { CloudflareApi } from '../../lambdas/poll/cloudflare-api.ts';
import { runPoll } from '../../lambdas/poll/poller.ts';
import { createPollSource } from '../../lambdas/poll/sources.ts';
import { POLL_ENV, readPollSettings } from '../../lambdas/settings.ts';
import { CfLogsStack } from '../../lib/cf-logs-stack.ts';
import { loadConfig, parseConfig } from '../../lib/config.ts';
import { CDK_CONTEXT } from '../infra/helpers.ts';
import { fakeFirehoseClient, fakeS3Client } from '../support/aws-clients.ts';
import { fakeClock } from '../support/clock.ts';
import {
  type CloudflareFault,
  FAKE_CF_ACCOUNT_ID,
  type FakeCloudflareOptions,
  fakeAccessRequest,
  fakeAuditLogV1,
  startFakeCloudflare,
} from '../support/fake-cloudflare.ts';
import { type FakeFirehose, startFakeFirehose } from '../support/fake-firehose.ts';
import { FAKE_ZONE_ID, type FakeLogpushOptions, startFakeLogpush } from '../support/fake-logpush.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';
import { fakeSecretsManagerClient, startFakeSecretsManager } from '../support/fake-secrets-manager.ts';
import { captureOutput } from '../support/lambda-output.ts';
import { listenOnLoopback } from '../support/loopback-server.ts';
import { lambdaContext } from '../support/sqs-events.ts';

// ---- the planted credentials and how they are searched for ----

/** The planted API token: nothing else in the project or the fakes contains any 8 characters of it. */
const TOKEN = 'cfLEAKcanary-Zq7Xw2Kp9Rt4Vn6Bm3Hj8Ld5Fs1Gc0Ty';
/** The planted legacy key pair; the email is not a secret, the key is. */
const EMAIL = 'leak-canary@example.org';
const API_KEY = 'KEYcanary-qX8vR2mN7pL4wZ9tB6yH3jF5dS1gK0';
/** A second token, for a rotated or wrong credential (it must not leak either). */
const OTHER_TOKEN = 'cfOTHERcanary-Mm4Nn8Bb2Vv6Cc1Xx9Zz3Ll7Kk5Jj0Hh';

/** Shorter runs of a secret than this may occur by chance; this long, they are a piece of it. */
const FRAGMENT = 8;

/**
 * The forms in which a secret could show up: as is, URL-encoded, inside base64 or base64url at each of the three
 * alignments, and any {@link FRAGMENT} characters of it.
 */
function formsOf(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret)];
  for (const shift of [0, 1, 2]) {
    const encoded = Buffer.from(`${'\u0000'.repeat(shift)}${secret}`).toString('base64');
    // Only the characters that depend on the secret's bytes alone, wherever it sits in a longer value.
    const start = (Math.ceil(shift / 3) * 3 * 4) / 3;
    const end = Math.floor((shift + secret.length) / 3) * 4;
    const inner = encoded.slice(start, end);
    forms.push(inner, inner.replaceAll('+', '-').replaceAll('/', '_'));
  }
  for (let i = 0; i + FRAGMENT <= secret.length; i++) forms.push(secret.slice(i, i + FRAGMENT));
  return [...new Set(forms)];
}

const SECRETS = { token: TOKEN, 'API key': API_KEY, 'other token': OTHER_TOKEN } as const;
const NEEDLES = Object.entries(SECRETS).flatMap(([label, secret]) =>
  formsOf(secret).map((form) => ({ label, form })),
);

/** Renders anything as the text a log, a console or a serializer could make of it. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  const parts: string[] = [];
  // An error, and every cause below it: message, stack, JSON and what console.error prints.
  for (let e: unknown = value, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    if (e instanceof Error) parts.push(e.name, e.message, e.stack ?? '');
    try {
      parts.push(JSON.stringify(e) ?? '');
    } catch (error) {
      parts.push(`(not JSON: ${(error as Error).message})`);
    }
    parts.push(inspect(e, { depth: 12, breakLength: Number.POSITIVE_INFINITY, maxStringLength: null }));
    e = typeof e === 'object' ? (e as { cause?: unknown }).cause : undefined;
  }
  return parts.join('\n');
}

/** Everything captured during one scenario, by where it was found. */
class Evidence {
  readonly items: { readonly where: string; readonly text: string }[] = [];

  add(where: string, value: unknown): void {
    this.items.push({ where, text: textOf(value) });
  }

  /** Where a secret (or a form of it) was found, with a little context. */
  leaks(): string[] {
    const found: string[] = [];
    for (const { where, text } of this.items) {
      for (const { label, form } of NEEDLES) {
        const at = text.indexOf(form);
        if (at < 0) continue;
        const context = text.slice(Math.max(0, at - 40), at + form.length + 40).replaceAll('\n', '\\n');
        found.push(`${where}: the ${label} (${JSON.stringify(form)}) in …${context}…`);
        break;
      }
    }
    return found;
  }
}

// ---- capture of what a run prints, sends and stores ----

/** One request to Cloudflare as sent: its credential headers apart, everything else in `visible`. */
interface SentRequest {
  readonly url: string;
  readonly credentialHeaders: Readonly<Record<string, string>>;
  readonly visible: string;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-auth-key', 'x-auth-email']);

/** A fetch that records each request before sending it on. */
function recordingFetch(sent: SentRequest[]): typeof fetch {
  const realFetch = globalThis.fetch;
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = new Headers(init?.headers);
    const credentialHeaders: Record<string, string> = {};
    const other: string[] = [];
    headers.forEach((value, name) => {
      if (CREDENTIAL_HEADERS.has(name)) credentialHeaders[name] = value;
      else other.push(`${name}: ${value}`);
    });
    const body = typeof init?.body === 'string' ? init.body : '';
    sent.push({
      url,
      credentialHeaders,
      visible: `${init?.method ?? 'GET'} ${url}\n${other.join('\n')}\n\n${body}`,
    });
    return realFetch(input, init);
  };
}

/**
 * Runs `run` with process.stdout/stderr and the console captured into `evidence`, and adds its outcome (the
 * returned value or the thrown error).
 */
async function captured<T>(evidence: Evidence, run: () => Promise<T>): Promise<PromiseSettledResult<T>> {
  const consoleCalls: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const spies = methods.map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleCalls.push(`console.${method}: ${formatWithOptions({ depth: 12 }, ...args)}`);
    }),
  );
  try {
    const { outcome, output } = await captureOutput(run);
    evidence.add('process.stdout/stderr', output.lines.join('\n'));
    evidence.add('the result', outcome.status === 'fulfilled' ? outcome.value : outcome.reason);
    return outcome;
  } finally {
    for (const spy of spies) spy.mockRestore();
    evidence.add('the console', consoleCalls.join('\n'));
    evidence.add('process.env', JSON.stringify(process.env));
  }
}

/** Every object of every bucket of a fake S3 (gunzipped when gzip), its key and metadata. */
function addS3(evidence: Evidence, s3: FakeS3, buckets: readonly string[]): string[] {
  const keys: string[] = [];
  for (const bucket of buckets) {
    for (const key of s3.listKeys(bucket)) {
      keys.push(`${bucket}/${key}`);
      const body = s3.getObject(bucket, key) ?? Buffer.alloc(0);
      const gzip = body[0] === 0x1f && body[1] === 0x8b;
      evidence.add(`s3://${bucket}/${key}`, gzip ? gunzipSync(body) : body);
      evidence.add(`s3://${bucket}/${key} (metadata)`, JSON.stringify(s3.statObject(bucket, key)?.metadata));
    }
  }
  evidence.add(
    'S3 requests',
    s3.requests.map((r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}`).join('\n'),
  );
  return keys;
}

function addFirehose(evidence: Evidence, fh: FakeFirehose, stream: string): number {
  const records = fh.recordsFor(stream);
  records.forEach((record, index) => {
    evidence.add(`Firehose record ${index}`, record);
  });
  return records.length;
}

function addRequests(evidence: Evidence, sent: readonly SentRequest[]): void {
  sent.forEach((request, index) => {
    evidence.add(`request ${index} to Cloudflare (credential headers aside)`, request.visible);
  });
}

/** A Writable whose text is kept. */
function sink() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** A Secrets Manager stand-in that answers every request with `status` and `body` as they are. */
async function scriptedSecretsManager(status: number, body: string) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'scripted' });
      res.end(body);
    });
  });
  const loopback = await listenOnLoopback(server);
  return { endpoint: loopback.endpoint, close: () => loopback.close(), requests: () => requests };
}

// ---- the harness itself ----

describe('the search', () => {
  const probes: Record<string, () => Promise<unknown>> = {
    'process.stdout/stderr': async () => process.stdout.write(`x ${TOKEN}\n`),
    'a Powertools log line, base64': async () =>
      new Logger({ serviceName: 'probe' }).info('probe', {
        value: Buffer.from(`{"a":"${TOKEN}"}`).toString('base64'),
      }),
    'the console, deep in an object': async () => console.warn({ deep: { deeper: { deepest: API_KEY } } }),
    'the cause of an error, a piece of the token': async () => {
      throw new Error('outer', { cause: new Error(`inner ${TOKEN.slice(10, 20)}`) });
    },
    'a returned value, base64url': async () => ({
      data: Buffer.from(`xy${OTHER_TOKEN}`).toString('base64url'),
    }),
  };

  it.each(Object.keys(probes))('finds a planted credential: %s', async (name) => {
    const evidence = new Evidence();
    await captured(evidence, probes[name]!);
    expect(evidence.leaks()).toHaveLength(1);
  });

  it('finds nothing where nothing was planted', async () => {
    const evidence = new Evidence();
    await captured(evidence, async () => {
      process.stdout.write(`${EMAIL} ${TOKEN.slice(0, FRAGMENT - 1)} ${API_KEY.slice(-(FRAGMENT - 1))}\n`);
      return { token: '<token with Access: Audit Logs Read>' };
    });
    expect(evidence.leaks()).toEqual([]);
  });
});

// ---- the poll Lambda ----

describe('the poll Lambda', () => {
  const CHECKPOINTS = 'cf-logs-checkpoints-leak';
  const LAKE = 'cf-logs-lake-leak';
  const STREAM = 'cf-logs-ecs-leak';
  const SECRET_ID = 'cf-logs/cloudflare-api';
  const NOW = new Date('2026-11-21T12:00:00Z');
  const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

  /** What one scenario sets up: the secret's answer, Cloudflare's behaviour. */
  interface PollScenario {
    /** The secret's string value (undefined: a binary secret), or Secrets Manager's whole answer. */
    readonly secret:
      | { readonly value: string | undefined }
      | { readonly error: { type: string; status: number } }
      | { readonly raw: { status: number; body: string } };
    readonly cloudflare?: FakeCloudflareOptions;
    readonly fault?: CloudflareFault;
    /** Whether the run succeeds. */
    readonly ok: boolean;
    /** Credential headers Cloudflare must have received (proves the planted credential was used). */
    readonly sent?: Readonly<Record<string, string>>;
    /** What the function log says went wrong (it must still say it, without the value). */
    readonly logged?: RegExp;
  }

  const token = (apiToken: string) => JSON.stringify({ apiToken });
  const keyPair = JSON.stringify({ email: EMAIL, apiKey: API_KEY });
  const AUTH_401: CloudflareFault = {
    kind: 'respond',
    status: 401,
    body: {
      success: false,
      errors: [{ code: 9109, message: 'Invalid access token' }],
      messages: [],
      result: null,
    },
  };

  const scenarios: Record<string, PollScenario> = {
    'delivers events with a token (one quarantined)': {
      secret: { value: token(TOKEN) },
      ok: true,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'delivers events with an email and API key': {
      secret: { value: keyPair },
      cloudflare: { apiToken: null, globalKey: { email: EMAIL, apiKey: API_KEY } },
      ok: true,
      sent: { 'x-auth-email': EMAIL, 'x-auth-key': API_KEY },
    },
    'token rejected (403)': {
      secret: { value: token(TOKEN) },
      cloudflare: { apiToken: OTHER_TOKEN },
      ok: false,
      logged: /Cloudflare rejected the credential/,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'token rejected (401)': {
      secret: { value: token(TOKEN) },
      fault: AUTH_401,
      ok: false,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'API key rejected (403, 9103)': {
      secret: { value: keyPair },
      cloudflare: { globalKey: { email: EMAIL, apiKey: 'another-key-0000000000000000000000000' } },
      ok: false,
      sent: { 'x-auth-email': EMAIL, 'x-auth-key': API_KEY },
    },
    '5xx after the retries': {
      secret: { value: token(TOKEN) },
      fault: { kind: 'server-error', status: 503, html: true },
      ok: false,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'timeouts after the retries': {
      secret: { value: token(TOKEN) },
      fault: { kind: 'slow', delayMs: 5_000 },
      ok: false,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'connections reset': {
      secret: { value: token(TOKEN) },
      fault: { kind: 'reset' },
      ok: false,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'a token Cloudflare would refuse as a header (pasted with "Bearer ")': {
      secret: { value: token(`Bearer ${TOKEN}`) },
      ok: false,
      logged: /the Cloudflare API token is empty or holds characters not allowed in an HTTP header/,
    },
    'a truncated secret holding the token': {
      secret: { value: `{"apiToken": "${TOKEN}"` },
      ok: false,
      logged: /secret cf-logs\/cloudflare-api is not JSON; expected/,
    },
    'a secret that is the bare token': {
      secret: { value: TOKEN },
      ok: false,
      logged: /is not JSON; expected/,
    },
    'a secret that is the token as a JSON string': {
      secret: { value: JSON.stringify(TOKEN) },
      ok: false,
      logged: /is not a JSON object/,
    },
    'a secret that is a list': {
      secret: { value: JSON.stringify([TOKEN, API_KEY]) },
      ok: false,
      logged: /is not a JSON object/,
    },
    'a secret with other key names': {
      secret: { value: JSON.stringify({ api_token: TOKEN, key: API_KEY }) },
      ok: false,
      logged: /has neither \\"apiToken\\" nor \\"email\\" and \\"apiKey\\"/,
    },
    'a secret with a token and a key': {
      secret: { value: JSON.stringify({ apiToken: TOKEN, apiKey: API_KEY }) },
      ok: false,
      logged: /has both \\"apiToken\\" and \\"email\\"\/\\"apiKey\\"/,
    },
    'a secret with a key but no email': {
      secret: { value: JSON.stringify({ apiKey: API_KEY }) },
      ok: false,
      logged: /has an \\"apiKey\\" without a non-empty \\"email\\"/,
    },
    'a secret with a token that is not a string': {
      secret: { value: JSON.stringify({ apiToken: { value: TOKEN } }) },
      ok: false,
      logged: /has an \\"apiToken\\" that is not a non-empty string/,
    },
    'a binary secret': { secret: { value: undefined }, ok: false, logged: /has no string value/ },
    'Secrets Manager: access denied': {
      secret: { error: { type: 'AccessDeniedException', status: 400 } },
      ok: false,
      logged: /cf-logs\/cloudflare-api: AccessDeniedException/,
    },
    'Secrets Manager: no such secret': {
      secret: { error: { type: 'ResourceNotFoundException', status: 400 } },
      ok: false,
      logged: /ResourceNotFoundException \(the secret does not exist or has no value yet\)/,
    },
    'Secrets Manager: KMS cannot decrypt': {
      secret: { error: { type: 'DecryptionFailure', status: 400 } },
      ok: false,
      logged: /DecryptionFailure/,
    },
    'Secrets Manager: internal error': {
      secret: { error: { type: 'InternalServiceError', status: 500 } },
      ok: false,
      logged: /InternalServiceError/,
    },
    'Secrets Manager: an answer cut short inside the token': {
      secret: {
        raw: { status: 200, body: `{"Name":"x","SecretString":"{\\"apiToken\\":\\"${TOKEN.slice(0, 30)}` },
      },
      ok: false,
      logged: /SecretReadError.*answered HTTP 200 with a body the SDK could not read/,
    },
    'Secrets Manager: an answer broken right at the token': {
      secret: { raw: { status: 200, body: `{"Name":"x","SecretString":${TOKEN}}` } },
      ok: false,
      logged: /SecretReadError.*answered HTTP 200 with a body the SDK could not read/,
    },
    'Secrets Manager: an answer whose SecretString is not a string': {
      secret: { raw: { status: 200, body: `{"Name":"x","SecretString":{"apiToken":"${TOKEN}"}}` } },
      ok: false,
      logged: /has no string value/,
    },
  };

  it.each(Object.entries(scenarios))('leaks nothing: %s', async (_, scenario) => {
    const cf = await startFakeCloudflare({
      accountId: FAKE_CF_ACCOUNT_ID,
      apiToken: TOKEN,
      ...scenario.cloudflare,
    });
    const s3 = await startFakeS3({ buckets: [CHECKPOINTS, LAKE] });
    const fh = await startFakeFirehose({ deliveryStreams: [STREAM] });
    const sm = await startFakeSecretsManager();
    const scripted =
      'raw' in scenario.secret
        ? await scriptedSecretsManager(scenario.secret.raw.status, scenario.secret.raw.body)
        : undefined;
    const clients = {
      s3: fakeS3Client(s3),
      fh: fakeFirehoseClient(fh),
      sm: fakeSecretsManagerClient(scripted ?? sm),
    };
    try {
      if ('value' in scenario.secret) sm.setSecret(SECRET_ID, scenario.secret.value);
      if ('error' in scenario.secret) sm.failNext(scenario.secret.error, 10);
      for (let n = 1; n <= 5; n++) cf.add('access_requests', fakeAccessRequest(n, minutesAgo(60 - n)));
      // The mapper refuses this one: it goes to the quarantine in the lake bucket.
      cf.add(
        'access_requests',
        fakeAccessRequest(6, minutesAgo(50), { temporary_access_duration: 'forever' }),
      );
      for (let n = 1; n <= 3; n++) cf.add('audit_logs', fakeAuditLogV1(n, minutesAgo(40 - n)));
      if (scenario.fault) {
        const fault = scenario.fault;
        cf.script.planner = () => fault;
      }

      const settings = readPollSettings({
        [POLL_ENV.sources]: 'access_requests,audit_logs',
        [POLL_ENV.accountId]: FAKE_CF_ACCOUNT_ID,
        [POLL_ENV.secretId]: SECRET_ID,
        [POLL_ENV.checkpointBucket]: CHECKPOINTS,
        [POLL_ENV.lakeBucket]: LAKE,
        [POLL_ENV.deliveryStream]: STREAM,
        [POLL_ENV.apiBase]: cf.baseUrl,
      });
      const clock = fakeClock(NOW);
      const sent: SentRequest[] = [];
      // Built as the Lambda entry builds it (lambdas/handlers/poll.ts), the logger at its most talkative.
      const credentials = new SecretsManagerCredentials(clients.sm, SECRET_ID, { clock });
      const handler = createPollHandler({
        settings,
        credentials,
        createSource: cloudflareSourceFactory(settings, credentials, {
          sleep: async () => {},
          random: () => 0,
          // Short only where the fake answers slowly on purpose; elsewhere long enough for a loaded machine.
          requestTimeoutMs: scenario.fault?.kind === 'slow' ? 100 : 5_000,
          fetch: recordingFetch(sent),
        }),
        runPoll,
        store: new S3CheckpointStore(clients.s3, { bucket: CHECKPOINTS, prefix: settings.checkpointPrefix }),
        sink: new FirehoseRecordSink(clients.fh, STREAM),
        quarantineStore: new S3BlobStore(clients.s3, LAKE),
        logger: new Logger({ serviceName: 'cf-logs-poll', logLevel: 'DEBUG' }),
        metrics: new Metrics({ namespace: 'CloudflareLogLake', serviceName: 'cf-logs-poll' }),
        clock,
        retry: { baseDelayMs: 1, maxDelayMs: 1 },
      });

      const evidence = new Evidence();
      const outcome = await captured(evidence, () => handler({}, lambdaContext({ remainingMs: 300_000 })));
      const objects = addS3(evidence, s3, [CHECKPOINTS, LAKE]);
      const records = addFirehose(evidence, fh, STREAM);
      addRequests(evidence, sent);

      expect(evidence.leaks()).toEqual([]);
      expect(outcome.status).toBe(scenario.ok ? 'fulfilled' : 'rejected');
      if (scenario.logged) {
        const log = evidence.items.find((item) => item.where === 'process.stdout/stderr')?.text ?? '';
        expect(log).toMatch(scenario.logged);
      }
      if (scenario.ok) {
        expect(records).toBeGreaterThan(0);
        expect(objects.filter((key) => key.startsWith(`${LAKE}/quarantine/`))).toHaveLength(1);
        expect(objects.filter((key) => key.startsWith(`${CHECKPOINTS}/`))).toHaveLength(2);
      }
      // The planted credential reached Cloudflare, in its headers and nowhere else.
      for (const request of sent) {
        expect(request.url.startsWith(cf.baseUrl)).toBe(true);
        expect(request.credentialHeaders).toEqual(scenario.sent);
      }
      expect(sent.length > 0).toBe(scenario.sent !== undefined);
      // The secret was read (from the fake, or from the scripted stand-in).
      expect(scripted ? scripted.requests() : sm.requests.length).toBeGreaterThan(0);
    } finally {
      for (const client of Object.values(clients)) client.destroy();
      await Promise.all([cf.close(), s3.close(), fh.close(), sm.close(), scripted?.close()]);
    }
  });
});

// ---- cf-logs poll ----

describe('cf-logs poll', () => {
  const NOW = new Date('2026-11-21T12:00:00Z');
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-logs-leak-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The command's own source factory, without the waits between retries. */
  const noWaits: SourceFactory = (name, connection) =>
    createPollSource(
      name,
      new CloudflareApi({
        credentials: { get: async () => connection.credential },
        baseUrl: connection.baseUrl,
        sleep: async () => {},
      }),
      { accountId: connection.accountId },
    );

  const scenarios: Record<
    string,
    {
      env: Record<string, string>;
      cloudflare?: FakeCloudflareOptions;
      fault?: CloudflareFault;
      exit: number;
      sent?: Record<string, string>;
      factory?: SourceFactory;
    }
  > = {
    'a token in CLOUDFLARE_API_TOKEN (one event rejected)': {
      env: { CLOUDFLARE_API_TOKEN: TOKEN },
      exit: POLL_EXIT.failed,
      sent: { authorization: `Bearer ${TOKEN}` },
      factory: undefined,
    },
    'an email and key in CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY': {
      env: { CLOUDFLARE_EMAIL: EMAIL, CLOUDFLARE_API_KEY: API_KEY },
      cloudflare: { globalKey: { email: EMAIL, apiKey: API_KEY } },
      exit: POLL_EXIT.failed,
      sent: { 'x-auth-email': EMAIL, 'x-auth-key': API_KEY },
    },
    'a rejected token': {
      env: { CLOUDFLARE_API_TOKEN: TOKEN },
      cloudflare: { apiToken: OTHER_TOKEN },
      exit: POLL_EXIT.failed,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'a rejected key': {
      env: { CLOUDFLARE_EMAIL: EMAIL, CLOUDFLARE_API_KEY: API_KEY },
      exit: POLL_EXIT.failed,
      sent: { 'x-auth-email': EMAIL, 'x-auth-key': API_KEY },
    },
    '5xx after the retries': {
      env: { CLOUDFLARE_API_TOKEN: TOKEN },
      fault: { kind: 'server-error', status: 502 },
      exit: POLL_EXIT.failed,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'a token with a line break in it': {
      env: { CLOUDFLARE_API_TOKEN: `${TOKEN.slice(0, 20)}\n${TOKEN.slice(20)}` },
      exit: POLL_EXIT.failed,
    },
    'a key without its email': { env: { CLOUDFLARE_API_KEY: API_KEY }, exit: POLL_EXIT.usage },
  };

  it.each(Object.entries(scenarios))('leaks nothing: %s', async (_, scenario) => {
    const cf = await startFakeCloudflare({
      accountId: FAKE_CF_ACCOUNT_ID,
      apiToken: TOKEN,
      ...scenario.cloudflare,
    });
    const sent: SentRequest[] = [];
    vi.stubGlobal('fetch', recordingFetch(sent));
    try {
      for (let n = 1; n <= 4; n++) {
        cf.add(
          'access_requests',
          fakeAccessRequest(n, new Date(NOW.getTime() - (30 - n) * 60_000).toISOString()),
        );
      }
      cf.add(
        'access_requests',
        fakeAccessRequest(9, '2026-11-21T11:40:00Z', { temporary_access_duration: 'x' }),
      );
      if (scenario.fault) {
        const fault = scenario.fault;
        cf.script.planner = () => fault;
      }
      const state = join(dir, 'state.json');
      const out = sink();
      const err = sink();
      const evidence = new Evidence();
      const outcome = await captured(evidence, () =>
        runPollCommand(
          { source: 'access_requests', account: FAKE_CF_ACCOUNT_ID, state, since: '2026-11-21T10:00:00Z' },
          {
            stdout: out.stream,
            stderr: err.stream,
            env: { CLOUDFLARE_API_BASE: cf.baseUrl, ...scenario.env },
            clock: fakeClock(NOW),
          },
          'factory' in scenario ? undefined : noWaits,
        ),
      );
      evidence.add('stdout', out.text());
      evidence.add('stderr', err.text());
      evidence.add('the state file', await readFile(state, 'utf8').catch(() => ''));
      addRequests(evidence, sent);

      expect(evidence.leaks()).toEqual([]);
      expect(outcome).toEqual({ status: 'fulfilled', value: scenario.exit });
      if (scenario.exit === POLL_EXIT.usage) expect(err.text()).toContain('CLOUDFLARE_EMAIL is not set');
      for (const request of sent) expect(request.credentialHeaders).toEqual(scenario.sent);
      expect(sent.length > 0).toBe(scenario.sent !== undefined);
    } finally {
      vi.unstubAllGlobals();
      await cf.close();
    }
  });
});

// ---- cf-logs logpush plan / apply / list ----

describe('cf-logs logpush plan, apply and list', () => {
  const BUCKET = 'cf-logs-logpush-leak';
  const REGION = 'eu-west-1';
  const SECRET_ID = 'cf-logs/cloudflare-api-leak';
  const CONFIG = {
    cloudflare: { accountId: FAKE_CF_ACCOUNT_ID, zones: [{ id: FAKE_ZONE_ID, name: 'example.com' }] },
    datasets: { zone: ['http_requests'], account: ['gateway_dns'] },
  };
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-logs-leak-'));
    await writeFile(join(dir, 'cf-logs.config.json'), JSON.stringify(CONFIG));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const GRANT = { logsEdit: true, zeroTrustPiiRead: true };
  const scenarios: Record<
    string,
    {
      action: 'plan' | 'apply' | 'list';
      env?: Record<string, string>;
      /** The value of the secret passed with --secret. */
      secret?: { value: string } | { error: { type: string; status: number } };
      json?: boolean;
      logpush?: Partial<FakeLogpushOptions>;
      fault?: CloudflareFault;
      exit: number;
      sent?: Record<string, string>;
    }
  > = {
    'apply with the token in the environment': {
      action: 'apply',
      env: { CLOUDFLARE_API_TOKEN: TOKEN },
      exit: LOGPUSH_EXIT.ok,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'apply --json with the token in the environment': {
      action: 'apply',
      env: { CLOUDFLARE_API_TOKEN: TOKEN },
      json: true,
      exit: LOGPUSH_EXIT.ok,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'plan with the email and key in the environment': {
      action: 'plan',
      env: { CLOUDFLARE_EMAIL: EMAIL, CLOUDFLARE_API_KEY: API_KEY },
      exit: LOGPUSH_EXIT.ok,
      sent: { 'x-auth-email': EMAIL, 'x-auth-key': API_KEY },
    },
    'apply with the token from --secret': {
      action: 'apply',
      secret: { value: JSON.stringify({ apiToken: TOKEN }) },
      exit: LOGPUSH_EXIT.ok,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'list with the email and key in the environment': {
      action: 'list',
      env: { CLOUDFLARE_EMAIL: EMAIL, CLOUDFLARE_API_KEY: API_KEY },
      exit: LOGPUSH_EXIT.ok,
      sent: { 'x-auth-email': EMAIL, 'x-auth-key': API_KEY },
    },
    'plan with a rejected token': {
      action: 'plan',
      env: { CLOUDFLARE_API_TOKEN: TOKEN },
      logpush: { tokens: { [OTHER_TOKEN]: GRANT } },
      exit: LOGPUSH_EXIT.failed,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'apply with a token that lacks Logs: Edit': {
      action: 'apply',
      env: { CLOUDFLARE_API_TOKEN: TOKEN },
      logpush: { tokens: { [TOKEN]: { logsEdit: false, zeroTrustPiiRead: true } } },
      exit: LOGPUSH_EXIT.failed,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'apply with a rejected token from --secret': {
      action: 'apply',
      secret: { value: JSON.stringify({ apiToken: TOKEN }) },
      logpush: { tokens: { [OTHER_TOKEN]: GRANT } },
      exit: LOGPUSH_EXIT.failed,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'plan against 5xx after the retries': {
      action: 'plan',
      env: { CLOUDFLARE_API_TOKEN: TOKEN },
      fault: { kind: 'server-error', status: 500, html: true },
      exit: LOGPUSH_EXIT.failed,
      sent: { authorization: `Bearer ${TOKEN}` },
    },
    'plan with a malformed secret': {
      action: 'plan',
      secret: { value: `{"apiToken": ${TOKEN}}` },
      exit: LOGPUSH_EXIT.failed,
    },
    'plan with a secret without the expected keys': {
      action: 'plan',
      secret: { value: JSON.stringify({ token: TOKEN, key: API_KEY }) },
      exit: LOGPUSH_EXIT.failed,
    },
    'plan with a secret that does not exist': {
      action: 'plan',
      secret: { error: { type: 'ResourceNotFoundException', status: 400 } },
      exit: LOGPUSH_EXIT.failed,
    },
  };

  it.each(Object.entries(scenarios))('leaks nothing: %s', async (_, scenario) => {
    const s3 = await startFakeS3({ buckets: [BUCKET] });
    let clock = Date.parse('2026-11-21T10:00:00Z');
    const cf = await startFakeLogpush({
      s3,
      now: () => new Date(clock),
      writableBuckets: [BUCKET],
      bucketRegions: { [BUCKET]: REGION },
      tokens: { [TOKEN]: GRANT },
      globalKey: { email: EMAIL, apiKey: API_KEY },
      ...scenario.logpush,
    });
    const sm = await startFakeSecretsManager();
    const sent: SentRequest[] = [];
    vi.stubGlobal('fetch', recordingFetch(sent));
    const clients: { destroy(): void }[] = [];
    try {
      if (scenario.secret && 'value' in scenario.secret) sm.setSecret(SECRET_ID, scenario.secret.value);
      if (scenario.secret && 'error' in scenario.secret) sm.failNext(scenario.secret.error, 10);
      if (scenario.fault) {
        const fault = scenario.fault;
        cf.script.planner = () => fault;
      }
      const out = sink();
      const err = sink();
      const evidence = new Evidence();
      const outcome = await captured(evidence, () =>
        runLogpushCommand(
          {
            action: scenario.action,
            bucket: BUCKET,
            region: REGION,
            ...(scenario.secret ? { secret: SECRET_ID } : {}),
            ...(scenario.json ? { json: true } : {}),
          },
          {
            stdout: out.stream,
            stderr: err.stream,
            env: { CLOUDFLARE_API_BASE: cf.baseUrl, ...scenario.env },
            cwd: dir,
            s3: () => {
              const client = fakeS3Client(s3);
              clients.push(client);
              return client;
            },
            secretsManager: () => {
              const client = fakeSecretsManagerClient(sm);
              clients.push(client);
              return client;
            },
            sleep: async (ms) => {
              clock += ms;
            },
            now: () => clock,
          },
        ),
      );
      evidence.add('stdout', out.text());
      evidence.add('stderr', err.text());
      addS3(evidence, s3, [BUCKET]);
      addRequests(evidence, sent);

      expect(evidence.leaks()).toEqual([]);
      expect(outcome).toEqual({ status: 'fulfilled', value: scenario.exit });
      if (scenario.action === 'apply' && scenario.exit === LOGPUSH_EXIT.ok) {
        expect(cf.challenges.length).toBeGreaterThan(0);
      }
      for (const request of sent) expect(request.credentialHeaders).toEqual(scenario.sent);
      expect(sent.length > 0).toBe(scenario.sent !== undefined);
      expect(sm.requests.length > 0).toBe(scenario.secret !== undefined);
    } finally {
      vi.unstubAllGlobals();
      for (const client of clients) client.destroy();
      await Promise.all([cf.close(), s3.close(), sm.close()]);
    }
  });
});

// ---- the template and the configuration ----

describe('the deployment', () => {
  // Bundling is skipped: only environment variables and outputs matter here.
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stacks = {
    created: new CfLogsStack(app, 'Created', {
      config: parseConfig({ cloudflare: { accountId: FAKE_CF_ACCOUNT_ID }, poller: { enabled: true } }),
    }),
    imported: new CfLogsStack(app, 'Imported', {
      config: parseConfig({
        cloudflare: { accountId: FAKE_CF_ACCOUNT_ID },
        poller: { enabled: true, secretName: 'cf-logs/cloudflare-api' },
      }),
    }),
  };
  /** Names that suggest a credential; the one such variable the stack sets names the secret, not its value. */
  const CREDENTIAL_NAME = /token|api_?key|password|passwd|secret|credential|auth/i;

  it.each(Object.entries(stacks))('puts no credential in an environment variable (%s secret)', (_, stack) => {
    const template = Template.fromStack(stack).toJSON() as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const text = JSON.stringify(template);
    // A dynamic reference would put the secret's value into the template's resources at deployment.
    expect(text).not.toMatch(/\{\{resolve:(secretsmanager|ssm-secure)/);
    const secretIds = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
      .map(([id]) => id);
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const fn of functions) {
      const variables = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      for (const [name, value] of Object.entries(variables ?? {})) {
        if (name === POLL_ENV.secretId) {
          // The secret's ARN (a Ref of the created secret) or its name: where the function reads, never what.
          expect([
            ...secretIds.map((id) => JSON.stringify({ Ref: id })),
            '"cf-logs/cloudflare-api"',
          ]).toContain(JSON.stringify(value));
          continue;
        }
        expect(name, `${name} looks like a credential`).not.toMatch(CREDENTIAL_NAME);
        // No value reads a secret, and no literal looks like a key or token (37+ characters of base64url).
        expect(JSON.stringify(value), name).not.toMatch(/SecretString|\{"Ref":"[^"]*Credential/);
        if (typeof value === 'string') expect(value, name).not.toMatch(/^[A-Za-z0-9_-]{37,}$/);
      }
    }
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::SecretsManager::Secret') continue;
      // Created empty: the operator puts the credential in, the template never holds it.
      expect(resource.Properties.SecretString).toBe('{}');
      expect(resource.Properties.GenerateSecretString).toBeUndefined();
    }
  });

  it.each(Object.entries(stacks))('puts no credential in an output (%s secret)', (_, stack) => {
    const outputs = Template.fromStack(stack).toJSON().Outputs as Record<
      string,
      { Value: unknown; Description?: string }
    >;
    for (const [name, output] of Object.entries(outputs)) {
      const value = JSON.stringify(output.Value);
      expect(value, name).not.toMatch(/SecretString|\{\{resolve:/);
      if (!CREDENTIAL_NAME.test(name)) continue;
      // The secret's ARN, and the command that fills it, with a placeholder where the token goes.
      expect(['PollCredentialSecretArn', 'PollCredentialSetup'], name).toContain(name);
      if (name === 'PollCredentialSetup') expect(value).toContain('<token with Access: Audit Logs Read>');
    }
  });

  it('refuses a configuration file with a token-named field without echoing the value', async () => {
    const attempts: [string, () => unknown][] = [
      ['cloudflare.apiToken', () => parseConfig({ cloudflare: { apiToken: TOKEN } })],
      ['apiToken', () => parseConfig({ apiToken: TOKEN })],
      ['CLOUDFLARE_API_TOKEN', () => parseConfig({ CLOUDFLARE_API_TOKEN: TOKEN })],
      ['poller.apiToken', () => parseConfig({ poller: { apiToken: TOKEN } })],
      ['poller.apiKey', () => parseConfig({ poller: { email: EMAIL, apiKey: API_KEY } })],
      ['logpush.apiToken', () => parseConfig({ logpush: { apiToken: TOKEN } })],
      [
        '-c cloudflare.apiToken',
        () => loadConfig({ context: { 'cloudflare.apiToken': TOKEN }, cwd: tmpdir() }),
      ],
    ];
    for (const [field, attempt] of attempts) {
      let message = '';
      try {
        attempt();
      } catch (error) {
        message = textOf(error);
      }
      expect(message, field).toContain('is not a setting');
      const evidence = new Evidence();
      evidence.add(field, message);
      expect(evidence.leaks(), field).toEqual([]);
    }
  });

  it('refuses a token typed into another setting without echoing it', () => {
    const attempts: [string, () => unknown][] = [
      ['cloudflare', () => parseConfig({ cloudflare: TOKEN })],
      ['cloudflare.accountId', () => parseConfig({ cloudflare: { accountId: TOKEN } })],
      ['poller.secretArn', () => parseConfig({ poller: { secretArn: TOKEN } })],
      ['poller.apiBase', () => parseConfig({ poller: { apiBase: TOKEN } })],
      ['monitoring.topicArn', () => parseConfig({ monitoring: { topicArn: API_KEY } })],
      ['-c poller.secretArn', () => loadConfig({ context: { 'poller.secretArn': TOKEN }, cwd: tmpdir() })],
    ];
    for (const [field, attempt] of attempts) {
      let message = '';
      try {
        attempt();
      } catch (error) {
        message = textOf(error);
      }
      expect(message, field).toContain('not shown: it may be a credential');
      const evidence = new Evidence();
      evidence.add(field, message);
      expect(evidence.leaks(), field).toEqual([]);
    }
  });

  it('refuses a configuration file that is not JSON without quoting the text around the error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-logs-config-'));
    try {
      // A token pasted without quotes: V8's parse error would quote the text around it.
      for (const text of [`{"cloudflare": {"apiToken": ${TOKEN}}}`, TOKEN, `{"apiToken": "${TOKEN}",}`]) {
        await writeFile(join(dir, 'cf-logs.config.json'), text);
        let message = '';
        try {
          loadConfig({ context: {}, cwd: dir });
        } catch (error) {
          message = textOf(error);
        }
        expect(message, text).toMatch(/cf-logs\.config\.json is not valid JSON/);
        const evidence = new Evidence();
        evidence.add('config file', message);
        expect(evidence.leaks(), text).toEqual([]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
