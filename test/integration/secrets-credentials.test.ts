/**
 * SecretsManagerCredentials against a fake Secrets Manager with the real `@aws-sdk/client-secrets-manager`: both
 * credential shapes, malformed secrets, the cache and its TTL, invalidation, and the value kept out of errors.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  parseCloudflareCredential,
  SecretsManagerCredentials,
} from '../../lambdas/adapters/secrets-credentials.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';
import { fakeClock } from '../support/clock.ts';
import {
  type FakeSecretsManager,
  fakeSecretsManagerClient,
  startFakeSecretsManager,
} from '../support/fake-secrets-manager.ts';

const SECRET = 'cf-logs/cloudflare-api';
const TOKEN = 'tok-SECRET-0123456789abcdefghijklmnopqrstuv';

let fake: FakeSecretsManager;
let client: SecretsManagerClient;

beforeAll(async () => {
  fake = await startFakeSecretsManager();
  client = fakeSecretsManagerClient(fake);
});

afterAll(async () => {
  client?.destroy();
  await fake?.close();
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.setSecret(SECRET, JSON.stringify({ apiToken: TOKEN }));
});

/** Everything an error exposes when logged: message, stack, causes. */
function exposed(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as Error | undefined, depth = 0; e && depth < 5; e = e.cause as Error, depth++) {
    parts.push(e.message, e.stack ?? '', JSON.stringify(e));
  }
  return parts.join('\n');
}

describe('Secrets Manager credential provider', () => {
  it('reads an API token', async () => {
    const provider = new SecretsManagerCredentials(client, SECRET);
    await expect(provider.get()).resolves.toEqual({ kind: 'token', apiToken: TOKEN });
    expect(fake.requests).toMatchObject([{ operation: 'GetSecretValue', secretId: SECRET, status: 200 }]);
  });

  it('reads the legacy email and global API key', async () => {
    fake.setSecret(SECRET, JSON.stringify({ email: 'ops@example.com', apiKey: 'k3y-SECRET-value' }));
    const provider = new SecretsManagerCredentials(client, SECRET);
    await expect(provider.get()).resolves.toEqual({
      kind: 'key',
      email: 'ops@example.com',
      apiKey: 'k3y-SECRET-value',
    });
  });

  it('accepts the secret by ARN', async () => {
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET}-AbCdEf`;
    await expect(new SecretsManagerCredentials(client, arn).get()).resolves.toMatchObject({ kind: 'token' });
  });

  it('keeps the credential for the TTL, then reads the secret again', async () => {
    const clock = fakeClock();
    const provider = new SecretsManagerCredentials(client, SECRET, { ttlMs: 300_000, clock });
    await provider.get();
    fake.setSecret(SECRET, JSON.stringify({ apiToken: 'rotated-token' }));
    await clock.sleep(299_000);
    await expect(provider.get()).resolves.toEqual({ kind: 'token', apiToken: TOKEN });
    expect(fake.requests).toHaveLength(1);
    await clock.sleep(1_000);
    await expect(provider.get()).resolves.toEqual({ kind: 'token', apiToken: 'rotated-token' });
    expect(fake.requests).toHaveLength(2);
    expect(provider.fetches).toBe(2);
  });

  it('shares one fetch among concurrent callers', async () => {
    const provider = new SecretsManagerCredentials(client, SECRET);
    const all = await Promise.all([provider.get(), provider.get(), provider.get()]);
    expect(new Set(all.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(fake.requests).toHaveLength(1);
  });

  it('reads the secret again after invalidate (a rejected, since rotated credential)', async () => {
    const provider = new SecretsManagerCredentials(client, SECRET);
    await provider.get();
    fake.setSecret(SECRET, JSON.stringify({ apiToken: 'rotated-token' }));
    provider.invalidate();
    await expect(provider.get()).resolves.toEqual({ kind: 'token', apiToken: 'rotated-token' });
    expect(fake.requests).toHaveLength(2);
  });

  it('turns a missing secret into a ConfigError naming it', async () => {
    const provider = new SecretsManagerCredentials(client, 'cf-logs/nope');
    const error = await provider.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('cf-logs/nope');
    expect((error as Error).message).toContain('ResourceNotFoundException');
  });

  it('passes a throttling error through and does not cache a failure', async () => {
    const provider = new SecretsManagerCredentials(client, SECRET);
    fake.failNext({ type: 'ThrottlingException', status: 400 });
    const error = await provider.get().catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect((error as Error).name).toBe('ThrottlingException');
    await expect(provider.get()).resolves.toMatchObject({ kind: 'token' });
  });

  it.each([
    ['a plain string (the token pasted without JSON)', TOKEN, 'is not JSON'],
    ['an empty string', '   ', 'is empty'],
    [
      'an empty object (the secret the stack creates)',
      '{}',
      'has neither "apiToken" nor "email" and "apiKey"',
    ],
    ['a JSON list', `["${TOKEN}"]`, 'is not a JSON object'],
    ['an empty token', '{"apiToken": ""}', '"apiToken" that is not a non-empty string'],
    ['a numeric token', '{"apiToken": 12345}', '"apiToken" that is not a non-empty string'],
    ['a key without email', `{"apiKey": "${TOKEN}"}`, '"apiKey" without a non-empty "email"'],
    ['an email without key', '{"email": "ops@example.com"}', '"email" without a non-empty "apiKey"'],
    ['both shapes', `{"apiToken": "${TOKEN}", "email": "a@b.c", "apiKey": "x"}`, 'both'],
    ['truncated JSON holding the token', `{"apiToken": "${TOKEN}`, 'is not JSON'],
  ])('refuses %s with a ConfigError that names the secret and not the value', async (_, value, problem) => {
    fake.setSecret(SECRET, value);
    const error = await new SecretsManagerCredentials(client, SECRET).get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`secret ${SECRET} `);
    expect((error as Error).message).toContain(problem);
    expect((error as Error).message).toContain('{"apiToken": "..."}');
    expect(exposed(error)).not.toContain(TOKEN);
    expect(exposed(error)).not.toContain('SECRET');
  });

  it('refuses a binary secret', async () => {
    fake.setSecret(SECRET, undefined);
    await expect(new SecretsManagerCredentials(client, SECRET).get()).rejects.toThrow(/has no string value/);
  });

  it('never caches a malformed secret: a fixed one is read on the next call', async () => {
    fake.setSecret(SECRET, '{}');
    const provider = new SecretsManagerCredentials(client, SECRET);
    await expect(provider.get()).rejects.toBeInstanceOf(ConfigError);
    fake.setSecret(SECRET, JSON.stringify({ apiToken: TOKEN }));
    await expect(provider.get()).resolves.toMatchObject({ kind: 'token' });
  });
});

describe('parseCloudflareCredential', () => {
  it('trims surrounding whitespace a paste may leave', () => {
    expect(parseCloudflareCredential('{"apiToken": " abc \\n"}', 's')).toEqual({
      kind: 'token',
      apiToken: 'abc',
    });
  });
});
