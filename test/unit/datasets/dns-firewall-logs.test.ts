import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { dnsResponseOutcome } from '../../../lambdas/datasets/dns-codes.ts';
import { dnsFirewallLogs } from '../../../lambdas/datasets/dns-firewall-logs.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [answered, timedOut] = fixtureLines('dns_firewall_logs', 'upstream-answer');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  QueryName: 'www.example.com',
  SourceIP: '192.0.2.10',
};
const map = (extra: CfRecord) => mapRecord(dnsFirewallLogs, { ...base, ...extra });

describe('dns_firewall_logs mapper', () => {
  it('maps a query answered by the upstream to the complete ECS event', () => {
    expect(mapLine(dnsFirewallLogs, answered!)).toEqual({
      '@timestamp': '2026-01-01T08:15:42.250Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['info'],
        action: 'upstream_response',
        outcome: 'success',
        dataset: 'dns_firewall_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'dns' },
      source: { address: '198.51.100.23', ip: '198.51.100.23', bytes: 45 },
      destination: { address: '192.0.2.53', ip: '192.0.2.53' },
      network: { protocol: 'dns', transport: 'udp' },
      dns: {
        question: {
          name: 'mail.example.com',
          type: 'MX',
          registered_domain: 'example.com',
          subdomain: 'mail',
          top_level_domain: 'com',
        },
        response_code: 'NoError',
      },
      related: { ip: ['192.0.2.53', '198.51.100.23'], hosts: ['mail.example.com'] },
      cloudflare: {
        ClientResponseCode: 0,
        ClusterID: '00000000-0000-4000-8000-000000000011',
        ColoCode: 'FRA',
        EDNSSubnet: '203.0.113.0',
        EDNSSubnetLength: 24,
        QueryDO: true,
        QueryRD: true,
        QueryTCP: false,
        QueryType: 15,
        ResponseCached: false,
        ResponseCachedStale: false,
        UpstreamResponseCode: 0,
        UpstreamResponseTimeMs: 18,
      },
    });
  });

  it('maps an upstream timeout over TCP from an IPv6 client to a ServFail failure', () => {
    const event = mapLine(dnsFirewallLogs, timedOut!);
    expect(event.event).toMatchObject({ action: 'upstream_timeout', outcome: 'failure' });
    expect(getField(event, 'dns.response_code')).toBe('ServFail');
    expect(getField(event, 'dns.question.type')).toBe('AAAA');
    expect(event.network).toEqual({ protocol: 'dns', transport: 'tcp' });
    expect(event.source).toEqual({ address: '2001:db8::53', ip: '2001:db8::53', bytes: 40 });
  });

  describe('event.outcome from ClientResponseCode', () => {
    it.each([
      [0, 'NoError', 'success'],
      [3, 'NXDomain', 'failure'],
      [1, 'FormErr', 'failure'],
      [2, 'ServFail', 'failure'],
      [5, 'Refused', 'failure'],
    ])('code %i is %s with outcome %s, and the number is kept', (code, name, outcome) => {
      const event = map({ ClientResponseCode: code });
      expect(getField(event, 'dns.response_code')).toBe(name);
      expect(getField(event, 'event.outcome')).toBe(outcome);
      expect(getField(event, 'cloudflare.ClientResponseCode')).toBe(code);
      expect(dnsResponseOutcome(code)).toBe(outcome);
    });

    it('leaves a code the registry does not name without dns.response_code, a failure', () => {
      const event = map({ ClientResponseCode: 4000 });
      expect(getField(event, 'dns.response_code')).toBeUndefined();
      expect(getField(event, 'event.outcome')).toBe('failure');
    });

    it('is unknown without a response code', () => {
      const event = map({});
      expect(getField(event, 'event.outcome')).toBe('unknown');
      expect(getField(event, 'dns.response_code')).toBeUndefined();
    });
  });

  it('reads a response code written as a string like a number', () => {
    expect(getField(map({ ClientResponseCode: '3' }), 'dns.response_code')).toBe('NXDomain');
  });

  it('names a query type without a mnemonic the RFC 3597 way and keeps the case of the name', () => {
    const event = map({ QueryType: 65353, QueryName: 'Host-1.Example.com.' });
    expect(getField(event, 'dns.question.type')).toBe('TYPE65353');
    expect(getField(event, 'dns.question.name')).toBe('Host-1.Example.com');
  });

  it('leaves network.transport out when QueryTCP is absent', () => {
    expect(map({}).network).toEqual({ protocol: 'dns' });
  });

  it('unwraps an IPv4-mapped IPv6 source address', () => {
    expect(getField(map({ SourceIP: '::ffff:203.0.113.9' }), 'source.ip')).toBe('203.0.113.9');
  });

  it('keeps a source address that is not an IP under cloudflare.SourceIP', () => {
    const event = map({ SourceIP: 'not-an-ip' });
    expect(getField(event, 'source.ip')).toBeUndefined();
    expect(getField(event, 'cloudflare.SourceIP')).toBe('not-an-ip');
  });

  it('quarantines a line whose ClientResponseCode is not an integer', () => {
    expect(() => map({ ClientResponseCode: 'NOERROR' })).toThrow(MappingError);
  });

  it('has no natural key: identical lines share an event.id, different lines do not', () => {
    expect(getField(map({ QueryType: 1 }), 'event.id')).toBe(getField(map({ QueryType: 1 }), 'event.id'));
    expect(getField(map({ QueryType: 1 }), 'event.id')).not.toBe(
      getField(map({ QueryType: 28 }), 'event.id'),
    );
  });

  describe('signature', () => {
    it('matches the fixture records and a time field with one DNS Firewall name', () => {
      for (const line of [answered!, timedOut!]) expect(dnsFirewallLogs.matches(JSON.parse(line))).toBe(true);
      expect(dnsFirewallLogs.matches({ Timestamp: 1767225600, ClientResponseCode: 0 })).toBe(true);
      expect(dnsFirewallLogs.matches({ Timestamp: 1767225600, UpstreamIP: '192.0.2.1' })).toBe(true);
    });

    it('does not match a dns_logs line (same Timestamp, QueryName, SourceIP, ResponseCode)', () => {
      const dnsLogs = {
        Timestamp: 1767225600,
        QueryName: 'example.com',
        QueryType: 1,
        ResponseCode: 0,
        ResponseCached: false,
        SourceIP: '192.0.2.1',
        ColoCode: 'AMS',
        EDNSSubnet: '198.51.100.0',
      };
      expect(dnsFirewallLogs.matches(dnsLogs)).toBe(false);
    });
  });
});
