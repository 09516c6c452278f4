import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  POLL_EXIT,
  type PollCommandArgs,
  runPollCommand,
  type SourceConnection,
  type SourceFactory,
} from '../../lambdas/cli/poll-command.ts';
import { parseEventTime } from '../../lambdas/core/time.ts';
import type { PolledEvent, PollSource, PollSourceName, PollWindow } from '../../lambdas/poll/types.ts';
import { fakeClock } from '../support/clock.ts';
import {
  FAKE_CF_ACCOUNT_ID,
  FAKE_CF_API_TOKEN,
  fakeAccessRequest,
  fakeAuditLogV2,
  startFakeCloudflare,
} from '../support/fake-cloudflare.ts';
import { captureStream } from '../support/streams.ts';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const ENV = { CLOUDFLARE_API_TOKEN: 'token-for-tests' };

/** An Access logs source over a list, inclusive bounds, pages of 2; records the windows and connections. */
function listSource(events: { id: string; at: string; broken?: boolean }[]) {
  const windows: PollWindow[] = [];
  const connections: SourceConnection[] = [];
  let failure: Error | undefined;
  const factory: SourceFactory = (name: PollSourceName, connection) => {
    connections.push(connection);
    const source: PollSource = {
      name,
      dataset: 'access_requests',
      async *pages(window) {
        windows.push(window);
        if (failure) throw failure;
        const inside = events.filter((e) => {
          const ms = Date.parse(e.at);
          return ms >= window.since.getTime() && ms <= window.until.getTime();
        });
        for (let i = 0; i < inside.length; i += 2) {
          yield inside.slice(i, i + 2).map(
            (e): PolledEvent => ({
              id: e.id,
              time: parseEventTime(e.at)!,
              record: {
                Action: 'login',
                Allowed: true,
                AppDomain: 'app.example.com',
                CreatedAt: e.broken ? 'never' : e.at,
                Email: `${e.id}@example.com`,
                RayID: e.id,
              },
            }),
          );
        }
      },
    };
    return source;
  };
  return {
    factory,
    windows,
    connections,
    fail: (error: Error) => {
      failure = error;
    },
  };
}

async function run(
  args: PollCommandArgs,
  factory?: SourceFactory,
  env: Record<string, string | undefined> = ENV,
  clock = fakeClock(),
) {
  const out = captureStream();
  const err = captureStream();
  const code = await runPollCommand(args, { stdout: out.stream, stderr: err.stream, env, clock }, factory);
  const stdout = out.text();
  return {
    code,
    stdout,
    stderr: err.text(),
    events: stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, { RayID?: string } & Record<string, unknown>>),
  };
}

const ids = (events: Record<string, { RayID?: string }>[]) => events.map((e) => e.cloudflare!.RayID);

const EVENTS = [
  { id: 'r1', at: '2026-11-21T10:00:00.000Z' },
  { id: 'r2', at: '2026-11-21T10:00:01.000Z' },
  { id: 'r3', at: '2026-11-21T11:58:00.000Z' },
  { id: 'r4', at: '2026-11-21T11:59:30.000Z' },
];

describe('cf-logs poll', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-logs-poll-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the events of the last 24 hours up to now − 60 s as ECS NDJSON, a summary on stderr', async () => {
    const source = listSource(EVENTS);
    const { code, events, stderr } = await run(
      { source: 'access_requests', account: ACCOUNT },
      source.factory,
    );
    expect(code).toBe(POLL_EXIT.ok);
    expect(ids(events)).toEqual(['r1', 'r2', 'r3']);
    expect(events[0]).toMatchObject({
      event: { dataset: 'access_requests' },
      user: { email: 'r1@example.com' },
    });
    expect(source.windows).toEqual([
      { since: new Date('2026-11-20T12:00:00Z'), until: new Date('2026-11-21T11:59:00Z') },
    ]);
    expect(source.connections).toEqual([
      {
        accountId: ACCOUNT,
        baseUrl: 'https://api.cloudflare.com/client/v4',
        credential: { kind: 'token', apiToken: 'token-for-tests' },
      },
    ]);
    expect(stderr).toBe(
      'cf-logs poll: access_requests 2026-11-20T12:00:00.000Z to 2026-11-21T11:59:00.000Z: 3 events, 2 page(s), ' +
        '0 duplicates dropped, 0 rejected, newest 2026-11-21T11:58:00.000Z; done\n',
    );
  });

  it('takes --since, --until and --delay', async () => {
    const source = listSource(EVENTS);
    const { events } = await run(
      {
        source: 'access_requests',
        account: ACCOUNT,
        since: '2026-11-21T10:00:01Z',
        until: '2026-11-21T12:00:00+00:00',
      },
      source.factory,
    );
    expect(ids(events)).toEqual(['r2', 'r3', 'r4']);
    const delayed = listSource(EVENTS);
    await run({ source: 'access_requests', account: ACCOUNT, delay: '3600' }, delayed.factory);
    expect(delayed.windows[0]!.until).toEqual(new Date('2026-11-21T11:00:00Z'));
  });

  it('continues from the state file and never writes an event twice', async () => {
    const state = join(dir, 'state.json');
    const events = [...EVENTS];
    const source = listSource(events);
    const clock = fakeClock();
    const first = await run(
      { source: 'access_requests', account: ACCOUNT, state },
      source.factory,
      ENV,
      clock,
    );
    expect(ids(first.events)).toEqual(['r1', 'r2', 'r3']);
    expect(first.stderr).toMatch(new RegExp(`; ${state} at 2026-11-21T11:58:00.000Z; done\\n$`));
    const saved = JSON.parse(await readFile(state, 'utf8')) as {
      checkpoints: Record<string, { newest: string }>;
    };
    expect(saved.checkpoints.access_requests!.newest).toBe('2026-11-21T11:58:00.000Z');

    events.push({ id: 'r5', at: '2026-11-21T12:00:30.000Z' });
    await clock.sleep(120_000);
    const second = await run(
      { source: 'access_requests', account: ACCOUNT, state },
      source.factory,
      ENV,
      clock,
    );
    expect(source.windows[1]!.since).toEqual(new Date('2026-11-21T11:53:00Z'));
    expect(ids(second.events)).toEqual(['r4', 'r5']);
    expect(second.stderr).toMatch(/2 events, .*1 duplicates dropped/);
  });

  it('remembers nothing without --state', async () => {
    const source = listSource(EVENTS);
    const clock = fakeClock();
    await run({ source: 'access_requests', account: ACCOUNT }, source.factory, ENV, clock);
    const again = await run({ source: 'access_requests', account: ACCOUNT }, source.factory, ENV, clock);
    expect(ids(again.events)).toEqual(['r1', 'r2', 'r3']);
    expect(source.windows[1]).toEqual(source.windows[0]);
  });

  it('uses the legacy key and CLOUDFLARE_API_BASE from the environment', async () => {
    const source = listSource([]);
    await run({ source: 'audit_logs', account: ACCOUNT }, source.factory, {
      CLOUDFLARE_EMAIL: 'ops@example.com',
      CLOUDFLARE_API_KEY: 'k',
      CLOUDFLARE_API_BASE: 'http://127.0.0.1:9/client/v4',
    });
    expect(source.connections[0]).toEqual({
      accountId: ACCOUNT,
      baseUrl: 'http://127.0.0.1:9/client/v4',
      credential: { kind: 'key', email: 'ops@example.com', apiKey: 'k' },
    });
  });

  it('reports events it cannot map with their reason and exits 1', async () => {
    const source = listSource([
      ...EVENTS.slice(0, 2),
      { id: 'bad', at: '2026-11-21T10:30:00.000Z', broken: true },
    ]);
    const { code, events, stderr } = await run(
      { source: 'access_requests', account: ACCOUNT },
      source.factory,
    );
    expect(code).toBe(POLL_EXIT.failed);
    expect(ids(events)).toEqual(['r1', 'r2']);
    expect(stderr).toMatch(
      /^cf-logs poll: access_requests event bad at 2026-11-21T10:30:00.000Z: field CreatedAt: /,
    );
    expect(stderr).toMatch(/\n {2}\{"Action":"login".*"RayID":"bad"\}\n/);
    expect(stderr).toMatch(/2 events, 2 page\(s\), 0 duplicates dropped, 1 rejected/);
  });

  it('exits 1 with the error and the progress when the API fails, leaving the state file as it was', async () => {
    const state = join(dir, 'state.json');
    const source = listSource(EVENTS);
    await run({ source: 'access_requests', account: ACCOUNT, state }, source.factory);
    const before = await readFile(state, 'utf8');
    source.fail(new Error('Cloudflare rejected the credential (403, code 10000: Authentication error)'));
    const { code, stdout, stderr } = await run(
      { source: 'access_requests', account: ACCOUNT, state },
      source.factory,
    );
    expect(code).toBe(POLL_EXIT.failed);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^cf-logs poll: access_requests: Cloudflare rejected the credential \(403, code 10000: Authentication error\) \(after 0 page\(s\)/,
    );
    expect(stderr).toMatch(/; failed\n$/);
    expect(await readFile(state, 'utf8')).toBe(before);
  });

  it('refuses a corrupt state file instead of starting over', async () => {
    const state = join(dir, 'state.json');
    await writeFile(state, '{"checkpoints": {"access_requests": {"source": "access_requests"}}}');
    const source = listSource(EVENTS);
    const { code, stdout, stderr } = await run(
      { source: 'access_requests', account: ACCOUNT, state },
      source.factory,
    );
    expect(code).toBe(POLL_EXIT.failed);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^cf-logs poll: access_requests: checkpoint .*state\.json \(access_requests\): "newest"/,
    );
    expect(source.windows).toHaveLength(0);
  });

  it.each([
    [{ account: ACCOUNT }, ENV, /--source is required: access_requests, audit_logs, audit_logs_v2/],
    [{ source: 'dns_logs', account: ACCOUNT }, ENV, /--source dns_logs is not a polled API/],
    [{ source: 'audit_logs' }, ENV, /--account is required/],
    [{ source: 'audit_logs', account: 'acme' }, ENV, /--account acme is not a Cloudflare account id/],
    [
      { source: 'audit_logs', account: ACCOUNT, since: 'yesterday' },
      ENV,
      /--since yesterday is not an RFC 3339/,
    ],
    [
      { source: 'audit_logs', account: ACCOUNT, since: '1763726400' },
      ENV,
      /--since 1763726400 is not an RFC 3339/,
    ],
    [
      { source: 'audit_logs', account: ACCOUNT, until: '2026-13-01T00:00:00Z' },
      ENV,
      /--until .* is not an RFC 3339/,
    ],
    [
      {
        source: 'audit_logs',
        account: ACCOUNT,
        since: '2026-11-21T10:00:00Z',
        until: '2026-11-21T09:00:00Z',
      },
      ENV,
      /--since 2026-11-21T10:00:00Z must be before --until/,
    ],
    [{ source: 'audit_logs', account: ACCOUNT, delay: '-5' }, ENV, /--delay -5 is not a number of seconds/],
    [{ source: 'audit_logs', account: ACCOUNT, delay: '' }, ENV, /--delay {2}is not a number of seconds/],
    [
      { source: 'audit_logs', account: ACCOUNT },
      {},
      /set CLOUDFLARE_API_TOKEN .*or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY/,
    ],
    [
      { source: 'audit_logs', account: ACCOUNT },
      { CLOUDFLARE_EMAIL: 'a@b.c' },
      /CLOUDFLARE_API_KEY is not set/,
    ],
    [
      { source: 'audit_logs', account: ACCOUNT },
      { ...ENV, CLOUDFLARE_API_BASE: 'not a url' },
      /CLOUDFLARE_API_BASE not a url is not a URL/,
    ],
  ])('exits 2 on a wrong command line or environment: %j', async (args, env, message) => {
    const source = listSource(EVENTS);
    const { code, stdout, stderr } = await run(args, source.factory, env);
    expect(code).toBe(POLL_EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(source.windows).toHaveLength(0);
  });

  it('runs against the Cloudflare API with the real client and sources (fake API on 127.0.0.1)', async () => {
    const api = await startFakeCloudflare({
      events: {
        audit_logs_v2: [
          fakeAuditLogV2(1, '2026-11-21T11:00:00.000Z'),
          fakeAuditLogV2(2, '2026-11-21T11:00:00.000Z'),
          fakeAuditLogV2(3, '2026-11-21T11:30:00.000Z'),
        ],
        access_requests: [fakeAccessRequest(1, '2026-11-21T11:10:00.000Z')],
      },
    });
    try {
      const state = join(dir, 'state.json');
      const env = { CLOUDFLARE_API_TOKEN: FAKE_CF_API_TOKEN, CLOUDFLARE_API_BASE: api.baseUrl };
      const args = { source: 'audit_logs_v2', account: FAKE_CF_ACCOUNT_ID, state };
      const first = await run(args, undefined, env);
      expect(first.stderr).toMatch(/3 events/);
      expect(first.code).toBe(POLL_EXIT.ok);
      expect(first.events.map((e) => e.event)).toEqual(
        expect.arrayContaining([expect.objectContaining({ dataset: 'audit_logs_v2' })]),
      );
      api.add('audit_logs_v2', fakeAuditLogV2(4, '2026-11-21T11:45:00.000Z'));
      const second = await run(args, undefined, env);
      expect(second.code).toBe(POLL_EXIT.ok);
      expect(second.events).toHaveLength(1);
      expect(second.stderr).toMatch(/1 events, .*1 duplicates dropped/);

      const access = await run({ source: 'access_requests', account: FAKE_CF_ACCOUNT_ID }, undefined, env);
      expect(access.code).toBe(POLL_EXIT.ok);
      expect(access.events).toHaveLength(1);
      expect(access.events[0]).toMatchObject({ user: { email: 'user1@example.com' } });

      const rejected = await run(args, undefined, { ...env, CLOUDFLARE_API_TOKEN: 'wrong' });
      expect(rejected.code).toBe(POLL_EXIT.failed);
      expect(rejected.stdout).toBe('');
      expect(rejected.stderr).not.toContain('wrong');
    } finally {
      await api.close();
    }
  });

  it('is a subcommand of the cf-logs binary, listed in its help', async () => {
    const bin = new URL('../../bin/cf-logs.ts', import.meta.url).pathname;
    const help = await promisify(execFile)(process.execPath, [bin, 'help']);
    expect(help.stdout).toMatch(
      /cf-logs poll --source NAME --account ID \[--since T\] \[--until T\] \[--state FILE\]/,
    );
    expect(help.stdout).toMatch(/Sources: access_requests, audit_logs, audit_logs_v2/);
    const bad = await promisify(execFile)(process.execPath, [bin, 'poll', '--source', 'audit_logs']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/--account is required/) });
    const unknown = await promisify(execFile)(process.execPath, [bin, 'poll', '--frobnicate']).catch(
      (e: { code: number }) => e,
    );
    expect((unknown as { code: number }).code).toBe(2);
  });
});
