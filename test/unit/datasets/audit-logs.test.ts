import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { actionCategorization, auditLogs } from '../../../lambdas/datasets/audit-logs.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [recordAdd, failedLogin] = fixtureLines('audit_logs', 'dns-record-add');

const base: CfRecord = {
  ActionType: 'zone_update',
  ActorEmail: 'carol@example.com',
  ID: '5b0c6a52-6d0e-4a1f-9d2b-000000000001',
  When: '2026-01-01T00:00:00Z',
};
const map = (extra: CfRecord) => mapRecord(auditLogs, { ...base, ...extra });

describe('audit_logs mapper', () => {
  it('maps a DNS record creation to the complete ECS event', () => {
    expect(mapLine(auditLogs, recordAdd!)).toEqual({
      '@timestamp': '2026-01-01T09:00:00.123Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['configuration'],
        type: ['creation'],
        action: 'rec_add',
        outcome: 'success',
        dataset: 'audit_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      user: { email: 'carol@example.com', id: '00112233445566778899aabbccddeeff' },
      source: { address: '192.0.2.44', ip: '192.0.2.44' },
      related: { ip: ['192.0.2.44'], user: ['carol@example.com'] },
      cloudflare: {
        ActionResult: true,
        ActorType: 'user',
        ID: '5b0c6a52-6d0e-4a1f-9d2b-7e8f90a1b2c3',
        Interface: 'API',
        Metadata: { zone_name: 'example.com', zone_tag: 'ffeeddccbbaa99887766554433221100' },
        NewValue: { type: 'A', name: 'www.example.com', content: '198.51.100.80', ttl: 1, proxied: true },
        ResourceID: 'abcdefabcdefabcdefabcdefabcdefab',
        ResourceType: 'DNS_record',
        zone_name: 'example.com',
        zone_tag: 'ffeeddccbbaa99887766554433221100',
      },
    });
  });

  it('maps a failed login: authentication start, outcome failure, When in unix seconds, IPv6 actor', () => {
    const event = mapLine(auditLogs, failedLogin!);
    expect(event['@timestamp']).toBe('2026-01-01T09:00:00Z');
    expect(event.event).toMatchObject({ category: ['authentication'], type: ['start'], outcome: 'failure' });
    expect(getField(event, 'source.ip')).toBe('2001:db8::44');
    // Empty Metadata/NewValue/OldValue and empty strings leave nothing behind; false stays.
    expect(event.cloudflare).toEqual({
      ActionResult: false,
      ActorType: 'user',
      ID: '5b0c6a52-6d0e-4a1f-9d2b-7e8f90a1b2c4',
      Interface: 'UI',
    });
  });

  it('uses ID as the natural key of event.id', () => {
    const a = map({});
    expect(getField(map({ ActionResult: true }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ ID: 'other' }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it.each([
    [true, 'success'],
    [false, 'failure'],
    [undefined, 'unknown'],
  ])('turns ActionResult %s into event.outcome %s', (result, outcome) => {
    expect(getField(map({ ActionResult: result }), 'event.outcome')).toBe(outcome);
  });

  it('unwraps an IPv4-mapped IPv6 ActorIP', () => {
    const event = map({ ActorIP: '::ffff:203.0.113.9' });
    expect(event.source).toEqual({ address: '203.0.113.9', ip: '203.0.113.9' });
    expect(getField(event, 'related.ip')).toEqual(['203.0.113.9']);
  });

  it('maps OwnerID to cloud.account.id and the actor to user.*', () => {
    const event = map({ OwnerID: 'acc-1', ActorID: 'user-1' });
    expect(getField(event, 'cloud.account.id')).toBe('acc-1');
    expect(event.user).toEqual({ email: 'carol@example.com', id: 'user-1' });
  });

  describe('event.category and event.type from the ActionType verb', () => {
    it.each([
      ['gateway_create', 'configuration', 'creation'],
      ['gateway_create_location', 'configuration', 'creation'],
      ['rec_add', 'configuration', 'creation'],
      ['member_add', 'configuration', 'creation'],
      ['job_update', 'configuration', 'change'],
      ['rec_set', 'configuration', 'change'],
      ['token_roll', 'configuration', 'change'],
      ['rec_del', 'configuration', 'deletion'],
      ['gateway_delete', 'configuration', 'deletion'],
      ['api_key_view', 'configuration', 'access'],
      ['login', 'authentication', 'start'],
      ['logout', 'authentication', 'end'],
      ['purge', 'configuration', 'info'],
    ])('%s → %s / %s', (action, category, type) => {
      expect(actionCategorization(action)).toEqual({ category: [category], type: [type] });
      expect(map({ ActionType: action }).event).toMatchObject({ action, category: [category], type: [type] });
    });

    it('keeps category configuration and type info without an ActionType', () => {
      const { ActionType: _, ...rest } = base;
      expect(mapRecord(auditLogs, rest).event).toMatchObject({ category: ['configuration'], type: ['info'] });
    });
  });

  describe('Metadata, NewValue and OldValue', () => {
    it('derives SEKOIA’s request_* keys from Metadata.Request and keeps Metadata whole', () => {
      const metadata = {
        Request: {
          client_default: false,
          name: 'Office',
          networks: [{ network: '192.0.2.0/24' }],
          linked: null,
        },
        location_name: 'Office',
      };
      const event = map({ Metadata: metadata });
      expect(event.cloudflare).toMatchObject({
        Metadata: metadata,
        request_client_default: false,
        request_name: 'Office',
        request_networks: [{ network: '192.0.2.0/24' }],
      });
      expect(getField(event, 'cloudflare.zone_name')).toBeUndefined();
    });

    it('keeps the before and after of a change', () => {
      const event = map({ OldValue: { ttl: 300 }, NewValue: { ttl: 60 } });
      expect(event.cloudflare).toMatchObject({ OldValue: { ttl: 300 }, NewValue: { ttl: 60 } });
    });

    it('drops a null OldValue (a creation has no before)', () => {
      expect(getField(map({ OldValue: null }), 'cloudflare.OldValue')).toBeUndefined();
    });
  });
});
