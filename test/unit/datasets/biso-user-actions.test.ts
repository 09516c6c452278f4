import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { bisoUserActions, decisionCategorization } from '../../../lambdas/datasets/biso-user-actions.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [blockedDownload, allowedCopy] = fixtureLines('biso_user_actions', 'download-blocked');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  Type: 'paste',
  URL: 'https://app.example.com/form',
  UserEmail: 'ivan@example.com',
};
const map = (extra: CfRecord) => mapRecord(bisoUserActions, { ...base, ...extra });

describe('biso_user_actions mapper', () => {
  it('maps a blocked download to the complete ECS event', () => {
    expect(mapLine(bisoUserActions, blockedDownload!)).toEqual({
      '@timestamp': '2026-01-01T10:20:30.123Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['web'],
        type: ['denied'],
        action: 'download',
        outcome: 'failure',
        dataset: 'biso_user_actions',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      rule: { id: '00000000-0000-4000-8000-000000000011', name: 'Isolate file sharing: no downloads' },
      url: {
        original: 'https://files.example.com/share/report.pdf?dl=1',
        full: 'https://files.example.com/share/report.pdf?dl=1',
        scheme: 'https',
        domain: 'files.example.com',
        port: 443,
        path: '/share/report.pdf',
        query: 'dl=1',
        registered_domain: 'example.com',
        subdomain: 'files',
        top_level_domain: 'com',
      },
      user: { email: 'alice@example.com', id: '00000000-0000-4000-8000-000000000012' },
      related: { hosts: ['files.example.com'], user: ['alice@example.com'] },
      cloudflare: {
        Decision: 'block',
        Metadata: '{"fileName":"report.pdf","fileSize":48213}',
      },
    });
  });

  it('maps an allowed copy, written in unixnano, to allowed/success', () => {
    const event = mapLine(bisoUserActions, allowedCopy!);
    expect(event['@timestamp']).toBe('2026-01-01T10:23:20.000000000Z');
    expect(event.event).toMatchObject({ type: ['allowed'], action: 'copy', outcome: 'success' });
    expect(event.cloudflare).toEqual({ Decision: 'allow' });
  });

  describe('Decision', () => {
    it.each([
      ['allow', ['allowed'], 'success'],
      ['Allowed', ['allowed'], 'success'],
      ['block', ['denied'], 'failure'],
      ['blocked', ['denied'], 'failure'],
      ['deny', ['denied'], 'failure'],
      ['isolate', ['info'], 'unknown'],
    ])('%s gives type %j and outcome %s, and is kept', (decision, type, outcome) => {
      const event = map({ Decision: decision });
      expect(getField(event, 'event.type')).toEqual(type);
      expect(getField(event, 'event.outcome')).toBe(outcome);
      expect(getField(event, 'cloudflare.Decision')).toBe(decision);
      expect(decisionCategorization(decision)).toEqual({ type, outcome });
    });

    it('leaves type info and outcome unknown without a Decision', () => {
      expect(map({}).event).toMatchObject({ type: ['info'], outcome: 'unknown', action: 'paste' });
    });
  });

  describe('DomainName', () => {
    it('is dropped when the URL names the same host (in any case)', () => {
      const event = map({ DomainName: 'APP.example.com' });
      expect(getField(event, 'url.domain')).toBe('app.example.com');
      expect(getField(event, 'cloudflare.DomainName')).toBeUndefined();
    });

    it('is kept when it differs from the URL host', () => {
      const event = map({ DomainName: 'other.example.com' });
      expect(getField(event, 'url.domain')).toBe('app.example.com');
      expect(getField(event, 'cloudflare.DomainName')).toBe('other.example.com');
    });

    it('becomes url.domain when there is no URL, or no parsable one', () => {
      const noUrl = mapRecord(bisoUserActions, { Timestamp: 1767225600, DomainName: 'www.example.net' });
      expect(noUrl.url).toEqual({
        domain: 'www.example.net',
        registered_domain: 'example.net',
        subdomain: 'www',
        top_level_domain: 'net',
      });
      expect(getField(noUrl, 'cloudflare.DomainName')).toBeUndefined();
      const relative = map({ URL: '/relative/path', DomainName: 'www.example.net' });
      expect(relative.url).toMatchObject({ original: '/relative/path', domain: 'www.example.net' });
    });
  });

  it('hashes the line for event.id: no natural key', () => {
    const a = getField(map({ Decision: 'allow' }), 'event.id');
    expect(getField(map({ Decision: 'allow' }), 'event.id')).toBe(a);
    expect(getField(map({ Decision: 'block' }), 'event.id')).not.toBe(a);
  });

  it('quarantines a Timestamp that is not a time', () => {
    expect(() => map({ Timestamp: 'yesterday' })).toThrow(MappingError);
  });

  it('recognises its records by Timestamp and Decision only', () => {
    expect(bisoUserActions.matches(JSON.parse(blockedDownload!))).toBe(true);
    expect(bisoUserActions.matches({ Timestamp: 1767225600, Decision: 'allow' })).toBe(true);
    expect(bisoUserActions.matches({ Timestamp: 1767225600, UserEmail: 'ivan@example.com' })).toBe(false);
    expect(bisoUserActions.matches({ Datetime: 1767225600, Decision: 'allow' })).toBe(false);
  });
});
