/**
 * S3CheckpointStore against the fake S3 with the real `@aws-sdk/client-s3`: create-only first write, compare-and-
 * swap updates, both conflict answers, a missing checkpoint, a corrupt one.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3CheckpointStore } from '../../lambdas/adapters/s3-checkpoint-store.ts';
import { CheckpointInvalidError } from '../../lambdas/poll/checkpoint.ts';
import { CheckpointConflictError, type CheckpointState } from '../../lambdas/poll/types.ts';
import { fakeS3Client } from '../support/aws-clients.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';

const BUCKET = 'cf-logs-lake-example';
const PREFIX = 'state/poller';

let s3: FakeS3;
let client: S3Client;
let store: S3CheckpointStore;

beforeAll(async () => {
  s3 = await startFakeS3({ buckets: [BUCKET] });
  client = fakeS3Client(s3);
  store = new S3CheckpointStore(client, { bucket: BUCKET, prefix: PREFIX });
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

afterEach(() => {
  s3.clearFaults();
  for (const key of s3.listKeys(BUCKET)) s3.deleteObject(BUCKET, key);
});

const state = (newest: string, recentIds: string[] = []): CheckpointState => ({
  source: 'access_requests',
  newest,
  recentIds,
  updatedAt: '2026-11-21T12:00:00.000Z',
});

describe('S3 checkpoint store', () => {
  it('reads nothing when no checkpoint exists (NoSuchKey)', async () => {
    await expect(store.read('access_requests')).resolves.toBeUndefined();
    expect(s3.requestsFor('GetObject', `${PREFIX}/access_requests.json`)).toHaveLength(1);
  });

  it('creates the checkpoint with If-None-Match: * under <prefix>/<source>.json and reads it back', async () => {
    const written = state('2026-11-21T11:00:00.12345Z', ['8a1b2c3d4e5f6a7b']);
    const version = await store.write(written, undefined);
    const put = s3.requestsFor('PutObject', `${PREFIX}/access_requests.json`);
    expect(put).toHaveLength(1);
    expect(put[0]?.headers['if-none-match']).toBe('*');
    expect(put[0]?.headers['if-match']).toBeUndefined();
    expect(version).toBe(s3.statObject(BUCKET, `${PREFIX}/access_requests.json`)?.etag);
    await expect(store.read('access_requests')).resolves.toEqual({ state: written, version });
  });

  it('refuses to create a checkpoint that already exists (412)', async () => {
    await store.write(state('2026-11-21T11:00:00Z'), undefined);
    const error = await store.write(state('2026-11-21T11:05:00Z'), undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointConflictError);
    expect(s3.requestsFor('PutObject').at(-1)?.status).toBe(412);
    expect((await store.read('access_requests'))?.state.newest).toBe('2026-11-21T11:00:00Z');
  });

  it('replaces the checkpoint with If-Match when the version is still the one read', async () => {
    const first = await store.write(state('2026-11-21T11:00:00Z'), undefined);
    const second = await store.write(state('2026-11-21T11:05:00Z', ['a']), first);
    expect(second).not.toBe(first);
    expect(s3.requestsFor('PutObject').at(-1)?.headers['if-match']).toBe(first);
    const read = await store.read('access_requests');
    expect(read).toEqual({ state: state('2026-11-21T11:05:00Z', ['a']), version: second });
  });

  it('fails with CheckpointConflictError when another run wrote since (412 on If-Match)', async () => {
    const first = await store.write(state('2026-11-21T11:00:00Z'), undefined);
    await store.write(state('2026-11-21T11:05:00Z'), first); // the other run
    const error = await store.write(state('2026-11-21T11:03:00Z'), first).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointConflictError);
    expect((error as Error).message).toContain(`${PREFIX}/access_requests.json`);
    expect((await store.read('access_requests'))?.state.newest).toBe('2026-11-21T11:05:00Z');
  });

  it('fails with CheckpointConflictError on 409 ConditionalRequestConflict', async () => {
    const first = await store.write(state('2026-11-21T11:00:00Z'), undefined);
    s3.addFault({
      operation: 'PutObject',
      error: { status: 409, code: 'ConditionalRequestConflict', message: 'A conflicting operation occurred' },
    });
    await expect(store.write(state('2026-11-21T11:05:00Z'), first)).rejects.toBeInstanceOf(
      CheckpointConflictError,
    );
    expect((await store.read('access_requests'))?.state.newest).toBe('2026-11-21T11:00:00Z');
  });

  it('passes other S3 errors through unchanged', async () => {
    s3.addFault({ operation: 'PutObject', error: { status: 403, code: 'AccessDenied' } });
    const error = await store.write(state('2026-11-21T11:00:00Z'), undefined).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(CheckpointConflictError);
    expect((error as Error).name).toBe('AccessDenied');
    s3.addFault({ operation: 'GetObject', error: { status: 403, code: 'AccessDenied' } });
    await expect(store.read('access_requests')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('keeps one checkpoint per source', async () => {
    await store.write(state('2026-11-21T11:00:00Z'), undefined);
    await store.write({ ...state('2026-11-20T08:00:00Z'), source: 'audit_logs' }, undefined);
    expect(s3.listKeys(BUCKET)).toEqual([`${PREFIX}/access_requests.json`, `${PREFIX}/audit_logs.json`]);
    expect((await store.read('audit_logs'))?.state.newest).toBe('2026-11-20T08:00:00Z');
    await expect(store.read('audit_logs_v2')).resolves.toBeUndefined();
  });

  it('refuses a corrupt checkpoint instead of starting over', async () => {
    s3.putObject(BUCKET, `${PREFIX}/access_requests.json`, '{"source":"access_requests","newest":');
    await expect(store.read('access_requests')).rejects.toBeInstanceOf(CheckpointInvalidError);
    s3.putObject(
      BUCKET,
      `${PREFIX}/access_requests.json`,
      JSON.stringify({ ...state('2026-11-21T11:00:00Z'), source: 'audit_logs' }),
    );
    await expect(store.read('access_requests')).rejects.toThrow(
      /access_requests.json: holds the checkpoint of audit_logs/,
    );
    s3.putObject(
      BUCKET,
      `${PREFIX}/access_requests.json`,
      JSON.stringify({ ...state('yesterday'), recentIds: [1] }),
    );
    await expect(store.read('access_requests')).rejects.toThrow(/"newest" must be an RFC 3339 time/);
  });
});
