import { type EcsEvent, getField, setField } from '../core/ecs.ts';
import { type GatewayActionClass, gatewayActionClass } from './gateway-http.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `gateway_network`: one line per network session (TCP, UDP or QUIC) that Cloudflare Zero Trust Gateway's
 * firewall evaluated (account-scoped). Fields: `../shared/cloudflare/gateway_network.md`. Output follows SEKOIA's
 * shape (`NOTES.md` §6 gateway_network: category network, observer.type proxy, SNI as tls.client.server_name and
 * destination.domain, destination.address the destination IP).
 *
 * Action is `event.action` and sets `event.type`/`event.outcome` through gateway_http's action classes: allowed
 * (allow, allowedOnNoRuleMatch…) → allowed/success; block → denied/failure; override → info/success (the session
 * went to OverrideIP:OverridePort, which are the destination's NAT address); anything else (or none) → info/unknown.
 */
export const gatewayNetwork = defineMapper({
  dataset: 'gateway_network',
  observerType: 'proxy',
  category: ['network'],
  type: ['info'],
  // SessionID names the session; time and action guard against a session logged more than once.
  idFields: ['SessionID', 'Datetime', 'Action'],
  // Datetime and Action are shared with gateway_http, gateway_dns and firewall_events; these names are not.
  signature: {
    all: ['Datetime'],
    any: ['SNI', 'TransportProtocol', 'Transport', 'OverrideIP', 'OverridePort', 'DetectedProtocol'],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    // → event.type and event.outcome in refine as well.
    Action: { type: 'string', to: 'event.action' },
    ApplicationIDs: { type: 'int[]' },
    ApplicationNames: { type: 'string[]' },
    CategoryIDs: { type: 'int[]' },
    CategoryNames: { type: 'string[]' },
    Datetime: { type: 'time', to: '@timestamp' },
    DestinationIP: { type: 'string', to: 'destination.ip' },
    DestinationIPContinentCode: { type: 'string', to: 'destination.geo.continent_code' },
    DestinationIPCountryCode: { type: 'string', to: 'destination.geo.country_iso_code' },
    DestinationPort: { type: 'int', to: 'destination.port' },
    // The application protocol Gateway recognised → network.protocol, lower-cased (ECS), in refine.
    DetectedProtocol: { type: 'string' },
    DeviceID: { type: 'string', to: 'device.id' },
    DeviceName: { type: 'string', to: 'host.hostname' },
    Email: { type: 'string', to: 'user.email' },
    // Where an override policy sent the session instead: the destination after translation (ECS destination.nat).
    OverrideIP: { type: 'string', to: 'destination.nat.ip' },
    // Kept as SEKOIA keeps it (0 = no override); destination.nat.port in refine when there is an override.
    OverridePort: { type: 'int' },
    PolicyID: { type: 'string', to: 'rule.id' },
    PolicyName: { type: 'string', to: 'rule.name' },
    ProxyEndpoint: { type: 'string' },
    RegistrationID: { type: 'string' },
    SNI: { type: 'string', to: ['tls.client.server_name', 'destination.domain'] },
    // Kept as SEKOIA keeps it: the key of the session across gateway_network and zero_trust_network_sessions.
    SessionID: { type: 'string' },
    SourceIP: { type: 'string', to: 'source.ip' },
    SourceIPContinentCode: { type: 'string', to: 'source.geo.continent_code' },
    SourceIPCountryCode: { type: 'string', to: 'source.geo.country_iso_code' },
    // The device's WARP (CGNAT) address, or its LAN address behind a GRE/IPsec on-ramp: an address of the host.
    SourceInternalIP: { type: 'string', to: 'host.ip' },
    SourcePort: { type: 'int', to: 'source.port' },
    TenantID: { type: 'string' },
    // tcp | quic | udp → network.transport in refine (TransportProtocol first; Transport is its deprecated name).
    Transport: { type: 'string' },
    TransportProtocol: { type: 'string' },
    UserID: { type: 'string', to: 'user.id' },
    VirtualNetworkID: { type: 'string' },
    // "Name given by operators to sections of their network" (ECS network.name).
    VirtualNetworkName: { type: 'string', to: 'network.name' },
  },
  derives: [
    'destination.address',
    'destination.nat.port',
    'event.outcome',
    'network.protocol',
    'network.transport',
  ],
  refine({ values, event, vendor }) {
    // SEKOIA sets the address to the IP itself, so the SNI stays a domain beside it (NOTES §4 "*.address").
    setField(event, 'destination.address', getField(event, 'destination.ip'));
    mapTransport(event, vendor);
    const detected = values.DetectedProtocol;
    if (typeof detected === 'string' && detected.toLowerCase() !== 'unknown') {
      setField(event, 'network.protocol', detected.toLowerCase());
      vendor.DetectedProtocol = undefined;
    }
    const port = values.OverridePort;
    if (getField(event, 'destination.nat.ip') !== undefined && typeof port === 'number' && port > 0) {
      setField(event, 'destination.nat.port', port);
    }
    const { type, outcome } = ACTION_NETWORK[gatewayActionClass(values.Action)];
    setField(event, 'event.type', [...type]);
    setField(event, 'event.outcome', outcome);
  },
});

/** event.type and event.outcome per action class; SEKOIA's types for gateway_network (allowed alone). */
export const ACTION_NETWORK: Readonly<
  Record<GatewayActionClass, { readonly type: readonly string[]; readonly outcome: string }>
> = {
  allowed: { type: ['allowed'], outcome: 'success' },
  denied: { type: ['denied'], outcome: 'failure' },
  redirected: { type: ['info'], outcome: 'success' },
  other: { type: ['info'], outcome: 'unknown' },
};

// QUIC is a transport built on UDP: network.transport is the IP protocol (ECS: "same as network.iana_number"),
// and the vendor value keeps "quic".
const TRANSPORTS: Readonly<Record<string, string>> = { tcp: 'tcp', udp: 'udp', quic: 'udp' };

function mapTransport(event: EcsEvent, vendor: CfRecord): void {
  for (const name of ['TransportProtocol', 'Transport']) {
    const value = vendor[name];
    if (typeof value !== 'string') continue;
    const lower = value.toLowerCase();
    const transport = TRANSPORTS[lower];
    if (transport === undefined) continue;
    if (getField(event, 'network.transport') === undefined) setField(event, 'network.transport', transport);
    // The name says it all for tcp and udp; quic is more than its transport and stays.
    if (lower === transport && getField(event, 'network.transport') === transport) vendor[name] = undefined;
  }
}
