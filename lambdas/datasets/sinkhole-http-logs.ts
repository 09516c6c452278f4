import { mapHostPort } from './http-requests.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `sinkhole_http_logs`: one line per HTTP request a client sent to a Cloudflare sinkhole (an address that stands in
 * for a malicious or retired domain the account redirected to it), account-scoped. There is no field table in
 * `../shared/cloudflare/`: this one was written from Cloudflare's public Logpush field reference
 * (datasets/account/sinkhole_http_logs, from memory, not from a saved copy). Fairly certain: AccountID, Body,
 * BodyLength, Headers, Host, Method, Password, R2Path, Referrer, SinkholeID, SrcAddr, Timestamp, URI, UserAgent,
 * Username. Less certain: the destination's name (DestAddr; DstAddr is listed too), and the types of Body and
 * Headers (typed `any`: kept whole whatever they are).
 *
 * observer.type is `sinkhole`: the sinkhole is neither a proxy nor a firewall (it answers in place of the domain's
 * server and records what it got), and the value says so to whoever filters on it. A client talking to a sinkhole
 * is likely infected or misconfigured, hence event.kind `alert` and category intrusion_detection besides network
 * and web. The sinkhole always answers, so the type is `info` with no outcome (ECS leaves event.outcome out of info
 * events). Username and Password are the credentials the request carried (HTTP basic auth): the user name is
 * `user.name`; the password is not written to the lake (a live credential of one of the account's users, readable
 * by everyone who can query the lake), only the fact that one was sent, as cloudflare.PasswordSent = true. The same
 * credential travels base64-encoded in the Authorization header, so the credentials of (Proxy-)Authorization
 * headers in Headers are replaced by `[redacted]` (the scheme stays). Host is the Host header: a port written in
 * it (`c2.example.net:8080`) goes to url.port and destination.port, not into the domain.
 */
export const sinkholeHttpLogs = defineMapper({
  dataset: 'sinkhole_http_logs',
  observerType: 'sinkhole',
  kind: 'alert',
  category: ['intrusion_detection', 'network', 'web'],
  type: ['info'],
  // Timestamp is shared by many datasets: these names are the sinkhole's own.
  signature: {
    all: ['Timestamp'],
    any: ['SinkholeID', 'R2Path', 'SrcAddr', 'DestAddr', 'DstAddr', 'URI'],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    Body: { type: 'any', to: 'http.request.body.content' },
    BodyLength: { type: 'int', to: 'http.request.body.bytes' },
    DestAddr: { type: 'string', to: 'destination.ip' },
    DstAddr: { type: 'string', to: 'destination.ip' },
    Headers: { type: 'any' },
    // The sinkholed name the client asked for: the indicator a hunt starts from.
    Host: { type: 'string', to: ['url.domain', 'destination.domain'] },
    Method: { type: 'string', to: 'http.request.method' },
    Password: {
      type: 'any',
      drop: 'a captured credential: the lake says one was sent (PasswordSent), not what',
    },
    // Where Cloudflare stored the full request in the account's R2 bucket.
    R2Path: { type: 'string' },
    Referrer: { type: 'string', to: 'http.request.referrer' },
    SinkholeID: { type: 'string' },
    SrcAddr: { type: 'string', to: 'source.ip' },
    Timestamp: { type: 'time', to: '@timestamp' },
    // Path and query as sent (the engine splits it into url.path/url.query).
    URI: { type: 'string', to: 'url.original' },
    UserAgent: { type: 'string', to: 'user_agent.original' },
    Username: { type: 'string', to: 'user.name' },
  },
  derives: ['destination.port', 'url.port'],
  derivesVendor: { PasswordSent: 'bool' },
  refine({ record, event, vendor }) {
    if (typeof record.Password === 'string' && record.Password !== '') vendor.PasswordSent = true;
    if (vendor.Headers !== undefined) vendor.Headers = withoutCredentials(vendor.Headers);
    mapHostPort(event);
  },
});

const AUTHORIZATION = /^(?:proxy-)?authorization$/i;
/** The scheme of an Authorization value, kept: `Basic dXNlcjpwdw==` → `Basic [redacted]`. */
const SCHEME = /^\s*[A-Za-z][\w!#$%&'*+.^`|~-]*\s+(?=\S)/;
/** `Authorization: …` lines of headers logged as text. */
const AUTHORIZATION_LINE = /^((?:proxy-)?authorization[ \t]*:)([^\r\n]*)/gim;
/** `"Authorization": "…"` (or a list) in headers logged as a JSON text. */
const AUTHORIZATION_JSON =
  /("(?:proxy-)?authorization"\s*:\s*)("(?:[^"\\]|\\.)*"|\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\])/gi;

/**
 * Headers as logged (a text of `Name: value` lines, a JSON text, or an object of values or lists of values) with the
 * credentials of (Proxy-)Authorization headers replaced by `[redacted]`.
 */
export function withoutCredentials(headers: unknown): unknown {
  if (typeof headers === 'string') {
    return headers
      .replace(AUTHORIZATION_LINE, (_, name: string, value: string) => `${name} ${redacted(value.trim())}`)
      .replace(
        AUTHORIZATION_JSON,
        (_, name: string, json: string) => name + JSON.stringify(redactedJson(json)),
      );
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return headers;
  const out: CfRecord = {};
  for (const [name, value] of Object.entries(headers))
    out[name] = AUTHORIZATION.test(name) ? redacted(value) : value;
  return out;
}

function redacted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redacted);
  if (typeof value !== 'string') return '[redacted]';
  if (value === '') return value;
  return `${SCHEME.exec(value)?.[0] ?? ''}[redacted]`;
}

function redactedJson(json: string): unknown {
  try {
    return redacted(JSON.parse(json));
  } catch {
    return '[redacted]';
  }
}
