import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { detectDataset } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import {
  closeCategorization,
  zeroTrustNetworkSessions,
} from '../../../lambdas/datasets/zero-trust-network-sessions.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [httpsSession, udpTunnel] = fixtureLines('zero_trust_network_sessions', 'https-session');

const base: CfRecord = {
  SessionEndTime: '2026-01-01T00:00:01Z',
  SessionID: '00000000-0000-4000-8000-000000000001',
  SessionStartTime: '2026-01-01T00:00:00Z',
  SourceIP: '192.0.2.10',
};
const map = (extra: CfRecord) => mapRecord(zeroTrustNetworkSessions, { ...base, ...extra });

describe('zero_trust_network_sessions mapper', () => {
  it('maps a closed HTTPS session from a WARP device to the complete ECS event', () => {
    expect(mapLine(zeroTrustNetworkSessions, httpsSession!)).toEqual({
      '@timestamp': '2026-01-06T09:00:00.000000001Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['connection', 'end'],
        outcome: 'success',
        reason: 'CLIENT_CLOSED',
        start: '2026-01-06T09:00:00.000000001Z',
        end: '2026-01-06T09:00:05.123456789Z',
        duration: 5_123_456_788,
        dataset: 'zero_trust_network_sessions',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      source: {
        address: '192.0.2.150',
        ip: '192.0.2.150',
        port: 53122,
        bytes: 2311,
        nat: { ip: '198.51.100.200', port: 40112 },
      },
      destination: {
        address: 'app.example.com',
        domain: 'app.example.com',
        registered_domain: 'example.com',
        subdomain: 'app',
        top_level_domain: 'com',
        ip: '203.0.113.80',
        port: 443,
        bytes: 48213,
      },
      network: { transport: 'tcp', iana_number: '6', protocol: 'http', bytes: 50524 },
      tls: {
        version_protocol: 'tls',
        version: '1.3',
        cipher: 'TLS_AES_128_GCM_SHA256',
        client: { server_name: 'app.example.com' },
      },
      user: { email: 'henry@example.com', id: '00000000-0000-4000-8000-000000000044' },
      device: { id: '00000000-0000-4000-8000-000000000041' },
      host: { hostname: 'henry-laptop', name: 'henry-laptop' },
      related: {
        ip: ['192.0.2.150', '198.51.100.200', '203.0.113.80'],
        hosts: ['app.example.com', 'henry-laptop'],
        user: ['henry@example.com'],
      },
      cloudflare: {
        ClientTCPHandshakeDurationMs: 14,
        ClientTLSHandshakeDurationMs: 22,
        ConnectionReuse: false,
        EgressColoName: 'AMS',
        IngressColoName: 'AMS',
        Offramp: 'INTERNET',
        OriginTLSCertificateIssuer: 'CN=Example CA,O=Example Org,C=US',
        OriginTLSCertificateValidationResult: 'VALID',
        OriginTLSCipher: 'TLS_AES_256_GCM_SHA384',
        OriginTLSHandshakeDurationMs: 31,
        OriginTLSVersion: 'TLSv1.3',
        RegistrationID: '00000000-0000-4000-8000-000000000042',
        RuleEvaluationDurationMs: 1,
        SessionID: '00000000-0000-4000-8000-000000000043',
        VirtualNetworkID: '00000000-0000-4000-8000-000000000045',
      },
    });
  });

  it('maps a UDP session to a tunnel in unixnano: SNI as the domain, IPv4-mapped source, outcome unknown', () => {
    const event = mapLine(zeroTrustNetworkSessions, udpTunnel!);
    expect(event['@timestamp']).toBe('2026-01-06T09:00:00.250000000Z');
    expect(event.event).toMatchObject({
      type: ['connection', 'end'],
      outcome: 'unknown',
      duration: 30_250_000_000,
    });
    expect(getField(event, 'event.reason')).toBeUndefined();
    expect(getField(event, 'source.ip')).toBe('192.0.2.151');
    expect(getField(event, 'destination.domain')).toBe('intranet.example.org');
    expect(getField(event, 'tls.client.server_name')).toBe('intranet.example.org');
    expect(event.network).toEqual({ transport: 'udp', iana_number: '17', bytes: 2000 });
    // The device's address behind the tunnel is host.ip, as in gateway_http and gateway_network.
    expect(getField(event, 'host.ip')).toEqual(['192.0.2.10']);
    // No egress address and EgressPort 0: no source.nat at all, the 0 kept as written.
    expect(getField(event, 'source.nat')).toBeUndefined();
    expect(event.cloudflare).toMatchObject({
      DestinationTunnelID: '00000000-0000-4000-8000-000000000046',
      EgressPort: 0,
      Offramp: 'CFD_TUNNEL',
    });
    expect(getField(event, 'cloudflare.SourceInternalIP')).toBeUndefined();
  });

  it('maps no port 0 (an ICMP session has none): the zeros stay under cloudflare.*', () => {
    const event = map({
      Protocol: 'ICMP',
      SourcePort: 0,
      OriginPort: 0,
      EgressIP: '198.51.100.9',
      EgressPort: 0,
    });
    expect(event.source).toEqual({ address: '192.0.2.10', ip: '192.0.2.10', nat: { ip: '198.51.100.9' } });
    expect(getField(event, 'destination.port')).toBeUndefined();
    expect(event.cloudflare).toMatchObject({ SourcePort: 0, OriginPort: 0, EgressPort: 0 });
    const ports = map({ SourcePort: 50000, OriginPort: 443, EgressPort: 40000 });
    expect([getField(ports, 'source.port'), getField(ports, 'destination.port')]).toEqual([50000, 443]);
    expect(getField(ports, 'source.nat.port')).toBe(40000);
    expect(getField(ports, 'cloudflare')).toEqual({ SessionID: '00000000-0000-4000-8000-000000000001' });
  });

  it.each([
    ['CLIENT_CLOSED', [], 'success'],
    ['ORIGIN_CLOSED', [], 'success'],
    ['CLIENT_IDLE_TIMEOUT', [], 'success'],
    ['CLIENT_TLS_ERROR', ['error'], 'failure'],
    ['ORIGIN_UNREACHABLE', ['error'], 'failure'],
    ['PROXY_CONN_REFUSED', ['error'], 'failure'],
    ['MISMATCHED_IP_VERSIONS', ['error'], 'failure'],
    ['TOO_MANY_ACTIVE_SESSIONS_FOR_USER', ['denied'], 'failure'],
    ['TOO_MANY_NEW_SESSIONS_FOR_ACCOUNT', ['denied'], 'failure'],
    ['UNKNOWN', [], 'unknown'],
  ])('ConnectionCloseReason %s is event.reason, adds type %j, outcome %s', (reason, extra, outcome) => {
    const event = map({ ConnectionCloseReason: reason });
    expect(getField(event, 'event.reason')).toBe(reason);
    expect(getField(event, 'event.type')).toEqual(['connection', 'end', ...extra]);
    expect(getField(event, 'event.outcome')).toBe(outcome);
    expect(closeCategorization(reason)).toEqual({ type: extra, outcome });
  });

  it('types a session without an end time as a connection start, with no duration', () => {
    const { SessionEndTime: _, ...rest } = base;
    const event = mapRecord(zeroTrustNetworkSessions, rest);
    expect(getField(event, 'event.type')).toEqual(['connection', 'start']);
    expect(getField(event, 'event.duration')).toBeUndefined();
    expect(getField(event, 'event.start')).toBe('2026-01-01T00:00:00Z');
  });

  it.each([
    ['TCP', 'tcp', '6'],
    ['UDP', 'udp', '17'],
    ['ICMP', 'icmp', '1'],
    ['ICMPV6', 'ipv6-icmp', '58'],
  ])('maps Protocol %s to network.transport %s (IANA %s)', (protocol, transport, iana) => {
    const event = map({ Protocol: protocol });
    expect(getField(event, 'network')).toEqual({ transport, iana_number: iana });
    expect(getField(event, 'cloudflare.Protocol')).toBeUndefined();
  });

  it('keeps a Protocol it does not know, and an UNKNOWN DetectedProtocol', () => {
    const event = map({ Protocol: 'SCTP', DetectedProtocol: 'UNKNOWN' });
    expect(event.network).toBeUndefined();
    expect(event.cloudflare).toMatchObject({ Protocol: 'SCTP', DetectedProtocol: 'UNKNOWN' });
  });

  it('prefers ResolvedFQDN over the SNI for destination.domain', () => {
    const event = map({ ResolvedFQDN: 'a.example.com', SNI: 'b.example.com' });
    expect(getField(event, 'destination.domain')).toBe('a.example.com');
    expect(getField(event, 'tls.client.server_name')).toBe('b.example.com');
  });

  it('maps the egress rule to rule.*', () => {
    expect(map({ EgressRuleID: 'r-1', EgressRuleName: 'Dedicated egress' }).rule).toEqual({
      id: 'r-1',
      name: 'Dedicated egress',
    });
  });

  it('keeps a client TLS version it cannot read', () => {
    const event = map({ ClientTLSVersion: 'QUIC' });
    expect(event.tls).toBeUndefined();
    expect(getField(event, 'cloudflare.ClientTLSVersion')).toBe('QUIC');
  });

  it('keeps an IPv6 source, lower-cased', () => {
    expect(getField(map({ SourceIP: '2001:DB8::1' }), 'source.ip')).toBe('2001:db8::1');
  });

  it('uses SessionID as the natural key of event.id', () => {
    const a = map({});
    expect(getField(map({ BytesSent: 10 }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ SessionID: 'other' }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it('quarantines byte counts that are not integers', () => {
    expect(() => map({ BytesSent: 'many' })).toThrow(MappingError);
  });

  it('recognises its records, full and minimal, and nothing else claims them', () => {
    const full = JSON.parse(httpsSession!) as CfRecord;
    expect(zeroTrustNetworkSessions.matches(full)).toBe(true);
    expect(detectDataset(full)?.dataset).toBe('zero_trust_network_sessions');
    for (const name of zeroTrustNetworkSessions.spec.signature.any ?? []) {
      const minimal = { SessionStartTime: 1767225600, [name]: 'x' };
      expect(detectDataset(minimal)?.dataset, name).toBe('zero_trust_network_sessions');
    }
    // A gateway_network line carries SessionID too, with Datetime as its time.
    expect(zeroTrustNetworkSessions.matches({ Datetime: 1767225600, SessionID: 'x' })).toBe(false);
  });
});
