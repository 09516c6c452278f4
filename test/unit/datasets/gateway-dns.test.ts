import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import {
  DNS_RESPONSE_CODES,
  DNS_TYPES,
  dnsClassName,
  dnsQuestionName,
  dnsResponseCodeName,
  dnsTypeName,
} from '../../../lambdas/datasets/dns-codes.ts';
import { decisionCategorization, gatewayDns } from '../../../lambdas/datasets/gateway-dns.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [blockedQuery] = fixtureLines('gateway_dns', 'blocked-query');
const [allowedQuery] = fixtureLines('gateway_dns', 'allowed-query');

const base: CfRecord = {
  Datetime: '2026-01-01T00:00:00Z',
  QueryID: '00000000-0000-4000-8000-000000000001',
  QueryName: 'www.example.com',
  SrcIP: '192.0.2.10',
};
const map = (extra: CfRecord) => mapRecord(gatewayDns, { ...base, ...extra });

describe('gateway_dns mapper', () => {
  it('maps a query blocked by category to the complete ECS event', () => {
    expect(mapLine(gatewayDns, blockedQuery!)).toEqual({
      '@timestamp': '2026-01-01T10:20:30.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['denied', 'info'],
        action: 'blockedByCategory',
        outcome: 'failure',
        duration: 3_000_000,
        dataset: 'gateway_dns',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'dns' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      device: { id: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b' },
      host: { hostname: 'laptop-0042', name: 'laptop-0042' },
      user: { email: 'bob@example.com', id: '0a1b2c3d-0000-4000-8000-000000000042' },
      rule: { id: '3f4e5d6c-7b8a-4c9d-8e0f-1a2b3c4d5e6f', name: 'Block C2' },
      source: {
        address: '203.0.113.77',
        ip: '203.0.113.77',
        port: 0,
        geo: { continent_code: 'EU', country_iso_code: 'NL' },
      },
      destination: { address: '192.0.2.53', ip: '192.0.2.53', port: 853 },
      network: { protocol: 'dns', transport: 'tcp' },
      dns: {
        question: {
          name: 'c2.example.net',
          type: 'AAAA',
          registered_domain: 'example.net',
          subdomain: 'c2',
          top_level_domain: 'net',
        },
        response_code: 'NoError',
      },
      related: {
        ip: ['192.0.2.53', '203.0.113.77'],
        hosts: ['c2.example.net', 'laptop-0042'],
        user: ['bob@example.com'],
      },
      cloudflare: {
        ApplicationID: 0,
        ColoCode: 'AMS',
        ColoID: 17,
        InitialCategoryIDs: [80],
        IsResponseCached: false,
        Location: 'Office',
        LocationID: '7bdc7a9c-81d3-4816-8e56-000000000001',
        MatchedCategoryIDs: [80],
        MatchedCategoryNames: ['Command and Control & Botnet'],
        Protocol: 'tls',
        QueryCategoryIDs: [80],
        QueryCategoryNames: ['Command and Control & Botnet'],
        QueryID: 'c0ffee00-1111-4222-8333-444455556666',
        QueryNameReversed: 'net.example.c2',
        QuerySize: 64,
        QueryType: 28,
        ResponseTimeMs: 3,
        TimeZoneInferredMethod: 'noScheduleConfigured',
      },
    });
  });

  it('uses QueryID as the natural key of event.id', () => {
    const a = map({ RCode: 0 });
    expect(getField(map({ RCode: 3 }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ QueryID: 'other' }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  describe('dns.question', () => {
    it('takes the type from QueryTypeName when present', () => {
      expect(getField(map({ QueryType: 65, QueryTypeName: 'HTTPS' }), 'dns.question.type')).toBe('HTTPS');
    });

    it.each([
      [1, 'A'],
      [2, 'NS'],
      [5, 'CNAME'],
      [6, 'SOA'],
      [12, 'PTR'],
      [15, 'MX'],
      [16, 'TXT'],
      [28, 'AAAA'],
      [33, 'SRV'],
      [35, 'NAPTR'],
      [43, 'DS'],
      [46, 'RRSIG'],
      [47, 'NSEC'],
      [48, 'DNSKEY'],
      [50, 'NSEC3'],
      [52, 'TLSA'],
      [64, 'SVCB'],
      [65, 'HTTPS'],
      [255, 'ANY'],
      [257, 'CAA'],
    ])('falls back to the IANA mnemonic of QueryType %i (%s)', (code, name) => {
      const event = map({ QueryType: code });
      expect(getField(event, 'dns.question.type')).toBe(name);
      expect(getField(event, 'cloudflare.QueryType')).toBe(code);
    });

    it('writes a type without a mnemonic the RFC 3597 way (TYPE65353)', () => {
      expect(getField(map({ QueryType: 65353 }), 'dns.question.type')).toBe('TYPE65353');
    });

    it('drops the trailing dot of a fully qualified name but keeps the root', () => {
      expect(getField(map({ QueryName: 'www.example.com.' }), 'dns.question.name')).toBe('www.example.com');
      expect(getField(map({ QueryName: '.' }), 'dns.question.name')).toBe('.');
    });

    it('keeps the case of the name and does not split a non-public suffix', () => {
      expect(getField(map({ QueryName: 'Host-1.corp.internal' }), 'dns.question')).toEqual({
        name: 'Host-1.corp.internal',
      });
    });
  });

  describe('dns.response_code', () => {
    it.each([
      [0, 'NoError'],
      [1, 'FormErr'],
      [2, 'ServFail'],
      [3, 'NXDomain'],
      [4, 'NotImp'],
      [5, 'Refused'],
      [9, 'NotAuth'],
      [16, 'BADVERS'],
      [23, 'BADCOOKIE'],
    ])('names RCode %i %s and drops the number', (code, name) => {
      const event = map({ RCode: code });
      expect(getField(event, 'dns.response_code')).toBe(name);
      expect(getField(event, 'cloudflare.RCode')).toBeUndefined();
    });

    it('keeps an RCode the registry does not name under cloudflare.RCode', () => {
      const event = map({ RCode: 4000 });
      expect(getField(event, 'dns.response_code')).toBeUndefined();
      expect(getField(event, 'cloudflare.RCode')).toBe(4000);
    });
  });

  it('maps the valid ResolvedIPs to dns.resolved_ip and related.ip', () => {
    const event = map({ ResolvedIPs: ['198.51.100.1', '2001:DB8::1'] });
    expect(getField(event, 'dns.resolved_ip')).toEqual(['198.51.100.1', '2001:db8::1']);
    expect(getField(event, 'related.ip')).toEqual(['192.0.2.10', '198.51.100.1', '2001:db8::1']);
  });

  describe('network', () => {
    it.each([
      ['udp', 'udp'],
      ['tcp', 'tcp'],
      ['tls', 'tcp'],
      ['https', undefined],
    ])('maps Protocol %s to network.transport %s and keeps cloudflare.Protocol', (protocol, transport) => {
      const event = map({ Protocol: protocol });
      expect(getField(event, 'network')).toEqual(
        transport ? { protocol: 'dns', transport } : { protocol: 'dns' },
      );
      expect(getField(event, 'cloudflare.Protocol')).toBe(protocol);
    });
  });

  describe('ResolverDecision', () => {
    it.each([
      ['blockedByCategory', ['denied', 'info'], 'failure'],
      ['blockedByQueryName', ['denied', 'info'], 'failure'],
      ['blockedAlwaysCategory', ['denied', 'info'], 'failure'],
      ['allowedByQueryName', ['allowed', 'info'], 'success'],
      ['allowedOnNoPolicyMatch', ['allowed', 'info'], 'success'],
      ['overrideForSafeSearch', ['info'], 'success'],
      ['overrideApplied', ['info'], 'success'],
      ['somethingNew', ['info'], 'unknown'],
    ])('%s is event.action with type %j and outcome %s', (decision, type, outcome) => {
      const event = map({ ResolverDecision: decision });
      expect(getField(event, 'event.action')).toBe(decision);
      expect(getField(event, 'event.type')).toEqual(type);
      expect(getField(event, 'event.outcome')).toBe(outcome);
      expect(decisionCategorization(decision)).toEqual({ type, outcome });
    });

    it('leaves type info and outcome unknown without a decision', () => {
      expect(getField(map({}), 'event')).toMatchObject({ type: ['info'], outcome: 'unknown' });
    });
  });

  it('maps the policy to rule.id and rule.name, and the user, device and account', () => {
    const event = map({
      PolicyID: 'p-1',
      PolicyName: 'Allow corp',
      Email: 'erin@example.com',
      UserID: 'u-1',
      DeviceID: 'd-1',
      DeviceName: 'erin-mbp',
      AccountID: 'a-1',
    });
    expect(event.rule).toEqual({ id: 'p-1', name: 'Allow corp' });
    expect(event.user).toEqual({ email: 'erin@example.com', id: 'u-1' });
    expect(event.device).toEqual({ id: 'd-1' });
    expect(event.host).toEqual({ hostname: 'erin-mbp', name: 'erin-mbp' });
    expect(getField(event, 'cloud.account.id')).toBe('a-1');
  });
});

describe('gateway_dns addresses', () => {
  it.each([
    ['2001:db8::10', '2001:db8::10'],
    ['::ffff:192.0.2.10', '192.0.2.10'],
  ])('maps an IPv6 client %s to source.ip %s', (ip, expected) => {
    const event = map({ SrcIP: ip, DstIP: '2001:db8::53', DstPort: 53 });
    expect(event.source).toMatchObject({ ip: expected, address: expected });
    expect(event.destination).toEqual({ ip: '2001:db8::53', address: '2001:db8::53', port: 53 });
    expect(getField(event, 'related.ip')).toEqual([expected, '2001:db8::53'].sort());
  });
});

describe('DNS code tables', () => {
  it('gives every type and response code a distinct name', () => {
    for (const table of [DNS_TYPES, DNS_RESPONSE_CODES]) {
      const names = Object.values(table);
      expect(new Set(names).size).toBe(names.length);
    }
    expect(Object.keys(DNS_TYPES).length).toBeGreaterThanOrEqual(40);
  });

  it('names codes and leaves unassigned response codes unnamed', () => {
    expect(dnsTypeName(99)).toBe('SPF');
    expect(dnsTypeName(3)).toBe('TYPE3');
    expect(dnsResponseCodeName(11)).toBe('DSOTYPENI');
    expect(dnsResponseCodeName(12)).toBeUndefined();
    expect(dnsQuestionName('example.com')).toBe('example.com');
  });
});

describe('gateway_dns answers', () => {
  const records = [
    { name: 'www.example.com', type: 'CNAME', class: 'IN', ttl: 3600, rdata: 'cdn.example.net.' },
    { name: 'cdn.example.net', type: 'A', class: 'IN', ttl: 300, rdata: '198.51.100.7' },
  ];

  it('maps the answers and resolved addresses of an allowed query', () => {
    const event = mapLine(gatewayDns, allowedQuery!);
    expect(getField(event, 'dns.answers')).toEqual([
      { name: 'www.example.com', type: 'CNAME', class: 'IN', ttl: 3600, data: 'cdn.example.net.' },
      { name: 'cdn.example.net', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.80' },
    ]);
    expect(getField(event, 'dns.resolved_ip')).toEqual(['192.0.2.80']);
    expect(getField(event, 'related.ip')).toEqual(['192.0.2.53', '192.0.2.77', '192.0.2.80']);
    expect(getField(event, 'event.outcome')).toBe('success');
  });

  it('maps ResourceRecordsJSON to dns.answers, rdata as data, and drops the string it came from', () => {
    const event = map({ ResourceRecordsJSON: JSON.stringify(records) });
    expect(getField(event, 'dns.answers')).toEqual([
      { name: 'www.example.com', type: 'CNAME', class: 'IN', ttl: 3600, data: 'cdn.example.net.' },
      { name: 'cdn.example.net', type: 'A', class: 'IN', ttl: 300, data: '198.51.100.7' },
    ]);
    expect(getField(event, 'cloudflare.ResourceRecordsJSON')).toBeUndefined();
  });

  it.each([
    ['not JSON', '[{"name":'],
    ['not a list', '{"name":"www.example.com"}'],
    ['an empty list', '[]'],
    ['a record with another key', '[{"name":"www.example.com","rdata":"x","extra":1}]'],
    ['a list of strings', '["www.example.com"]'],
  ])('keeps ResourceRecordsJSON that is %s under cloudflare.*', (_what, json) => {
    const event = map({ ResourceRecordsJSON: json });
    expect(getField(event, 'dns.answers')).toBeUndefined();
    expect(getField(event, 'cloudflare.ResourceRecordsJSON')).toBe(json);
  });

  it('names a type and class written as numbers and reads a TTL written as digits (the lake types them)', () => {
    const json = JSON.stringify([
      { name: 'www.example.com', type: 5, class: 1, ttl: '3600', rdata: 'cdn.example.net.' },
      { name: 'cdn.example.net', type: '28', class: '1', ttl: 300, rdata: '2001:db8::7' },
      { name: 'odd.example.net', type: 65280, class: 3, ttl: 0, rdata: '192.0.2.7' },
    ]);
    expect(getField(map({ ResourceRecordsJSON: json }), 'dns.answers')).toEqual([
      { name: 'www.example.com', type: 'CNAME', class: 'IN', ttl: 3600, data: 'cdn.example.net.' },
      { name: 'cdn.example.net', type: 'AAAA', class: 'IN', ttl: 300, data: '2001:db8::7' },
      { name: 'odd.example.net', type: 'TYPE65280', class: 'CH', ttl: 0, data: '192.0.2.7' },
    ]);
    expect(dnsClassName(42)).toBe('CLASS42');
  });

  it.each([
    ['a TTL that is not a number', { ttl: 'long' }],
    ['a negative TTL', { ttl: -1 }],
    ['a fractional type', { type: 1.5 }],
    ['rdata that is an object', { rdata: { address: '192.0.2.7' } }],
  ])(
    'keeps ResourceRecordsJSON with %s under cloudflare.* instead of a mistyped dns.answers',
    (_what, bad) => {
      const json = JSON.stringify([
        { name: 'www.example.com', type: 'A', class: 'IN', ttl: 60, rdata: '192.0.2.7', ...bad },
      ]);
      const event = map({ ResourceRecordsJSON: json });
      expect(getField(event, 'dns.answers')).toBeUndefined();
      expect(getField(event, 'cloudflare.ResourceRecordsJSON')).toBe(json);
    },
  );
});
