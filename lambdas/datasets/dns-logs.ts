import { getField, setField } from '../core/ecs.ts';
import { dnsQuestionName, dnsResponseCodeName, dnsResponseOutcome, dnsTypeName } from './dns-codes.ts';
import { defineMapper } from './mapper.ts';

/**
 * `dns_logs`: one line per query answered by Cloudflare's authoritative DNS for a zone (zone-scoped).
 * Fields: `../shared/cloudflare/dns_logs.md` (9 fields). Output follows SEKOIA's shape (`NOTES.md` §6 dns_logs:
 * category network, type info, observer.type dns; QueryName without its trailing dot, QueryType and ResponseCode
 * as IANA mnemonics) plus `network.protocol: dns`, as for gateway_dns.
 *
 * There is no action field: the outcome is the answer's, as Packetbeat's DNS events have it: RCODE 0 (NoError) is a
 * success, any other code (NXDomain, ServFail, Refused…) a failure, and a line without ResponseCode is unknown.
 * SourceIP is the resolver that asked (the DNS client), EDNSSubnet the end client's subnet when the resolver sent it.
 */
export const dnsLogs = defineMapper({
  dataset: 'dns_logs',
  observerType: 'dns',
  category: ['network'],
  type: ['info'],
  // No natural key (INDEX.md): the line is hashed.
  // Timestamp is shared by many datasets and dns_firewall_logs also has QueryName/QueryType/SourceIP/EDNSSubnet/
  // ResponseCached; only ResponseCode (dns_firewall_logs says ClientResponseCode) is this dataset's own.
  signature: { all: ['Timestamp'], any: ['ResponseCode'] },
  fields: {
    ColoCode: { type: 'string' },
    // A network (the client's address with its host bits cut, length in EDNSSubnetLength), not a host address.
    EDNSSubnet: { type: 'string' },
    EDNSSubnetLength: { type: 'int' },
    // Without the trailing dot of the fully qualified form (refine), case kept.
    QueryName: { type: 'string', to: 'dns.question.name' },
    // Kept, and as its IANA mnemonic in dns.question.type (refine), as gateway_dns keeps QueryType.
    QueryType: { type: 'int' },
    ResponseCached: { type: 'bool' },
    // Kept, and by name in dns.response_code (refine); → event.outcome too.
    ResponseCode: { type: 'int' },
    SourceIP: { type: 'string', to: 'source.ip' },
    Timestamp: { type: 'time', to: '@timestamp' },
  },
  derives: ['dns.question.type', 'dns.response_code', 'event.outcome', 'network.protocol'],
  refine({ values, event }) {
    setField(event, 'network.protocol', 'dns');
    const name = getField(event, 'dns.question.name');
    if (typeof name === 'string') setField(event, 'dns.question.name', dnsQuestionName(name));
    if (typeof values.QueryType === 'number') {
      setField(event, 'dns.question.type', dnsTypeName(values.QueryType));
    }
    const code = values.ResponseCode;
    if (typeof code === 'number') setField(event, 'dns.response_code', dnsResponseCodeName(code));
    setField(event, 'event.outcome', dnsResponseOutcome(code));
  },
});
