import { type EcsEvent, getField, setField } from '../core/ecs.ts';
import { setTlsVersion } from './http-requests.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `zero_trust_network_sessions`: one line per network session proxied by Cloudflare Gateway, from any on-ramp
 * (WARP client, PAC proxy endpoint, Browser Isolation, Tunnel), with its two legs: client to Cloudflare and
 * Cloudflare to the origin (account-scoped). Fields: `../shared/cloudflare/zero_trust_network_sessions.md`.
 * SessionID is the session of the gateway_http and gateway_network lines of the same traffic.
 *
 * Like SEKOIA's gateway_network: observer.type proxy, category `network`, the client `source`, the origin
 * `destination` (ResolvedFQDN, else the SNI, as its domain), the SNI tls.client.server_name, the user and device.
 * Cloudflare's egress address is source.nat.*; the client leg's TLS is tls.*, the origin leg's stays under
 * cloudflare.*. A port of 0 (an ICMP session, a session that never egressed) is no port: it stays under cloudflare.*.
 * SourceInternalIP is host.ip, as in gateway_http and gateway_network, so the three join on the device's address.
 * SessionStartTime is @timestamp and event.start, SessionEndTime event.end (event.duration follows).
 * Type `connection` with `end` when the session has an end time (else `start`). There is no action field:
 * ConnectionCloseReason is event.reason and gives the outcome: *_CLOSED and CLIENT_IDLE_TIMEOUT → success (the
 * session ended normally), UNKNOWN or absent (UDP, ICMP) → unknown, every other reason → failure, with type
 * `error`, or `denied` for the TOO_MANY_* session limits.
 */
export const zeroTrustNetworkSessions = defineMapper({
  dataset: 'zero_trust_network_sessions',
  observerType: 'proxy',
  category: ['network'],
  type: ['connection'],
  // "The identifier of this network session"; it repeats only across datasets (gateway_http/network).
  idFields: ['SessionID'],
  // SessionStartTime is this dataset's alone; these names confirm it.
  signature: {
    all: ['SessionStartTime'],
    any: ['SessionID', 'SessionEndTime', 'ConnectionCloseReason', 'Offramp', 'OriginIP', 'BytesSent'],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    // "from the origin to the client": what the destination sent.
    BytesReceived: { type: 'int', to: 'destination.bytes' },
    // "from the client to the origin": what the source sent.
    BytesSent: { type: 'int', to: 'source.bytes' },
    ClientTCPHandshakeDurationMs: { type: 'int' },
    ClientTLSCipher: { type: 'string', to: 'tls.cipher' },
    ClientTLSHandshakeDurationMs: { type: 'int' },
    // TLSv1.3 → tls.version_protocol/version in refine (kept when it reads otherwise).
    ClientTLSVersion: { type: 'string' },
    // → event.outcome and event.type in refine as well.
    ConnectionCloseReason: { type: 'string', to: 'event.reason' },
    ConnectionReuse: { type: 'bool' },
    DestinationTunnelID: { type: 'string' },
    // → network.protocol (lower case) in refine.
    DetectedProtocol: { type: 'string' },
    DeviceID: { type: 'string', to: 'device.id' },
    DeviceName: { type: 'string', to: 'host.hostname' },
    EgressColoName: { type: 'string' },
    // The address Cloudflare used towards the origin: the source's NAT address (ECS source.nat.*).
    EgressIP: { type: 'string', to: 'source.nat.ip' },
    // → source.nat.port in refine unless 0.
    EgressPort: { type: 'int' },
    EgressRuleID: { type: 'string', to: 'rule.id' },
    EgressRuleName: { type: 'string', to: 'rule.name' },
    Email: { type: 'string', to: 'user.email' },
    IngressColoName: { type: 'string' },
    InitialOriginIP: { type: 'string' },
    Offramp: { type: 'string' },
    OriginIP: { type: 'string', to: 'destination.ip' },
    // → destination.port in refine unless 0.
    OriginPort: { type: 'int' },
    OriginTLSCertificateIssuer: { type: 'string' },
    OriginTLSCertificateValidationResult: { type: 'string' },
    OriginTLSCipher: { type: 'string' },
    OriginTLSHandshakeDurationMs: { type: 'int' },
    OriginTLSVersion: { type: 'string' },
    // TCP | UDP | ICMP | ICMPV6 → network.transport and network.iana_number in refine.
    Protocol: { type: 'string' },
    RegistrationID: { type: 'string' },
    ResolvedFQDN: { type: 'string', to: 'destination.domain' },
    RuleEvaluationDurationMs: { type: 'int' },
    // Also destination.domain when ResolvedFQDN is absent (refine), as SEKOIA does for gateway_network.
    SNI: { type: 'string', to: 'tls.client.server_name' },
    SessionEndTime: { type: 'time', to: 'event.end' },
    // The natural key of event.id, kept: it joins gateway_http and gateway_network lines.
    SessionID: { type: 'string' },
    SessionStartTime: { type: 'time', to: ['@timestamp', 'event.start'] },
    SourceIP: { type: 'string', to: 'source.ip' },
    // The device's own LAN address behind a GRE/IPsec on-ramp: not the session's source, an address of the host
    // (as gateway_http and gateway_network map it).
    SourceInternalIP: { type: 'string', to: 'host.ip' },
    // → source.port in refine unless 0.
    SourcePort: { type: 'int' },
    TenantID: { type: 'string' },
    UserID: { type: 'string', to: 'user.id' },
    VirtualNetworkID: { type: 'string' },
  },
  derives: [
    'destination.port',
    'event.outcome',
    'network.bytes',
    'network.iana_number',
    'network.protocol',
    'network.transport',
    'source.nat.port',
    'source.port',
    'tls.version',
    'tls.version_protocol',
  ],
  refine({ values, event, vendor, times }) {
    for (const [name, path] of PORTS) {
      const port = values[name];
      if (typeof port !== 'number' || port === 0) continue;
      setField(event, path, port);
      vendor[name] = undefined;
    }
    const reason = getField(event, 'event.reason');
    const { type, outcome } = closeCategorization(typeof reason === 'string' ? reason : undefined);
    const phase = times.SessionEndTime ? 'end' : 'start';
    setField(event, 'event.type', ['connection', phase, ...type]);
    setField(event, 'event.outcome', outcome);

    if (getField(event, 'destination.domain') === undefined) {
      setField(event, 'destination.domain', getField(event, 'tls.client.server_name'));
    }
    mapTransport(event, vendor);
    const detected = vendor.DetectedProtocol;
    if (typeof detected === 'string' && detected.toUpperCase() !== 'UNKNOWN') {
      setField(event, 'network.protocol', detected.toLowerCase());
      vendor.DetectedProtocol = undefined;
    }
    const bytes = [getField(event, 'source.bytes'), getField(event, 'destination.bytes')];
    if (bytes.some((b) => typeof b === 'number')) {
      setField(
        event,
        'network.bytes',
        bytes.reduce<number>((sum, b) => sum + (typeof b === 'number' ? b : 0), 0),
      );
    }
    if (setTlsVersion(event, vendor.ClientTLSVersion)) vendor.ClientTLSVersion = undefined;
  },
});

// Port fields and their ECS fields: 0 is what Cloudflare writes when the session has no such port.
const PORTS: readonly (readonly [string, string])[] = [
  ['SourcePort', 'source.port'],
  ['OriginPort', 'destination.port'],
  ['EgressPort', 'source.nat.port'],
];

// Reasons of a session that ended as sessions do: one side closed it, or the client went idle.
const NORMAL_CLOSE = new Set(['CLIENT_CLOSED', 'ORIGIN_CLOSED', 'CLIENT_IDLE_TIMEOUT']);

/**
 * Extra event.type values and event.outcome for a ConnectionCloseReason (see the module comment): normal closes
 * add nothing, TOO_MANY_* limits add `denied`, other errors `error`.
 */
export function closeCategorization(reason: string | undefined): { type: string[]; outcome: string } {
  const r = reason?.toUpperCase();
  if (r === undefined || r === 'UNKNOWN') return { type: [], outcome: 'unknown' };
  if (NORMAL_CLOSE.has(r)) return { type: [], outcome: 'success' };
  if (r.startsWith('TOO_MANY_')) return { type: ['denied'], outcome: 'failure' };
  return { type: ['error'], outcome: 'failure' };
}

// [ECS network.transport, IANA protocol number] by Cloudflare's Protocol; ECS writes ICMPv6 `ipv6-icmp`.
const TRANSPORTS: Readonly<Record<string, readonly [string, string]>> = {
  TCP: ['tcp', '6'],
  UDP: ['udp', '17'],
  ICMP: ['icmp', '1'],
  ICMPV6: ['ipv6-icmp', '58'],
};

function mapTransport(event: EcsEvent, vendor: CfRecord): void {
  const protocol = vendor.Protocol;
  const known = typeof protocol === 'string' ? TRANSPORTS[protocol.toUpperCase()] : undefined;
  if (!known) return;
  setField(event, 'network.transport', known[0]);
  setField(event, 'network.iana_number', known[1]);
  vendor.Protocol = undefined;
}
