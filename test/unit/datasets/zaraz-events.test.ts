import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { headerValue } from '../../../lambdas/datasets/headers.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { zarazEvents } from '../../../lambdas/datasets/zaraz-events.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [serverRequest, componentError] = fixtureLines('zaraz_events', 'server-request');

const base: CfRecord = { TimestampStart: '2026-01-01T00:00:00Z', TrackID: 't-1' };
const map = (extra: CfRecord) => mapRecord(zarazEvents, { ...base, ...extra });

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('zaraz_events mapper', () => {
  it('maps a server request to the complete ECS event', () => {
    expect(mapLine(zarazEvents, serverRequest!)).toEqual({
      '@timestamp': '2026-01-01T09:30:00.000123Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['web'],
        type: ['info'],
        action: 'server_request',
        dataset: 'zaraz_events',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      source: { address: '203.0.113.45', ip: '203.0.113.45' },
      url: {
        original: 'https://analytics.example.net/collect?tid=EX-1&en=page_view',
        full: 'https://analytics.example.net/collect?tid=EX-1&en=page_view',
        scheme: 'https',
        domain: 'analytics.example.net',
        port: 443,
        path: '/collect',
        query: 'tid=EX-1&en=page_view',
        registered_domain: 'example.net',
        subdomain: 'analytics',
        top_level_domain: 'net',
      },
      user_agent: {
        original: CHROME,
        name: 'Chrome',
        version: '126.0.0.0',
        os: { name: 'Windows', version: '10', full: 'Windows 10' },
      },
      related: { ip: ['203.0.113.45'], hosts: ['analytics.example.net'] },
      cloudflare: {
        Body: { event: 'pageview', title: 'Checkout' },
        EventDetails: { tool: 'example-analytics', component: 'google-analytics-4' },
        RequestHeaders: { accept: '*/*', 'User-Agent': CHROME },
        TrackID: '00000000-0000-4000-8000-000000000031',
      },
    });
  });

  it('maps a component error to error/failure and unwraps an IPv4-mapped IPv6 address', () => {
    const event = mapLine(zarazEvents, componentError!);
    expect(event.event).toMatchObject({ type: ['error'], action: 'component_error', outcome: 'failure' });
    expect(event.source).toEqual({ address: '198.51.100.7', ip: '198.51.100.7' });
    expect(event.user_agent).toBeUndefined();
  });

  it.each(['server_response', 'action_triggered', 'ecommerce_triggered', 'client_request'])(
    '%s is an info event without an outcome',
    (type) => {
      const event = map({ EventType: type });
      expect(event.event).toMatchObject({ type: ['info'], action: type });
      expect(getField(event, 'event.outcome')).toBeUndefined();
    },
  );

  it('keeps an IPv6 visitor address', () => {
    expect(getField(map({ IP: '2001:DB8::45' }), 'source.ip')).toBe('2001:db8::45');
  });

  it('keeps a string body and string details as they are', () => {
    const event = map({ Body: 'raw=1', EventDetails: 'text' });
    expect(event.cloudflare).toMatchObject({ Body: 'raw=1', EventDetails: 'text' });
  });

  describe('headerValue', () => {
    it('finds a header whatever its case, the first of a list', () => {
      expect(headerValue({ 'USER-AGENT': 'a' }, 'user-agent')).toBe('a');
      expect(headerValue({ 'user-agent': ['b', 'c'] }, 'user-agent')).toBe('b');
    });

    it('gives nothing for a missing header, a non-string value or headers that are not an object', () => {
      expect(headerValue({ accept: '*/*' }, 'user-agent')).toBeUndefined();
      expect(headerValue({ 'user-agent': 5 }, 'user-agent')).toBeUndefined();
      expect(headerValue('User-Agent: x', 'user-agent')).toBeUndefined();
      expect(headerValue(['user-agent'], 'user-agent')).toBeUndefined();
    });
  });

  it('quarantines a line whose EventType is not a string', () => {
    expect(() => map({ EventType: { kind: 'x' } })).toThrow(MappingError);
  });

  it('has no natural key: identical lines share an event.id, different lines do not', () => {
    expect(getField(map({ EventType: 'a' }), 'event.id')).toBe(getField(map({ EventType: 'a' }), 'event.id'));
    expect(getField(map({ EventType: 'a' }), 'event.id')).not.toBe(
      getField(map({ EventType: 'b' }), 'event.id'),
    );
  });

  it('matches its fixture records and TimestampStart with one other Zaraz field', () => {
    for (const line of [serverRequest!, componentError!])
      expect(zarazEvents.matches(JSON.parse(line))).toBe(true);
    expect(zarazEvents.matches({ TimestampStart: 1767225600, TrackID: 't' })).toBe(true);
    expect(zarazEvents.matches({ Timestamp: 1767225600, EventType: 'server_request' })).toBe(false);
  });
});
