/**
 * Conformance with SEKOIA.IO's Cloudflare intake-format test vectors, read from `../shared/conformance/sekoia/`
 * (third-party data without a licence: read in place, never copied into the project; see its README and NOTES.md).
 *
 * Comparison follows SEKOIA's own harness (NOTES.md §3): `sekoiaio.*` and `event.id` dropped, `message` ignored,
 * lists compared without regard to order, and the field set must match exactly. Before comparing, our event is
 * normalised by the documented {@link NORMALISATION} rules, which remove what this project adds on purpose to every
 * event. Every difference that remains must be listed in {@link DELIBERATE_DIFFERENCES} with its reason, and every
 * listed difference must still occur: the table is the exact, current list of where we differ and why.
 *
 * The vectors run through the mapper of the dataset their folder names, as SEKOIA runs them, including the ones
 * that hold another dataset's event (access_requests test_1/2 are audit-log events, NOTES.md §6).
 * Set CF_LOGS_SKIP_CONFORMANCE=1 to skip when `../shared` is absent (CI always has it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../lambdas/core/ecs.ts';
import { parseEventTime } from '../../lambdas/core/time.ts';
import { type DatasetName, isDatasetName } from '../../lambdas/datasets/catalog.ts';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import { TIMESTAMP_FROM_OBJECT_TAG } from '../../lambdas/datasets/mapper.ts';

const ROOT = new URL('../../../shared/conformance/sekoia/', import.meta.url);
const SKIP = process.env.CF_LOGS_SKIP_CONFORMANCE === '1';
// Maintenance aid: CF_LOGS_PRINT_DIFFERENCES=1 prints every difference found, as a row to review for the table.
const PRINT = process.env.CF_LOGS_PRINT_DIFFERENCES === '1';

type Reason = 'upstream mapping bug' | "another dataset's event in the vector" | 'better ECS choice';

/** One field where our normalised event and SEKOIA's expected event differ on purpose. */
interface Difference {
  /** `<format>/<file>` of the vector. */
  readonly vector: string;
  /** Dotted field path (`cloudflare.<Name>` is one leaf). */
  readonly path: string;
  /** Our value after normalisation; undefined when we do not set the field. */
  readonly ours: unknown;
  /** SEKOIA's expected value; undefined when they do not set it. */
  readonly theirs: unknown;
  readonly reason: Reason;
  /** Why, in a few words. */
  readonly note: string;
}

/**
 * The vendor keys each SEKOIA format keeps under `cloudflare.*` (their taxonomy, `_meta/fields.yml`, filters the
 * rest; NOTES.md §4 "Taxonomy filter"). The taxonomy files are not in the corpus: these are the names NOTES.md §5-6
 * and the expected outputs show. Our own `cloudflare.*` keys outside these lists are additions (nothing lost) and are
 * not compared.
 */
const SEKOIA_VENDOR_KEYS: Readonly<Record<string, readonly string[]>> = {
  access_requests: [
    'AppUUID',
    'Connection',
    'PurposeJustificationPrompt',
    'PurposeJustificationResponse',
    'RayID',
    'TemporaryAccessApprovers',
    'TemporaryAccessDuration',
  ],
  audit_logs: [
    'ActionResult',
    'ActorType',
    'ID',
    'Interface',
    'ResourceID',
    'ResourceType',
    'request_client_default',
    'request_name',
    'request_networks',
    'zone_name',
    'zone_tag',
  ],
  // None of them is in the vectors (NOTES.md §6 dns_logs).
  dns_logs: ['ColoCode', 'EDNSSubnet', 'EDNSSubnetLength', 'ResponseCached'],
  // Declared in lower case by SEKOIA, so the input's ClientASNDescription/MatchIndex/Metadata never appear.
  firewall_events: [
    'ClientIPClass',
    'EdgeColoCode',
    'EdgeResponseStatus',
    'Kind',
    'OriginResponseStatus',
    'OriginatorRayID',
    'RayID',
    'source',
    'clientASNDescription',
    'matchIndex',
    'metadata',
  ],
  gateway_dns: [
    'ApplicationID',
    'ColoCode',
    'ColoID',
    'Location',
    'LocationID',
    'QueryCategoryIDs',
    'QueryCategoryNames',
    'QueryNameReversed',
    'QuerySize',
    'QueryType',
    'RData',
    'ResolverDecision',
    'TimeZoneInferredMethod',
  ],
  // SEKOIA declares InternalSourceIP, a name Cloudflare does not log (SourceInternalIP); file_list is FileInfo.files.
  gateway_http: [
    'BlockedFileReason',
    'DownloadedFileNames',
    'InternalSourceIP',
    'IsIsolated',
    'PolicyID',
    'PolicyName',
    'RequestID',
    'UntrustedCertificateAction',
    'UploadedFileNames',
    'file_list',
  ],
  gateway_network: ['InternalSourceIP', 'OverrideIP', 'OverridePort', 'PolicyID', 'PolicyName', 'SessionID'],
  // A 90-name taxonomy (NOTES.md §6) of which the vectors show these.
  http_requests: [
    'ClientIP',
    'ClientRequestHost',
    'ClientRequestMethod',
    'ClientRequestURI',
    'EdgeEndTimestamp',
    'EdgeResponseBytes',
    'EdgeResponseStatus',
    'EdgeStartTimestamp',
    'RayID',
    'WAFProfile',
    'WorkerCPUTime',
    'WorkerStatus',
    'WorkerSubrequest',
    'WorkerSubrequestCount',
    'ZoneID',
    'ZoneName',
  ],
};

/**
 * What is removed from or evened out in our event before comparing, and why. These are the project's additions
 * to every event (DESIGN.md "Output shape") and engine-side renderings, not mapping decisions of one dataset.
 */
const NORMALISATION: readonly string[] = [
  'ecs.version, event.kind, event.id: added to every event by design (SEKOIA never sets event.kind, NOTES §4)',
  'event.outcome where SEKOIA has none: only their access_requests parser sets it (NOTES §4)',
  'event.duration: our engine computes it from event.start/end; SEKOIA’s engine does not',
  '@timestamp and tags when tagged timestamp_from_object: the object-time fallback; SEKOIA leaves @timestamp unset',
  'related.user: our engine collects it from user.*; SEKOIA’s collects only ip/hosts/hash (NOTES §4)',
  'user_agent.os.full: added by our user-agent parser',
  'user_agent name/version/os/device values: different parser libraries spell them differently ("UCBrowser" vs ' +
    '"UC Browser", "11.0.5.850" vs "11.0.5"); compared by presence only',
  'cloudflare.* keys SEKOIA’s taxonomy does not declare (SEKOIA_VENDOR_KEYS): our additions, nothing lost',
  'cloudflare.* scalars compared as strings: SEKOIA’s taxonomy turns keyword vendor fields into strings (NOTES §4)',
  'date fields (@timestamp, event.start, event.end) compared as instants: ".671000Z" and ".671000000Z" are one time',
];

const DATE_PATHS = new Set(['@timestamp', 'event.start', 'event.end']);
const UA_PARSED = ['name', 'version', 'os.name', 'os.version', 'device.name'].map((p) => `user_agent.${p}`);
const PARSED = '<parsed>';

const UPSTREAM: Reason = 'upstream mapping bug';
const OTHER: Reason = "another dataset's event in the vector";
const BETTER: Reason = 'better ECS choice';

function d(
  vector: string,
  path: string,
  ours: unknown,
  theirs: unknown,
  reason: Reason,
  note: string,
): Difference {
  return { vector, path, ours, theirs, reason, note };
}

/**
 * Every remaining difference, and why (NOTES.md §6 describes SEKOIA's side of each). Reasons:
 * "upstream mapping bug" (their parser means to map it and does not), "another dataset's event in the vector",
 * "better ECS choice" (where we map more, or differently, on purpose).
 */
// biome-ignore format: one difference per line, read as a table
const DELIBERATE_DIFFERENCES: readonly Difference[] = [
  d('access_requests/test_1.json', 'event.action', undefined, 'gateway_update', OTHER, 'SEKOIA’s access parser reads ActionType, an audit-log field; Access events carry Action'),
  d('access_requests/test_1.json', 'event.outcome', 'unknown', 'success', OTHER, 'no Allowed in an audit event; SEKOIA reads the audit ActionResult'),
  d('access_requests/test_1.json', 'related.ip', undefined, ['1.2.3.4'], OTHER, 'follows source.ip'),
  d('access_requests/test_1.json', 'source.address', undefined, '1.2.3.4', OTHER, 'follows source.ip'),
  d('access_requests/test_1.json', 'source.ip', undefined, '1.2.3.4', OTHER, 'the audit ActorIP; Access events carry IPAddress'),
  d('access_requests/test_1.json', 'user.email', undefined, 'admin@example.com', OTHER, 'the audit ActorEmail; Access events carry Email'),
  d('access_requests/test_2.json', 'event.action', undefined, 'gateway_update', OTHER, 'SEKOIA’s access parser reads ActionType, an audit-log field; Access events carry Action'),
  d('access_requests/test_2.json', 'event.outcome', 'unknown', 'success', OTHER, 'no Allowed in an audit event; SEKOIA reads the audit ActionResult'),
  d('access_requests/test_2.json', 'related.ip', undefined, ['1.2.3.4'], OTHER, 'follows source.ip'),
  d('access_requests/test_2.json', 'source.address', undefined, '1.2.3.4', OTHER, 'follows source.ip'),
  d('access_requests/test_2.json', 'source.ip', undefined, '1.2.3.4', OTHER, 'the audit ActorIP; Access events carry IPAddress'),
  d('access_requests/test_2.json', 'user.email', undefined, 'admin@example.com', OTHER, 'the audit ActorEmail; Access events carry Email'),
  d('access_requests/test_access.json', 'related.hosts', ['sekoiaio.cloudflareaccess.com'], ['sekoiaio.cloudflareaccess.com/cdn-cgi/access/sso/saml/c4d0a525391e32821996da07ec86781977836c14341048dd16c4bb8173741238'], BETTER, 'follows url.domain'),
  d('access_requests/test_access.json', 'source.geo.country_iso_code', 'FR', undefined, BETTER, 'the access mapper maps Country; SEKOIA leaves it out'),
  d('access_requests/test_access.json', 'url.domain', 'sekoiaio.cloudflareaccess.com', 'sekoiaio.cloudflareaccess.com/cdn-cgi/access/sso/saml/c4d0a525391e32821996da07ec86781977836c14341048dd16c4bb8173741238', BETTER, 'AppDomain carries a path: url.domain is the host alone (ECS)'),
  d('access_requests/test_access.json', 'url.path', '/cdn-cgi/access/sso/saml/c4d0a525391e32821996da07ec86781977836c14341048dd16c4bb8173741238', undefined, BETTER, 'the path part of AppDomain'),
  d('audit_logs/test_gateway_create.json', 'event.category', ['configuration'], ['network'], BETTER, 'an audit entry is a configuration change (ECS), not network traffic'),
  d('audit_logs/test_gateway_create.json', 'event.type', ['creation'], ['access'], BETTER, 'creation/change/deletion/access from the ActionType verb, not a fixed access'),
  d('audit_logs/test_gateway_create_location.json', 'event.category', ['configuration'], ['network'], BETTER, 'an audit entry is a configuration change (ECS), not network traffic'),
  d('audit_logs/test_gateway_create_location.json', 'event.type', ['creation'], ['access'], BETTER, 'creation/change/deletion/access from the ActionType verb, not a fixed access'),
  d('audit_logs/test_gateway_update.json', 'event.category', ['configuration'], ['network'], BETTER, 'an audit entry is a configuration change (ECS), not network traffic'),
  d('audit_logs/test_gateway_update.json', 'event.type', ['change'], ['access'], BETTER, 'creation/change/deletion/access from the ActionType verb, not a fixed access'),
  d('audit_logs/test_job_create.json', 'event.category', ['configuration'], ['network'], BETTER, 'an audit entry is a configuration change (ECS), not network traffic'),
  d('audit_logs/test_job_create.json', 'event.type', ['creation'], ['access'], BETTER, 'creation/change/deletion/access from the ActionType verb, not a fixed access'),
  d('audit_logs/test_job_update.json', 'event.category', ['configuration'], ['network'], BETTER, 'an audit entry is a configuration change (ECS), not network traffic'),
  d('audit_logs/test_job_update.json', 'event.type', ['change'], ['access'], BETTER, 'creation/change/deletion/access from the ActionType verb, not a fixed access'),
  d('dns_logs/dns_type_1.json', 'network.protocol', 'dns', undefined, BETTER, 'every line is a DNS query, as SEKOIA says for gateway_dns'),
  d('dns_logs/dns_type_2.json', 'network.protocol', 'dns', undefined, BETTER, 'every line is a DNS query, as SEKOIA says for gateway_dns'),
  d('dns_logs/dns_type_28.json', 'network.protocol', 'dns', undefined, BETTER, 'every line is a DNS query, as SEKOIA says for gateway_dns'),
  d('dns_logs/dns_type_65535.json', 'network.protocol', 'dns', undefined, BETTER, 'every line is a DNS query, as SEKOIA says for gateway_dns'),
  d('dns_logs/dns_type_65535.json', 'dns.question.type', 'TYPE65353', undefined, BETTER, 'a type without a mnemonic is written TYPE<n> (RFC 3597), not left out'),
  d('firewall_events/403.json', 'cloudflare.EdgeResponseStatus', undefined, 403, BETTER, 'mapped to http.response.status_code; no vendor duplicate'),
  d('firewall_events/403.json', 'event.dataset', 'firewall_events', 'firewall-events', UPSTREAM, 'SEKOIA spells this one dataset with a hyphen'),
  d('firewall_events/403.json', 'http.request.id', '7299f155dda47d6b', undefined, BETTER, 'RayID is the request id (cf-ray), kept as cloudflare.RayID too'),
  d('firewall_events/block.json', 'cloudflare.EdgeResponseStatus', undefined, 403, BETTER, 'mapped to http.response.status_code; no vendor duplicate'),
  d('firewall_events/block.json', 'cloudflare.source', undefined, 'waf', BETTER, 'Source is in rule.ruleset and event.module; no lower-case vendor duplicate'),
  d('firewall_events/block.json', 'event.dataset', 'firewall_events', 'firewall-events', UPSTREAM, 'SEKOIA spells this one dataset with a hyphen'),
  d('firewall_events/block.json', 'http.request.id', '77280bee38a6c461', undefined, BETTER, 'RayID is the request id (cf-ray), kept as cloudflare.RayID too'),
  d('firewall_events/block.json', 'http.version', '1.1', 'HTTP/1.1', BETTER, 'ECS http.version is the bare version ("1.1")'),
  d('firewall_events/block.json', 'network.protocol', 'http', 'HTTP/1.1', BETTER, 'ECS network.protocol is the lower-case protocol name'),
  d('firewall_events/block.json', 'rule.id', '100016', undefined, UPSTREAM, 'SEKOIA reads RuleId, the field is RuleID: never mapped'),
  d('firewall_events/block.json', 'rule.ruleset', 'waf', undefined, BETTER, 'the security product whose rule matched'),
  d('firewall_events/block.json', 'source.as.number', 4562, undefined, UPSTREAM, 'SEKOIA misspells the reference (jjson_event): never mapped'),
  d('firewall_events/block.json', 'source.as.organization.name', 'PERFORMIVE', undefined, BETTER, 'ClientASNDescription is the AS name; SEKOIA leaves it out'),
  d('firewall_events/block.json', 'source.geo.country_iso_code', 'US', undefined, UPSTREAM, 'a 2-letter code, upper-cased; SEKOIA puts it in country_name'),
  d('firewall_events/block.json', 'source.geo.country_name', undefined, 'us', UPSTREAM, 'SEKOIA puts the 2-letter code here; it is country_iso_code'),
  d('firewall_events/block.json', 'url.full', 'http://foo-bar-baz.xyz/.env', undefined, BETTER, 'built from scheme, host and path'),
  d('firewall_events/block.json', 'url.port', 80, undefined, BETTER, 'the scheme’s default port, as the engine does for full URLs (NOTES §4)'),
  d('gateway_dns/test_dns.json', 'cloudflare.ResolverDecision', undefined, 'allowedOnNoPolicyMatch', BETTER, 'mapped to event.action; no vendor duplicate'),
  d('gateway_dns/test_dns.json', 'dns.question.subdomain', undefined, 'ip-111-30-40-252.eu-west-3.compute', BETTER, 'internal is not a public suffix: no domain split at all'),
  d('gateway_dns/test_dns.json', 'event.action', 'allowedOnNoPolicyMatch', undefined, BETTER, 'the resolver decision is what Gateway did with the query'),
  d('gateway_dns/test_dns.json', 'event.type', ['allowed', 'info'], ['info'], BETTER, 'allowed/denied from the decision, beside info'),
  d('gateway_dns/test_dns_device.json', 'cloudflare.ResolverDecision', undefined, 'allowedOnNoPolicyMatch', BETTER, 'mapped to event.action; no vendor duplicate'),
  d('gateway_dns/test_dns_device.json', 'dns.resolved_ip', undefined, [], BETTER, 'no empty values in events: an empty list is left out'),
  d('gateway_dns/test_dns_device.json', 'event.action', 'allowedOnNoPolicyMatch', undefined, BETTER, 'the resolver decision is what Gateway did with the query'),
  d('gateway_dns/test_dns_device.json', 'event.type', ['allowed', 'info'], ['info'], BETTER, 'allowed/denied from the decision, beside info'),
  d('gateway_dns/test_dns_device.json', 'network.transport', undefined, 'https', BETTER, 'https (DoH) is not a transport: cloudflare.Protocol keeps it'),
  d('gateway_http/test_blocked_file.json', 'cloudflare.file_list', undefined, [{ action: 'none', content_type: 'application/octet-stream', direction: 'download', file_name: 'mimikatz_trunk.zip', file_size: 0 }], BETTER, 'FileInfo is kept whole under its own name, its one file in file.*'),
  d('gateway_http/test_blocked_file.json', 'event.type', ['denied'], ['info'], UPSTREAM, 'SEKOIA maps only deny to denied; Gateway logs block'),
  d('gateway_http/test_blocked_file.json', 'file.mime_type', 'application/octet-stream', undefined, BETTER, 'content_type of the one file FileInfo lists'),
  d('gateway_http/test_blocked_file.json', 'file.name', 'mimikatz_trunk.zip', undefined, BETTER, 'file_name of the one file FileInfo lists (BlockedFileName is empty)'),
  d('gateway_http/test_blocked_file.json', 'http.request.id', '184ee7e16800003d0d86472000000001', undefined, BETTER, 'RequestID is the request id, kept as cloudflare.RequestID too'),
  d('gateway_http/test_blocked_file.json', 'http.version', '2', 'HTTP/2', BETTER, 'ECS http.version is the bare version ("2")'),
  d('gateway_http/test_blocked_file.json', 'user_agent.name', '<parsed>', undefined, UPSTREAM, 'follows user_agent.original'),
  d('gateway_http/test_blocked_file.json', 'user_agent.original', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36 Edg/112.0.1722.64', undefined, UPSTREAM, 'SEKOIA reads UserAgent from the wrong object: never mapped'),
  d('gateway_http/test_blocked_file.json', 'user_agent.os.name', '<parsed>', undefined, UPSTREAM, 'follows user_agent.original'),
  d('gateway_http/test_blocked_file.json', 'user_agent.os.version', '<parsed>', undefined, UPSTREAM, 'follows user_agent.original'),
  d('gateway_http/test_blocked_file.json', 'user_agent.version', '<parsed>', undefined, UPSTREAM, 'follows user_agent.original'),
  d('gateway_http/test_http.json', 'file.size', undefined, 0, BETTER, 'no blocked file in the request: BlockedFileSize 0 stays cloudflare.BlockedFileSize'),
  d('gateway_http/test_http.json', 'http.request.id', '1725de5f0b000021551771e400000001', undefined, BETTER, 'RequestID is the request id, kept as cloudflare.RequestID too'),
  d('gateway_http/test_http.json', 'http.version', '2', 'HTTP/2', BETTER, 'ECS http.version is the bare version ("2")'),
  d('gateway_http/test_http.json', 'user_agent.original', 'curl/7.81.0', undefined, UPSTREAM, 'SEKOIA reads UserAgent from the wrong object: never mapped'),
  d('gateway_http/test_http_2.json', 'event.type', ['allowed', 'info'], ['info'], OTHER, 'a gateway_network session; allowedOnNoRuleMatch lets it through, as SEKOIA’s gateway_network says'),
  d('gateway_network/test_network.json', 'destination.registered_domain', 'twitter.com', undefined, BETTER, 'domain split of destination.domain; SEKOIA’s engine splits it only when it fills the address'),
  d('gateway_network/test_network.json', 'destination.subdomain', 'www', undefined, BETTER, 'domain split of destination.domain; SEKOIA’s engine splits it only when it fills the address'),
  d('gateway_network/test_network.json', 'destination.top_level_domain', 'com', undefined, BETTER, 'domain split of destination.domain; SEKOIA’s engine splits it only when it fills the address'),
  d('gateway_network/test_network_device.json', 'destination.registered_domain', 'testcategory.com', undefined, BETTER, 'domain split of destination.domain; SEKOIA’s engine splits it only when it fills the address'),
  d('gateway_network/test_network_device.json', 'destination.subdomain', 'commandandcontrolandbotnet', undefined, BETTER, 'domain split of destination.domain; SEKOIA’s engine splits it only when it fills the address'),
  d('gateway_network/test_network_device.json', 'destination.top_level_domain', 'com', undefined, BETTER, 'domain split of destination.domain; SEKOIA’s engine splits it only when it fills the address'),
  d('http_requests/http.json', '@timestamp', '2022-07-20T01:47:51.671000000Z', undefined, BETTER, 'the request’s arrival is its event time; SEKOIA leaves @timestamp unset'),
  d('http_requests/http.json', 'cloudflare.ClientIP', undefined, '34.142.121.18', BETTER, 'mapped to source.ip; no vendor duplicate'),
  d('http_requests/http.json', 'cloudflare.ClientRequestHost', undefined, 'foo-bar-baz.xyz', BETTER, 'mapped to destination.address and url.domain; no vendor duplicate'),
  d('http_requests/http.json', 'cloudflare.ClientRequestMethod', undefined, 'GET', BETTER, 'mapped to http.request.method; no vendor duplicate'),
  d('http_requests/http.json', 'cloudflare.ClientRequestURI', undefined, '/wp1/wp-includes/wlwmanifest.xml', BETTER, 'mapped to url.original; no vendor duplicate'),
  d('http_requests/http.json', 'cloudflare.EdgeEndTimestamp', undefined, '1658281702371000000', BETTER, 'mapped to event.end; no vendor duplicate'),
  d('http_requests/http.json', 'cloudflare.EdgeResponseBytes', undefined, 279, BETTER, 'mapped to http.response.bytes; no vendor duplicate'),
  d('http_requests/http.json', 'cloudflare.EdgeResponseStatus', undefined, 522, BETTER, 'mapped to http.response.status_code; no vendor duplicate'),
  d('http_requests/http.json', 'cloudflare.EdgeStartTimestamp', undefined, '1658281671671000000', BETTER, 'mapped to @timestamp and event.start; no vendor duplicate'),
  d('http_requests/http.json', 'http.request.id', '72d807ffeba5753d', undefined, BETTER, 'RayID is the request id (cf-ray), kept as cloudflare.RayID too'),
  d('http_requests/http.json', 'related.hosts', ['foo-bar-baz.xyz'], undefined, BETTER, 'follows url.domain'),
  d('http_requests/http.json', 'url.domain', 'foo-bar-baz.xyz', undefined, BETTER, 'the requested host, as firewall_events maps it'),
  d('http_requests/http.json', 'url.original', '/wp1/wp-includes/wlwmanifest.xml', undefined, BETTER, 'ClientRequestURI is the URL as requested (path and query)'),
  d('http_requests/http.json', 'url.registered_domain', 'foo-bar-baz.xyz', undefined, BETTER, 'domain split of url.domain'),
  d('http_requests/http.json', 'url.top_level_domain', 'xyz', undefined, BETTER, 'domain split of url.domain'),
];

interface Vector {
  readonly format: string;
  readonly file: string;
  readonly message: string;
  readonly expected: EcsEvent;
}

function loadVectors(format: string): Vector[] {
  const dir = new URL(`${format}/`, ROOT);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const data = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as {
        input: { message: string };
        expected: EcsEvent;
      };
      return { format, file, message: data.input.message, expected: data.expected };
    });
}

/** Flattens an event to leaf paths; arrays and `cloudflare.<Name>` values are leaves. */
function flatten(node: EcsEvent, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, value] of Object.entries(node)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const leaf =
      prefix === 'cloudflare' || Array.isArray(value) || typeof value !== 'object' || value === null;
    if (leaf) out.set(path, value);
    else flatten(value as EcsEvent, path, out);
  }
  return out;
}

function theirSide(expected: EcsEvent): Map<string, unknown> {
  const fields = flatten(expected);
  for (const path of [...fields.keys()]) {
    if (path === 'message' || path === 'event.id' || path.startsWith('sekoiaio.')) fields.delete(path);
  }
  for (const path of UA_PARSED) if (fields.has(path)) fields.set(path, PARSED);
  return fields;
}

function ourSide(event: EcsEvent, format: string, theirs: Map<string, unknown>): Map<string, unknown> {
  const fields = flatten(event);
  for (const path of ['ecs.version', 'event.kind', 'event.id', 'event.duration', 'related.user']) {
    fields.delete(path);
  }
  fields.delete('user_agent.os.full');
  if (!theirs.has('event.outcome')) fields.delete('event.outcome');
  const tags = fields.get('tags');
  if (Array.isArray(tags) && tags.length === 1 && tags[0] === TIMESTAMP_FROM_OBJECT_TAG) {
    fields.delete('tags');
    fields.delete('@timestamp');
  }
  const declared = new Set(SEKOIA_VENDOR_KEYS[format] ?? []);
  for (const path of [...fields.keys()]) {
    if (path.startsWith('cloudflare.') && !declared.has(path.slice('cloudflare.'.length)))
      fields.delete(path);
  }
  for (const path of UA_PARSED) if (fields.has(path)) fields.set(path, PARSED);
  return fields;
}

/** A canonical rendering: object keys sorted, lists sorted (order-insensitive, as SEKOIA's harness). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).sort().join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function sameValue(path: string, ours: unknown, theirs: unknown): boolean {
  if (ours === undefined || theirs === undefined) return ours === theirs;
  if (DATE_PATHS.has(path)) return parseEventTime(ours)?.ns === parseEventTime(theirs)?.ns;
  if (path.startsWith('cloudflare.') && typeof ours !== 'object' && typeof theirs !== 'object') {
    return String(ours) === String(theirs);
  }
  return canonical(ours) === canonical(theirs);
}

interface Comparison {
  readonly differences: Omit<Difference, 'reason' | 'note'>[];
  readonly compared: number;
  readonly agreeing: number;
}

function compare(vector: Vector): Comparison {
  const mapper = MAPPERS[vector.format as DatasetName]!;
  const line = vector.message.trim();
  const event = mapper.map(JSON.parse(line), {
    line,
    fallbackTime: { ns: 1_767_225_600_000_000_000n, iso: '2026-01-01T00:00:00.000Z' },
  });
  const theirs = theirSide(vector.expected);
  const ours = ourSide(event, vector.format, theirs);
  const paths = [...new Set([...ours.keys(), ...theirs.keys()])].sort();
  const differences = paths
    .filter((path) => !sameValue(path, ours.get(path), theirs.get(path)))
    .map((path) => ({
      vector: `${vector.format}/${vector.file}`,
      path,
      ours: ours.get(path),
      theirs: theirs.get(path),
    }));
  return { differences, compared: paths.length, agreeing: paths.length - differences.length };
}

const key = (d: Omit<Difference, 'reason' | 'note'>) =>
  `${d.vector} ${d.path} ours=${canonical(d.ours)} theirs=${canonical(d.theirs)}`;

if (!existsSync(ROOT)) {
  const where = fileURLToPath(ROOT);
  if (SKIP) {
    console.log(`SEKOIA conformance SKIPPED: ${where} is absent and CF_LOGS_SKIP_CONFORMANCE=1`);
    describe.skip(`SEKOIA conformance (skipped: ${where} absent, CF_LOGS_SKIP_CONFORMANCE=1)`, () => {
      it('compares every vector', () => {});
    });
  } else {
    describe('SEKOIA conformance', () => {
      it('finds the SEKOIA corpus', () => {
        throw new Error(
          `SEKOIA conformance corpus not found at ${where}: CI always has ../shared beside the repository. ` +
            'Set CF_LOGS_SKIP_CONFORMANCE=1 to skip these tests on a machine without it.',
        );
      });
    });
  }
} else {
  const formats = readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const summary: string[] = [];

  describe('SEKOIA conformance', () => {
    afterAll(() => {
      const byReason = new Map<Reason, number>();
      for (const d of DELIBERATE_DIFFERENCES) byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + 1);
      console.log(
        [
          'SEKOIA conformance summary, after normalising our events by:',
          ...NORMALISATION.map((rule) => `  - ${rule}`),
          ...summary,
          `  deliberate differences: ${DELIBERATE_DIFFERENCES.length} (${[...byReason]
            .map(([reason, n]) => `${reason}: ${n}`)
            .join(', ')})`,
        ].join('\n'),
      );
    });

    it('lists every difference once, for a vector that exists, with values that mean something', () => {
      const seen = new Set<string>();
      for (const d of DELIBERATE_DIFFERENCES) {
        expect(seen.has(key(d)), key(d)).toBe(false);
        seen.add(key(d));
        expect(existsSync(new URL(d.vector, ROOT)), d.vector).toBe(true);
        expect(d.ours !== undefined || d.theirs !== undefined, key(d)).toBe(true);
        expect(d.note.length, key(d)).toBeGreaterThan(0);
      }
    });

    for (const format of formats) {
      if (!isDatasetName(format)) {
        // A format named after no Logpush dataset (SEKOIA added one?): say so rather than pass quietly.
        it(`${format}: names a Logpush dataset`, () => {
          expect.fail(
            `SEKOIA format ${format} is not a Logpush dataset name; map its folder to a dataset here`,
          );
        });
        continue;
      }
      describe(format, () => {
        const vectors = loadVectors(format);
        let agreeingVectors = 0;
        let compared = 0;
        let agreeing = 0;
        afterAll(() => {
          summary.push(
            `  ${format}: ${vectors.length} vectors, ${agreeingVectors} fully agreeing; ` +
              `${compared} fields compared, ${agreeing} agreeing`,
          );
        });
        for (const vector of vectors) {
          const name = `${format}/${vector.file}`;
          it(`${name} agrees except for the listed deliberate differences`, () => {
            const result = compare(vector);
            compared += result.compared;
            agreeing += result.agreeing;
            if (result.differences.length === 0) agreeingVectors++;
            if (PRINT) for (const d of result.differences) console.log(`DIFF ${JSON.stringify(d)}`);
            const listed = DELIBERATE_DIFFERENCES.filter((d) => d.vector === name)
              .map(key)
              .sort();
            expect(result.differences.map(key).sort()).toEqual(listed);
          });
        }
      });
    }
  });
}
