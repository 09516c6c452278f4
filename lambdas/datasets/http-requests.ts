import { deleteField, type EcsEvent, getField, isEmpty, setField } from '../core/ecs.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `http_requests`: one line per HTTP request served by Cloudflare's edge for a zone (zone-scoped).
 * Fields: `../shared/cloudflare/http_requests.md` (108 documented fields, plus the names added by the 2026
 * changelogs and the legacy names older jobs still emit). Output follows SEKOIA's shape (`NOTES.md` §6
 * http_requests: category web, type access, `destination.address` = host) plus what SEKOIA leaves out.
 *
 * `event.outcome` follows the convention of Elastic's web-server pipelines (nginx, apache): a response status
 * below 400 is a success, 400 and above a failure. The event source is the edge answering a client, and ECS asks
 * for the outcome from the source's point of view: a 403 from the WAF or a 502 from the origin is a request that
 * did not succeed, whoever caused it.
 */
export const httpRequests = defineMapper({
  dataset: 'http_requests',
  observerType: 'proxy',
  category: ['web'],
  type: ['access'],
  idFields: ['RayID'],
  // EdgeStartTimestamp is the one time field and is in every job that has a time at all. Zone websocket_analytics
  // lines carry it and some of these names too: detection then prefers the table that knows more of the record.
  signature: {
    all: ['EdgeStartTimestamp'],
    any: [
      'RayID',
      'ClientRequestHost',
      'ClientRequestURI',
      'ClientIP',
      'EdgeResponseStatus',
      'ClientRequestMethod',
    ],
  },
  fields: {
    BotDetectionIDs: { type: 'int[]' },
    BotDetectionTags: { type: 'string[]' },
    BotScore: { type: 'int' },
    BotScoreSrc: { type: 'string' },
    BotTags: { type: 'string[]' },
    CacheCacheStatus: { type: 'string' },
    CacheReserveUsed: { type: 'bool' },
    CacheResponseBytes: { type: 'int' },
    CacheResponseStatus: { type: 'int' }, // deprecated
    CacheTieredFill: { type: 'bool' },
    ClientASN: { type: 'int', to: 'source.as.number' },
    ClientCity: { type: 'string', to: 'source.geo.city_name' },
    ClientCountry: { type: 'string', to: 'source.geo.country_iso_code' },
    ClientDeviceType: { type: 'string' },
    ClientIP: { type: 'string', to: 'source.ip' },
    ClientIPClass: { type: 'string' },
    // Both → source.geo.location {lat, lon} in refine (the doc types them as strings).
    ClientLatitude: { type: 'string' },
    ClientLongitude: { type: 'string' },
    // "The SHA256 fingerprint of the certificate presented by the client": ECS tls.client.hash.sha256 exactly.
    ClientMTLSAuthCertFingerprint: { type: 'string', to: 'tls.client.hash.sha256' },
    ClientMTLSAuthStatus: { type: 'string' },
    // Prefixed with the country in refine when Cloudflare gives the subdivision part alone (ECS: "CA-QC").
    ClientRegionCode: { type: 'string', to: 'source.geo.region_iso_code' },
    ClientRequestBytes: { type: 'int', to: 'http.request.bytes' },
    // A port in the Host header moves to url.port / destination.port in refine.
    ClientRequestHost: { type: 'string', to: ['destination.address', 'url.domain'] },
    ClientRequestMethod: { type: 'string', to: 'http.request.method' },
    ClientRequestPath: { type: 'string', to: 'url.path' },
    // "HTTP/2" → http.version "2" and network.protocol "http" in refine.
    ClientRequestProtocol: { type: 'string' },
    ClientRequestReferer: { type: 'string', to: 'http.request.referrer' },
    ClientRequestScheme: { type: 'string', to: 'url.scheme' },
    ClientRequestSource: { type: 'string' },
    // Path and query as requested; url.path (when ClientRequestPath is absent), url.query, url.full in refine.
    ClientRequestURI: { type: 'string', to: 'url.original' },
    ClientRequestUserAgent: { type: 'string', to: 'user_agent.original' },
    // ClientSSLProtocol "TLSv1.3" → tls.version_protocol/version, and the cipher, in refine ("none" = no TLS).
    ClientSSLCipher: { type: 'string' },
    ClientSSLProtocol: { type: 'string' },
    ClientSrcPort: { type: 'int', to: 'source.port' },
    ClientTCPRTTMs: { type: 'int' },
    ClientXRequestedWith: { type: 'string' },
    ContentScanObjResults: { type: 'string[]' },
    ContentScanObjSizes: { type: 'int[]' },
    ContentScanObjTypes: { type: 'string[]' },
    Cookies: { type: 'object' },
    EdgeCFConnectingO2O: { type: 'bool' },
    EdgeColoCode: { type: 'string' },
    EdgeColoID: { type: 'int' },
    EdgeEndTimestamp: { type: 'time', to: 'event.end' },
    EdgePathingOp: { type: 'string' },
    EdgePathingSrc: { type: 'string' },
    EdgePathingStatus: { type: 'string' },
    EdgeRequestHost: { type: 'string' },
    EdgeResponseBodyBytes: { type: 'int', to: 'http.response.body.bytes' },
    EdgeResponseBytes: { type: 'int', to: 'http.response.bytes' },
    EdgeResponseCompressionRatio: { type: 'float' },
    // Not http.response.mime_type: ECS fills that from the body only, never from the Content-Type header.
    EdgeResponseContentType: { type: 'string' },
    EdgeResponseStatus: { type: 'int', to: 'http.response.status_code' },
    EdgeServerIP: { type: 'string' },
    // SEKOIA leaves @timestamp unset for this dataset (NOTES §6); the request's arrival is its event time.
    EdgeStartTimestamp: { type: 'time', to: ['@timestamp', 'event.start'] },
    EdgeTimeToFirstByteMs: { type: 'int' },
    FraudAttack: { type: 'string' },
    FraudDetectionIDs: { type: 'int[]' },
    FraudDetectionTags: { type: 'string[]' },
    FraudEmailRisk: { type: 'string' },
    FraudUserID: { type: 'string' },
    JA3Hash: { type: 'string', to: 'tls.client.ja3' },
    // ECS has no JA4 field (8.17): kept as cloudflare.JA4.
    JA4: { type: 'string' },
    JA4Signals: { type: 'object' },
    JSDetectionPassed: { type: 'string' },
    LeakedCredentialCheckResult: { type: 'string' },
    OriginDNSResponseTimeMs: { type: 'int' },
    OriginIP: { type: 'string' },
    OriginRequestHeaderSendDurationMs: { type: 'int' },
    OriginResponseBytes: { type: 'int' }, // deprecated
    OriginResponseDurationMs: { type: 'int' },
    OriginResponseHTTPExpires: { type: 'string' },
    OriginResponseHTTPLastModified: { type: 'string' },
    OriginResponseHeaderReceiveDurationMs: { type: 'int' },
    OriginResponseStatus: { type: 'int' },
    OriginResponseTime: { type: 'int' }, // deprecated
    OriginSSLProtocol: { type: 'string' },
    OriginTCPHandshakeDurationMs: { type: 'int' },
    OriginTLSHandshakeDurationMs: { type: 'int' },
    ParentRayID: { type: 'string' },
    PayPerCrawlStatus: { type: 'string' },
    // The request's id at Cloudflare (the cf-ray header): ECS http.request.id, and kept under its own name too
    // because every Cloudflare dataset and support ticket refers to it as RayID.
    RayID: { type: 'string', to: 'http.request.id', keep: true },
    // Custom fields; the Access identity header `cf-access-user` → user.* in refine.
    RequestHeaders: { type: 'object' },
    ResponseHeaders: { type: 'object' },
    SecurityAction: { type: 'string', to: 'event.action' },
    SecurityActions: { type: 'string[]' },
    SecurityRuleDescription: { type: 'string', to: 'rule.description' },
    SecurityRuleID: { type: 'string', to: 'rule.id' },
    SecurityRuleIDs: { type: 'string[]' },
    SecuritySources: { type: 'string[]' },
    SmartRouteColoID: { type: 'int' },
    UpperTierColoID: { type: 'int' },
    VerifiedBotCategory: { type: 'string' },
    WAFAttackScore: { type: 'int' },
    WAFFlags: { type: 'string' }, // deprecated
    WAFMatchedVar: { type: 'string' }, // deprecated
    WAFRCEAttackScore: { type: 'int' },
    WAFSQLiAttackScore: { type: 'int' },
    WAFXSSAttackScore: { type: 'int' },
    WebAssetsLabelsManaged: { type: 'string[]' },
    WebAssetsOperationID: { type: 'string' },
    WorkerCPUTime: { type: 'int' },
    WorkerScriptName: { type: 'string' },
    WorkerStatus: { type: 'string' },
    WorkerSubrequest: { type: 'bool' },
    WorkerSubrequestCount: { type: 'int' },
    WorkerWallTimeUs: { type: 'int' },
    ZoneName: { type: 'string' },

    // Added after the documented version (names from the 2026 changelogs, types judged from their siblings).
    AISecurityCustomTopicCategories: { type: 'object' }, // typed object in account firewall_events
    AISecurityInjectionScore: { type: 'int' }, // as in firewall_events
    AISecurityPIICategories: { type: 'string[]' }, // as in firewall_events
    AISecurityTokenCount: { type: 'int' }, // as in firewall_events
    AISecurityUnsafeTopicCategories: { type: 'string[]' }, // as in firewall_events
    CacheLockWaitedMs: { type: 'int' }, // a duration in ms, like its *Ms siblings
    ClientTLSKeyExchangeGroup: { type: 'string' }, // a group name, e.g. X25519MLKEM768
    FirewallForAIInjectionScore: { type: 'int' }, // deprecated for AISecurityInjectionScore
    FirewallForAIPIICategories: { type: 'string[]' }, // deprecated for AISecurityPIICategories
    FirewallForAITokenCount: { type: 'int' }, // deprecated for AISecurityTokenCount
    FirewallForAIUnsafeTopicCategories: { type: 'string[]' }, // deprecated for AISecurityUnsafeTopicCategories
    MatchedRules: { type: 'any' }, // added 2026-05-28; type not documented yet
    // Worker subrequests merged into their parent (`merge_subrequests`, ≤ 50): kept whole under cloudflare.*.
    Subrequests: { type: 'object[]' },
    WAFRequestSignatureCategories: { type: 'any' }, // added 2026-08-20; type not documented yet
    WAFRequestSignatureRefs: { type: 'any' }, // added 2026-08-20; type not documented yet

    // Legacy names older jobs (and Logpull) still send; the renamed fields win when both are present.
    EdgeRateLimitAction: { type: 'string' },
    EdgeRateLimitID: { type: 'int' },
    FirewallMatchesActions: { type: 'string[]' }, // renamed SecurityActions
    FirewallMatchesRuleIDs: { type: 'string[]' }, // renamed SecurityRuleIDs
    FirewallMatchesSources: { type: 'string[]' }, // renamed SecuritySources
    SecurityLevel: { type: 'string' },
    WAFAction: { type: 'string' }, // → event.action when SecurityAction is absent (refine)
    WAFProfile: { type: 'string' },
    WAFRuleID: { type: 'string' }, // → rule.id when SecurityRuleID is absent (refine)
    WAFRuleMessage: { type: 'string' }, // → rule.description when SecurityRuleDescription is absent (refine)
    ZoneID: { type: 'int' },
  },
  derives: [
    'destination.port',
    'event.outcome',
    'http.version',
    'network.protocol',
    'source.geo.location',
    'tls.cipher',
    'tls.version',
    'tls.version_protocol',
    'url.full',
    'url.port',
    'url.query',
    'user.email',
    'user.id',
    'user.name',
  ],
  refine({ record, values, event, vendor }) {
    setField(event, 'event.outcome', outcomeOfStatus(values.EdgeResponseStatus));
    mapLegacySecurity(record, event, vendor);
    mapHttpProtocol(event, vendor, 'ClientRequestProtocol');
    mapTls(event, vendor);
    mapHostPort(event);
    mapRequestUri(record, event);
    mapGeo(record, event, vendor);
    mapAccessUser(record, event);
  },
});

/** `success` below 400, `failure` from 400 (see the module comment), `unknown` without a valid status. */
export function outcomeOfStatus(status: unknown): 'success' | 'failure' | 'unknown' {
  if (typeof status !== 'number' || status < 100 || status > 599) return 'unknown';
  return status < 400 ? 'success' : 'failure';
}

// [renamed field, legacy field, ECS field]. The legacy WAF (and Logpull) used WAFAction/WAFRuleID/WAFRuleMessage
// for what the 2024 rename calls SecurityAction/SecurityRuleID/SecurityRuleDescription.
const LEGACY_SECURITY: readonly (readonly [string, string, string])[] = [
  ['SecurityAction', 'WAFAction', 'event.action'],
  ['SecurityRuleID', 'WAFRuleID', 'rule.id'],
  ['SecurityRuleDescription', 'WAFRuleMessage', 'rule.description'],
];

function mapLegacySecurity(record: CfRecord, event: EcsEvent, vendor: CfRecord): void {
  // "unknown" is the action of every request no rule acted on (legacy WAFAction above all): not an action, so it
  // stays a vendor value.
  if (getField(event, 'event.action') === 'unknown') {
    deleteField(event, 'event.action');
    vendor.SecurityAction = 'unknown';
  }
  for (const [renamed, legacy, path] of LEGACY_SECURITY) {
    const value = vendor[legacy];
    if (!isEmpty(record[renamed]) || typeof value !== 'string' || value === 'unknown') continue;
    setField(event, path, value);
    vendor[legacy] = undefined;
  }
}

/**
 * Maps Cloudflare's protocol string (`HTTP/1.1`, `HTTP/2`, `HTTP/3`) to ECS: `http.version` is the bare version
 * ("1.1", ECS's own example) and `network.protocol` the lower-case application protocol. SEKOIA copies the raw
 * string into both (NOTES §6 firewall_events); a value of another shape is kept under `cloudflare.<field>`.
 */
export function mapHttpProtocol(event: EcsEvent, vendor: CfRecord, field: string): void {
  const value = vendor[field];
  if (typeof value !== 'string') return;
  const m = /^HTTP\/(\d+(?:\.\d+)?)$/i.exec(value.trim());
  if (!m) return;
  setField(event, 'http.version', m[1]);
  setField(event, 'network.protocol', 'http');
  vendor[field] = undefined;
}

/** `TLSv1.3` → `{ protocol: 'tls', version: '1.3' }`, `SSLv3` → `{ protocol: 'ssl', version: '3' }`; else undefined. */
export function tlsVersionParts(value: string): { protocol: string; version: string } | undefined {
  const m = /^(TLS|SSL)v?(\d+(?:\.\d+)?)$/i.exec(value.trim());
  return m ? { protocol: m[1]!.toLowerCase(), version: m[2]! } : undefined;
}

/** Sets tls.version_protocol and tls.version from a `TLSv1.3`-like value; false (nothing set) for other values. */
export function setTlsVersion(event: EcsEvent, value: unknown): boolean {
  const parts = typeof value === 'string' ? tlsVersionParts(value) : undefined;
  if (!parts) return false;
  setField(event, 'tls.version_protocol', parts.protocol);
  setField(event, 'tls.version', parts.version);
  return true;
}

function mapTls(event: EcsEvent, vendor: CfRecord): void {
  // "none" means the request was not over TLS (field doc): no tls.* at all, the value stays as the evidence.
  const protocol = vendor.ClientSSLProtocol;
  if (setTlsVersion(event, protocol)) vendor.ClientSSLProtocol = undefined;
  const cipher = vendor.ClientSSLCipher;
  if (typeof cipher === 'string' && cipher.toUpperCase() !== 'NONE' && protocol !== 'none') {
    setField(event, 'tls.cipher', cipher);
    vendor.ClientSSLCipher = undefined;
  }
}

/** Host and port of a Host header value (`example.com:8443`, `[2001:db8::1]:8443`); no port for a bare IPv6. */
export function splitHostPort(value: string): { host: string; port?: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: value };
}

/**
 * Moves a port written in the Host header (`ClientRequestHost: "example.com:8443"`) out of url.domain and the
 * destination's domain/address into url.port and destination.port.
 */
export function mapHostPort(event: EcsEvent): void {
  const domain = getField(event, 'url.domain');
  if (typeof domain !== 'string') return;
  const { host, port } = splitHostPort(domain);
  if (port === undefined) return;
  setField(event, 'url.domain', host);
  setField(event, 'url.port', port);
  for (const path of ['destination.domain', 'destination.address']) {
    if (getField(event, path) !== domain) continue;
    setField(event, path, host);
    setField(event, 'destination.port', port);
  }
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/**
 * Completes url.* from the parts Cloudflare logs separately: `url.full` = scheme://host + path-and-query (only when
 * all three are known), and `url.port` from the scheme when the Host header has none, as the engine does for
 * datasets that log a full URL (`NOTES.md` §4 "URL decomposition").
 */
export function completeUrl(event: EcsEvent, pathAndQuery: string | undefined): void {
  const scheme = getField(event, 'url.scheme');
  const domain = getField(event, 'url.domain');
  if (typeof scheme !== 'string' || typeof domain !== 'string' || pathAndQuery === undefined) return;
  const lower = scheme.toLowerCase();
  const port = getField(event, 'url.port') as number | undefined;
  const explicit = port !== undefined && port !== DEFAULT_PORTS[lower] ? `:${port}` : '';
  setField(event, 'url.full', `${lower}://${domain}${explicit}${pathAndQuery}`);
  if (port === undefined) setField(event, 'url.port', DEFAULT_PORTS[lower]);
}

function mapRequestUri(record: CfRecord, event: EcsEvent): void {
  const uri = typeof record.ClientRequestURI === 'string' ? record.ClientRequestURI : undefined;
  if (uri !== undefined) {
    const q = uri.indexOf('?');
    // ClientRequestPath is the documented path; the URI's path part stands in when the job does not select it.
    if (getField(event, 'url.path') === undefined) setField(event, 'url.path', q < 0 ? uri : uri.slice(0, q));
    if (q >= 0) setField(event, 'url.query', uri.slice(q + 1));
  }
  const path = getField(event, 'url.path');
  completeUrl(event, uri ?? (typeof path === 'string' ? path : undefined));
}

function mapGeo(record: CfRecord, event: EcsEvent, vendor: CfRecord): void {
  const region = getField(event, 'source.geo.region_iso_code');
  const country = record.ClientCountry;
  // ISO 3166-2 codes carry the country ("US-TX"); Cloudflare may log the subdivision part alone.
  if (typeof region === 'string' && !region.includes('-') && typeof country === 'string' && country !== '') {
    setField(event, 'source.geo.region_iso_code', `${country.toUpperCase()}-${region}`);
  }
  const lat = Number(vendor.ClientLatitude);
  const lon = Number(vendor.ClientLongitude);
  if (
    typeof vendor.ClientLatitude === 'string' &&
    typeof vendor.ClientLongitude === 'string' &&
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    Math.abs(lat) <= 90 &&
    Math.abs(lon) <= 180
  ) {
    setField(event, 'source.geo.location', { lat, lon });
    vendor.ClientLatitude = undefined;
    vendor.ClientLongitude = undefined;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Per-request Access audit logging: with the `cf-access-user` request header selected as a custom field, Logpush
 * writes the authenticated user's identity (an email or a user UUID) in RequestHeaders (INDEX.md http_requests).
 * Header names are case-insensitive (RFC 9110 §5.1), whatever case the custom field was configured in.
 */
function mapAccessUser(record: CfRecord, event: EcsEvent): void {
  const headers = record.RequestHeaders;
  if (typeof headers !== 'object' || headers === null) return;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'cf-access-user' || typeof value !== 'string') continue;
    const user = value.trim();
    if (EMAIL.test(user)) setField(event, 'user.email', user);
    else if (UUID.test(user)) setField(event, 'user.id', user);
    else setField(event, 'user.name', user);
    return;
  }
}
