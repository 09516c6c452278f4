import { type EcsEvent, getField, setField } from '../core/ecs.ts';
import { setTlsVersion } from './http-requests.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `spectrum_events`: one line per event of a TCP/UDP connection proxied by Cloudflare Spectrum (zone-scoped):
 * the connection opened, closed, filtered by the IP firewall, or failed at TLS, origin resolution or the origin.
 * Fields: `../shared/cloudflare/spectrum_events.md`.
 *
 * Spectrum is a layer-4 reverse proxy (observer.type proxy): the client is `source`, the origin `destination`,
 * each with the bytes Spectrum read from it; the client leg's TLS is tls.*, the origin leg's stays under
 * cloudflare.*. Category `network`; Event is event.action and sets type and outcome: connect → connection/start,
 * disconnect → connection/end (both success), clientFiltered → connection/denied, tlsError, resolveOrigin and
 * originError → connection/error (all failure: each names the stage where the connection failed), anything else
 * → connection with outcome unknown; an IP firewall match adds denied (BLOCK_*) or allowed.
 * ConnectTimestamp/DisconnectTimestamp are event.start/end, so event.duration is the connection's length. A port
 * of 0 (the origin leg of a connection filtered or failed before it was opened) is no port: it stays under
 * cloudflare.*.
 */
export const spectrumEvents = defineMapper({
  dataset: 'spectrum_events',
  observerType: 'proxy',
  category: ['network'],
  type: ['connection'],
  // Timestamp alone is shared by many datasets: these names are Spectrum's own.
  signature: {
    all: ['Timestamp'],
    any: [
      'ConnectTimestamp',
      'DisconnectTimestamp',
      'ClientMatchedIpFirewall',
      'ClientTlsStatus',
      'OriginTlsMode',
      'ProxyProtocol',
      'IpFirewall',
    ],
  },
  fields: {
    // The Spectrum application's public id.
    Application: { type: 'string' },
    ClientAsn: { type: 'int', to: 'source.as.number' },
    ClientBytes: { type: 'int', to: 'source.bytes' },
    ClientCountry: { type: 'string', to: 'source.geo.country_iso_code' },
    ClientIP: { type: 'string', to: 'source.ip' },
    // Kept; BLOCK_* adds event.type denied, ALLOW/WHITELIST_* allowed (refine).
    ClientMatchedIpFirewall: { type: 'string' },
    // → source.port in refine unless 0.
    ClientPort: { type: 'int' },
    // tcp | udp → network.transport in refine; `unix` (a socket, not a transport) stays here.
    ClientProto: { type: 'string' },
    ClientTcpRtt: { type: 'int' }, // nanoseconds
    // "UNK" (unknown) stays here; a real cipher → tls.cipher in refine.
    ClientTlsCipher: { type: 'string' },
    ClientTlsClientHelloServerName: { type: 'string', to: 'tls.client.server_name' },
    // TLSv1.3 → tls.version_protocol/version in refine; unknown and none stay here.
    ClientTlsProtocol: { type: 'string' },
    // Kept (its error names say more than a boolean); OK / an error → tls.established true / false.
    ClientTlsStatus: { type: 'string' },
    ColoCode: { type: 'string' },
    ConnectTimestamp: { type: 'time', to: 'event.start' },
    DisconnectTimestamp: { type: 'time', to: 'event.end' },
    // → event.type/outcome in refine as well.
    Event: { type: 'string', to: 'event.action' },
    IpFirewall: { type: 'bool' },
    OriginBytes: { type: 'int', to: 'destination.bytes' },
    OriginIP: { type: 'string', to: 'destination.ip' },
    // → destination.port in refine unless 0 (no origin reached).
    OriginPort: { type: 'int' },
    OriginProto: { type: 'string' },
    OriginTcpRtt: { type: 'int' }, // nanoseconds
    OriginTlsCipher: { type: 'string' },
    OriginTlsFingerprint: { type: 'string' },
    OriginTlsMode: { type: 'string' },
    OriginTlsProtocol: { type: 'string' },
    OriginTlsStatus: { type: 'string' },
    ProxyProtocol: { type: 'string' },
    // The closure reason code (Cloudflare documents no table of codes): kept as it is.
    Status: { type: 'int' },
    Timestamp: { type: 'time', to: '@timestamp' },
  },
  derives: [
    'destination.port',
    'event.outcome',
    'network.bytes',
    'network.transport',
    'source.port',
    'tls.cipher',
    'tls.established',
    'tls.version',
    'tls.version_protocol',
  ],
  refine({ values, event, vendor }) {
    for (const [name, path] of PORTS) {
      const port = values[name];
      if (typeof port !== 'number' || port === 0) continue;
      setField(event, path, port);
      vendor[name] = undefined;
    }
    const action = getField(event, 'event.action');
    const { type, outcome } = eventCategorization(typeof action === 'string' ? action : undefined);
    const firewall = vendor.ClientMatchedIpFirewall;
    const decision = typeof firewall === 'string' ? firewallDecision(firewall) : undefined;
    setField(event, 'event.type', decision && !type.includes(decision) ? [...type, decision] : type);
    setField(event, 'event.outcome', outcome);

    const proto = typeof vendor.ClientProto === 'string' ? vendor.ClientProto.toLowerCase() : undefined;
    if (proto === 'tcp' || proto === 'udp') {
      setField(event, 'network.transport', proto);
      vendor.ClientProto = undefined;
    }
    const bytes = [getField(event, 'source.bytes'), getField(event, 'destination.bytes')];
    if (bytes.some((b) => typeof b === 'number')) {
      setField(
        event,
        'network.bytes',
        bytes.reduce<number>((sum, b) => sum + (typeof b === 'number' ? b : 0), 0),
      );
    }
    mapClientTls(event, vendor);
  },
});

// Port fields and their ECS fields: 0 is what Spectrum writes for a leg that has no port.
const PORTS: readonly (readonly [string, string])[] = [
  ['ClientPort', 'source.port'],
  ['OriginPort', 'destination.port'],
];

const EVENT_TYPES: Readonly<Record<string, { type: string[]; outcome: string }>> = {
  connect: { type: ['connection', 'start'], outcome: 'success' },
  disconnect: { type: ['connection', 'end'], outcome: 'success' },
  clientfiltered: { type: ['connection', 'denied'], outcome: 'failure' },
  tlserror: { type: ['connection', 'error'], outcome: 'failure' },
  resolveorigin: { type: ['connection', 'error'], outcome: 'failure' },
  originerror: { type: ['connection', 'error'], outcome: 'failure' },
};

/** event.type and event.outcome for a Spectrum Event (see the module comment). */
export function eventCategorization(name: string | undefined): { type: string[]; outcome: string } {
  const known = name === undefined ? undefined : EVENT_TYPES[name.toLowerCase()];
  return known
    ? { type: [...known.type], outcome: known.outcome }
    : { type: ['connection'], outcome: 'unknown' };
}

/** `denied` for a BLOCK_* match of the IP firewall, `allowed` for ALLOW/WHITELIST_*, else undefined. */
export function firewallDecision(match: string): string | undefined {
  const m = match.toUpperCase();
  if (m.startsWith('BLOCK')) return 'denied';
  if (m === 'ALLOW' || m.startsWith('WHITELIST')) return 'allowed';
  return undefined;
}

// ClientTlsStatus values that say a handshake was tried and failed (the field doc's list).
const TLS_FAILED = new Set([
  'INTERNAL_ERROR',
  'INVALID_CONFIG',
  'INVALID_SNI',
  'HANDSHAKE_FAILED',
  'KEYLESS_RPC',
]);

function mapClientTls(event: EcsEvent, vendor: CfRecord): void {
  if (setTlsVersion(event, vendor.ClientTlsProtocol)) vendor.ClientTlsProtocol = undefined;
  const cipher = vendor.ClientTlsCipher;
  if (typeof cipher === 'string' && !['UNK', 'NONE'].includes(cipher.toUpperCase())) {
    setField(event, 'tls.cipher', cipher);
    vendor.ClientTlsCipher = undefined;
  }
  const status =
    typeof vendor.ClientTlsStatus === 'string' ? vendor.ClientTlsStatus.toUpperCase() : undefined;
  if (status === 'OK') setField(event, 'tls.established', true);
  else if (status !== undefined && TLS_FAILED.has(status)) setField(event, 'tls.established', false);
}
