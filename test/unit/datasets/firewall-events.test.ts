import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { actionType, firewallEvents } from '../../../lambdas/datasets/firewall-events.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [managedBlock, customLog] = fixtureLines('firewall_events', 'managed-rule');

const base: CfRecord = {
  ClientIP: '198.51.100.23',
  Datetime: '2026-01-01T00:00:00Z',
  RayID: '8f1e2d3c4b5a0100',
  Source: 'firewallCustom',
  RuleID: 'r-1',
  MatchIndex: 0,
};
const map = (extra: CfRecord) => mapRecord(firewallEvents, { ...base, ...extra });

describe('firewall_events mapper', () => {
  it('maps a managed-rule block to the complete ECS event', () => {
    expect(mapLine(firewallEvents, managedBlock!)).toEqual({
      '@timestamp': '2026-01-01T00:00:00.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['denied'],
        action: 'block',
        outcome: 'failure',
        dataset: 'firewall_events',
        module: 'cloudflare.firewallManaged',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'firewall' },
      rule: {
        id: 'e3a567afc347477d9702d9047e97d760',
        ruleset: 'firewallManaged',
        description: 'Version Control - Information Disclosure',
      },
      source: {
        address: '198.51.100.23',
        ip: '198.51.100.23',
        as: { number: 64500, organization: { name: 'EXAMPLE-NET' } },
        geo: { country_iso_code: 'GB' },
      },
      destination: {
        address: 'shop.example.com',
        domain: 'shop.example.com',
        registered_domain: 'example.com',
        subdomain: 'shop',
        top_level_domain: 'com',
      },
      url: {
        domain: 'shop.example.com',
        registered_domain: 'example.com',
        subdomain: 'shop',
        top_level_domain: 'com',
        scheme: 'https',
        port: 443,
        path: '/.git/config',
        query: 'debug=1',
        full: 'https://shop.example.com/.git/config?debug=1',
      },
      http: {
        version: '1.1',
        request: { id: '8f1e2d3c4b5a6980', method: 'GET', referrer: 'https://www.example.org/search?q=shop' },
        response: { status_code: 403 },
      },
      network: { protocol: 'http' },
      user_agent: { original: 'curl/8.5.0' },
      related: { ip: ['198.51.100.23'], hosts: ['shop.example.com'] },
      cloudflare: {
        ClientIPClass: 'noRecord',
        EdgeColoCode: 'LHR',
        Kind: 'firewall',
        LeakedCredentialCheckResult: 'clean',
        MatchIndex: 0,
        Metadata: { ruleset_version: '42', group: 'cloudflare_specials' },
        OriginResponseStatus: 0,
        OriginatorRayID: '00',
        RayID: '8f1e2d3c4b5a6980',
        Ref: 'block-vcs',
        ZoneName: 'example.com',
      },
    });
  });

  it('gives each matching rule of one request its own event.id (RayID, MatchIndex, Source, RuleID)', () => {
    const a = mapLine(firewallEvents, managedBlock!);
    const b = mapLine(firewallEvents, customLog!);
    expect(getField(a, 'http.request.id')).toBe(getField(b, 'http.request.id'));
    expect(getField(a, 'event.id')).not.toBe(getField(b, 'event.id'));
    expect(getField(mapLine(firewallEvents, managedBlock!), 'event.id')).toBe(getField(a, 'event.id'));
  });

  it('maps RuleID to rule.id (SEKOIA never maps it)', () => {
    expect(getField(map({ RuleID: '100016' }), 'rule.id')).toBe('100016');
  });

  it('maps Source to rule.ruleset and event.module cloudflare.<Source>', () => {
    const event = map({ Source: 'ratelimit' });
    expect(getField(event, 'rule.ruleset')).toBe('ratelimit');
    expect(getField(event, 'event.module')).toBe('cloudflare.ratelimit');
  });

  it('maps Description to rule.description and keeps Ref as cloudflare.Ref', () => {
    const event = map({ Description: 'Block bad bots', Ref: 'bots-1' });
    expect(getField(event, 'rule.description')).toBe('Block bad bots');
    expect(getField(event, 'cloudflare.Ref')).toBe('bots-1');
  });

  it('maps ClientASN to source.as.number and the country code to source.geo.country_iso_code', () => {
    const event = map({ ClientASN: 64501, ClientASNDescription: 'EXAMPLE-AS', ClientCountry: 'us' });
    expect(getField(event, 'source.as')).toEqual({ number: 64501, organization: { name: 'EXAMPLE-AS' } });
    expect(getField(event, 'source.geo')).toEqual({ country_iso_code: 'US' });
  });

  it('names the dataset firewall_events, with an underscore like every other dataset', () => {
    expect(getField(map({}), 'event.dataset')).toBe('firewall_events');
  });

  describe('event.type and event.outcome from Action', () => {
    it.each([
      ['allow', 'allowed', 'success'],
      ['bypass', 'allowed', 'success'],
      ['challengesolved', 'allowed', 'success'],
      ['jschallengebypassed', 'allowed', 'success'],
      ['managedchallengeinteractivesolved', 'allowed', 'success'],
      ['managedchallengenoninteractivesolved', 'allowed', 'success'],
      ['precursorinterstitialpagesolved', 'allowed', 'success'],
      ['block', 'denied', 'failure'],
      ['challengefailed', 'denied', 'failure'],
      ['connectionclose', 'end', 'failure'],
      ['challenge', 'info', 'unknown'],
      ['jschallenge', 'info', 'unknown'],
      ['managedchallenge', 'info', 'unknown'],
      ['precursorinterstitialpageissued', 'info', 'unknown'],
      ['log', 'info', 'unknown'],
      ['unknown', 'info', 'unknown'],
    ])('%s → type %s, outcome %s', (action, type, outcome) => {
      const event = map({ Action: action });
      expect(getField(event, 'event.action')).toBe(action);
      expect(getField(event, 'event.type')).toEqual([type]);
      expect(getField(event, 'event.outcome')).toBe(outcome);
    });

    it('reads camelCase actions the same way (http_requests spells them so)', () => {
      expect(actionType('managedChallengeBypassed')).toBe('allowed');
      expect(actionType('forceConnectionClose')).toBe('end');
    });

    it('leaves type info and no outcome without an Action', () => {
      const event = map({});
      expect(getField(event, 'event.type')).toEqual(['info']);
      expect(getField(event, 'event.outcome')).toBeUndefined();
    });
  });

  describe('url and http', () => {
    it('drops the leading "?" of ClientRequestQuery, and a query that is only "?"', () => {
      expect(getField(map({ ClientRequestPath: '/', ClientRequestQuery: '?a=1' }), 'url.query')).toBe('a=1');
      expect(getField(map({ ClientRequestPath: '/', ClientRequestQuery: 'a=1' }), 'url.query')).toBe('a=1');
      expect(getField(map({ ClientRequestPath: '/', ClientRequestQuery: '?' }), 'url.query')).toBeUndefined();
    });

    it('maps the host to destination.domain and url.domain, moving a port to destination.port and url.port', () => {
      const event = map({
        ClientRequestHost: 'example.com:8080',
        ClientRequestScheme: 'http',
        ClientRequestPath: '/',
      });
      expect(event.destination).toMatchObject({ domain: 'example.com', address: 'example.com', port: 8080 });
      expect(event.url).toMatchObject({
        domain: 'example.com',
        port: 8080,
        full: 'http://example.com:8080/',
      });
    });

    it('builds http.request.referrer from the four ClientReferer* parts', () => {
      const event = map({
        ClientRefererScheme: 'https',
        ClientRefererHost: 'www.example.org',
        ClientRefererPath: '/p',
        ClientRefererQuery: 'x=1',
      });
      expect(getField(event, 'http.request.referrer')).toBe('https://www.example.org/p?x=1');
      expect(getField(event, 'cloudflare.ClientRefererHost')).toBeUndefined();
    });

    it('builds no referrer without a referer host and keeps the other parts', () => {
      const event = map({ ClientRefererPath: '/p' });
      expect(getField(event, 'http.request.referrer')).toBeUndefined();
      expect(getField(event, 'cloudflare.ClientRefererPath')).toBe('/p');
    });

    it('maps ClientRequestProtocol HTTP/1.1 to http.version 1.1 and network.protocol http (SEKOIA: both HTTP/1.1)', () => {
      const event = map({ ClientRequestProtocol: 'HTTP/1.1' });
      expect(getField(event, 'http.version')).toBe('1.1');
      expect(getField(event, 'network.protocol')).toBe('http');
    });

    it('parses the user agent', () => {
      const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
      expect(map({ ClientRequestUserAgent: ua }).user_agent).toMatchObject({
        original: ua,
        name: 'Firefox',
        version: '128.0',
        os: { name: 'Linux' },
      });
    });
  });

  it('keeps the account-scoped ZoneName, Metadata as an object and MatchIndex 0', () => {
    const event = map({ ZoneName: 'example.com', Metadata: { rule_message: 'm', nested: { a: 1 } } });
    expect(event.cloudflare).toEqual({
      MatchIndex: 0,
      Metadata: { rule_message: 'm', nested: { a: 1 } },
      RayID: '8f1e2d3c4b5a0100',
      ZoneName: 'example.com',
    });
  });

  it.each([
    ['2001:db8::23', '2001:db8::23'],
    ['::ffff:198.51.100.23', '198.51.100.23'],
  ])('maps an IPv6 client %s to source.ip %s', (ip, expected) => {
    const event = map({ ClientIP: ip });
    expect(event.source).toMatchObject({ ip: expected, address: expected });
    expect(getField(event, 'related.ip')).toEqual([expected]);
  });
});
