import type { Writable } from 'node:stream';
import { StreamSink } from '../adapters/stream-sink.ts';
import { ConfigError } from '../core/errors.ts';
import { parseEventTime } from '../core/time.ts';
import { FileCheckpointStore, MemoryCheckpointStore } from '../poll/checkpoint.ts';
import { CloudflareApi, DEFAULT_CLOUDFLARE_API_BASE } from '../poll/cloudflare-api.ts';
import { POLL_DEFAULTS, PollRunError, type PollSummary, runPoll } from '../poll/poller.ts';
import { createPollSource } from '../poll/sources.ts';
import {
  type CloudflareCredential,
  POLL_SOURCES,
  type PollSource,
  type PollSourceName,
  type PollWindow,
} from '../poll/types.ts';
import { type Clock, systemClock } from '../ports.ts';
import { environmentCredential } from './cloudflare-env.ts';
import { StderrQuarantine } from './stderr-quarantine.ts';

/** The options of `cf-logs poll`, as given on the command line. */
export interface PollCommandArgs {
  readonly source?: string;
  readonly account?: string;
  readonly since?: string;
  readonly until?: string;
  readonly state?: string;
  readonly delay?: string;
}

/** Where `cf-logs poll` reads its settings and writes; injectable so tests run it in-process. */
export interface PollCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`), `CLOUDFLARE_API_BASE`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
}

/** How to reach one source's API. */
export interface SourceConnection {
  readonly accountId: string;
  readonly baseUrl: string;
  readonly credential: CloudflareCredential;
}

/** Builds the source the command reads; tests pass their own. */
export type SourceFactory = (name: PollSourceName, connection: SourceConnection) => PollSource;

/** The real sources: the Cloudflare API client and the source of `name` over it. */
export const cloudflareSourceFactory: SourceFactory = (name, connection) =>
  createPollSource(
    name,
    new CloudflareApi({
      credentials: { get: async () => connection.credential },
      baseUrl: connection.baseUrl,
    }),
    { accountId: connection.accountId },
  );

/** Exit codes of `cf-logs poll`. */
export const POLL_EXIT = {
  /** The window was read and every event delivered to standard output. */
  ok: 0,
  /** The API or the state file failed, another run changed the state, or some events were rejected. */
  failed: 1,
  /** The command line or the environment was wrong. */
  usage: 2,
} as const;

const ACCOUNT_ID = /^[0-9a-f]{32}$/i;

/**
 * `cf-logs poll --source NAME --account ID [--since T] [--until T] [--state FILE] [--delay SECONDS]`: one run of
 * the poller core against a Cloudflare log API, ECS NDJSON on stdout, a summary on stderr. Without `--state`
 * nothing is remembered; with it, the file keeps each source's checkpoint and the next run continues from it.
 *
 * @returns the exit code ({@link POLL_EXIT}).
 */
export async function runPollCommand(
  args: PollCommandArgs,
  io: PollCommandIo,
  sourceFor: SourceFactory = cloudflareSourceFactory,
): Promise<number> {
  const { stderr } = io;
  const usage = (message: string) => {
    stderr.write(`cf-logs poll: ${message}\n`);
    return POLL_EXIT.usage;
  };
  if (args.source === undefined) return usage(`--source is required: ${POLL_SOURCES.join(', ')}`);
  if (!POLL_SOURCES.includes(args.source as PollSourceName)) {
    return usage(`--source ${args.source} is not a polled API; sources: ${POLL_SOURCES.join(', ')}`);
  }
  const name = args.source as PollSourceName;
  if (args.account === undefined) return usage('--account is required (the Cloudflare account id)');
  if (!ACCOUNT_ID.test(args.account)) {
    return usage(`--account ${args.account} is not a Cloudflare account id (32 hexadecimal digits)`);
  }
  const window: { since?: Date; until?: Date } = {};
  for (const bound of ['since', 'until'] as const) {
    const text = args[bound];
    if (text === undefined) continue;
    const date = rfc3339(text);
    if (!date) return usage(`--${bound} ${text} is not an RFC 3339 time (e.g. 2026-11-21T09:00:00Z)`);
    window[bound] = date;
  }
  if (window.since && window.until && window.since >= window.until) {
    return usage(`--since ${args.since} must be before --until ${args.until}`);
  }
  let delayMs: number = POLL_DEFAULTS.delayMs;
  if (args.delay !== undefined) {
    const seconds = Number(args.delay);
    if (args.delay.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
      return usage(`--delay ${args.delay} is not a number of seconds (0 or more)`);
    }
    delayMs = seconds * 1000;
  }
  const credential = credentialFrom(io.env);
  if (typeof credential === 'string') return usage(credential);
  const baseUrl = io.env.CLOUDFLARE_API_BASE || DEFAULT_CLOUDFLARE_API_BASE;
  if (!URL.canParse(baseUrl)) return usage(`CLOUDFLARE_API_BASE ${baseUrl} is not a URL`);

  let source: PollSource;
  try {
    source = sourceFor(name, { accountId: args.account, baseUrl, credential });
  } catch (error) {
    if (error instanceof ConfigError) return usage(error.message);
    throw error;
  }
  const quarantine = new StderrQuarantine(stderr, () => 'cf-logs poll');
  let summary: PollSummary;
  try {
    summary = await runPoll({
      source,
      store: args.state === undefined ? new MemoryCheckpointStore() : new FileCheckpointStore(args.state),
      sink: new StreamSink(io.stdout),
      quarantine,
      clock: io.clock ?? systemClock,
      remainingMs: () => Number.POSITIVE_INFINITY,
      options: {
        ...POLL_DEFAULTS,
        delayMs,
        safetyMs: 0,
        window,
        // One record per write keeps output flowing; there is no per-call cost here.
        packLimits: { maxRecordsPerCall: 1 },
        maxInFlight: 1,
        rows: 'ecs',
      },
    });
  } catch (error) {
    if (error instanceof PollRunError) {
      stderr.write(`cf-logs poll: ${error.message}\n`);
      stderr.write(`${summaryLine(error.summary, args.state)}\n`);
    } else {
      stderr.write(`cf-logs poll: ${name}: ${(error as Error).message}\n`);
    }
    return POLL_EXIT.failed;
  }
  if (summary.outcome === 'conflict') {
    stderr.write(`cf-logs poll: ${name}: the state file ${args.state} was changed by another run; stopped\n`);
  }
  stderr.write(`${summaryLine(summary, args.state)}\n`);
  return summary.outcome === 'conflict' || summary.quarantined > 0 ? POLL_EXIT.failed : POLL_EXIT.ok;
}

/** The credential from the environment, or what is missing. */
function credentialFrom(env: PollCommandIo['env']): CloudflareCredential | string {
  return (
    environmentCredential(env) ??
    'set CLOUDFLARE_API_TOKEN (an API token with read access to the logs), or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY'
  );
}

function rfc3339(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]/.test(text)) return undefined;
  try {
    const instant = parseEventTime(text);
    return instant && new Date(Number(instant.ns / 1_000_000n));
  } catch {
    return undefined;
  }
}

function summaryLine(summary: PollSummary, stateFile: string | undefined): string {
  const window: PollWindow = { since: new Date(summary.window.since), until: new Date(summary.window.until) };
  const parts = [
    `${summary.events} events`,
    `${summary.pages} page(s)`,
    `${summary.duplicates} duplicates dropped`,
    `${summary.quarantined} rejected`,
  ];
  if (summary.stale > 0) parts.push(`${summary.stale} older than the checkpoint`);
  if (summary.deferred > 0) parts.push(`${summary.deferred} after the window left for later`);
  if (summary.newestDelivered) parts.push(`newest ${summary.newestDelivered}`);
  const saved = stateFile && summary.newest ? `; ${stateFile} at ${summary.newest}` : '';
  return (
    `cf-logs poll: ${summary.source} ${window.since.toISOString()} to ${window.until.toISOString()}: ` +
    `${parts.join(', ')}${saved}; ${summary.outcome}`
  );
}
