import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { definedKeys } from '../../../lambdas/core/object-layout.ts';
import { auditLogsV2, isIdentityResource } from '../../../lambdas/datasets/audit-logs-v2.ts';
import { detectDataset } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [dnsUpdate, memberDelete] = fixtureLines('audit_logs_v2', 'dns-record-update');

const base: CfRecord = {
  ActionTimestamp: '2026-01-01T00:00:00Z',
  ActionType: 'update',
  AuditLogID: '00000000-0000-4000-8000-000000000001',
};
const map = (extra: CfRecord) => mapRecord(auditLogsV2, { ...base, ...extra });

describe('audit_logs_v2 mapper', () => {
  it('maps a DNS record update by an API token to the complete ECS event', () => {
    expect(mapLine(auditLogsV2, dnsUpdate!)).toEqual({
      '@timestamp': '2026-01-02T10:11:12.345Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['configuration'],
        type: ['change'],
        action: 'update',
        outcome: 'success',
        dataset: 'audit_logs_v2',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef', name: 'Example Corp' } },
      message: 'Update DNS record',
      user: { email: 'dana@example.com', id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' },
      source: { address: '203.0.113.20', ip: '203.0.113.20' },
      http: {
        request: { id: '8f1e2d3c4b5a0201', method: 'PATCH' },
        response: { status_code: 200 },
      },
      url: {
        original:
          '/client/v4/zones/ffeeddccbbaa99887766554433221100/dns_records/abcdefabcdefabcdefabcdefabcdefab',
        path: '/client/v4/zones/ffeeddccbbaa99887766554433221100/dns_records/abcdefabcdefabcdefabcdefabcdefab',
      },
      user_agent: {
        original: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
        name: 'Firefox',
        version: '133.0',
        os: { name: 'Linux', full: 'Linux' },
      },
      related: { ip: ['203.0.113.20'], user: ['dana@example.com'] },
      cloudflare: {
        ActorContext: 'api_token',
        ActorTokenDetails: { id: '00000000-0000-4000-8000-000000000002', name: 'terraform-dns' },
        ActorType: 'user',
        AuditLogID: '00000000-0000-4000-8000-000000000003',
        Raw: {
          cf_ray_id: '8f1e2d3c4b5a0201',
          method: 'PATCH',
          status_code: 200,
          uri: '/client/v4/zones/ffeeddccbbaa99887766554433221100/dns_records/abcdefabcdefabcdefabcdefabcdefab',
          user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
        },
        ResourceID: 'abcdefabcdefabcdefabcdefabcdefab',
        ResourceProduct: 'dns_records',
        ResourceRequest: {
          content: '198.51.100.81',
          name: 'www.example.com',
          proxied: true,
          ttl: 1,
          type: 'A',
        },
        ResourceResponse: {
          content: '198.51.100.81',
          id: 'abcdefabcdefabcdefabcdefabcdefab',
          name: 'www.example.com',
          proxied: true,
          ttl: 1,
          type: 'A',
        },
        ResourceScope: 'zones',
        ResourceType: 'dns_record',
        ZoneID: 'ffeeddccbbaa99887766554433221100',
        ZoneName: 'example.com',
      },
    });
  });

  it('maps a failed member removal: iam deletion, failure, unixnano time, IPv4-mapped actor, URI query', () => {
    const event = mapLine(auditLogsV2, memberDelete!);
    expect(event['@timestamp']).toBe('2026-01-02T10:11:12.123456789Z');
    expect(event.event).toMatchObject({
      category: ['configuration', 'iam'],
      type: ['deletion'],
      action: 'delete',
      outcome: 'failure',
    });
    expect(getField(event, 'source.ip')).toBe('198.51.100.23');
    expect(event.url).toEqual({
      original:
        '/accounts/0123456789abcdef0123456789abcdef/members/00000000000040008000000000000005?force=true',
      path: '/accounts/0123456789abcdef0123456789abcdef/members/00000000000040008000000000000005',
      query: 'force=true',
    });
    expect(getField(event, 'http.response.status_code')).toBe(403);
    // An empty user agent sets nothing; empty objects and strings leave nothing behind.
    expect(event.user_agent).toBeUndefined();
    expect(definedKeys(event.cloudflare as object).sort()).toEqual([
      'ActorContext',
      'ActorType',
      'AuditLogID',
      'Raw',
      'ResourceID',
      'ResourceProduct',
      'ResourceResponse',
      'ResourceScope',
      'ResourceType',
    ]);
  });

  it('uses AuditLogID as the natural key of event.id', () => {
    const a = map({});
    expect(getField(map({ ActionResult: 'failure' }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ AuditLogID: 'other' }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it.each([
    ['success', 'success', undefined],
    ['failure', 'failure', undefined],
    ['Failure', 'failure', undefined],
    ['partial', 'unknown', 'partial'],
    [undefined, 'unknown', undefined],
  ])('turns ActionResult %s into event.outcome %s (kept: %s)', (result, outcome, kept) => {
    const event = map({ ActionResult: result });
    expect(getField(event, 'event.outcome')).toBe(outcome);
    expect(getField(event, 'cloudflare.ActionResult')).toBe(kept);
  });

  it.each([
    ['create', ['creation']],
    ['update', ['change']],
    ['delete', ['deletion']],
    ['view', ['access']],
    ['login', ['start']],
    ['purge', ['info']],
  ])('categorizes ActionType %s as type %j', (action, type) => {
    const event = map({ ActionType: action });
    expect(getField(event, 'event.action')).toBe(action);
    expect(getField(event, 'event.type')).toEqual(type);
  });

  it('leaves category configuration and type info without an ActionType', () => {
    const { ActionType: _, ...rest } = base;
    expect(mapRecord(auditLogsV2, rest).event).toMatchObject({
      category: ['configuration'],
      type: ['info'],
      outcome: 'unknown',
    });
  });

  it.each([
    [{ ResourceScope: 'memberships' }, true],
    [{ ResourceScope: 'user' }, true],
    [{ ResourceType: 'api_token' }, true],
    [{ ResourceProduct: 'Roles' }, true],
    [{ ResourceType: 'permission_group' }, true],
    [{ ResourceScope: 'zones', ResourceType: 'dns_record', ResourceProduct: 'dns_records' }, false],
    [{}, false],
  ])('adds iam for identity resources: %j → %s', (resource, iam) => {
    expect(isIdentityResource(resource)).toBe(iam);
    expect((getField(map(resource), 'event.category') as string[]).includes('iam')).toBe(iam);
  });

  it('reads Raw keys in camel or Pascal case and a status written as a string', () => {
    const event = map({
      Raw: { CfRayID: 'ray-1', Method: 'POST', StatusCode: '201', URI: 'https://api.example.com/x?y=1' },
    });
    expect(getField(event, 'http')).toEqual({
      request: { id: 'ray-1', method: 'POST' },
      response: { status_code: 201 },
    });
    // A full URL is split by the engine.
    expect(event.url).toMatchObject({ domain: 'api.example.com', path: '/x', query: 'y=1' });
  });

  it('keeps an IPv6 actor address in canonical form', () => {
    expect(getField(map({ ActorIPAddress: '2001:DB8::7' }), 'source.ip')).toBe('2001:db8::7');
  });

  it('quarantines a Raw that is not an object and an ActionTimestamp that is not a time', () => {
    expect(() => map({ Raw: 'GET /' })).toThrow(MappingError);
    expect(() => map({ ActionTimestamp: 'yesterday' })).toThrow(MappingError);
  });

  it('recognises its records, full and minimal, and nothing else claims them', () => {
    const full = JSON.parse(dnsUpdate!) as CfRecord;
    expect(auditLogsV2.matches(full)).toBe(true);
    expect(detectDataset(full)?.dataset).toBe('audit_logs_v2');
    for (const name of auditLogsV2.spec.signature.any ?? []) {
      const minimal = { ActionTimestamp: 1767225600, [name]: 'x' };
      expect(detectDataset(minimal)?.dataset, name).toBe('audit_logs_v2');
    }
    expect(auditLogsV2.matches({ When: 1767225600, ActionType: 'update' })).toBe(false);
  });
});
