import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATASET_NAMES, type DatasetName } from '../../../lambdas/datasets/catalog.ts';
import { detectDataset, MAPPERS } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines } from '../../fixtures/datasets/load.ts';

/** Signatures that also match another dataset's full records; detection picks by the field tables. */
const OVERLAPS: Partial<Record<DatasetName, DatasetName[]>> = {
  // Zone websocket lines carry EdgeStartTimestamp, RayID and ClientIP like http_requests.
  websocket_analytics: ['http_requests'],
  // RuleID is in firewall_events' list of distinctive names.
  network_analytics_logs: ['firewall_events'],
};

const fixture = (dataset: string, name: string): CfRecord => JSON.parse(fixtureLines(dataset, name)[0]!);
const detected = (record: CfRecord) => detectDataset(record)?.dataset;

describe('detectDataset', () => {
  it('registers a mapper for every catalogue dataset', () => {
    expect(Object.keys(MAPPERS)).toEqual(DATASET_NAMES);
    for (const name of DATASET_NAMES) expect(MAPPERS[name].dataset).toBe(name);
  });

  describe.each(DATASET_NAMES)('%s fixtures', (dataset) => {
    const dir = new URL(`../../fixtures/datasets/${dataset}/`, import.meta.url);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ndjson')) : [];

    it('exist', () => {
      expect(files.length).toBeGreaterThan(0);
    });

    it('are recognised as their dataset, line by line, and match no other signature but where a table decides', () => {
      for (const file of files) {
        for (const line of fixtureLines(dataset, file.replace(/\.ndjson$/, ''))) {
          const record = JSON.parse(line) as CfRecord;
          expect(detected(record), `${file}: ${line.slice(0, 80)}`).toBe(dataset);
          const others = DATASET_NAMES.filter((name) => name !== dataset && MAPPERS[name].matches(record));
          // Only the known overlaps, settled by the field tables (detectDataset's doc comment).
          const allowed: readonly string[] = OVERLAPS[dataset] ?? [];
          expect(
            others.filter((name) => !allowed.includes(name)),
            file,
          ).toEqual([]);
        }
      }
    });
  });

  it('recognises nothing from a time field that several datasets share, alone', () => {
    const owners = new Map<string, number>();
    for (const mapper of Object.values(MAPPERS)) {
      for (const [name, field] of Object.entries(mapper.spec.fields)) {
        if (field.type === 'time') owners.set(name, (owners.get(name) ?? 0) + 1);
      }
    }
    const shared = [...owners].filter(([, n]) => n > 1).map(([name]) => name);
    expect(shared).toEqual(expect.arrayContaining(['Timestamp', 'Datetime', 'EdgeStartTimestamp']));
    for (const name of shared) expect(detected({ [name]: 1767225600 }), name).toBeUndefined();
  });

  it.each([
    ['http_requests', fixture('http_requests', 'blocked-login')],
    ['http_requests', fixture('http_requests', 'legacy-waf')],
    ['firewall_events', fixture('firewall_events', 'managed-rule')],
    ['gateway_dns', fixture('gateway_dns', 'blocked-query')],
    ['audit_logs', fixture('audit_logs', 'dns-record-add')],
    [
      'access_requests',
      {
        AppUUID: '00000000-0000-4000-8000-00000000000a',
        Allowed: true,
        CreatedAt: '2026-01-01T00:00:00Z',
        Email: 'frank@example.com',
        IPAddress: '192.0.2.8',
        RayID: '8f1e2d3c4b5a0200',
      },
    ],
  ])('recognises a full %s record', (dataset, record) => {
    expect(detected(record)).toBe(dataset);
  });

  it.each([
    ['http_requests', { EdgeStartTimestamp: 1767225600123, RayID: 'r' }],
    ['http_requests', { EdgeStartTimestamp: '2026-01-01T00:00:00Z', ClientIP: '192.0.2.1' }],
    [
      'http_requests',
      { EdgeStartTimestamp: 1767225600, ClientRequestHost: 'example.com', EdgeResponseStatus: 200 },
    ],
    ['firewall_events', { Datetime: 1767225600, RuleID: '100016' }],
    ['firewall_events', { Datetime: '2026-01-01T00:00:00Z', Source: 'waf', Action: 'block' }],
    ['firewall_events', { Datetime: 1767225600, Kind: 'firewall' }],
    ['firewall_events', { Datetime: 1767225600, ClientRequestHost: 'example.com', ClientIP: '192.0.2.1' }],
    ['gateway_dns', { Datetime: 1767225600, QueryName: 'example.com' }],
    ['gateway_dns', { Datetime: 1767225600, ResolverDecision: 'allowedOnNoPolicyMatch', SrcIP: '192.0.2.1' }],
    ['gateway_dns', { Datetime: 1767225600, QueryID: 'q' }],
    ['audit_logs', { When: '2026-01-01T00:00:00Z', ActionType: 'rec_add' }],
    ['audit_logs', { When: 1767225600, ActorEmail: 'frank@example.com' }],
    ['audit_logs', { When: 1767225600, ResourceType: 'DNS_record' }],
  ])('recognises %s from a partial selection of fields %j', (dataset, record) => {
    expect(detected(record)).toBe(dataset);
  });

  it('does not take an http_requests record for firewall_events, nor the reverse', () => {
    const http = fixture('http_requests', 'blocked-login');
    const firewall = fixture('firewall_events', 'managed-rule');
    expect(MAPPERS.firewall_events!.matches(http)).toBe(false);
    expect(MAPPERS.http_requests!.matches(firewall)).toBe(false);
    // The fields they share (RayID, ClientIP, ClientRequestHost, EdgeColoCode…) are not enough either way.
    const shared = {
      RayID: 'r',
      ClientIP: '192.0.2.1',
      ClientRequestHost: 'example.com',
      EdgeColoCode: 'AMS',
    };
    expect(detected(shared)).toBeUndefined();
  });

  it('takes gateway_http and gateway_network lines (Datetime + Action) for theirs, not firewall_events', () => {
    const gatewayHttp = {
      Action: 'block',
      Datetime: '2026-01-01T00:00:00Z',
      HTTPHost: 'example.com',
      RequestID: 'req-1',
      SourceIP: '192.0.2.1',
    };
    const gatewayNetwork = { Action: 'allowedOnNoRuleMatch', Datetime: 1767225600, SNI: 'example.com' };
    expect(detected(gatewayHttp)).toBe('gateway_http');
    expect(detected(gatewayNetwork)).toBe('gateway_network');
  });

  it('takes audit_logs_v2 (ActionTimestamp) for itself, not audit_logs', () => {
    expect(
      detected({ ActionTimestamp: 1767225600, ActionType: 'create', ActorEmail: 'frank@example.com' }),
    ).toBe('audit_logs_v2');
  });

  it('recognises nothing from a time field alone', () => {
    for (const time of ['Datetime', 'When', 'EdgeStartTimestamp', 'CreatedAt']) {
      expect(detected({ [time]: 1767225600 })).toBeUndefined();
    }
  });
});
