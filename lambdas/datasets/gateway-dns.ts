import { getField, setField } from '../core/ecs.ts';
import { dnsClassName, dnsQuestionName, dnsResponseCodeName, dnsTypeName } from './dns-codes.ts';
import { defineMapper } from './mapper.ts';

/**
 * `gateway_dns`: one line per DNS query answered by Cloudflare Zero Trust Gateway (account-scoped).
 * Fields: `../shared/cloudflare/gateway_dns.md`. Output follows SEKOIA's shape (`NOTES.md` §6 gateway_dns:
 * category network, observer.type dns, network.protocol dns) plus the resolver's decision as the event's action.
 *
 * ResolverDecision is what Gateway did with the query, so it is `event.action` (as gateway_http/network's Action
 * is for SEKOIA) and it sets `event.type`/`event.outcome`: blocked* → denied/failure, allowed* → allowed/success,
 * override* (SafeSearch, an override IP) → the query was answered, success; anything else → info/unknown.
 * The outcome is the policy's, not the resolution's: an allowed query answered NXDomain is still a success.
 */
export const gatewayDns = defineMapper({
  dataset: 'gateway_dns',
  observerType: 'dns',
  category: ['network'],
  type: ['info'],
  idFields: ['QueryID'],
  // Datetime alone is shared by all gateway_* datasets; these names are only in DNS logs.
  signature: {
    all: ['Datetime'],
    any: ['QueryName', 'QueryID', 'ResolverDecision', 'QueryType', 'QueryTypeName', 'RCode', 'ResolvedIPs'],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    ApplicationID: { type: 'int' },
    ApplicationName: { type: 'string' },
    AppliedMaxTTL: { type: 'int' },
    AuthoritativeNameServerIPs: { type: 'string[]' },
    CNAMECategoryIDs: { type: 'int[]' },
    CNAMECategoryNames: { type: 'string[]' },
    CNAMEs: { type: 'string[]' },
    CNAMEsReversed: { type: 'string[]' },
    ColoCode: { type: 'string' },
    ColoID: { type: 'int' },
    CustomResolveDurationMs: { type: 'int' },
    CustomResolverAddress: { type: 'string' },
    CustomResolverPolicyID: { type: 'string' }, // deprecated for ResolverPolicyID
    CustomResolverPolicyName: { type: 'string' }, // deprecated for ResolverPolicyName
    CustomResolverResponse: { type: 'string' },
    Datetime: { type: 'time', to: '@timestamp' },
    DeviceID: { type: 'string', to: 'device.id' },
    DeviceName: { type: 'string', to: 'host.hostname' },
    DoHSubdomain: { type: 'string' },
    DoTSubdomain: { type: 'string' },
    DstIP: { type: 'string', to: 'destination.ip' },
    DstPort: { type: 'int', to: 'destination.port' },
    EDEErrors: { type: 'int[]' },
    Email: { type: 'string', to: 'user.email' },
    InitialCategoryIDs: { type: 'int[]' },
    InitialCategoryNames: { type: 'string[]' },
    InitialResolvedIPs: { type: 'string[]' },
    InternalDNSDurationMs: { type: 'int' },
    InternalDNSFallbackStrategy: { type: 'string' },
    InternalDNSRCode: { type: 'int' },
    InternalDNSViewID: { type: 'string' },
    InternalDNSZoneID: { type: 'string' },
    IsResponseCached: { type: 'bool' },
    Location: { type: 'string' },
    LocationID: { type: 'string' },
    MatchedCategoryIDs: { type: 'int[]' },
    MatchedCategoryNames: { type: 'string[]' },
    MatchedIndicatorFeedIDs: { type: 'int[]' },
    MatchedIndicatorFeedNames: { type: 'string[]' },
    // Documented as a name but exemplified with a UUID: kept as it is; PolicyID/PolicyName are its successors.
    Policy: { type: 'string' }, // deprecated
    PolicyID: { type: 'string', to: 'rule.id' },
    PolicyName: { type: 'string', to: 'rule.name' },
    // Kept (udp, tcp, https = DoH, tls = DoT); network.transport is derived in refine.
    Protocol: { type: 'string' },
    QueryApplicationIDs: { type: 'int[]' },
    QueryApplicationNames: { type: 'string[]' },
    QueryCategoryIDs: { type: 'int[]' },
    QueryCategoryNames: { type: 'string[]' },
    // Cloudflare's own id, not the 16-bit DNS message id that ECS dns.id holds.
    QueryID: { type: 'string' },
    QueryIndicatorFeedIDs: { type: 'int[]' },
    QueryIndicatorFeedNames: { type: 'string[]' },
    QueryName: { type: 'string', to: 'dns.question.name' },
    QueryNameReversed: { type: 'string' },
    QuerySize: { type: 'int' },
    // Kept; the mnemonic stands in for a missing QueryTypeName (refine).
    QueryType: { type: 'int' },
    QueryTypeName: { type: 'string', to: 'dns.question.type' },
    // → dns.response_code by name in refine (kept when the registry has no name for it).
    RCode: { type: 'int' },
    RData: { type: 'object[]' }, // deprecated for ResourceRecords
    RedirectTargetURI: { type: 'string' },
    RegistrationID: { type: 'string' },
    RequestContextCategoryIDs: { type: 'int[]' },
    RequestContextCategoryNames: { type: 'string[]' },
    ResolvedIPCategoryIDs: { type: 'int[]' },
    ResolvedIPCategoryNames: { type: 'string[]' },
    ResolvedIPContinentCodes: { type: 'string[]' },
    ResolvedIPCountryCodes: { type: 'string[]' },
    ResolvedIPs: { type: 'string[]', to: 'dns.resolved_ip' },
    ResolverDecision: { type: 'string', to: 'event.action' },
    ResolverPolicyID: { type: 'string' },
    ResolverPolicyName: { type: 'string' },
    ResourceRecords: { type: 'object[]' },
    // → dns.answers in refine (kept when it is not the documented JSON list).
    ResourceRecordsJSON: { type: 'string' },
    // Kept, and as event.duration (nanoseconds) in refine.
    ResponseTimeMs: { type: 'int' },
    SrcIP: { type: 'string', to: 'source.ip' },
    SrcIPContinentCode: { type: 'string', to: 'source.geo.continent_code' },
    SrcIPCountryCode: { type: 'string', to: 'source.geo.country_iso_code' },
    SrcPort: { type: 'int', to: 'source.port' },
    TenantID: { type: 'string' },
    TimeZone: { type: 'string' },
    TimeZoneInferredMethod: { type: 'string' },
    UpstreamRecordTTLs: { type: 'int[]' },
    UserID: { type: 'string', to: 'user.id' },
  },
  derives: [
    'dns.answers',
    'dns.response_code',
    'event.duration',
    'event.outcome',
    'network.protocol',
    'network.transport',
  ],
  refine({ record, event, vendor }) {
    setField(event, 'network.protocol', 'dns');
    const transport =
      typeof record.Protocol === 'string' ? TRANSPORTS[record.Protocol.toLowerCase()] : undefined;
    setField(event, 'network.transport', transport);

    const name = getField(event, 'dns.question.name');
    if (typeof name === 'string') setField(event, 'dns.question.name', dnsQuestionName(name));
    if (getField(event, 'dns.question.type') === undefined && typeof vendor.QueryType === 'number') {
      setField(event, 'dns.question.type', dnsTypeName(vendor.QueryType));
    }
    if (typeof vendor.RCode === 'number') {
      const code = dnsResponseCodeName(vendor.RCode);
      if (code !== undefined) {
        setField(event, 'dns.response_code', code);
        // The name says the number (a one-to-one table): no need to keep both.
        vendor.RCode = undefined;
      }
    }
    const answers = dnsAnswers(vendor.ResourceRecordsJSON);
    if (answers) {
      setField(event, 'dns.answers', answers);
      vendor.ResourceRecordsJSON = undefined;
    }
    if (typeof vendor.ResponseTimeMs === 'number') {
      setField(event, 'event.duration', vendor.ResponseTimeMs * 1_000_000);
    }

    const decision = getField(event, 'event.action');
    if (typeof decision === 'string') {
      const { type, outcome } = decisionCategorization(decision);
      setField(event, 'event.type', type);
      setField(event, 'event.outcome', outcome);
    } else {
      setField(event, 'event.outcome', 'unknown');
    }
  },
});

// Cloudflare's Protocol is how the client reached the resolver. DoT runs over TCP (RFC 7858); DoH may be HTTP/2
// over TCP or HTTP/3 over QUIC/UDP, so "https" says nothing about the transport: SEKOIA copies it (NOTES §6),
// we leave network.transport unset and keep cloudflare.Protocol.
const TRANSPORTS: Readonly<Record<string, string>> = { udp: 'udp', tcp: 'tcp', tls: 'tcp' };

/** event.type and event.outcome for a Gateway ResolverDecision (see the module comment). */
export function decisionCategorization(decision: string): { type: string[]; outcome: string } {
  const d = decision.toLowerCase();
  if (d.startsWith('blocked')) return { type: ['denied', 'info'], outcome: 'failure' };
  if (d.startsWith('allowed')) return { type: ['allowed', 'info'], outcome: 'success' };
  if (d.startsWith('override')) return { type: ['info'], outcome: 'success' };
  return { type: ['info'], outcome: 'unknown' };
}

/**
 * ECS `dns.answers` from ResourceRecordsJSON, a JSON string of `{name, type, class, ttl, rdata}` records (the
 * documented shape): `rdata` becomes ECS `data`, the rest keeps its name, each in its ECS type (the lake's
 * `array<struct<name,type,class:string,ttl:bigint,data:string>>`). A type or class written as a number is
 * named (28 → AAAA, 1 → IN), a TTL written as digits is a number. Undefined when the string is not such a
 * list or a value cannot be converted, so the caller keeps the raw value.
 */
export function dnsAnswers(json: unknown): Record<string, unknown>[] | undefined {
  if (typeof json !== 'string' || json === '') return undefined;
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const answers: Record<string, unknown>[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
    const { name, type, class: klass, ttl, rdata } = item as Record<string, unknown>;
    const answer: Record<string, unknown> = {};
    for (const [key, value, convert] of [
      ['name', name, answerText],
      ['type', type, (v: unknown) => answerCode(v, dnsTypeName)],
      ['class', klass, (v: unknown) => answerCode(v, dnsClassName)],
      ['ttl', ttl, answerTtl],
      ['data', rdata, answerText],
    ] as const) {
      if (value === undefined || value === null || value === '') continue;
      const converted = convert(value);
      if (converted === undefined) return undefined;
      answer[key] = converted;
    }
    if (Object.keys(answer).length !== Object.keys(item).length) return undefined;
    answers.push(answer);
  }
  return answers;
}

function answerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
}

/** A type or class: a name as written, a number (or digits) by its registry name. */
function answerCode(value: unknown, nameOf: (code: number) => string): string | undefined {
  const code = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof code === 'number')
    return Number.isInteger(code) && code >= 0 && code <= 65535 ? nameOf(code) : undefined;
  return typeof code === 'string' ? code : undefined;
}

function answerTtl(value: unknown): number | undefined {
  const ttl = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  return typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl >= 0 ? ttl : undefined;
}
