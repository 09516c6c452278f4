import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { challengeCategorization, turnstileEvents } from '../../../lambdas/datasets/turnstile-events.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [failed, solved, issued] = fixtureLines('turnstile_events', 'challenge-failed');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  SiteKey: '0x4AAAAAAAexample',
  ClientIP: '192.0.2.10',
};
const map = (extra: CfRecord) => mapRecord(turnstileEvents, { ...base, ...extra });

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('turnstile_events mapper', () => {
  it('maps a failed challenge to the complete ECS event', () => {
    expect(mapLine(turnstileEvents, failed!)).toEqual({
      '@timestamp': '2026-01-01T11:11:11.111Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['web'],
        type: ['denied'],
        action: 'challenge_failed_invalid_token',
        outcome: 'failure',
        dataset: 'turnstile_events',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'firewall' },
      source: {
        address: '198.51.100.200',
        ip: '198.51.100.200',
        as: { number: 64503 },
        geo: { country_iso_code: 'BR' },
      },
      url: {
        domain: 'www.example.com',
        registered_domain: 'example.com',
        subdomain: 'www',
        top_level_domain: 'com',
      },
      user_agent: {
        original: IPHONE,
        name: 'Mobile Safari',
        version: '17.5',
        os: { name: 'iOS', version: '17.5', full: 'iOS 17.5' },
        device: { name: 'Apple iPhone' },
      },
      related: { ip: ['198.51.100.200'], hosts: ['www.example.com'] },
      cloudflare: { Action: 'login', SiteKey: '0x4AAAAAAAexampleSiteKey01' },
    });
  });

  it('maps a solved challenge from an IPv6 client to allowed/success, the widget action kept', () => {
    const event = mapLine(turnstileEvents, solved!);
    expect(event.event).toMatchObject({ type: ['allowed'], action: 'challenge_solved', outcome: 'success' });
    expect(getField(event, 'source.ip')).toBe('2001:db8:2::10');
    expect(getField(event, 'cloudflare.Action')).toBe('signup');
  });

  it('maps an issued challenge to info/unknown', () => {
    const event = mapLine(turnstileEvents, issued!);
    expect(event.event).toMatchObject({ type: ['info'], action: 'challenge_issued', outcome: 'unknown' });
  });

  it.each([
    ['challenge_solved', ['allowed'], 'success'],
    ['challenge_failed', ['denied'], 'failure'],
    ['challenge_failed_timeout', ['denied'], 'failure'],
    ['Challenge_Failed_Bot_Detected', ['denied'], 'failure'],
    ['challenge_issued', ['info'], 'unknown'],
    ['something_new', ['info'], 'unknown'],
  ])('EventType %s gives type %j and outcome %s', (eventType, type, outcome) => {
    expect(map({ EventType: eventType }).event).toMatchObject({ action: eventType, type, outcome });
    expect(challengeCategorization(eventType)).toEqual({ type, outcome });
  });

  it('never reads the widget Action as a verdict', () => {
    const event = map({ Action: 'block' });
    expect(event.event).toMatchObject({ type: ['info'], outcome: 'unknown' });
    expect(getField(event, 'event.action')).toBeUndefined();
    expect(getField(event, 'cloudflare.Action')).toBe('block');
  });

  it('unwraps an IPv4-mapped IPv6 client address', () => {
    expect(getField(map({ ClientIP: '::ffff:203.0.113.4' }), 'source.ip')).toBe('203.0.113.4');
  });

  it('quarantines a line whose EventType is not a string', () => {
    expect(() => map({ EventType: ['challenge_solved'] })).toThrow(MappingError);
  });

  it('has no natural key: identical lines share an event.id, different lines do not', () => {
    const id = (e: string) => getField(map({ EventType: e }), 'event.id');
    expect(id('challenge_issued')).toBe(id('challenge_issued'));
    expect(id('challenge_issued')).not.toBe(id('challenge_solved'));
  });

  it('matches its fixture records and Timestamp + a site key, not Timestamp + EventType alone', () => {
    for (const line of [failed!, solved!, issued!])
      expect(turnstileEvents.matches(JSON.parse(line))).toBe(true);
    expect(turnstileEvents.matches({ Timestamp: 1767225600, Sitekey: 'k' })).toBe(true);
    expect(
      turnstileEvents.matches({ Timestamp: 1767225600, EventType: 'login', ClientIP: '192.0.2.1' }),
    ).toBe(false);
  });
});
