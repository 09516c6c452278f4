import { type EcsEvent, getField, setField } from '../core/ecs.ts';
import { mapHttpProtocol, splitHostPort } from './http-requests.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `gateway_http`: one line per HTTP request that Cloudflare Zero Trust Gateway's proxy inspected (account-scoped).
 * Fields: `../shared/cloudflare/gateway_http.md`. Output follows SEKOIA's shape (`NOTES.md` §6 gateway_http: category
 * network, observer.type proxy, network.protocol http, HTTPHost as destination.domain, URL as url.original for the
 * engine to decompose) without its upstream bugs: the user agent is mapped, and `block` is a denied request.
 *
 * Action is `event.action` and sets `event.type`/`event.outcome` through {@link gatewayActionClass}, shared with
 * gateway_network: allow-like actions (allow, isolate, do not inspect/scan/isolate…) → allowed/success; block → denied/
 * failure; redirect/override → info/success (Gateway answered as the policy said, the destination was replaced);
 * anything else (or none) → info/unknown. The file of the event (file.*) is the blocked file, or the single file
 * FileInfo lists; FileInfo, DownloadedFileNames and UploadedFileNames are kept whole under cloudflare.*.
 */
export const gatewayHttp = defineMapper({
  dataset: 'gateway_http',
  observerType: 'proxy',
  category: ['network'],
  type: ['info'],
  // RequestID "might be empty on bypass" (the line is then hashed); time and action guard against a request
  // logged twice.
  idFields: ['RequestID', 'Datetime', 'Action'],
  // Datetime is shared by every gateway_* dataset, firewall_events, dlp_forensic_copies, mcp_portal_logs and
  // ssh_logs; Action too. These names are only in HTTP logs (URL, UserAgent and RequestID are left out: other
  // Datetime datasets may carry such names).
  signature: {
    all: ['Datetime'],
    any: [
      'HTTPHost',
      'HTTPMethod',
      'HTTPStatusCode',
      'HTTPVersion',
      'Referer',
      'BlockedFileHash',
      'BlockedFileReason',
      'IsIsolated',
      'UntrustedCertificateAction',
      'DownloadedFileNames',
      'UploadedFileNames',
      'FileInfo',
    ],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    // → event.type and event.outcome in refine as well.
    Action: { type: 'string', to: 'event.action' },
    AddedHeaders: { type: 'string[]' },
    AppControlInfo: { type: 'object' },
    ApplicationIDs: { type: 'int[]' },
    ApplicationNames: { type: 'string[]' },
    ApplicationStatuses: { type: 'string[]' },
    // → file.hash.<algorithm> by its length in refine (SEKOIA: sha256 when 64 characters).
    BlockedFileHash: { type: 'string' },
    BlockedFileName: { type: 'string', to: 'file.name' },
    BlockedFileReason: { type: 'string' },
    // → file.size in refine when a blocked file is named; 0 is the value of lines without one.
    BlockedFileSize: { type: 'int' },
    // "exe, bin": not ECS file.type (file, dir or symlink, where SEKOIA puts it), kept.
    BlockedFileType: { type: 'string' },
    CategoryIDs: { type: 'int[]' },
    CategoryNames: { type: 'string[]' },
    Datetime: { type: 'time', to: '@timestamp' },
    DeletedHeaders: { type: 'string[]' },
    DestinationIP: { type: 'string', to: 'destination.ip' },
    DestinationIPContinentCode: { type: 'string', to: 'destination.geo.continent_code' },
    DestinationIPCountryCode: { type: 'string', to: 'destination.geo.country_iso_code' },
    DestinationPort: { type: 'int', to: 'destination.port' },
    DeviceID: { type: 'string', to: 'device.id' },
    DeviceName: { type: 'string', to: 'host.hostname' },
    DownloadMatchedDlpProfileEntries: { type: 'string[]' },
    DownloadMatchedDlpProfiles: { type: 'string[]' },
    // Cloudflare writes "<unknown file name>" for a download it could not name: kept as it is.
    DownloadedFileNames: { type: 'string[]' },
    Email: { type: 'string', to: 'user.email' },
    // `{files: [{direction, file_name, file_size, content_type, action}]}`; a single file → file.* in refine.
    FileInfo: { type: 'object' },
    ForensicCopyStatus: { type: 'string' },
    // A port in the Host header moves out of destination.domain in refine.
    HTTPHost: { type: 'string', to: 'destination.domain' },
    HTTPMethod: { type: 'string', to: 'http.request.method' },
    // → http.response.status_code in refine, except 0 = nothing returned (client gone), which is not a status code
    // and stays cloudflare.HTTPStatusCode.
    HTTPStatusCode: { type: 'int' },
    // "HTTP/2" → http.version "2" in refine (SEKOIA copies the string).
    HTTPVersion: { type: 'string' },
    IsIsolated: { type: 'bool' },
    PolicyID: { type: 'string', to: 'rule.id' },
    PolicyName: { type: 'string', to: 'rule.name' },
    PrivateAppAUD: { type: 'string' },
    ProxyEndpoint: { type: 'string' },
    Quarantined: { type: 'bool' },
    RedirectTargetURI: { type: 'string' },
    Referer: { type: 'string', to: 'http.request.referrer' },
    RegistrationID: { type: 'string' },
    // Cloudflare's id of the request (ECS http.request.id), kept under its own name as SEKOIA does: it joins these
    // lines to dlp_forensic_copies' GatewayRequestID.
    RequestID: { type: 'string', to: 'http.request.id', keep: true },
    SessionID: { type: 'string' },
    SetHeaders: { type: 'string[]' },
    SourceIP: { type: 'string', to: 'source.ip' },
    SourceIPContinentCode: { type: 'string', to: 'source.geo.continent_code' },
    SourceIPCountryCode: { type: 'string', to: 'source.geo.country_iso_code' },
    // The device's own LAN address behind a GRE/IPsec on-ramp: an address of the host that made the request.
    SourceInternalIP: { type: 'string', to: 'host.ip' },
    SourcePort: { type: 'int', to: 'source.port' },
    TenantID: { type: 'string' },
    URL: { type: 'string', to: 'url.original' },
    UntrustedCertificateAction: { type: 'string' },
    UploadMatchedDlpProfileEntries: { type: 'string[]' },
    UploadMatchedDlpProfiles: { type: 'string[]' },
    UploadedFileNames: { type: 'string[]' },
    // SEKOIA reads a misspelt path and never maps it (NOTES §6).
    UserAgent: { type: 'string', to: 'user_agent.original' },
    UserID: { type: 'string', to: 'user.id' },
    VirtualNetworkID: { type: 'string' },
    // "Name given by operators to sections of their network" (ECS network.name).
    VirtualNetworkName: { type: 'string', to: 'network.name' },
    Warnings: { type: 'string[]' },

    // Added after the documented version (2026-08 changelogs, names only).
    ExperimentalFeatures: { type: 'any' }, // type not documented yet
    PackageInfo: { type: 'any' }, // type not documented yet
  },
  derives: [
    'event.outcome',
    'file.hash.md5',
    'file.hash.sha1',
    'file.hash.sha256',
    'file.mime_type',
    'file.size',
    'http.response.status_code',
    'http.version',
    'network.protocol',
  ],
  refine({ values, event, vendor }) {
    setField(event, 'network.protocol', 'http');
    mapHttpProtocol(event, vendor, 'HTTPVersion');
    const status = values.HTTPStatusCode;
    if (typeof status === 'number' && status > 0) {
      setField(event, 'http.response.status_code', status);
      vendor.HTTPStatusCode = undefined;
    }
    const host = getField(event, 'destination.domain');
    if (typeof host === 'string') setField(event, 'destination.domain', splitHostPort(host).host);
    mapFile(values, event, vendor);
    const { type, outcome } = ACTION_HTTP[gatewayActionClass(values.Action)];
    setField(event, 'event.type', [...type]);
    setField(event, 'event.outcome', outcome);
  },
});

/** What Gateway did with a request or session, in four classes (see the module comment). */
export type GatewayActionClass = 'allowed' | 'denied' | 'redirected' | 'other';

// Log values and the policy actions of the Gateway API (allow, block, isolate, noisolate, off = do not inspect,
// noscan, override, l4_override, redirect, egress…); allowedOnNoRuleMatch is what lets unmatched traffic through.
const ALLOWED_ACTIONS = new Set(['allow', 'bypass', 'isolate', 'noisolate', 'off', 'noscan', 'egress']);
const DENIED_ACTIONS = new Set(['block', 'deny']);
const REDIRECTED_ACTIONS = new Set(['redirect', 'override', 'l4_override']);

/** The class of a Gateway Action, without regard to case; `other` for an absent or unknown action. */
export function gatewayActionClass(action: unknown): GatewayActionClass {
  if (typeof action !== 'string') return 'other';
  const a = action.toLowerCase();
  if (ALLOWED_ACTIONS.has(a) || a.startsWith('allowed')) return 'allowed';
  if (DENIED_ACTIONS.has(a) || a.startsWith('blocked')) return 'denied';
  if (REDIRECTED_ACTIONS.has(a)) return 'redirected';
  return 'other';
}

/** event.type and event.outcome per action class; the types are SEKOIA's for gateway_http (allow → allowed, info). */
export const ACTION_HTTP: Readonly<
  Record<GatewayActionClass, { readonly type: readonly string[]; readonly outcome: string }>
> = {
  allowed: { type: ['allowed', 'info'], outcome: 'success' },
  denied: { type: ['denied'], outcome: 'failure' },
  redirected: { type: ['info'], outcome: 'success' },
  other: { type: ['info'], outcome: 'unknown' },
};

const HASH_BY_LENGTH: Readonly<Record<number, string>> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/**
 * file.* for the file of the request: the blocked file (its hash by length, its size once a blocked file is named),
 * completed by the only file FileInfo lists when that is the same file (or the blocked file has no name). The lists
 * themselves stay whole under cloudflare.*.
 */
function mapFile(values: Readonly<CfRecord>, event: EcsEvent, vendor: CfRecord): void {
  const hash = values.BlockedFileHash;
  const algorithm =
    typeof hash === 'string' && /^[0-9a-f]+$/i.test(hash) ? HASH_BY_LENGTH[hash.length] : undefined;
  if (algorithm !== undefined) {
    setField(event, `file.hash.${algorithm}`, hash);
    vendor.BlockedFileHash = undefined;
  }
  const blocked = algorithm !== undefined || values.BlockedFileName !== undefined;
  if (blocked && typeof values.BlockedFileSize === 'number') {
    setField(event, 'file.size', values.BlockedFileSize);
    vendor.BlockedFileSize = undefined;
  }
  const info = values.FileInfo as { files?: unknown } | undefined;
  const files = info?.files;
  if (!Array.isArray(files) || files.length !== 1) return;
  const file = files[0] as Record<string, unknown> | null;
  if (typeof file !== 'object' || file === null) return;
  const name = getField(event, 'file.name');
  // Another file than the blocked one: its type and size are not the blocked file's.
  if (name !== undefined && typeof file.file_name === 'string' && file.file_name !== name) return;
  if (name === undefined && typeof file.file_name === 'string') setField(event, 'file.name', file.file_name);
  if (typeof file.content_type === 'string') setField(event, 'file.mime_type', file.content_type);
  const size = file.file_size;
  if (getField(event, 'file.size') === undefined && Number.isSafeInteger(size) && (size as number) > 0) {
    setField(event, 'file.size', size);
  }
}
