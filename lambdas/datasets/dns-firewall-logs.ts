import { getField, setField } from '../core/ecs.ts';
import { dnsQuestionName, dnsResponseCodeName, dnsResponseOutcome, dnsTypeName } from './dns-codes.ts';
import { defineMapper } from './mapper.ts';

/**
 * `dns_firewall_logs`: one line per DNS query answered by DNS Firewall, Cloudflare's caching DNS proxy in front of
 * a customer's own nameservers (account-scoped). There is no field table in `../shared/cloudflare/`: this one was
 * written from Cloudflare's public Logpush field reference for the dataset (from memory, not from a saved copy).
 * The DNS fields mirror dns_logs and are the most certain; ClusterID, ResponseCachedStale and the Upstream* names
 * are less certain (a wrong name only means the field arrives as an unknown one, kept under cloudflare.*).
 *
 * Shaped like gateway_dns (observer.type dns, category network, network.protocol dns, dns.question.*). The answer
 * the client got (ClientResponseCode) sets `event.outcome` as in dns_logs (`dnsResponseOutcome`): NoError success,
 * any other code (NXDomain included) a failure, none unknown.
 * ResponseReason, Cloudflare's short account of how the query was handled, is `event.action`.
 */
export const dnsFirewallLogs = defineMapper({
  dataset: 'dns_firewall_logs',
  observerType: 'dns',
  category: ['network'],
  type: ['info'],
  // Timestamp is shared by many datasets and dns_logs has QueryName/QueryType/SourceIP too: these names are only
  // in DNS Firewall lines.
  signature: {
    all: ['Timestamp'],
    any: [
      'ClientResponseCode',
      'ClusterID',
      'QueryDO',
      'QueryRD',
      'QueryTCP',
      'ResponseCachedStale',
      'ResponseReason',
      'UpstreamIP',
      'UpstreamResponseCode',
      'UpstreamResponseTimeMs',
    ],
  },
  fields: {
    // → dns.response_code by name and event.outcome in refine; the number is kept (cloudflare.ClientResponseCode).
    ClientResponseCode: { type: 'int' },
    ClusterID: { type: 'string' },
    ColoCode: { type: 'string' },
    EDNSSubnet: { type: 'string' },
    EDNSSubnetLength: { type: 'int' },
    QueryDO: { type: 'bool' },
    QueryName: { type: 'string', to: 'dns.question.name' },
    QueryRD: { type: 'bool' },
    // The size of the client's query: what the source sent.
    QuerySize: { type: 'int', to: 'source.bytes' },
    // Kept, and network.transport tcp/udp in refine.
    QueryTCP: { type: 'bool' },
    // Kept; its mnemonic → dns.question.type in refine.
    QueryType: { type: 'int' },
    ResponseCached: { type: 'bool' },
    ResponseCachedStale: { type: 'bool' },
    ResponseReason: { type: 'string', to: 'event.action' },
    SourceIP: { type: 'string', to: 'source.ip' },
    Timestamp: { type: 'time', to: '@timestamp' },
    // The customer's nameserver the query was forwarded to: where the query went beyond the proxy.
    UpstreamIP: { type: 'string', to: 'destination.ip' },
    UpstreamResponseCode: { type: 'int' },
    UpstreamResponseTimeMs: { type: 'int' },
  },
  derives: [
    'dns.question.type',
    'dns.response_code',
    'event.outcome',
    'network.protocol',
    'network.transport',
  ],
  refine({ event, vendor }) {
    setField(event, 'network.protocol', 'dns');
    if (typeof vendor.QueryTCP === 'boolean')
      setField(event, 'network.transport', vendor.QueryTCP ? 'tcp' : 'udp');

    const name = getField(event, 'dns.question.name');
    if (typeof name === 'string') setField(event, 'dns.question.name', dnsQuestionName(name));
    if (typeof vendor.QueryType === 'number')
      setField(event, 'dns.question.type', dnsTypeName(vendor.QueryType));

    const code = vendor.ClientResponseCode;
    const codeName = typeof code === 'number' ? dnsResponseCodeName(code) : undefined;
    setField(event, 'dns.response_code', codeName);
    setField(event, 'event.outcome', dnsResponseOutcome(code));
  },
});
