import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { httpRequests, outcomeOfStatus, splitHostPort } from '../../../lambdas/datasets/http-requests.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [blockedLogin] = fixtureLines('http_requests', 'blocked-login');
const [legacyWaf] = fixtureLines('http_requests', 'legacy-waf');

const base: CfRecord = {
  ClientIP: '198.51.100.4',
  ClientRequestHost: 'www.example.com',
  EdgeStartTimestamp: '2026-01-01T00:00:00Z',
  RayID: '8f1e2d3c4b5a0001',
};
const map = (extra: CfRecord) => mapRecord(httpRequests, { ...base, ...extra });

describe('http_requests mapper', () => {
  it('maps a blocked login request to the complete ECS event', () => {
    expect(mapLine(httpRequests, blockedLogin!)).toEqual({
      '@timestamp': '2026-01-01T00:00:00.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['web'],
        type: ['access'],
        dataset: 'http_requests',
        action: 'block',
        outcome: 'failure',
        start: '2026-01-01T00:00:00.123456789Z',
        end: '2026-01-01T00:00:00.223456789Z',
        duration: 100_000_000,
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      source: {
        address: '203.0.113.10',
        ip: '203.0.113.10',
        port: 51234,
        as: { number: 64496 },
        geo: {
          city_name: 'Austin',
          country_iso_code: 'US',
          region_iso_code: 'US-TX',
          location: { lat: 30.2672, lon: -97.7431 },
        },
      },
      destination: { address: 'www.example.com' },
      url: {
        domain: 'www.example.com',
        registered_domain: 'example.com',
        subdomain: 'www',
        top_level_domain: 'com',
        scheme: 'https',
        port: 443,
        path: '/login',
        query: 'next=%2Faccount',
        original: '/login?next=%2Faccount',
        full: 'https://www.example.com/login?next=%2Faccount',
      },
      http: {
        version: '2',
        request: {
          id: '8f1e2d3c4b5a6978',
          method: 'POST',
          bytes: 2048,
          referrer: 'https://www.example.com/',
        },
        response: { status_code: 403, bytes: 1024, body: { bytes: 512 } },
      },
      network: { protocol: 'http' },
      tls: {
        version_protocol: 'tls',
        version: '1.3',
        cipher: 'AEAD-AES128-GCM-SHA256',
        client: { ja3: '0123456789abcdef0123456789abcdef' },
      },
      rule: { id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', description: 'Block logins from outside the office' },
      user: { email: 'alice@example.com' },
      user_agent: {
        original:
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
        name: 'Chrome',
        version: '124.0.0.0',
        os: { name: 'Mac OS', version: '10.15.7', full: 'Mac OS 10.15.7' },
        device: { name: 'Apple Macintosh' },
      },
      related: {
        ip: ['203.0.113.10'],
        hosts: ['www.example.com'],
        user: ['alice@example.com'],
        hash: ['0123456789abcdef0123456789abcdef'],
      },
      cloudflare: {
        BotScore: 12,
        BotScoreSrc: 'Machine Learning',
        BotTags: ['api'],
        CacheCacheStatus: 'dynamic',
        CacheReserveUsed: false,
        ClientDeviceType: 'desktop',
        ClientIPClass: 'noRecord',
        ClientMTLSAuthStatus: 'unknown',
        ClientRequestSource: 'eyeball',
        ClientTCPRTTMs: 0,
        EdgeColoCode: 'DFW',
        EdgeColoID: 30,
        EdgePathingOp: 'ban',
        EdgePathingSrc: 'filterBasedFirewall',
        EdgePathingStatus: 'nr',
        EdgeResponseCompressionRatio: 1.5,
        EdgeResponseContentType: 'text/html; charset=utf-8',
        EdgeTimeToFirstByteMs: 25,
        JA4: 't13d1516h2_8daaf6152771_b186095e22b6',
        OriginResponseStatus: 0,
        ParentRayID: '00',
        RayID: '8f1e2d3c4b5a6978',
        RequestHeaders: { 'cf-access-user': 'alice@example.com' },
        SecurityActions: ['block'],
        SecurityRuleIDs: ['a1b2c3d4e5f60718293a4b5c6d7e8f90'],
        SecuritySources: ['firewallCustom'],
        WAFAttackScore: 80,
        WorkerSubrequest: false,
        WorkerSubrequestCount: 0,
        ZoneName: 'example.com',
      },
    });
  });

  it('maps a legacy-WAF request (WAF* names, host with a port, plain HTTP/1.1 without TLS)', () => {
    const event = mapLine(httpRequests, legacyWaf!);
    expect(event.event).toMatchObject({ action: 'simulate', outcome: 'success', duration: 1_000_000_000 });
    expect(event.rule).toEqual({ id: '100016', description: 'Version Control - Information Disclosure' });
    expect(event.url).toMatchObject({
      domain: 'api.example.net',
      port: 8443,
      path: '/v1/items',
      query: 'id=42',
      full: 'https://api.example.net:8443/v1/items?id=42',
    });
    expect(event.destination).toEqual({ address: 'api.example.net', port: 8443 });
    expect(event.http).toMatchObject({ version: '1.1' });
    expect(event.tls).toBeUndefined();
    expect(event.cloudflare).toEqual({
      ClientSSLProtocol: 'none',
      ClientSSLCipher: 'NONE',
      FirewallMatchesActions: ['simulate'],
      FirewallMatchesRuleIDs: ['100016'],
      FirewallMatchesSources: ['waf'],
      RayID: '8f1e2d3c4b5a6979',
      WAFProfile: 'unknown',
      ZoneID: 123456789,
    });
  });

  it('takes @timestamp and event.start from EdgeStartTimestamp and event.end from EdgeEndTimestamp', () => {
    const event = map({
      EdgeStartTimestamp: '2026-01-01T00:00:00.250Z',
      EdgeEndTimestamp: '2026-01-01T00:00:01Z',
    });
    expect(event['@timestamp']).toBe('2026-01-01T00:00:00.250Z');
    expect(event.event).toMatchObject({
      start: '2026-01-01T00:00:00.250Z',
      end: '2026-01-01T00:00:01Z',
      duration: 750_000_000,
    });
    expect(event.cloudflare).toEqual({ RayID: '8f1e2d3c4b5a0001' });
  });

  it('uses RayID as http.request.id and as the natural key of event.id', () => {
    const a = map({ EdgeResponseStatus: 200 });
    const b = map({ EdgeResponseStatus: 500 });
    expect(getField(a, 'http.request.id')).toBe('8f1e2d3c4b5a0001');
    expect(getField(a, 'event.id')).toBe(getField(b, 'event.id'));
    expect(getField(map({ RayID: '8f1e2d3c4b5a0002' }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  describe('event.outcome', () => {
    it.each([
      [200, 'success'],
      [304, 'success'],
      [399, 'success'],
      [400, 'failure'],
      [403, 'failure'],
      [522, 'failure'],
    ])('is %s → %s (below 400 success, from 400 failure)', (status, outcome) => {
      expect(getField(map({ EdgeResponseStatus: status }), 'event.outcome')).toBe(outcome);
    });

    it('is unknown without a valid response status', () => {
      expect(getField(map({}), 'event.outcome')).toBe('unknown');
      expect(outcomeOfStatus(0)).toBe('unknown');
      expect(outcomeOfStatus('200')).toBe('unknown');
    });
  });

  describe('url', () => {
    it('takes url.path from the URI when ClientRequestPath is not selected, and url.query from the URI', () => {
      const event = map({ ClientRequestURI: '/a/b?x=1&y=2', ClientRequestScheme: 'http' });
      expect(event.url).toMatchObject({
        original: '/a/b?x=1&y=2',
        path: '/a/b',
        query: 'x=1&y=2',
        full: 'http://www.example.com/a/b?x=1&y=2',
        port: 80,
      });
    });

    it('prefers ClientRequestPath over the path part of the URI', () => {
      expect(getField(map({ ClientRequestPath: '/a', ClientRequestURI: '/b?q' }), 'url.path')).toBe('/a');
    });

    it('builds no url.full without a scheme', () => {
      const event = map({ ClientRequestURI: '/a' });
      expect(getField(event, 'url.full')).toBeUndefined();
      expect(getField(event, 'url.port')).toBeUndefined();
    });

    it('puts ClientRequestHost in destination.address and url.domain, without a destination.domain (SEKOIA)', () => {
      const event = map({});
      expect(event.destination).toEqual({ address: 'www.example.com' });
      expect(getField(event, 'url.domain')).toBe('www.example.com');
    });

    it('splits a port off the host, and leaves a bare IPv6 host whole', () => {
      expect(splitHostPort('example.com:8443')).toEqual({ host: 'example.com', port: 8443 });
      expect(splitHostPort('[2001:db8::1]:443')).toEqual({ host: '[2001:db8::1]', port: 443 });
      expect(splitHostPort('2001:db8::1')).toEqual({ host: '2001:db8::1' });
      expect(splitHostPort('example.com')).toEqual({ host: 'example.com' });
    });
  });

  describe('http.version and network.protocol', () => {
    it.each([
      ['HTTP/1.0', '1.0'],
      ['HTTP/1.1', '1.1'],
      ['HTTP/2', '2'],
      ['HTTP/3', '3'],
    ])('maps %s to http.version %s and network.protocol http', (protocol, version) => {
      const event = map({ ClientRequestProtocol: protocol });
      expect(getField(event, 'http.version')).toBe(version);
      expect(getField(event, 'network.protocol')).toBe('http');
      expect(getField(event, 'cloudflare.ClientRequestProtocol')).toBeUndefined();
    });

    it('keeps a protocol of another shape under cloudflare.* only', () => {
      const event = map({ ClientRequestProtocol: 'SPDY/3.1' });
      expect(getField(event, 'http.version')).toBeUndefined();
      expect(getField(event, 'cloudflare.ClientRequestProtocol')).toBe('SPDY/3.1');
    });
  });

  describe('tls', () => {
    it('splits ClientSSLProtocol into tls.version_protocol and tls.version', () => {
      expect(
        map({ ClientSSLProtocol: 'TLSv1.2', ClientSSLCipher: 'ECDHE-RSA-AES128-GCM-SHA256' }).tls,
      ).toEqual({
        version_protocol: 'tls',
        version: '1.2',
        cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
      });
      expect(map({ ClientSSLProtocol: 'SSLv3' }).tls).toEqual({ version_protocol: 'ssl', version: '3' });
    });

    it('sets no tls.* for "none" and keeps the evidence under cloudflare.*', () => {
      const event = map({ ClientSSLProtocol: 'none', ClientSSLCipher: 'NONE' });
      expect(event.tls).toBeUndefined();
      expect(event.cloudflare).toMatchObject({ ClientSSLProtocol: 'none', ClientSSLCipher: 'NONE' });
    });

    it('maps JA3Hash to tls.client.ja3 and the mTLS certificate fingerprint to tls.client.hash.sha256, both in related.hash', () => {
      const sha = 'a'.repeat(64);
      const event = map({ JA3Hash: 'b'.repeat(32), ClientMTLSAuthCertFingerprint: sha });
      expect(getField(event, 'tls.client')).toEqual({ ja3: 'b'.repeat(32), hash: { sha256: sha } });
      expect(getField(event, 'related.hash')).toEqual([sha, 'b'.repeat(32)]);
    });
  });

  describe('security action and rule', () => {
    it('maps SecurityAction, SecurityRuleID and SecurityRuleDescription to event.action and rule.*', () => {
      const event = map({
        SecurityAction: 'managedChallenge',
        SecurityRuleID: 'r1',
        SecurityRuleDescription: 'd',
      });
      expect(getField(event, 'event.action')).toBe('managedChallenge');
      expect(event.rule).toEqual({ id: 'r1', description: 'd' });
    });

    it('maps the legacy WAFAction, WAFRuleID and WAFRuleMessage the same way', () => {
      const event = map({ WAFAction: 'drop', WAFRuleID: '981176', WAFRuleMessage: 'Inbound anomaly' });
      expect(getField(event, 'event.action')).toBe('drop');
      expect(event.rule).toEqual({ id: '981176', description: 'Inbound anomaly' });
      expect(event.cloudflare).toEqual({ RayID: '8f1e2d3c4b5a0001' });
    });

    it('prefers the renamed fields when both are present and keeps the legacy values', () => {
      const event = map({
        SecurityAction: 'block',
        WAFAction: 'simulate',
        SecurityRuleID: 'new',
        WAFRuleID: 'old',
      });
      expect(getField(event, 'event.action')).toBe('block');
      expect(getField(event, 'rule.id')).toBe('new');
      expect(event.cloudflare).toMatchObject({ WAFAction: 'simulate', WAFRuleID: 'old' });
    });

    it('does not call "unknown" an action', () => {
      for (const record of [{ SecurityAction: 'unknown' }, { WAFAction: 'unknown' }]) {
        const event = map(record);
        expect(getField(event, 'event.action')).toBeUndefined();
        expect(event.cloudflare).toMatchObject(record);
      }
    });
  });

  describe('source geo', () => {
    it('maps ClientLatitude/ClientLongitude to source.geo.location as numbers', () => {
      const event = map({ ClientLatitude: '-33.86', ClientLongitude: '151.21' });
      expect(getField(event, 'source.geo.location')).toEqual({ lat: -33.86, lon: 151.21 });
      expect(getField(event, 'cloudflare.ClientLatitude')).toBeUndefined();
    });

    it('keeps coordinates that are not numbers under cloudflare.*', () => {
      const event = map({ ClientLatitude: 'n/a', ClientLongitude: '151.21' });
      expect(getField(event, 'source.geo.location')).toBeUndefined();
      expect(event.cloudflare).toMatchObject({ ClientLatitude: 'n/a', ClientLongitude: '151.21' });
    });

    it('prefixes a bare region code with the country (ISO 3166-2) and leaves a full one alone', () => {
      expect(getField(map({ ClientCountry: 'gb', ClientRegionCode: 'ENG' }), 'source.geo')).toEqual({
        country_iso_code: 'GB',
        region_iso_code: 'GB-ENG',
      });
      expect(
        getField(map({ ClientCountry: 'ca', ClientRegionCode: 'CA-QC' }), 'source.geo.region_iso_code'),
      ).toBe('CA-QC');
      expect(getField(map({ ClientRegionCode: 'QC' }), 'source.geo.region_iso_code')).toBe('QC');
    });
  });

  describe('cf-access-user request header (per-request Access identity)', () => {
    it.each([
      ['an email', 'dana@example.com', 'user.email'],
      ['a user UUID', '3f1d6a7e-1b2c-4d5e-8f90-a1b2c3d4e5f6', 'user.id'],
      ['anything else', 'service-token-ci', 'user.name'],
    ])('maps %s to %s', (_what, value, path) => {
      const event = map({ RequestHeaders: { 'cf-access-user': value } });
      expect(event.user).toEqual({ [path.split('.')[1]!]: value });
    });

    it('matches the header name whatever its case and keeps RequestHeaders whole', () => {
      const headers = { 'CF-Access-User': 'dana@example.com', 'x-request-id': 'abc' };
      const event = map({ RequestHeaders: headers });
      expect(getField(event, 'user.email')).toBe('dana@example.com');
      expect(getField(event, 'related.user')).toEqual(['dana@example.com']);
      expect(getField(event, 'cloudflare.RequestHeaders')).toEqual(headers);
    });

    it('sets no user without the header', () => {
      expect(map({ RequestHeaders: { 'x-other': 'dana@example.com' } }).user).toBeUndefined();
    });
  });

  it('keeps Worker subrequests under cloudflare.Subrequests', () => {
    const sub = [
      { RayID: '8f1e2d3c4b5a0003', ClientRequestHost: 'api.example.com', EdgeResponseStatus: 200 },
    ];
    expect(getField(map({ WorkerSubrequestCount: 1, Subrequests: sub }), 'cloudflare.Subrequests')).toEqual(
      sub,
    );
  });

  it('does not take the Content-Type header for http.response.mime_type (ECS: body only)', () => {
    const event = map({ EdgeResponseContentType: 'application/json' });
    expect(getField(event, 'http.response.mime_type')).toBeUndefined();
    expect(getField(event, 'cloudflare.EdgeResponseContentType')).toBe('application/json');
  });
});
