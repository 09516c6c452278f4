import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { accessRequests } from '../../../lambdas/datasets/access-requests.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [login, logout, denied, mappedIpv4] = fixtureLines('access_requests', 'sessions');

const base: CfRecord = {
  AppUUID: '00000000-0000-4000-8000-00000000000a',
  CreatedAt: '2026-01-01T00:00:00Z',
  Email: 'alice@example.com',
  RayID: '8f1e2d3c4b5a0200',
};
const map = (extra: CfRecord) => mapRecord(accessRequests, { ...base, ...extra });

describe('access_requests mapper', () => {
  it('maps an allowed login (rfc3339ms) to the complete ECS event: a session start', () => {
    expect(mapLine(accessRequests, login!)).toEqual({
      '@timestamp': '2026-01-01T08:00:00.250Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['authentication', 'network'],
        type: ['connection', 'start'],
        action: 'login',
        outcome: 'success',
        dataset: 'access_requests',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      user: { email: 'alice@example.com', id: '00000000-0000-4000-8000-000000000101' },
      source: { address: '192.0.2.10', ip: '192.0.2.10', geo: { country_iso_code: 'NL' } },
      client: { address: '192.0.2.10', ip: '192.0.2.10' },
      url: {
        domain: 'wiki.example.com',
        registered_domain: 'example.com',
        subdomain: 'wiki',
        top_level_domain: 'com',
      },
      related: { ip: ['192.0.2.10'], hosts: ['wiki.example.com'], user: ['alice@example.com'] },
      cloudflare: {
        Allowed: true,
        AppDomain: 'wiki.example.com',
        AppUUID: '00000000-0000-4000-8000-00000000000a',
        Connection: 'saml',
        PurposeJustificationPrompt: 'Why do you need the wiki?',
        PurposeJustificationResponse: 'On-call runbooks',
        RayID: '8f1e2d3c4b5a0201',
        TemporaryAccessApprovers: ['bob@example.com'],
        TemporaryAccessDuration: 3600,
      },
    });
  });

  it('maps a logout (unixnano, exact to the nanosecond) to a session end, keeping 0 and dropping empty values', () => {
    const event = mapLine(accessRequests, logout!);
    expect(event['@timestamp']).toBe('2026-01-01T10:00:00.123456789Z');
    expect(event.event).toMatchObject({ type: ['connection', 'end'], action: 'logout', outcome: 'success' });
    expect(getField(event, 'cloudflare.TemporaryAccessDuration')).toBe(0);
    expect(getField(event, 'cloudflare.PurposeJustificationPrompt')).toBeUndefined();
    expect(getField(event, 'cloudflare.TemporaryAccessApprovers')).toBeUndefined();
  });

  it('maps a denied login from an IPv6 client (rfc3339ns) to a denied connection, outcome failure', () => {
    const event = mapLine(accessRequests, denied!);
    expect(event['@timestamp']).toBe('2026-01-01T08:05:00.000000001Z');
    expect(event.event).toMatchObject({
      type: ['connection', 'denied'],
      action: 'login',
      outcome: 'failure',
    });
    expect(event.source).toEqual({
      address: '2001:db8::bad',
      ip: '2001:db8::bad',
      geo: { country_iso_code: 'DE' },
    });
    expect(getField(event, 'client.ip')).toBe('2001:db8::bad');
    // The IdP callback path of the Access team domain: host in url.domain, the rest in url.path.
    expect(getField(event, 'url.domain')).toBe('team.cloudflareaccess.com');
    expect(getField(event, 'url.path')).toBe(
      '/cdn-cgi/access/sso/oidc/0000000000000000000000000000000000000000000000000000000000000001',
    );
    expect(getField(event, 'related.user')).toEqual(['mallory@example.net']);
  });

  it('unwraps an IPv4-mapped IPv6 client address (unix seconds)', () => {
    const event = mapLine(accessRequests, mappedIpv4!);
    expect(event['@timestamp']).toBe('2026-01-01T08:05:00Z');
    expect(getField(event, 'source.ip')).toBe('203.0.113.5');
    expect(getField(event, 'client.ip')).toBe('203.0.113.5');
    expect(getField(event, 'related.ip')).toEqual(['203.0.113.5']);
  });

  it.each([
    [{ Action: 'login', Allowed: true }, ['connection', 'start'], 'success'],
    [{ Action: 'logout', Allowed: true }, ['connection', 'end'], 'success'],
    [{ Action: 'login', Allowed: false }, ['connection', 'denied'], 'failure'],
    [{ Action: 'logout', Allowed: false }, ['connection', 'denied'], 'failure'],
    [{ Action: 'login' }, ['connection', 'start'], 'unknown'],
    [{ Allowed: true }, ['info'], 'success'],
    [{ Action: 'refresh', Allowed: true }, ['info'], 'success'],
    [{}, ['info'], 'unknown'],
  ])('%j → type %j, outcome %s', (extra, type, outcome) => {
    const event = map(extra);
    expect(getField(event, 'event.type')).toEqual(type);
    expect(getField(event, 'event.outcome')).toBe(outcome);
  });

  it('reads Allowed written as a string', () => {
    expect(getField(map({ Allowed: 'false' }), 'event.outcome')).toBe('failure');
  });

  it('quarantines a record whose Allowed is not a boolean', () => {
    expect(() => map({ Allowed: 'maybe' })).toThrow(MappingError);
  });

  it('keys event.id on RayID, Email and AppUUID', () => {
    const a = getField(map({ Action: 'login' }), 'event.id');
    expect(getField(map({ Action: 'logout' }), 'event.id')).toBe(a);
    expect(getField(map({ Email: 'bob@example.com' }), 'event.id')).not.toBe(a);
    expect(getField(map({ AppUUID: 'other' }), 'event.id')).not.toBe(a);
    expect(getField(map({ RayID: 'other' }), 'event.id')).not.toBe(a);
  });

  it('recognises its records by their fields', () => {
    for (const line of [login, logout, denied, mappedIpv4])
      expect(accessRequests.matches(JSON.parse(line!))).toBe(true);
    expect(accessRequests.matches({ CreatedAt: 1, Allowed: true })).toBe(true);
    expect(accessRequests.matches({ CreatedAt: 1, Action: 'login' })).toBe(false);
  });
});
