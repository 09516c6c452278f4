import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointInvalidError,
  FileCheckpointStore,
  MemoryCheckpointStore,
  parseCheckpointState,
  parseCheckpointText,
  serializeCheckpointState,
} from '../../../lambdas/poll/checkpoint.ts';
import { CheckpointConflictError, type CheckpointState } from '../../../lambdas/poll/types.ts';

const STATE: CheckpointState = {
  source: 'access_requests',
  newest: '2026-11-21T11:50:00.123456Z',
  recentIds: ['8e2f0a1b2c3d9001', '8e2f0a1b2c3d9002'],
  updatedAt: '2026-11-21T12:00:00.000Z',
};

describe('parseCheckpointState', () => {
  it('accepts a valid state and returns a copy', () => {
    const parsed = parseCheckpointState(JSON.parse(JSON.stringify(STATE)), 'access_requests', 'f');
    expect(parsed).toEqual(STATE);
  });

  it.each([
    ['an array', [], /expected a JSON object, got an array/],
    ['null', null, /expected a JSON object, got null/],
    [
      'another source',
      { ...STATE, source: 'audit_logs' },
      /holds the checkpoint of audit_logs, not of access_requests/,
    ],
    ['an unknown source', { ...STATE, source: 'dns' }, /"source" is "dns", expected "access_requests"/],
    ['a missing newest', { ...STATE, newest: undefined }, /"newest" must be an RFC 3339 time, got undefined/],
    ['a numeric newest', { ...STATE, newest: '1763726400' }, /"newest" must be an RFC 3339 time/],
    [
      'a calendar-invalid newest',
      { ...STATE, newest: '2026-02-30T00:00:00Z' },
      /"newest" must be an RFC 3339/,
    ],
    ['a bad updatedAt', { ...STATE, updatedAt: 'now' }, /"updatedAt" must be an RFC 3339 time, got "now"/],
    ['recentIds not an array', { ...STATE, recentIds: 'a,b' }, /"recentIds" must be an array of event ids/],
    [
      'an empty id',
      { ...STATE, recentIds: ['a', ''] },
      /"recentIds"\[1\] must be a non-empty string, got ""/,
    ],
    ['a numeric id', { ...STATE, recentIds: [7] }, /"recentIds"\[0\] must be a non-empty string, got 7/],
  ])('refuses %s, naming the problem and the place', (_, value, message) => {
    expect(() => parseCheckpointState(value, 'access_requests', 's3://b/k.json')).toThrow(message);
    expect(() => parseCheckpointState(value, 'access_requests', 's3://b/k.json')).toThrow(
      /^checkpoint s3:\/\/b\/k\.json: /,
    );
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseCheckpointText('{"source":', 'access_requests', 'f.json')).toThrow(
      CheckpointInvalidError,
    );
    expect(() => parseCheckpointText('{"source":', 'access_requests', 'f.json')).toThrow(
      /^checkpoint f\.json: not JSON: /,
    );
  });

  it('serializes in a fixed field order', () => {
    const shuffled = {
      updatedAt: STATE.updatedAt,
      recentIds: STATE.recentIds,
      newest: STATE.newest,
      source: STATE.source,
    };
    expect(serializeCheckpointState(shuffled)).toBe(serializeCheckpointState(STATE));
    expect(Object.keys(JSON.parse(serializeCheckpointState(shuffled)))).toEqual([
      'source',
      'newest',
      'recentIds',
      'updatedAt',
    ]);
  });
});

describe('MemoryCheckpointStore', () => {
  it('creates only when none exists and updates only from the version read', async () => {
    const store = new MemoryCheckpointStore();
    expect(await store.read('access_requests')).toBeUndefined();
    const v1 = await store.write(STATE, undefined);
    await expect(store.write(STATE, undefined)).rejects.toThrow(CheckpointConflictError);
    const read = await store.read('access_requests');
    expect(read).toEqual({ state: STATE, version: v1 });
    const v2 = await store.write({ ...STATE, newest: '2026-11-21T11:55:00Z' }, v1);
    expect(v2).not.toBe(v1);
    await expect(store.write(STATE, v1)).rejects.toThrow(CheckpointConflictError);
    expect(store.conflicts).toBe(2);
    expect(store.writes.map((s) => s.newest)).toEqual([STATE.newest, '2026-11-21T11:55:00Z']);
  });

  it('lets a test slip another writer in before a write', async () => {
    const store = new MemoryCheckpointStore([STATE]);
    const { version } = (await store.read('access_requests'))!;
    store.beforeWrite = () => {
      store.beforeWrite = undefined;
      store.put({ ...STATE, updatedAt: '2026-11-21T12:00:01Z' });
    };
    await expect(store.write(STATE, version)).rejects.toThrow(/expected v1/);
  });

  it('keeps sources apart and hands out copies', async () => {
    const store = new MemoryCheckpointStore([STATE]);
    await store.write({ ...STATE, source: 'audit_logs' }, undefined);
    const read = (await store.read('access_requests'))!;
    (read.state.recentIds as string[]).push('mutated');
    expect(store.current('access_requests')!.recentIds).toEqual(STATE.recentIds);
    expect(store.current('audit_logs')!.source).toBe('audit_logs');
    expect(store.current('audit_logs_v2')).toBeUndefined();
  });

  it('refuses to hold an invalid state', async () => {
    const store = new MemoryCheckpointStore();
    await expect(store.write({ ...STATE, newest: 'soon' }, undefined)).rejects.toThrow(
      CheckpointInvalidError,
    );
  });
});

describe('FileCheckpointStore', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-logs-state-'));
    path = join(dir, 'state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads nothing from a missing file, then creates it', async () => {
    const store = new FileCheckpointStore(path);
    expect(await store.read('access_requests')).toBeUndefined();
    const version = await store.write(STATE, undefined);
    expect(await store.read('access_requests')).toEqual({ state: STATE, version });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ checkpoints: { access_requests: STATE } });
  });

  it('holds every source in one file; one source moving does not conflict with another', async () => {
    const store = new FileCheckpointStore(path);
    await store.write(STATE, undefined);
    const access = (await store.read('access_requests'))!;
    await store.write({ ...STATE, source: 'audit_logs_v2' }, undefined);
    await store.write({ ...STATE, newest: '2026-11-21T11:58:00Z' }, access.version);
    const file = JSON.parse(await readFile(path, 'utf8')) as { checkpoints: Record<string, CheckpointState> };
    expect(Object.keys(file.checkpoints)).toEqual(['access_requests', 'audit_logs_v2']);
    expect(file.checkpoints.access_requests!.newest).toBe('2026-11-21T11:58:00Z');
  });

  it('refuses a write when another process changed the source since it was read', async () => {
    const mine = new FileCheckpointStore(path);
    const theirs = new FileCheckpointStore(path);
    await mine.write(STATE, undefined);
    const read = (await mine.read('access_requests'))!;
    await theirs.write({ ...STATE, newest: '2026-11-21T11:51:00Z' }, read.version);
    await expect(mine.write({ ...STATE, newest: '2026-11-21T11:52:00Z' }, read.version)).rejects.toThrow(
      CheckpointConflictError,
    );
    await expect(mine.write(STATE, undefined)).rejects.toThrow(CheckpointConflictError);
    expect((await theirs.read('access_requests'))!.state.newest).toBe('2026-11-21T11:51:00Z');
  });

  it('versions by content: reformatting the file does not conflict', async () => {
    const store = new FileCheckpointStore(path);
    const version = await store.write(STATE, undefined);
    await writeFile(path, JSON.stringify({ checkpoints: { access_requests: STATE } }));
    expect((await store.read('access_requests'))!.version).toBe(version);
    await store.write({ ...STATE, newest: '2026-11-21T11:59:00Z' }, version);
  });

  it('replaces the file atomically and leaves no temporary file behind', async () => {
    const store = new FileCheckpointStore(path);
    let version = await store.write(STATE, undefined);
    for (let i = 0; i < 5; i++) {
      version = await store.write({ ...STATE, updatedAt: `2026-11-21T12:0${i}:00Z` }, version);
    }
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it.each([
    ['not JSON', '{"checkpoints":', /^state file .*state\.json: not JSON: /],
    ['without checkpoints', '{"access_requests": {}}', /expected \{"checkpoints": \{"<source>": \.\.\.\}\}/],
    ['with an unknown source', '{"checkpoints": {"dns": {}}}', /"dns" is not a poll source/],
    [
      'with a corrupt checkpoint',
      JSON.stringify({ checkpoints: { audit_logs: { ...STATE, source: 'audit_logs', newest: 12 } } }),
      /state\.json \(audit_logs\): "newest" must be an RFC 3339 time, got 12/,
    ],
  ])('refuses a state file %s instead of starting over', async (_, text, message) => {
    await writeFile(path, text);
    const store = new FileCheckpointStore(path);
    await expect(store.read('access_requests')).rejects.toThrow(CheckpointInvalidError);
    await expect(store.read('access_requests')).rejects.toThrow(message);
    await expect(store.write(STATE, undefined)).rejects.toThrow(CheckpointInvalidError);
    expect(await readFile(path, 'utf8')).toBe(text);
  });
});
