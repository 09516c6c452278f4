import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { NORMALIZE_EXIT, runNormalize } from '../../lambdas/cli/normalize-command.ts';
import { DATASET_NAMES } from '../../lambdas/datasets/catalog.ts';
import { fakeClock } from '../support/clock.ts';
import { captureStream } from '../support/streams.ts';

const LOGIN = JSON.stringify({
  Action: 'login',
  Allowed: true,
  AppDomain: 'app.example.com',
  CreatedAt: '2026-11-20T10:00:00Z',
  Email: 'ana@example.com',
  IPAddress: '192.0.2.7',
  RayID: '8e2f0a1b2c3d9001',
});

async function run(args: { dataset?: string; files: string[] }, stdin = '') {
  const out = captureStream();
  const err = captureStream();
  const code = await runNormalize(args, {
    stdin: (async function* () {
      if (stdin) yield Buffer.from(stdin);
    })(),
    stdout: out.stream,
    stderr: err.stream,
    clock: fakeClock(),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('cf-logs normalize', () => {
  it('turns NDJSON on stdin into ECS NDJSON on stdout, with a summary on stderr', async () => {
    const { code, stdout, stderr } = await run({ files: [] }, `${LOGIN}\n\n`);
    expect(code).toBe(NORMALIZE_EXIT.ok);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: { dataset: 'access_requests' },
      user: { email: 'ana@example.com' },
    });
    expect(stderr).toBe('cf-logs: 1 events from 2 lines in 1 input(s); 0 rejected, 1 blank\n');
  });

  it('reads gzip and plain files, taking the dataset from a path laid out like the bucket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-logs-cli-'));
    const nested = join(dir, 'access_requests.log.gz');
    await writeFile(nested, gzipSync(`${LOGIN}\n${LOGIN}\n`));
    const plain = join(dir, 'plain.ndjson');
    await writeFile(plain, `${LOGIN}\n`);
    const { code, stdout } = await run({ files: [nested, plain] });
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(3);
  });

  it('reports each rejected line on stderr with input, line number and reason, and exits 1', async () => {
    const { code, stdout, stderr } = await run({ files: [] }, `${LOGIN}\n{"broken":\n`);
    expect(code).toBe(NORMALIZE_EXIT.rejected);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^cf-logs: <stdin>:2: invalid JSON: .*\n {2}\{"broken":\n/);
    expect(stderr).toMatch(/1 rejected/);
  });

  it('maps with the dataset it is given', async () => {
    const { code, stderr } = await run(
      { dataset: 'access_requests', files: [] },
      '{"Email":"x@example.com"}\n',
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/^cf-logs: 1 events/);
  });

  it('refuses an unknown dataset with the list of datasets it knows', async () => {
    const { code, stderr } = await run({ dataset: 'http_request', files: [] });
    expect(code).toBe(NORMALIZE_EXIT.usage);
    expect(stderr).toMatch(
      /--dataset http_request is not a Logpush dataset; datasets: .*access_requests.*zero_trust_network_sessions/,
    );
  });

  it('says which input could not be read and goes on with the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-logs-cli-'));
    const good = join(dir, 'good.ndjson');
    await writeFile(good, `${LOGIN}\n`);
    const { code, stdout, stderr } = await run({ files: [join(dir, 'missing.gz'), good] });
    expect(code).toBe(NORMALIZE_EXIT.rejected);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/missing\.gz: ENOENT/);
    expect(stderr).toMatch(/1 input\(s\) failed/);
  });

  it('runs as the package bin, with the exit status documented in its help', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-logs-cli-'));
    const file = join(dir, 'in.log.gz');
    await writeFile(file, gzipSync(`${LOGIN}\n`));
    const bin = new URL('../../bin/cf-logs.ts', import.meta.url).pathname;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'normalize', file]);
    expect(JSON.parse(stdout)).toMatchObject({ event: { dataset: 'access_requests' } });
    expect(stderr).toMatch(/1 events from 1 lines/);
    const help = await promisify(execFile)(process.execPath, [bin, 'help']);
    expect(help.stdout).toMatch(/Exit status: 0 every line normalized, 1 some lines rejected/);
    const bad = await promisify(execFile)(process.execPath, [bin, 'frobnicate']).catch(
      (e: { code: number }) => e,
    );
    expect((bad as { code: number }).code).toBe(2);
  });
});

describe('cf-logs normalize for every dataset', () => {
  const fixtures = (dataset: string): string[] => {
    const dir = new URL(`../fixtures/datasets/${dataset}/`, import.meta.url);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.ndjson'))
          .map((f) => fileURLToPath(new URL(f, dir)))
      : [];
  };

  it.each(DATASET_NAMES)('normalizes the %s fixtures, with --dataset and by detection', async (dataset) => {
    const files = fixtures(dataset);
    expect(files.length, `test/fixtures/datasets/${dataset}/ has no fixture`).toBeGreaterThan(0);
    for (const args of [{ dataset, files }, { files }]) {
      const { code, stdout, stderr } = await run(args);
      expect(stderr, JSON.stringify(args.dataset)).toMatch(/; 0 rejected/);
      expect(code).toBe(NORMALIZE_EXIT.ok);
      const events = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: { dataset: string } });
      expect(new Set(events.map((e) => e.event.dataset))).toEqual(new Set([dataset]));
    }
  });
});
