import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { actionCategorization, pageShieldEvents } from '../../../lambdas/datasets/page-shield-events.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [enforced, reportOnly] = fixtureLines('page_shield_events', 'script-violation');

const base: CfRecord = { Timestamp: '2026-01-01T00:00:00Z', CSPDirective: 'script-src' };
const map = (extra: CfRecord) => mapRecord(pageShieldEvents, { ...base, ...extra });

describe('page_shield_events mapper', () => {
  it('maps a script refused by an enforced policy to the complete ECS event', () => {
    expect(mapLine(pageShieldEvents, enforced!)).toEqual({
      '@timestamp': '2026-01-01T12:00:01.5Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['web'],
        type: ['denied'],
        action: 'allow',
        outcome: 'failure',
        dataset: 'page_shield_events',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      rule: { id: '00000000-0000-4000-8000-000000000021' },
      url: {
        original: 'https://cdn.example.net/lib/skimmer.js?v=3',
        full: 'https://cdn.example.net/lib/skimmer.js?v=3',
        scheme: 'https',
        domain: 'cdn.example.net',
        port: 443,
        path: '/lib/skimmer.js',
        query: 'v=3',
        registered_domain: 'example.net',
        subdomain: 'cdn',
        top_level_domain: 'net',
      },
      related: { hosts: ['cdn.example.net'] },
      cloudflare: {
        CSPDirective: 'script-src',
        Host: 'shop.example.com',
        PageURL: 'https://shop.example.com/checkout?step=2',
        ResourceType: 'script',
        URLContainsCDNCGIPath: false,
      },
    });
  });

  it('maps a report-only (log) violation to allowed/success, with the URL port', () => {
    const event = mapLine(pageShieldEvents, reportOnly!);
    expect(event.event).toMatchObject({ type: ['allowed'], action: 'log', outcome: 'success' });
    expect(event.url).toMatchObject({ domain: 'collect.example.org', port: 8443, path: '/beacon' });
    expect(getField(event, 'cloudflare.URLHost')).toBeUndefined();
  });

  it.each([
    ['allow', ['denied'], 'failure'],
    ['ALLOW', ['denied'], 'failure'],
    ['log', ['allowed'], 'success'],
    ['block', ['info'], 'unknown'],
  ])('Action %s is event.action with type %j and outcome %s', (action, type, outcome) => {
    const event = map({ Action: action });
    expect(event.event).toMatchObject({ action, type, outcome });
    expect(actionCategorization(action)).toEqual({ type, outcome });
  });

  it('leaves type info and outcome unknown without an Action', () => {
    expect(map({}).event).toMatchObject({ type: ['info'], outcome: 'unknown' });
    expect(getField(map({}), 'event.action')).toBeUndefined();
  });

  describe('URLHost', () => {
    it('is url.domain when there is no URL', () => {
      const event = map({ URLHost: 'cdn.example.net' });
      expect(event.url).toMatchObject({ domain: 'cdn.example.net', registered_domain: 'example.net' });
      expect(getField(event, 'cloudflare.URLHost')).toBeUndefined();
    });

    it('is url.domain when the URL is not absolute, and the URL stays url.original', () => {
      const event = map({ URL: '/static/app.js', URLHost: 'www.example.com' });
      expect(event.url).toMatchObject({ original: '/static/app.js', domain: 'www.example.com' });
      expect(getField(event, 'url.path')).toBe('/static/app.js');
    });

    it('is kept under cloudflare.URLHost when it differs from the URL host', () => {
      const event = map({ URL: 'https://a.example.net/x.js', URLHost: 'b.example.net' });
      expect(getField(event, 'url.domain')).toBe('a.example.net');
      expect(getField(event, 'cloudflare.URLHost')).toBe('b.example.net');
    });

    it('goes when it repeats the URL host in another case', () => {
      const event = map({ URL: 'https://cdn.example.net/x.js', URLHost: 'CDN.example.net' });
      expect(getField(event, 'cloudflare.URLHost')).toBeUndefined();
    });
  });

  it('quarantines a line whose URLContainsCDNCGIPath is not a boolean', () => {
    expect(() => map({ URLContainsCDNCGIPath: 'sometimes' })).toThrow(MappingError);
  });

  it('has no natural key: identical lines share an event.id, different lines do not', () => {
    expect(getField(map({ Action: 'log' }), 'event.id')).toBe(getField(map({ Action: 'log' }), 'event.id'));
    expect(getField(map({ Action: 'log' }), 'event.id')).not.toBe(
      getField(map({ Action: 'allow' }), 'event.id'),
    );
  });

  it('matches its fixture records and a time field with one Page Shield name, not Timestamp + Action', () => {
    for (const line of [enforced!, reportOnly!])
      expect(pageShieldEvents.matches(JSON.parse(line))).toBe(true);
    expect(pageShieldEvents.matches({ Timestamp: 1767225600, PageURL: 'https://example.com/' })).toBe(true);
    expect(pageShieldEvents.matches({ Timestamp: 1767225600, Action: 'log', PolicyID: 'p' })).toBe(false);
  });
});
