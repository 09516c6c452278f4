/**
 * The S3 ownership challenge (FACTS.md A3, E2): Cloudflare writes a token into the destination, we read it back
 * from the bucket and hand it over with the create or update. The token is checked with Cloudflare's validate call
 * before use, so a file left from an earlier challenge (expired, or for another destination) is not mistaken for
 * the new one.
 */
import { describeScope, type LogpushApi, type LogpushScope } from './api.ts';

/** Reads and deletes challenge files in the Logpush bucket (S3 in the command, memory in unit tests). */
export interface ChallengeStore {
  /** The object's text, or undefined when there is no such object. @throws ChallengeError for access denied. */
  read(key: string): Promise<string | undefined>;
  /** Deletes the object (no error when it is already gone). */
  remove(key: string): Promise<void>;
}

/** The challenge could not be completed; the message says why and what to check. */
export class ChallengeError extends Error {
  override readonly name = 'ChallengeError';
}

/** Cloudflare's Logpush principal, which must be allowed to write the file (FACTS A2). */
export const CLOUDFLARE_LOGPUSH_PRINCIPAL = 'arn:aws:iam::391854517948:user/cloudflare-logpush';

// Pattern of `ownership_challenge` (OpenAPI 2024-08, FACTS A3).
const TOKEN = /^[a-zA-Z0-9/+.\-_]{1,4096}$/;

/** Options of {@link obtainOwnershipToken}. */
export interface ChallengeOptions {
  readonly api: LogpushApi;
  readonly store: ChallengeStore;
  readonly scope: LogpushScope;
  readonly destinationConf: string;
  /** The Logpush bucket (the file name Cloudflare returns starts with it). */
  readonly bucket: string;
  /** How long to wait for a valid token in the file. @default 60_000 */
  readonly timeoutMs?: number;
  /** Wait between reads. @default 2_000 */
  readonly pollMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A token Cloudflare accepts for the destination, and the key of the file it came from. */
export interface OwnershipToken {
  readonly token: string;
  readonly key: string;
}

/**
 * The key of the challenge file in the bucket, from the `filename` Cloudflare returns: `<bucket>/<key>` in the
 * docs' example, which "may be expressed as a path"; an `s3://` URL or a bare key are accepted too.
 */
export function challengeKey(filename: string, bucket: string): string {
  let name = filename.trim();
  if (name.startsWith('s3://')) name = name.slice('s3://'.length);
  if (name.startsWith(`${bucket}/`)) name = name.slice(bucket.length + 1);
  return name.replace(/^\/+/, '');
}

/**
 * Requests a challenge for the destination and reads a token Cloudflare accepts from the file it wrote. The file
 * is left in place: the caller deletes it once the job is created or updated ({@link ChallengeStore.remove}).
 * When no usable token arrives in time, the file (if any) is deleted here before the error.
 * @throws ChallengeError when Cloudflare cannot write the file, the file does not appear, or its token stays invalid.
 */
export async function obtainOwnershipToken(options: ChallengeOptions): Promise<OwnershipToken> {
  const { api, store, scope, destinationConf, bucket } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 2_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;

  const challenge = await api.requestOwnership(scope, destinationConf);
  if (!challenge.valid) {
    throw new ChallengeError(
      `Cloudflare could not write the ownership challenge for ${describeScope(scope)}` +
        `${challenge.message ? ` ("${challenge.message}")` : ''}. Check that the bucket exists in the region of ` +
        `the destination and that its policy lets ${CLOUDFLARE_LOGPUSH_PRINCIPAL} s3:PutObject there (the stack's does).`,
    );
  }
  const key = challengeKey(challenge.filename, bucket);
  const where = `s3://${bucket}/${key}`;
  const deadline = now() + timeoutMs;
  let rejected: 'malformed' | 'invalid' | undefined;
  // A file that yields no usable token is of no use to anyone: it goes (best effort) before any error.
  const discard = () => store.remove(key).catch(() => undefined);
  try {
    for (let read = 1; ; read++) {
      const text = await store.read(key);
      if (text !== undefined) {
        const token = text.trim();
        if (!TOKEN.test(token)) {
          rejected = 'malformed';
        } else if (await api.validateOwnership(scope, destinationConf, token)) {
          return { token, key };
        } else {
          rejected = 'invalid';
        }
      }
      // Bounded: at most timeoutMs / pollMs reads, and never fewer than two.
      if (now() + pollMs > deadline && read >= 2) break;
      await sleep(pollMs);
    }
  } catch (error) {
    await discard();
    throw error;
  }
  await discard();
  const seconds = Math.round(timeoutMs / 1000);
  if (rejected === undefined) {
    throw new ChallengeError(
      `Cloudflare said it wrote the ownership challenge to ${where}, but it did not appear within ${seconds} s. ` +
        `Check that you read the bucket Cloudflare writes to (destination ${destinationConf}) and that the ` +
        `bucket policy lets ${CLOUDFLARE_LOGPUSH_PRINCIPAL} s3:PutObject under that prefix.`,
    );
  }
  throw new ChallengeError(
    rejected === 'malformed'
      ? `${where} does not hold an ownership token (not the JWT Cloudflare writes).`
      : `Cloudflare does not accept the token in ${where} for ${destinationConf}: it has expired (tokens last 7 ` +
          `days) or belongs to an earlier challenge, and no new one arrived within ${seconds} s. Run the command ` +
          'again; if it persists, delete the file and retry.',
  );
}
