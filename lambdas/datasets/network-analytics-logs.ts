import { isIP } from 'node:net';
import { type EcsEvent, getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `network_analytics_logs`: one line per IP packet sampled at Cloudflare's edge by the Magic Transit / Magic WAN /
 * Spectrum network layer (DDoS protection `dosd`, Advanced TCP Protection `flowtrackd`, Magic Firewall), with
 * its headers and what Cloudflare decided for it (account-scoped). One row stands for `SampleInterval` packets.
 * No field table exists in `../shared/cloudflare/`: this one was written from Cloudflare's public field reference
 * (developers.cloudflare.com/logs/reference/log-fields/account/network_analytics_logs/), recalled rather than copied
 * from a saved page. The names and types of the mapped fields are the well-known ones; the exact spelling of some
 * header fields (`IPTtl`, `IPv4Dscp`, `IPv6ExtensionHeaders`, the `TCPSACK*` and option fields) is less certain,
 * so the option-like ones are `any`, and an unlisted spelling is kept under `cloudflare.*` all the same.
 *
 * Outcome (what Cloudflare did: pass | drop) is `event.action` and sets `event.type` allowed/denied and
 * `event.outcome` success/failure (unknown otherwise); Verdict (what Cloudflare would have done, e.g. a rule in
 * log mode) is kept. Direction ingress/egress (relative to the customer's network) is `network.direction`
 * inbound/outbound. Category is network, plus intrusion_detection when the packet belongs to a detected attack
 * (AttackID or AttackVector set). The packet's IP total length is `network.bytes` (one sampled packet, not scaled
 * by SampleInterval). No natural key: the line itself is hashed for `event.id` (AttackID is shared by every
 * packet of an attack).
 */
export const networkAnalyticsLogs = defineMapper({
  dataset: 'network_analytics_logs',
  observerType: 'firewall',
  category: ['network'],
  type: ['info'],
  // Datetime is shared with firewall_events, gateway_* and others: only packet-header and mitigation names here
  // (RuleID and Direction are left out: firewall_events and gateway_network carry names like them).
  signature: {
    all: ['Datetime'],
    any: [
      'IPSourceAddress',
      'IPDestinationAddress',
      'IPProtocol',
      'IPProtocolName',
      'MitigationSystem',
      'AttackVector',
      'AttackCampaignID',
      'RulesetOverrideID',
    ],
  },
  fields: {
    AttackCampaignID: { type: 'string' },
    AttackID: { type: 'string' },
    AttackVector: { type: 'string' },
    ColoCity: { type: 'string' },
    ColoCode: { type: 'string' },
    ColoCountry: { type: 'string' },
    ColoGeoHash: { type: 'string' },
    ColoName: { type: 'string' },
    Datetime: { type: 'time', to: '@timestamp' },
    DestinationASN: { type: 'int', to: 'destination.as.number' },
    DestinationASNName: { type: 'string', to: 'destination.as.organization.name' },
    DestinationCountry: { type: 'string', to: 'destination.geo.country_iso_code' },
    DestinationGeoHash: { type: 'string' },
    DestinationPort: { type: 'int', to: 'destination.port' },
    // ingress | egress, relative to the customer's network: network.direction inbound/outbound in refine.
    Direction: { type: 'string' },
    GREChecksum: { type: 'int' },
    GREEthertype: { type: 'int' },
    GREHeaderLength: { type: 'int' },
    GREKey: { type: 'int' },
    GRESequenceNumber: { type: 'int' },
    GREVersion: { type: 'int' },
    ICMPChecksum: { type: 'int' },
    ICMPCode: { type: 'int' },
    ICMPType: { type: 'int' },
    IPDestinationAddress: { type: 'string', to: 'destination.ip' },
    IPDestinationSubnet: { type: 'string' },
    IPFragmentOffset: { type: 'int' },
    IPHeaderLength: { type: 'int' },
    IPMoreFragments: { type: 'int' },
    // The IANA number and its name → network.iana_number / network.transport in refine. The number is kept as
    // well: Cloudflare's filters and dashboards use it, and iana_number is a keyword in ECS.
    IPProtocol: { type: 'int' },
    IPProtocolName: { type: 'string' },
    IPSourceAddress: { type: 'string', to: 'source.ip' },
    IPSourceSubnet: { type: 'string' },
    IPTotalLength: { type: 'int', to: 'network.bytes' },
    IPTotalLengthBuckets: { type: 'int' },
    IPTtl: { type: 'int' },
    IPTtlBuckets: { type: 'int' },
    IPv4Checksum: { type: 'int' },
    IPv4DontFragment: { type: 'int' },
    IPv4Dscp: { type: 'int' },
    IPv4Ecn: { type: 'int' },
    IPv4Identification: { type: 'int' },
    IPv4Options: { type: 'any' },
    IPv6Dscp: { type: 'int' },
    IPv6Ecn: { type: 'int' },
    IPv6ExtensionHeaders: { type: 'any' },
    IPv6FlowLabel: { type: 'int' },
    IPv6Identification: { type: 'int' },
    // flowtrackd's reason (unexpected, challenge_needed, out_of_sequence…): why the packet was mitigated.
    MitigationReason: { type: 'string', to: 'event.reason' },
    MitigationScope: { type: 'string' },
    // dosd | flowtrackd | magic-firewall: the system that sampled the packet.
    MitigationSystem: { type: 'string' },
    // → event.type and event.outcome in refine as well.
    Outcome: { type: 'string', to: 'event.action' },
    ProtocolState: { type: 'string' },
    RuleID: { type: 'string', to: 'rule.id' },
    RulesetID: { type: 'string', to: 'rule.ruleset' },
    RulesetOverrideID: { type: 'string' },
    SampleInterval: { type: 'int' },
    SourceASN: { type: 'int', to: 'source.as.number' },
    SourceASNName: { type: 'string', to: 'source.as.organization.name' },
    SourceCountry: { type: 'string', to: 'source.geo.country_iso_code' },
    SourceGeoHash: { type: 'string' },
    SourcePort: { type: 'int', to: 'source.port' },
    TCPAcknowledgementNumber: { type: 'int' },
    TCPChecksum: { type: 'int' },
    TCPDataOffset: { type: 'int' },
    TCPFlags: { type: 'int' },
    TCPFlagsString: { type: 'string' },
    TCPMSS: { type: 'int' },
    TCPOptions: { type: 'any' },
    TCPSACKBlocks: { type: 'any' },
    TCPSACKPermitted: { type: 'int' },
    TCPSequenceNumber: { type: 'int' },
    TCPTimestampECR: { type: 'int' },
    TCPTimestampValue: { type: 'int' },
    TCPUrgentPointer: { type: 'int' },
    TCPWindowScale: { type: 'int' },
    TCPWindowSize: { type: 'int' },
    UDPChecksum: { type: 'int' },
    UDPPayloadLength: { type: 'int' },
    Verdict: { type: 'string' },
  },
  derives: ['event.outcome', 'network.direction', 'network.iana_number', 'network.transport', 'network.type'],
  refine({ values, event, vendor }) {
    // The number decides; the name fills in for a number the table does not know, or for no number.
    setIpProtocol(event, values.IPProtocol ?? values.IPProtocolName);
    const name = protocolKeyword(values.IPProtocolName);
    if (name !== undefined) {
      const transport = getField(event, 'network.transport');
      if (transport === undefined) setField(event, 'network.transport', name);
      if (transport === undefined || transport === name) vendor.IPProtocolName = undefined;
    }
    setNetworkType(event);
    if (setNetworkDirection(event, values.Direction)) vendor.Direction = undefined;

    const { type, outcome } = passDropCategorization(values.Outcome);
    setField(event, 'event.type', type);
    setField(event, 'event.outcome', outcome);
    if (values.AttackID !== undefined || values.AttackVector !== undefined) {
      setField(event, 'event.category', ['network', 'intrusion_detection']);
    }
  },
});

/**
 * `event.type` and `event.outcome` for a packet decision: pass/allow → allowed/success, drop/block/deny →
 * denied/failure, anything else (or none) → info/unknown.
 */
export function passDropCategorization(action: unknown): { type: string[]; outcome: string } {
  const a = typeof action === 'string' ? action.toLowerCase() : '';
  if (PASS.has(a)) return { type: ['allowed'], outcome: 'success' };
  if (DROP.has(a)) return { type: ['denied'], outcome: 'failure' };
  return { type: ['info'], outcome: 'unknown' };
}

const PASS: ReadonlySet<string> = new Set(['pass', 'allow', 'allowed']);
const DROP: ReadonlySet<string> = new Set(['drop', 'block', 'blocked', 'deny', 'denied', 'reject']);

/**
 * IANA protocol numbers (https://www.iana.org/assignments/protocol-numbers/) of the protocols seen on customer
 * networks → their keyword in lower case, as ECS `network.transport` writes it (`tcp`, `ipv6-icmp`).
 */
export const IP_PROTOCOLS: Readonly<Record<number, string>> = {
  0: 'hopopt',
  1: 'icmp',
  2: 'igmp',
  4: 'ipv4',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  43: 'ipv6-route',
  44: 'ipv6-frag',
  46: 'rsvp',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'ipv6-icmp',
  59: 'ipv6-nonxt',
  60: 'ipv6-opts',
  88: 'eigrp',
  89: 'ospfigp',
  103: 'pim',
  112: 'vrrp',
  115: 'l2tp',
  132: 'sctp',
  137: 'mpls-in-ip',
};

// Names that stand for no protocol: Magic IDS writes `any` for a detection below layer 4 (at the IP layer).
const NOT_A_PROTOCOL: ReadonlySet<string> = new Set(['any', 'unknown', 'none', 'other']);

const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map(
  Object.entries(IP_PROTOCOLS).map(([number, name]) => [name, Number(number)]),
);

/**
 * Sets `network.iana_number` and `network.transport` from an IP protocol given as its IANA number (6, "6") or its
 * name ("TCP", "udp"). A number without a known keyword gives the number alone; a name outside the table gives
 * the name alone.
 * @returns false when the value says nothing usable (the caller then keeps the raw value).
 */
export function setIpProtocol(event: EcsEvent, protocol: unknown): boolean {
  let name = protocolKeyword(protocol);
  let number: number | undefined;
  if (name !== undefined) {
    number = PROTOCOL_NUMBERS.get(name);
  } else {
    const n =
      typeof protocol === 'number'
        ? protocol
        : typeof protocol === 'string' && /^\d{1,3}$/.test(protocol)
          ? Number(protocol)
          : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n > 255) return false;
    number = n;
    name = IP_PROTOCOLS[n];
  }
  setField(event, 'network.iana_number', number === undefined ? undefined : String(number));
  setField(event, 'network.transport', name);
  return true;
}

/**
 * The lower-case IANA keyword of a protocol name (`TCP` → `tcp`, `ICMPv6` → `ipv6-icmp`); undefined if not a name,
 * or a placeholder that names no protocol (`any`, `unknown`).
 */
export function protocolKeyword(protocol: unknown): string | undefined {
  if (typeof protocol !== 'string' || !/^[A-Za-z][A-Za-z0-9.+-]*$/.test(protocol)) return undefined;
  const name = protocol.toLowerCase();
  if (NOT_A_PROTOCOL.has(name)) return undefined;
  // The IANA keyword of 58 is IPv6-ICMP; Cloudflare and others also write ICMPv6.
  return name === 'icmpv6' ? 'ipv6-icmp' : name;
}

/** `network.type` (ipv4 | ipv6) from the source or destination address the event already holds. */
export function setNetworkType(event: EcsEvent): void {
  const ip = getField(event, 'source.ip') ?? getField(event, 'destination.ip');
  if (typeof ip !== 'string') return;
  const family = isIP(ip);
  setField(event, 'network.type', family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined);
}

// Cloudflare's direction is relative to the customer's network, the perimeter Magic Transit protects: ECS says
// inbound/outbound for that point of view (ingress/egress are an observer interface's, which this is not).
const DIRECTIONS: Readonly<Record<string, string>> = {
  ingress: 'inbound',
  egress: 'outbound',
  inbound: 'inbound',
  outbound: 'outbound',
  internal: 'internal',
  external: 'external',
  unknown: 'unknown',
};

/**
 * `network.direction` from Cloudflare's Direction (case-insensitive), when it is one ECS can say.
 * @returns whether it was set.
 */
function setNetworkDirection(event: EcsEvent, direction: unknown): boolean {
  const key = typeof direction === 'string' ? direction.toLowerCase() : '';
  const d = Object.hasOwn(DIRECTIONS, key) ? DIRECTIONS[key] : undefined;
  setField(event, 'network.direction', d);
  return d !== undefined;
}
