import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { dnsResponseOutcome } from '../../../lambdas/datasets/dns-codes.ts';
import { dnsLogs } from '../../../lambdas/datasets/dns-logs.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [cachedAaaa, nxdomain, refused] = fixtureLines('dns_logs', 'authoritative-queries');

const base: CfRecord = {
  QueryName: 'www.example.com.',
  QueryType: 1,
  ResponseCode: 0,
  SourceIP: '192.0.2.10',
  Timestamp: '2026-01-01T00:00:00Z',
};
const map = (extra: CfRecord) => mapRecord(dnsLogs, { ...base, ...extra });

describe('dns_logs mapper', () => {
  it('maps a cached AAAA answer (unixnano time, IPv6 resolver) to the complete ECS event', () => {
    expect(mapLine(dnsLogs, cachedAaaa!)).toEqual({
      '@timestamp': '2026-01-01T10:20:30.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['info'],
        outcome: 'success',
        dataset: 'dns_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'dns' },
      source: { address: '2001:db8:53::1', ip: '2001:db8:53::1' },
      network: { protocol: 'dns' },
      dns: {
        question: {
          name: 'www.example.com',
          type: 'AAAA',
          registered_domain: 'example.com',
          subdomain: 'www',
          top_level_domain: 'com',
        },
        response_code: 'NoError',
      },
      related: { ip: ['2001:db8:53::1'], hosts: ['www.example.com'] },
      cloudflare: {
        ColoCode: 'AMS',
        EDNSSubnet: '198.51.100.0',
        EDNSSubnetLength: 24,
        QueryType: 28,
        ResponseCached: true,
        ResponseCode: 0,
      },
    });
  });

  it('maps an NXDomain answer to a failure; unix seconds; an IPv4-mapped resolver address is unwrapped', () => {
    const event = mapLine(dnsLogs, nxdomain!);
    expect(event['@timestamp']).toBe('2026-01-01T10:20:30Z');
    expect(event.event).toMatchObject({ type: ['info'], outcome: 'failure' });
    expect(event.dns).toMatchObject({
      question: { name: 'missing.example.org', type: 'A' },
      response_code: 'NXDomain',
    });
    expect(event.source).toEqual({ address: '192.0.2.53', ip: '192.0.2.53' });
    // EDNSSubnet "" is dropped, EDNSSubnetLength 0 and ResponseCached false stay.
    expect(event.cloudflare).toEqual({
      ColoCode: 'FRA',
      EDNSSubnetLength: 0,
      QueryType: 1,
      ResponseCached: false,
      ResponseCode: 3,
    });
  });

  it('maps a refused TXT query in rfc3339ms with an IPv6 EDNS subnet kept as it is', () => {
    const event = mapLine(dnsLogs, refused!);
    expect(event['@timestamp']).toBe('2026-01-01T10:20:30.123Z');
    expect(getField(event, 'event.outcome')).toBe('failure');
    expect(getField(event, 'dns.response_code')).toBe('Refused');
    expect(getField(event, 'dns.question')).toEqual({
      name: 'example.net',
      type: 'TXT',
      registered_domain: 'example.net',
      top_level_domain: 'net',
    });
    expect(getField(event, 'cloudflare.EDNSSubnet')).toBe('2001:db8:1234::');
  });

  it.each([
    ['rfc3339', '2026-01-01T10:20:30Z', '2026-01-01T10:20:30Z'],
    ['rfc3339ns', '2026-01-01T10:20:30.000000001Z', '2026-01-01T10:20:30.000000001Z'],
    ['unix', 1767262830, '2026-01-01T10:20:30Z'],
  ])('reads Timestamp in %s', (_format, value, iso) => {
    expect(map({ Timestamp: value })['@timestamp']).toBe(iso);
  });

  it('keeps a 19-digit unixnano Timestamp exact to the nanosecond', () => {
    const event = mapLine(dnsLogs, '{"Timestamp":1767262830999999999,"ResponseCode":0}');
    expect(event['@timestamp']).toBe('2026-01-01T10:20:30.999999999Z');
  });

  describe('event.outcome from ResponseCode', () => {
    it.each([
      [0, 'NoError', 'success'],
      [1, 'FormErr', 'failure'],
      [2, 'ServFail', 'failure'],
      [3, 'NXDomain', 'failure'],
      [5, 'Refused', 'failure'],
      [9, 'NotAuth', 'failure'],
    ])('RCODE %i is %s, outcome %s', (code, name, outcome) => {
      const event = map({ ResponseCode: code });
      expect(getField(event, 'dns.response_code')).toBe(name);
      expect(getField(event, 'event.outcome')).toBe(outcome);
      expect(getField(event, 'cloudflare.ResponseCode')).toBe(code);
      expect(dnsResponseOutcome(code)).toBe(outcome);
    });

    it('keeps an RCODE the registry does not name as a number only, still a failure', () => {
      const event = map({ ResponseCode: 4000 });
      expect(getField(event, 'dns.response_code')).toBeUndefined();
      expect(getField(event, 'cloudflare.ResponseCode')).toBe(4000);
      expect(getField(event, 'event.outcome')).toBe('failure');
    });

    it('is unknown without a ResponseCode', () => {
      const { ResponseCode: _, ...withoutCode } = base;
      const event = mapRecord(dnsLogs, withoutCode);
      expect(getField(event, 'event.outcome')).toBe('unknown');
      expect(getField(event, 'dns.response_code')).toBeUndefined();
    });

    it('reads a ResponseCode written as a string like a number', () => {
      expect(getField(map({ ResponseCode: '3' }), 'dns.response_code')).toBe('NXDomain');
    });
  });

  describe('dns.question', () => {
    it.each([
      [1, 'A'],
      [2, 'NS'],
      [5, 'CNAME'],
      [15, 'MX'],
      [28, 'AAAA'],
      [65, 'HTTPS'],
      [257, 'CAA'],
      [65353, 'TYPE65353'],
    ])('writes QueryType %i as %s and keeps the number', (code, name) => {
      const event = map({ QueryType: code });
      expect(getField(event, 'dns.question.type')).toBe(name);
      expect(getField(event, 'cloudflare.QueryType')).toBe(code);
    });

    it('drops the trailing dot, keeps the case and the root', () => {
      expect(getField(map({ QueryName: 'foO-BAR-baz.example.' }), 'dns.question.name')).toBe(
        'foO-BAR-baz.example',
      );
      expect(getField(map({ QueryName: '.' }), 'dns.question.name')).toBe('.');
    });

    it('leaves dns.question out when the job did not select QueryName and QueryType', () => {
      const { QueryName: _n, QueryType: _t, ...rest } = base;
      expect(getField(mapRecord(dnsLogs, rest), 'dns.question')).toBeUndefined();
    });
  });

  it('keeps an invalid SourceIP under cloudflare.SourceIP instead of source.ip', () => {
    const event = map({ SourceIP: 'not-an-ip' });
    expect(event.source).toBeUndefined();
    expect(getField(event, 'cloudflare.SourceIP')).toBe('not-an-ip');
  });

  it('hashes the line for event.id (no natural key): another query gets another id', () => {
    const a = getField(map({}), 'event.id');
    expect(getField(map({}), 'event.id')).toBe(a);
    expect(getField(map({ QueryName: 'other.example.com.' }), 'event.id')).not.toBe(a);
  });

  it('quarantines a QueryType that is not an integer', () => {
    expect(() => map({ QueryType: 'AAAA' })).toThrow(MappingError);
  });

  describe('signature', () => {
    it('recognises a full record and a minimal one (Timestamp + ResponseCode)', () => {
      expect(dnsLogs.matches(JSON.parse(cachedAaaa!))).toBe(true);
      expect(dnsLogs.matches({ Timestamp: 1767262830, ResponseCode: 0 })).toBe(true);
    });

    it('does not take a dns_firewall_logs-like line (ClientResponseCode) nor one without Timestamp', () => {
      const firewall = {
        Timestamp: 1767262830,
        QueryName: 'example.com',
        QueryType: 1,
        ClientResponseCode: 0,
      };
      expect(dnsLogs.matches(firewall)).toBe(false);
      expect(dnsLogs.matches({ QueryName: 'example.com', ResponseCode: 0 })).toBe(false);
    });
  });
});
