import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import {
  accountAbuseProtectionEvents,
  authenticationOutcome,
} from '../../../lambdas/datasets/account-abuse-protection-events.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [failedLogin, signup] = fixtureLines('account_abuse_protection_events', 'failed-login');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  ClientIP: '192.0.2.10',
  RayID: '8f1e2d3c4b5a0001',
};
const map = (extra: CfRecord) => mapRecord(accountAbuseProtectionEvents, { ...base, ...extra });

describe('account_abuse_protection_events mapper', () => {
  it('maps a failed login to the complete ECS event', () => {
    expect(mapLine(accountAbuseProtectionEvents, failedLogin!)).toEqual({
      '@timestamp': '2026-01-01T07:45:12.345678Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['authentication'],
        type: ['start'],
        action: 'login',
        outcome: 'failure',
        dataset: 'account_abuse_protection_events',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      source: {
        address: '203.0.113.90',
        ip: '203.0.113.90',
        as: { number: 64502 },
        geo: { country_iso_code: 'DE' },
      },
      url: {
        domain: 'login.example.com',
        path: '/api/session',
        registered_domain: 'example.com',
        subdomain: 'login',
        top_level_domain: 'com',
      },
      user: { email: 'carol@example.com', id: '00000000-0000-4000-8000-000000000041' },
      http: { request: { id: '8f1e2d3c4b5a0301' } },
      user_agent: {
        original: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
        name: 'Firefox',
        version: '128.0',
        os: { name: 'Linux', full: 'Linux' },
      },
      related: { ip: ['203.0.113.90'], hosts: ['login.example.com'], user: ['carol@example.com'] },
      cloudflare: { AuthenticationStatus: 'failure', RayID: '8f1e2d3c4b5a0301' },
    });
  });

  it('maps a successful signup from an IPv6 client to iam user creation', () => {
    const event = mapLine(accountAbuseProtectionEvents, signup!);
    expect(event.event).toMatchObject({
      category: ['iam'],
      type: ['user', 'creation'],
      action: 'signup',
      outcome: 'success',
    });
    expect(getField(event, 'source.ip')).toBe('2001:db8:1::7');
  });

  it.each([
    ['login', ['authentication'], ['start']],
    ['LOGIN', ['authentication'], ['start']],
    ['logout', ['authentication'], ['end']],
    ['signup', ['iam'], ['user', 'creation']],
    ['password_reset', ['authentication'], ['info']],
  ])('EventType %s is event.action with category %j and type %j', (action, category, type) => {
    expect(map({ EventType: action }).event).toMatchObject({ action, category, type });
  });

  it('leaves authentication/info without an EventType', () => {
    const event = map({});
    expect(event.event).toMatchObject({ category: ['authentication'], type: ['info'], outcome: 'unknown' });
    expect(getField(event, 'event.action')).toBeUndefined();
  });

  describe('event.outcome from AuthenticationStatus', () => {
    it.each([
      ['success', 'success'],
      ['Succeeded', 'success'],
      ['ok', 'success'],
      [true, 'success'],
      ['failure', 'failure'],
      ['FAILED', 'failure'],
      ['invalid', 'failure'],
      [false, 'failure'],
      ['pending', 'unknown'],
      [401, 'unknown'],
    ])('%j → %s, the status kept', (status, outcome) => {
      const event = map({ EventType: 'login', AuthenticationStatus: status });
      expect(getField(event, 'event.outcome')).toBe(outcome);
      expect(getField(event, 'cloudflare.AuthenticationStatus')).toBe(status);
      expect(authenticationOutcome(status)).toBe(outcome);
    });

    it('is unknown without a status', () => {
      expect(getField(map({ EventType: 'login' }), 'event.outcome')).toBe('unknown');
    });
  });

  it('unwraps an IPv4-mapped IPv6 client address', () => {
    expect(getField(map({ ClientIP: '::ffff:198.51.100.3' }), 'source.ip')).toBe('198.51.100.3');
  });

  it('moves a port written in ClientRequestHost to url.port', () => {
    const event = map({ ClientRequestHost: 'login.example.com:8443', ClientRequestPath: '/login' });
    expect(event.url).toEqual({
      domain: 'login.example.com',
      port: 8443,
      path: '/login',
      registered_domain: 'example.com',
      subdomain: 'login',
      top_level_domain: 'com',
    });
  });

  it('keeps a guessed field whose value does not fit its ECS field under cloudflare.*', () => {
    const event = map({ ClientASN: 'AS64500' });
    expect(getField(event, 'source.as.number')).toBeUndefined();
    expect(getField(event, 'cloudflare.ClientASN')).toBe('AS64500');
  });

  it('quarantines a line whose Email is not a string', () => {
    expect(() => map({ Email: ['a@example.com'] })).toThrow(MappingError);
  });

  it('uses RayID as the natural key of event.id', () => {
    const a = map({ EventType: 'login', AuthenticationStatus: 'success' });
    expect(getField(map({ EventType: 'login' }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ RayID: '8f1e2d3c4b5a0002' }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it('matches its fixture records and Timestamp + AuthenticationStatus, not Timestamp + EventType + Email', () => {
    for (const line of [failedLogin!, signup!]) {
      expect(accountAbuseProtectionEvents.matches(JSON.parse(line))).toBe(true);
    }
    expect(accountAbuseProtectionEvents.matches({ Timestamp: 1767225600, AuthenticationStatus: 'x' })).toBe(
      true,
    );
    expect(
      accountAbuseProtectionEvents.matches({
        Timestamp: 1767225600,
        EventType: 'login',
        Email: 'a@example.com',
      }),
    ).toBe(false);
  });
});
