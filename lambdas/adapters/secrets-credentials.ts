import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../core/errors.ts';
import type { CloudflareCredential, CredentialProvider } from '../poll/types.ts';
import { type Clock, systemClock } from '../ports.ts';
import { CREDENTIAL_SECRET_SHAPES } from '../settings.ts';

/** How long a fetched credential is used before Secrets Manager is asked again. */
export const DEFAULT_CREDENTIAL_TTL_MS = 5 * 60_000;

/** Options of {@link SecretsManagerCredentials}. */
export interface SecretsManagerCredentialsOptions {
  /** @default DEFAULT_CREDENTIAL_TTL_MS (5 minutes) */
  readonly ttlMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

// Errors that a retry cannot fix: the deployment (secret id, grants, KMS key) is wrong.
const CONFIGURATION_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
]);

/**
 * Secrets Manager answered a read of the secret with a success the SDK could not parse. Deliberately without the
 * SDK's error as `cause`: that answer holds the secret, and the parser's message quotes a piece of it.
 */
export class SecretReadError extends Error {
  override readonly name = 'SecretReadError';
}

/**
 * The Cloudflare credential from a Secrets Manager secret, cached for `ttlMs` so a warm function does not call
 * Secrets Manager on every run; {@link invalidate} after Cloudflare rejects it makes the next `get` fetch again
 * (the operator may just have rotated it). Build one per cold start, in module scope, so the cache outlives an
 * invocation. The value is never put into an error message, a cause or a log.
 */
export class SecretsManagerCredentials implements CredentialProvider {
  private readonly client: SecretsManagerClient;
  private readonly secretId: string;
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private cached: { readonly credential: CloudflareCredential; readonly fetchedAt: number } | undefined;
  private pending: Promise<CloudflareCredential> | undefined;
  /** How many times the secret was fetched (for metrics and tests). */
  fetches = 0;

  constructor(
    client: SecretsManagerClient,
    secretId: string,
    options: SecretsManagerCredentialsOptions = {},
  ) {
    this.client = client;
    this.secretId = secretId;
    this.ttlMs = options.ttlMs ?? DEFAULT_CREDENTIAL_TTL_MS;
    this.clock = options.clock ?? systemClock;
  }

  /** The credential, from the cache while it is younger than the TTL. @throws ConfigError naming the secret. */
  async get(): Promise<CloudflareCredential> {
    const now = this.clock.now().getTime();
    if (this.cached && now - this.cached.fetchedAt < this.ttlMs) return this.cached.credential;
    // Sources polled one after another share one fetch; a concurrent caller waits for the same one.
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forgets the cached credential: the next {@link get} reads the secret again. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(): Promise<CloudflareCredential> {
    this.fetches += 1;
    let text: string | undefined;
    try {
      const response = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      text = response.SecretString;
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== undefined && status >= 200 && status < 300) {
        // A success answer carries the secret. The SDK's error when it cannot parse one quotes a piece of it
        // (JSON.parse: `Unexpected token 'c', …"tring":cf1a2b"… is not valid JSON`) and keeps the answer in a
        // hidden field, so neither the error nor its message goes on.
        throw new SecretReadError(
          `Cloudflare credential secret ${this.secretId}: Secrets Manager answered HTTP ${status} with a body ` +
            `the SDK could not read (${name || 'unknown error'}); the body is not quoted, it holds the secret`,
        );
      }
      if (CONFIGURATION_ERRORS.has(name)) {
        throw new ConfigError(
          `Cloudflare credential secret ${this.secretId}: ${name}${name === 'ResourceNotFoundException' ? ' (the secret does not exist or has no value yet)' : ''}`,
          { cause: error },
        );
      }
      throw error;
    }
    const credential = parseCloudflareCredential(text, this.secretId);
    this.cached = { credential, fetchedAt: this.clock.now().getTime() };
    return credential;
  }
}

/**
 * Reads a secret's text as a Cloudflare credential.
 * @throws ConfigError naming the secret and the expected shape, never quoting the value (not even the JSON
 *   parser's message, which would).
 */
export function parseCloudflareCredential(text: string | undefined, secretId: string): CloudflareCredential {
  const fail = (problem: string): never => {
    throw new ConfigError(
      `Cloudflare credential secret ${secretId} ${problem}; expected ${CREDENTIAL_SECRET_SHAPES} ` +
        `(aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://credential.json)`,
    );
  };
  // Typed as a string by the SDK, but taken from the answer as it came: anything else is "no string value" too.
  if (typeof text !== 'string') return fail('has no string value (a binary secret, or no value yet)');
  if (text.trim() === '') return fail('is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('is not a JSON object');
  const { apiToken, email, apiKey } = value as Record<string, unknown>;
  const given = (field: unknown): field is string => typeof field === 'string' && field.trim() !== '';
  if (apiToken !== undefined) {
    if (!given(apiToken)) return fail('has an "apiToken" that is not a non-empty string');
    if (email !== undefined || apiKey !== undefined) return fail('has both "apiToken" and "email"/"apiKey"');
    return { kind: 'token', apiToken: apiToken.trim() };
  }
  if (email !== undefined || apiKey !== undefined) {
    if (!given(email)) return fail('has an "apiKey" without a non-empty "email"');
    if (!given(apiKey)) return fail('has an "email" without a non-empty "apiKey"');
    return { kind: 'key', email: email.trim(), apiKey: apiKey.trim() };
  }
  return fail('has neither "apiToken" nor "email" and "apiKey"');
}
