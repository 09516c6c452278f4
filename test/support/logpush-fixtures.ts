/**
 * Deterministic, anonymized Logpush data for integration tests: `access_requests` lines shaped like Cloudflare's
 * (`../shared/cloudflare/access_requests.md`, `timestamp_format=rfc3339`), object keys laid out as this project's
 * `destination_conf` writes them, and gzip NDJSON bodies. Only documentation values are used: `example.com`,
 * 192.0.2.0/24 and 2001:db8::/32, made-up ids derived from hashes.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** A made-up Cloudflare account id (32 hex digits). */
export const FIXTURE_ACCOUNT_ID = '0123456789abcdef0123456789abcdef';

/** Hex digits of sha256(`seed`), as many as asked (up to 64): a deterministic stand-in for random ids. */
export function hexId(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

const uuids = new Map<string, string>();

function uuidFrom(seed: string): string {
  let uuid = uuids.get(seed);
  if (uuid === undefined) {
    const h = hexId(seed, 32);
    uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    uuids.set(seed, uuid);
  }
  return uuid;
}

const COUNTRIES = ['de', 'fr', 'us', 'jp', 'br', 'ca', 'nl', 'se'] as const;
const CONNECTIONS = ['saml', 'oidc', 'onetimepin', 'github'] as const;
const START = Date.UTC(2026, 10, 20, 10, 0, 0);

/**
 * Line `i` of an `access_requests` object (`seed` varies the ids between objects). The `RayID` is unique per
 * `(seed, i)` and travels to `cloudflare.RayID`, so tests can match delivered events to input lines.
 * `extra` overrides or adds fields (`undefined` removes one).
 */
export function accessRequestLine(i: number, seed = 'a', extra: Record<string, unknown> = {}): string {
  const user = i % 997;
  const ipv6 = i % 11 === 0;
  return JSON.stringify({
    Action: i % 5 === 4 ? 'logout' : 'login',
    Allowed: i % 13 !== 0,
    AppDomain:
      i % 7 === 0
        ? `team.cloudflareaccess.com/cdn-cgi/access/sso/saml/${i % 40}`
        : `app${i % 40}.example.com`,
    AppUUID: uuidFrom(`app:${i % 40}`),
    Connection: CONNECTIONS[i % CONNECTIONS.length],
    Country: COUNTRIES[i % COUNTRIES.length],
    CreatedAt: new Date(START + i * 37).toISOString().replace('.000Z', 'Z'),
    Email: `user${String(user).padStart(4, '0')}@example.com`,
    IPAddress: ipv6 ? `2001:db8::${(i % 65_535).toString(16)}` : `192.0.2.${(i % 254) + 1}`,
    RayID: hexId(`ray:${seed}:${i}`, 16),
    UserUID: uuidFrom(`user:${user}`),
    ...(i % 17 === 0
      ? {
          PurposeJustificationPrompt: 'Why do you need access?',
          PurposeJustificationResponse: 'On-call ticket',
        }
      : {}),
    ...extra,
  });
}

/** `count` consecutive `access_requests` lines, from line index `from`. */
export function accessRequestLines(count: number, seed = 'a', from = 0): string[] {
  return Array.from({ length: count }, (_, k) => accessRequestLine(from + k, seed));
}

/** The RayID {@link accessRequestLine} gives line `i` of `seed`. */
export function rayIdOf(i: number, seed = 'a'): string {
  return hexId(`ray:${seed}:${i}`, 16);
}

/** A gzip NDJSON object body, as Logpush writes it (newline after every line). */
export function gzipNdjson(lines: readonly string[]): Buffer {
  return gzipSync(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
}

/**
 * A Logpush object key: `<prefix>/<dataset>/<account id>/<YYYYMMDD>/<start>_<end>_<hash>.log.gz`. `name`
 * makes the file name unique within a test.
 */
export function logpushKey(
  name: string,
  dataset = 'access_requests',
  date = '20261120',
  prefix = 'logpush',
): string {
  return `${prefix}/${dataset}/${FIXTURE_ACCOUNT_ID}/${date}/${date}T100000Z_${date}T100100Z_${hexId(name, 8)}.log.gz`;
}
