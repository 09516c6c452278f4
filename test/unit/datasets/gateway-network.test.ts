import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { gatewayNetwork } from '../../../lambdas/datasets/gateway-network.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [blockedSession, overridden, quicIpv6] = fixtureLines('gateway_network', 'sessions');

const base: CfRecord = {
  Action: 'allow',
  Datetime: '2026-01-01T00:00:00Z',
  DestinationIP: '198.51.100.10',
  DestinationPort: 443,
  SessionID: '2b3c4d5e6f00003d0d86472000000009',
  SourceIP: '192.0.2.10',
  SourcePort: 50000,
};
const map = (extra: CfRecord) => mapRecord(gatewayNetwork, { ...base, ...extra });

describe('gateway_network mapper', () => {
  it('maps a blocked TLS session to the complete ECS event', () => {
    expect(mapLine(gatewayNetwork, blockedSession!)).toEqual({
      '@timestamp': '2026-01-01T10:20:30Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['denied'],
        action: 'block',
        outcome: 'failure',
        dataset: 'gateway_network',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      device: { id: '00000000-0000-4000-8000-000000000011' },
      host: { hostname: 'laptop-0042', name: 'laptop-0042', ip: ['192.0.2.12'] },
      user: { email: 'alice@example.com', id: '00000000-0000-4000-8000-000000000041' },
      rule: { id: '00000000-0000-4000-8000-000000000024', name: 'Block C2 sessions' },
      source: {
        address: '203.0.113.77',
        ip: '203.0.113.77',
        port: 50444,
        geo: { continent_code: 'EU', country_iso_code: 'NL' },
      },
      destination: {
        address: '198.51.100.50',
        ip: '198.51.100.50',
        port: 443,
        domain: 'c2.example.net',
        registered_domain: 'example.net',
        subdomain: 'c2',
        top_level_domain: 'net',
        geo: { continent_code: 'NA', country_iso_code: 'US' },
      },
      tls: { client: { server_name: 'c2.example.net' } },
      network: { transport: 'tcp', protocol: 'tls', name: 'default' },
      related: {
        ip: ['192.0.2.12', '198.51.100.50', '203.0.113.77'],
        hosts: ['c2.example.net', 'laptop-0042'],
        user: ['alice@example.com'],
      },
      cloudflare: {
        ApplicationIDs: [519],
        ApplicationNames: ['Example Chat'],
        CategoryIDs: [80],
        CategoryNames: ['Command and Control & Botnet'],
        OverridePort: 0,
        RegistrationID: '00000000-0000-4000-8000-000000000031',
        SessionID: '2b3c4d5e6f00003d0d86472000000001',
        VirtualNetworkID: '00000000-0000-4000-8000-000000000051',
      },
    });
  });

  it('maps an override (unixnano) to the destination NAT address, info with a success', () => {
    const event = mapLine(gatewayNetwork, overridden!);
    expect(event['@timestamp']).toBe('2026-01-01T10:20:30.123456789Z');
    expect(event.event).toMatchObject({ action: 'override', type: ['info'], outcome: 'success' });
    expect(event.destination).toEqual({
      address: '198.51.100.53',
      ip: '198.51.100.53',
      port: 53,
      nat: { ip: '192.0.2.53', port: 5353 },
    });
    expect(getField(event, 'network')).toEqual({ transport: 'udp' });
    expect(getField(event, 'related.ip')).toEqual(['192.0.2.53', '198.51.100.53', '203.0.113.78']);
    expect(event.cloudflare).toEqual({ OverridePort: 5353, SessionID: '2b3c4d5e6f00003d0d86472000000002' });
  });

  it('maps a QUIC session from an IPv6 client (rfc3339ms) allowed for want of a matching rule', () => {
    const event = mapLine(gatewayNetwork, quicIpv6!);
    expect(event['@timestamp']).toBe('2026-01-01T10:20:30.123Z');
    expect(event.event).toMatchObject({
      action: 'allowedOnNoRuleMatch',
      type: ['allowed'],
      outcome: 'success',
    });
    expect(event.source).toEqual({ address: '2001:db8:cafe::8', ip: '2001:db8:cafe::8', port: 55000 });
    expect(getField(event, 'destination.address')).toBe('2001:db8:443::1');
    // QUIC runs over UDP; the vendor value keeps "quic".
    expect(getField(event, 'network.transport')).toBe('udp');
    expect(event.cloudflare).toMatchObject({ Transport: 'quic', TransportProtocol: 'quic' });
  });

  it.each([
    ['unix', 1767262830, '2026-01-01T10:20:30Z'],
    ['rfc3339ns', '2026-01-01T10:20:30.123456789Z', '2026-01-01T10:20:30.123456789Z'],
  ])('reads Datetime in %s', (_format, value, iso) => {
    expect(map({ Datetime: value })['@timestamp']).toBe(iso);
  });

  describe('Action', () => {
    it.each([
      ['allow', ['allowed'], 'success'],
      ['allowedOnNoRuleMatch', ['allowed'], 'success'],
      ['block', ['denied'], 'failure'],
      ['override', ['info'], 'success'],
      ['l4_override', ['info'], 'success'],
      ['audit_ssh', ['info'], 'unknown'],
    ])('%s has type %j and outcome %s', (action, type, outcome) => {
      const event = map({ Action: action });
      expect(getField(event, 'event.action')).toBe(action);
      expect(getField(event, 'event.type')).toEqual(type);
      expect(getField(event, 'event.outcome')).toBe(outcome);
    });

    it('leaves type info and outcome unknown without an Action', () => {
      const { Action: _, ...withoutAction } = base;
      expect(mapRecord(gatewayNetwork, withoutAction).event).toMatchObject({
        type: ['info'],
        outcome: 'unknown',
      });
    });
  });

  describe('transport and protocol', () => {
    it.each([
      [{ Transport: 'tcp' }, 'tcp', {}],
      [{ TransportProtocol: 'UDP' }, 'udp', {}],
      [{ Transport: 'tcp', TransportProtocol: 'udp' }, 'udp', { Transport: 'tcp' }],
      [{ Transport: 'sctp' }, undefined, { Transport: 'sctp' }],
    ])('%j → network.transport %s, vendor %j', (fields, transport, kept) => {
      const event = map(fields);
      expect(getField(event, 'network.transport')).toBe(transport);
      for (const name of ['Transport', 'TransportProtocol']) {
        expect(getField(event, `cloudflare.${name}`)).toBe((kept as CfRecord)[name]);
      }
    });

    it('lower-cases DetectedProtocol into network.protocol, and keeps "unknown" as a vendor value', () => {
      expect(getField(map({ DetectedProtocol: 'SSH' }), 'network.protocol')).toBe('ssh');
      const unknown = map({ DetectedProtocol: 'unknown' });
      expect(getField(unknown, 'network.protocol')).toBeUndefined();
      expect(getField(unknown, 'cloudflare.DetectedProtocol')).toBe('unknown');
    });
  });

  describe('destination', () => {
    it('leaves destination.domain and tls.* out without an SNI', () => {
      const event = map({ SNI: '' });
      expect(event.tls).toBeUndefined();
      expect(event.destination).toEqual({ address: '198.51.100.10', ip: '198.51.100.10', port: 443 });
      expect(event.related).toEqual({ ip: ['192.0.2.10', '198.51.100.10'] });
    });

    it('uses the SNI as the address when the destination IP is missing', () => {
      const { DestinationIP: _, ...withoutIp } = base;
      const event = mapRecord(gatewayNetwork, { ...withoutIp, SNI: 'www.example.com' });
      expect(getField(event, 'destination.address')).toBe('www.example.com');
    });

    it('sets no NAT port without an override IP, and no NAT port for OverridePort 0', () => {
      expect(getField(map({ OverridePort: 8080 }), 'destination.nat')).toBeUndefined();
      expect(getField(map({ OverrideIP: '192.0.2.80', OverridePort: 0 }), 'destination.nat')).toEqual({
        ip: '192.0.2.80',
      });
    });

    it('unwraps an IPv4-mapped IPv6 source', () => {
      expect(getField(map({ SourceIP: '::ffff:203.0.113.5' }), 'source.ip')).toBe('203.0.113.5');
    });
  });

  it('uses SessionID, Datetime and Action as the natural key of event.id', () => {
    const a = getField(map({ SourcePort: 1 }), 'event.id');
    expect(getField(map({ SourcePort: 2 }), 'event.id')).toBe(a);
    expect(getField(map({ SessionID: 'other' }), 'event.id')).not.toBe(a);
    expect(getField(map({ Datetime: '2026-01-01T00:00:01Z' }), 'event.id')).not.toBe(a);
  });

  it('quarantines an OverridePort that is not an integer', () => {
    expect(() => map({ OverridePort: 'eighty' })).toThrow(MappingError);
  });

  describe('signature', () => {
    it('recognises every fixture line and a minimal record (Datetime + SNI)', () => {
      for (const line of fixtureLines('gateway_network', 'sessions')) {
        expect(gatewayNetwork.matches(JSON.parse(line))).toBe(true);
      }
      expect(gatewayNetwork.matches({ Datetime: 1767225600, SNI: 'example.com' })).toBe(true);
    });

    it('does not take a gateway_http line, nor one with only shared gateway fields', () => {
      expect(gatewayNetwork.matches(JSON.parse(fixtureLines('gateway_http', 'proxied-requests')[0]!))).toBe(
        false,
      );
      expect(gatewayNetwork.matches({ Datetime: 1767225600, Action: 'block', SourceIP: '192.0.2.1' })).toBe(
        false,
      );
    });
  });
});
