import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lambdas/core/errors.ts';
import { instantFromDate } from '../../../lambdas/core/time.ts';
import { MAPPERS } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import {
  CloudflareApi,
  CloudflareResponseError,
  type QueryValue,
} from '../../../lambdas/poll/cloudflare-api.ts';
import {
  accessRequestId,
  accessRequestRecord,
  accessRequestsSource,
  auditLogRecord,
  auditLogsSource,
  auditLogsV2Source,
  auditLogV2Record,
  CloudflarePageLimitError,
  type CloudflareReader,
  createPollSource,
  pascalCase,
} from '../../../lambdas/poll/sources.ts';
import type { PolledEvent, PollSource, PollWindow } from '../../../lambdas/poll/types.ts';
import {
  type ApiItem,
  FAKE_CF_ACCOUNT_ID,
  type FakeCloudflare,
  fakeAccessRequest,
  fakeAuditLogV1,
  fakeAuditLogV2,
  fakeCredentials,
  fakeItemId,
  startFakeCloudflare,
} from '../../support/fake-cloudflare.ts';

const account = FAKE_CF_ACCOUNT_ID;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const window: PollWindow = { since: new Date(T0), until: new Date(T0 + 3_600_000) };

let cf: FakeCloudflare;
let api: CloudflareApi;

beforeEach(async () => {
  cf = await startFakeCloudflare();
  api = new CloudflareApi({ baseUrl: cf.baseUrl, credentials: fakeCredentials(), sleep: async () => {} });
});
afterEach(async () => {
  await cf.close();
});

async function collect(source: PollSource, w: PollWindow = window): Promise<PolledEvent[][]> {
  const pages: PolledEvent[][] = [];
  for await (const page of source.pages(w)) pages.push([...page]);
  return pages;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

/** A reader answering from a list of envelopes, recording the queries. */
function scripted(envelopes: { result: unknown; result_info?: Record<string, unknown> }[]) {
  const queries: Record<string, QueryValue>[] = [];
  const reader: CloudflareReader = {
    async get(_path, query = {}) {
      queries.push({ ...query });
      const next = envelopes.shift();
      if (!next) throw new Error('no more scripted envelopes');
      return { result: next.result, result_info: next.result_info };
    },
  };
  return { reader, queries };
}

const mapOf = (dataset: 'access_requests' | 'audit_logs' | 'audit_logs_v2', record: CfRecord) =>
  MAPPERS[dataset].map(record, { line: JSON.stringify(record), fallbackTime: instantFromDate(new Date(0)) });

describe('access_requests source', () => {
  it('reads every page in ascending order with since/until/direction/limit/page, and stops at a short page', async () => {
    const items = Array.from({ length: 23 }, (_, i) => fakeAccessRequest(i, at(i * 1000)));
    cf.add('access_requests', ...[...items].reverse());
    const pages = await collect(accessRequestsSource(api, { accountId: account, pageSize: 5 }));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat().map((e) => e.id)).toEqual(items.map((item) => fakeItemId('access_requests', item)));
    const requests = cf.requestsFor('access_requests');
    expect(requests).toHaveLength(5);
    expect(requests[0]?.path).toBe(`/client/v4/accounts/${account}/access/logs/access_requests`);
    expect(requests[0]?.query).toEqual({
      since: '2025-12-31T23:59:59.999Z',
      until: '2026-01-01T01:00:00.001Z',
      direction: 'asc',
      limit: '5',
      per_page: '5',
      page: '1',
    });
    expect(requests.map((r) => r.query.page)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('asks once more when the last page is full, and yields no empty page', async () => {
    cf.add('access_requests', ...Array.from({ length: 10 }, (_, i) => fakeAccessRequest(i, at(i))));
    const pages = await collect(accessRequestsSource(api, { accountId: account, pageSize: 5 }));
    expect(pages.map((p) => p.length)).toEqual([5, 5]);
    expect(cf.requestsFor('access_requests')).toHaveLength(3);
  });

  it('yields nothing for an empty window after one request', async () => {
    expect(await collect(accessRequestsSource(api, { accountId: account }))).toEqual([]);
    expect(cf.requests).toHaveLength(1);
  });

  it('keeps events that share one timestamp across a page boundary, each once', async () => {
    const items = Array.from({ length: 7 }, (_, i) => fakeAccessRequest(i, at(i < 2 ? 0 : 5000)));
    cf.add('access_requests', ...items);
    const ids = (await collect(accessRequestsSource(api, { accountId: account, pageSize: 3 })))
      .flat()
      .map((e) => e.id);
    expect(ids).toEqual(items.map((item) => fakeItemId('access_requests', item)));
  });

  it('keeps events exactly at since and until, to the nanosecond, and nothing outside', async () => {
    cf.add(
      'access_requests',
      fakeAccessRequest(1, '2025-12-31T23:59:59.999999999Z'),
      fakeAccessRequest(2, '2026-01-01T00:00:00Z'),
      fakeAccessRequest(3, '2026-01-01T00:30:00.123456Z'),
      fakeAccessRequest(4, '2026-01-01T01:00:00.000Z'),
      fakeAccessRequest(5, '2026-01-01T01:00:00.000000001Z'),
    );
    const events = (await collect(accessRequestsSource(api, { accountId: account }))).flat();
    expect(events.map((e) => e.record.Email)).toEqual([
      'user2@example.com',
      'user3@example.com',
      'user4@example.com',
    ]);
    expect(events[1]?.time.iso).toBe('2026-01-01T00:30:00.123456Z');
  });

  it('stops with a clear error when the API ignores page and repeats the first page', async () => {
    cf.settings.accessHonoursPage = false;
    cf.add('access_requests', ...Array.from({ length: 10 }, (_, i) => fakeAccessRequest(i, at(i))));
    const error = await failure(collect(accessRequestsSource(api, { accountId: account, pageSize: 5 })));
    expect(error).toBeInstanceOf(CloudflareResponseError);
    expect(error.message).toContain('ignore the page parameter');
    expect(cf.requests).toHaveLength(2);
  });

  it('stops at the page cap with a CloudflarePageLimitError', async () => {
    cf.add('access_requests', ...Array.from({ length: 10 }, (_, i) => fakeAccessRequest(i, at(i))));
    const source = accessRequestsSource(api, { accountId: account, pageSize: 2, maxPages: 3 });
    const pages: number[] = [];
    const error = await failure(
      (async () => {
        for await (const page of source.pages(window)) pages.push(page.length);
      })(),
    );
    expect(error).toBeInstanceOf(CloudflarePageLimitError);
    expect(error.message).toContain('more than 3 pages');
    expect(pages).toEqual([2, 2, 2]);
    expect(cf.requests).toHaveLength(3);
  });

  it('names an item without ray_id by a stable hash of its content', async () => {
    const item = fakeAccessRequest(1, at(0), { ray_id: undefined });
    cf.add('access_requests', item);
    const first = (await collect(accessRequestsSource(api, { accountId: account }))).flat();
    const second = (await collect(accessRequestsSource(api, { accountId: account }))).flat();
    expect(first[0]?.id).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(second[0]?.id).toBe(first[0]?.id);
  });

  it('fails clearly on an item without a valid created_at', async () => {
    const { reader } = scripted([{ result: [fakeAccessRequest(1, 'not a time')] }]);
    const error = await failure(collect(accessRequestsSource(reader, { accountId: account })));
    expect(error).toBeInstanceOf(CloudflareResponseError);
    expect(error.message).toContain('item 0 has no valid created_at');
  });

  it('fails clearly on a result that is not a list or an item that is not an object', async () => {
    for (const result of [{ rows: [] }, ['a string']]) {
      const { reader } = scripted([{ result }]);
      expect(await failure(collect(accessRequestsSource(reader, { accountId: account })))).toBeInstanceOf(
        CloudflareResponseError,
      );
    }
  });

  it('takes a null result for an empty page', async () => {
    const { reader } = scripted([{ result: null }]);
    expect(await collect(accessRequestsSource(reader, { accountId: account }))).toEqual([]);
  });

  it('renames every API field to its Logpush name and keeps the others in PascalCase', () => {
    expect(
      accessRequestRecord({
        action: 'login',
        allowed: false,
        app_domain: 'team.cloudflareaccess.com/cdn-cgi/access/sso',
        app_type: 'self_hosted',
        app_uid: 'uid-1',
        connection: 'onetimepin',
        country: 'de',
        created_at: '2026-01-01T00:00:00.5Z',
        ip_address: '2001:db8::1',
        purpose_justification_prompt: 'Why?',
        purpose_justification_response: 'Because',
        ray_id: '8f1e2d3c4b5a0201',
        temporary_access_approvers: ['a@example.com'],
        temporary_access_duration: 60,
        user_email: 'x@example.com',
        user_id: 'uuid-x',
        non_identity: false,
        idp_id: 'idp-1',
      }),
    ).toEqual({
      Action: 'login',
      Allowed: false,
      AppDomain: 'team.cloudflareaccess.com/cdn-cgi/access/sso',
      AppType: 'self_hosted',
      AppUUID: 'uid-1',
      Connection: 'onetimepin',
      Country: 'de',
      CreatedAt: '2026-01-01T00:00:00.5Z',
      IPAddress: '2001:db8::1',
      PurposeJustificationPrompt: 'Why?',
      PurposeJustificationResponse: 'Because',
      RayID: '8f1e2d3c4b5a0201',
      TemporaryAccessApprovers: ['a@example.com'],
      TemporaryAccessDuration: 60,
      Email: 'x@example.com',
      UserUID: 'uuid-x',
      NonIdentity: false,
      IdpID: 'idp-1',
    });
  });

  it('maps to the same ECS event as the equivalent Logpush line (AppType kept beside it)', async () => {
    cf.add(
      'access_requests',
      fakeAccessRequest(7, '2026-01-01T00:10:00.250Z', {
        purpose_justification_prompt: 'Why do you need the wiki?',
        purpose_justification_response: 'On-call runbooks',
        temporary_access_approvers: ['bob@example.com'],
        temporary_access_duration: 3600,
      }),
    );
    const [event] = (await collect(accessRequestsSource(api, { accountId: account }))).flat();
    const logpush: CfRecord = {
      Action: 'login',
      Allowed: true,
      AppDomain: 'wiki.example.com',
      AppUUID: '00000000-0000-4000-8000-00000000000a',
      Connection: 'saml',
      Country: 'nl',
      CreatedAt: '2026-01-01T00:10:00.250Z',
      Email: 'user7@example.com',
      IPAddress: '192.0.2.7',
      PurposeJustificationPrompt: 'Why do you need the wiki?',
      PurposeJustificationResponse: 'On-call runbooks',
      RayID: '8f1e000000000007',
      TemporaryAccessApprovers: ['bob@example.com'],
      TemporaryAccessDuration: 3600,
      UserUID: '00000101-0000-4000-8000-000000000007',
    };
    const expected = mapOf('access_requests', logpush);
    const actual = mapOf('access_requests', event!.record);
    expect(actual).toEqual({
      ...expected,
      cloudflare: { ...(expected.cloudflare as CfRecord), AppType: 'self_hosted' },
    });
    expect((actual.event as CfRecord).id).toBe((expected.event as CfRecord).id);
    // The ray id with the user and the application, as the mapper keys event.id.
    expect(event?.id).toBe('8f1e000000000007/user7@example.com/00000000-0000-4000-8000-00000000000a');
    expect(event?.time).toEqual({ ns: 1767226200250000000n, iso: '2026-01-01T00:10:00.250Z' });
  });
});

describe('audit_logs (v1) source', () => {
  it('pages by result_info.total_pages with since/before/direction/per_page/page', async () => {
    const items = Array.from({ length: 12 }, (_, i) => fakeAuditLogV1(i, at(i * 1000)));
    cf.add('audit_logs', ...items);
    const pages = await collect(auditLogsSource(api, { accountId: account, pageSize: 4 }));
    expect(pages.map((p) => p.length)).toEqual([4, 4, 4]);
    expect(pages.flat().map((e) => e.id)).toEqual(items.map((item) => item.id));
    const requests = cf.requestsFor('audit_logs');
    // total_pages says 3: no fourth request for an empty page.
    expect(requests).toHaveLength(3);
    expect(requests[0]?.query).toEqual({
      since: '2025-12-31T23:59:59.999Z',
      before: '2026-01-01T01:00:00.001Z',
      direction: 'asc',
      per_page: '4',
      page: '1',
    });
  });

  it('asks for at most 1000 per page, the documented maximum', async () => {
    cf.add('audit_logs', fakeAuditLogV1(1, at(0)));
    await collect(auditLogsSource(api, { accountId: account, pageSize: 5000 }));
    expect(cf.requests[0]?.query.per_page).toBe('1000');
    expect(cf.requests[0]?.status).toBe(200);
  });

  it('stops at a short page when result_info says nothing', async () => {
    const { reader, queries } = scripted([
      { result: [fakeAuditLogV1(1, at(0)), fakeAuditLogV1(2, at(1))] },
      { result: [fakeAuditLogV1(3, at(2))] },
    ]);
    const pages = await collect(auditLogsSource(reader, { accountId: account, pageSize: 2 }));
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(queries.map((q) => q.page)).toEqual([1, 2]);
  });

  it('yields nothing for an empty result', async () => {
    expect(await collect(auditLogsSource(api, { accountId: account }))).toEqual([]);
    expect(cf.requests).toHaveLength(1);
  });

  it('renames nested fields, takes newValueJson as NewValue and keeps the string as NewValueText', () => {
    expect(
      auditLogRecord({
        action: { result: true, type: 'rec_set', info: 'x' },
        actor: { email: 'a@example.com', id: 'actor', ip: '198.51.100.1', type: 'user' },
        id: 'id-1',
        interface: 'API',
        metadata: { zone_name: 'example.com' },
        newValue: '{"ttl":1}',
        newValueJson: { ttl: 1 },
        oldValue: 'high',
        owner: { id: 'owner' },
        resource: { id: 'res', type: 'zone', attributes: { a: 1 } },
        when: '2026-01-01T00:00:00Z',
      }),
    ).toEqual({
      ActionResult: true,
      ActionType: 'rec_set',
      ActionInfo: 'x',
      ActorEmail: 'a@example.com',
      ActorID: 'actor',
      ActorIP: '198.51.100.1',
      ActorType: 'user',
      ID: 'id-1',
      Interface: 'API',
      Metadata: { zone_name: 'example.com' },
      NewValue: { ttl: 1 },
      NewValueText: '{"ttl":1}',
      // A string where Logpush has an object: kept beside, so the mapper's type check passes.
      OldValueText: 'high',
      OwnerID: 'owner',
      ResourceID: 'res',
      ResourceType: 'zone',
      ResourceAttributes: { a: 1 },
      When: '2026-01-01T00:00:00Z',
    });
  });

  it('maps to the same ECS event as the equivalent Logpush line', async () => {
    cf.add('audit_logs', fakeAuditLogV1(3, '2026-01-01T00:20:00.123Z', { newValue: '', oldValue: '' }));
    const [event] = (await collect(auditLogsSource(api, { accountId: account }))).flat();
    const logpush: CfRecord = {
      ActionResult: true,
      ActionType: 'rec_set',
      ActorEmail: 'dana@example.com',
      ActorID: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      ActorIP: '203.0.113.20',
      ActorType: 'user',
      ID: '000000a1-0000-4000-8000-000000000003',
      Interface: 'API',
      Metadata: { zone_name: 'example.com', zone_tag: 'ffeeddccbbaa99887766554433221100' },
      NewValue: { content: '198.51.100.81', ttl: 1 },
      OldValue: { content: '198.51.100.80', ttl: 1 },
      OwnerID: FAKE_CF_ACCOUNT_ID,
      ResourceID: 'abcdefabcdefabcdefabcdefabcdefab',
      ResourceType: 'DNS_record',
      When: '2026-01-01T00:20:00.123Z',
    };
    const actual = mapOf('audit_logs', event!.record);
    expect(actual).toEqual(mapOf('audit_logs', logpush));
    expect(event?.id).toBe('000000a1-0000-4000-8000-000000000003');
    expect(event?.time.iso).toBe('2026-01-01T00:20:00.123Z');
  });
});

describe('audit_logs_v2 source', () => {
  const items = Array.from({ length: 9 }, (_, i) => fakeAuditLogV2(i, at(i * 1000)));

  for (const shape of ['cursor', 'cursors.after'] as const) {
    for (const end of ['omit', 'empty', 'always'] as const) {
      it(`follows result_info.${shape} to the end (last cursor: ${end})`, async () => {
        cf.settings.v2Cursor = shape;
        cf.settings.v2EndCursor = end;
        cf.add('audit_logs_v2', ...items);
        const pages = await collect(auditLogsV2Source(api, { accountId: account, pageSize: 4 }));
        expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
        expect(pages.flat().map((e) => e.id)).toEqual(items.map((item) => fakeItemId('audit_logs_v2', item)));
        const requests = cf.requestsFor('audit_logs_v2');
        expect(requests).toHaveLength(end === 'always' ? 4 : 3);
        expect(requests[0]?.query).toEqual({
          since: '2025-12-31T23:59:59.999Z',
          before: '2026-01-01T01:00:00.001Z',
          direction: 'asc',
          limit: '4',
        });
        expect(requests[1]?.query.cursor).toBeTruthy();
        expect(requests.every((r) => r.status === 200)).toBe(true);
      });
    }
  }

  it('stops at an empty page even when a cursor is given', async () => {
    const { reader, queries } = scripted([
      { result: [fakeAuditLogV2(1, at(0))], result_info: { cursor: 'c1' } },
      { result: [], result_info: { cursor: 'c2' } },
    ]);
    expect((await collect(auditLogsV2Source(reader, { accountId: account }))).flat()).toHaveLength(1);
    expect(queries.map((q) => q.cursor)).toEqual([undefined, 'c1']);
  });

  it('fails clearly when the API hands back a cursor it gave before', async () => {
    const { reader } = scripted([
      { result: [fakeAuditLogV2(1, at(0))], result_info: { cursors: { after: 'c1' } } },
      { result: [fakeAuditLogV2(2, at(1))], result_info: { cursors: { after: 'c1' } } },
    ]);
    const error = await failure(collect(auditLogsV2Source(reader, { accountId: account })));
    expect(error).toBeInstanceOf(CloudflareResponseError);
    expect(error.message).toContain('cursor');
  });

  it('yields nothing for an empty result', async () => {
    expect(await collect(auditLogsV2Source(api, { accountId: account }))).toEqual([]);
    expect(cf.requests).toHaveLength(1);
  });

  it('renames to the Logpush names, with ActorTokenDetails {id, name} and Raw as it is', () => {
    const item = fakeAuditLogV2(1, '2026-01-01T00:00:00.123456Z', {
      actor: {
        id: 'actor',
        email: 'a@example.com',
        ip_address: '198.51.100.1',
        type: 'user',
        context: 'dash',
      },
      extra: 'kept',
    });
    const record = auditLogV2Record(item);
    expect(record).toMatchObject({
      AccountID: FAKE_CF_ACCOUNT_ID,
      AccountName: 'Example Corp',
      ActionDescription: 'Update DNS record',
      ActionResult: 'success',
      ActionTimestamp: '2026-01-01T00:00:00.123456Z',
      ActionType: 'update',
      ActorContext: 'dash',
      ActorEmail: 'a@example.com',
      ActorID: 'actor',
      ActorIPAddress: '198.51.100.1',
      ActorType: 'user',
      AuditLogID: '000000a2-0000-4000-8000-000000000001',
      Raw: item.raw,
      ResourceScope: 'zones',
      ZoneID: 'ffeeddccbbaa99887766554433221100',
      ZoneName: 'example.com',
      Extra: 'kept',
    });
    // A dashboard action has no token: no empty ActorTokenDetails.
    expect(record).not.toHaveProperty('ActorTokenDetails');
  });

  it('keeps a value of another JSON type than the Logpush field beside it, not under its name', () => {
    const record = auditLogV2Record(
      fakeAuditLogV2(1, at(0), {
        resource: { id: 'r', scope: { type: 'zones', id: 'z' }, request: 'a string', value: {} },
      }),
    );
    expect(record.ResourceScopeObject).toEqual({ type: 'zones', id: 'z' });
    expect(record.ResourceRequestText).toBe('a string');
    expect(record).not.toHaveProperty('ResourceScope');
    expect(() => mapOf('audit_logs_v2', record)).not.toThrow();
  });

  it('maps to the same ECS event as the equivalent Logpush line', async () => {
    cf.add('audit_logs_v2', fakeAuditLogV2(5, '2026-01-01T00:30:00.123456Z'));
    const [event] = (await collect(auditLogsV2Source(api, { accountId: account }))).flat();
    const logpush: CfRecord = {
      AccountID: FAKE_CF_ACCOUNT_ID,
      AccountName: 'Example Corp',
      ActionDescription: 'Update DNS record',
      ActionResult: 'success',
      ActionTimestamp: '2026-01-01T00:30:00.123456Z',
      ActionType: 'update',
      ActorContext: 'api_token',
      ActorEmail: 'dana@example.com',
      ActorID: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      ActorIPAddress: '203.0.113.20',
      ActorTokenDetails: { id: '00000000-0000-4000-8000-000000000002', name: 'terraform-dns' },
      ActorType: 'user',
      AuditLogID: '000000a2-0000-4000-8000-000000000005',
      Raw: {
        cf_ray_id: '8f1f000000000005',
        method: 'PATCH',
        status_code: 200,
        uri: '/client/v4/zones/ffeeddccbbaa99887766554433221100/dns_records/abcdefabcdefabcdefabcdefabcdefab',
        user_agent: 'terraform/1.9',
      },
      ResourceID: 'abcdefabcdefabcdefabcdefabcdefab',
      ResourceProduct: 'dns_records',
      ResourceRequest: { content: '198.51.100.81', name: 'www.example.com', type: 'A' },
      ResourceResponse: {
        content: '198.51.100.81',
        id: 'abcdefabcdefabcdefabcdefabcdefab',
        name: 'www.example.com',
      },
      ResourceScope: 'zones',
      ResourceType: 'dns_record',
      ResourceValue: {},
      ZoneID: 'ffeeddccbbaa99887766554433221100',
      ZoneName: 'example.com',
    };
    const actual = mapOf('audit_logs_v2', event!.record);
    expect(actual).toEqual(mapOf('audit_logs_v2', logpush));
    expect((actual.http as CfRecord).request).toEqual({ id: '8f1f000000000005', method: 'PATCH' });
    expect(event?.id).toBe('000000a2-0000-4000-8000-000000000005');
    expect(event?.time.ns).toBe(1767227400123456000n);
  });
});

describe('poll sources', () => {
  it('are created by name with their dataset', () => {
    for (const name of ['access_requests', 'audit_logs', 'audit_logs_v2'] as const) {
      const source = createPollSource(name, api, { accountId: account });
      expect(source.name).toBe(name);
      expect(source.dataset).toBe(name);
    }
  });

  it('refuse an account id that could change the URL path', () => {
    expect(() => accessRequestsSource(api, { accountId: '../zones/x' })).toThrow(ConfigError);
    expect(() => auditLogsSource(api, { accountId: '' })).toThrow(ConfigError);
  });

  it('refuse a page size that is not a positive integer', () => {
    expect(() => auditLogsV2Source(api, { accountId: account, pageSize: 0 })).toThrow(ConfigError);
  });

  it('spell API names in the Logpush style', () => {
    expect(['app_type', 'token_id', 'newValueJson', 'user_agent', 'ip'].map(pascalCase)).toEqual([
      'AppType',
      'TokenID',
      'NewValueJson',
      'UserAgent',
      'IP',
    ]);
  });

  it('pass API errors through (a rejected token stops the window)', async () => {
    cf.script.queue.push({ kind: 'reject-auth' });
    const error = await failure(collect(auditLogsSource(api, { accountId: account })));
    expect(error.name).toBe('CloudflareAuthError');
  });

  it('survive faults the client retries, yielding each event once', async () => {
    const items: ApiItem[] = Array.from({ length: 6 }, (_, i) => fakeAccessRequest(i, at(i)));
    cf.add('access_requests', ...items);
    cf.script.at.set(1, { kind: 'rate-limit', retryAfter: 1 });
    cf.script.at.set(2, { kind: 'server-error', status: 503 });
    const ids = (await collect(accessRequestsSource(api, { accountId: account, pageSize: 2 })))
      .flat()
      .map((e) => e.id);
    expect(ids).toEqual(items.map((item) => fakeItemId('access_requests', item)));
  });
});

describe('accessRequestId', () => {
  it('tells apart two events that share a ray id but not the user or the application', () => {
    const base = { ray_id: '8f1e2d3c4b5a0201', user_email: 'a@example.com', app_uid: 'app-1' };
    const ids = new Set([
      accessRequestId(base),
      accessRequestId({ ...base, user_email: 'b@example.com' }),
      accessRequestId({ ...base, app_uid: 'app-2' }),
    ]);
    expect(ids.size).toBe(3);
    expect(accessRequestId({ user_email: 'a@example.com' })).toMatch(/^sha256:/);
  });
});
