import { describe, expect, it } from 'vitest';
import { detectDataset, MAPPERS } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines } from '../../fixtures/datasets/load.ts';

const fixture = (dataset: string, name: string): CfRecord => JSON.parse(fixtureLines(dataset, name)[0]!);
const detected = (record: CfRecord) => detectDataset(record)?.dataset;

describe('detectDataset', () => {
  it('registers a mapper for the five datasets', () => {
    expect(Object.keys(MAPPERS).sort()).toEqual([
      'access_requests',
      'audit_logs',
      'firewall_events',
      'gateway_dns',
      'http_requests',
    ]);
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

  it('does not take gateway_http or gateway_network lines (Datetime + Action) for firewall_events', () => {
    const gatewayHttp = {
      Action: 'block',
      Datetime: '2026-01-01T00:00:00Z',
      HTTPHost: 'example.com',
      RequestID: 'req-1',
      SourceIP: '192.0.2.1',
    };
    const gatewayNetwork = { Action: 'allowedOnNoRuleMatch', Datetime: 1767225600, SNI: 'example.com' };
    expect(detected(gatewayHttp)).toBeUndefined();
    expect(detected(gatewayNetwork)).toBeUndefined();
  });

  it('does not take audit_logs_v2 (ActionTimestamp) for audit_logs', () => {
    expect(
      detected({ ActionTimestamp: 1767225600, ActionType: 'create', ActorEmail: 'frank@example.com' }),
    ).toBe(undefined);
  });

  it('recognises nothing from a time field alone', () => {
    for (const time of ['Datetime', 'When', 'EdgeStartTimestamp', 'CreatedAt']) {
      expect(detected({ [time]: 1767225600 })).toBeUndefined();
    }
  });
});
