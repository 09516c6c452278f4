import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { mcpPortalLogs } from '../../../lambdas/datasets/mcp-portal-logs.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [toolCall, deniedCall, toolsList] = fixtureLines('mcp_portal_logs', 'tool-calls');

const base: CfRecord = {
  Datetime: '2026-01-01T00:00:00Z',
  Method: 'tools/call',
  ToolCallName: 'get_weather',
  ClientIP: '192.0.2.30',
};
const map = (extra: CfRecord) => mapRecord(mcpPortalLogs, { ...base, ...extra });

describe('mcp_portal_logs mapper', () => {
  it('maps a successful tool call to the complete ECS event', () => {
    expect(mapLine(mcpPortalLogs, toolCall!)).toEqual({
      '@timestamp': '2026-01-01T14:30:00.042Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['api'],
        type: ['access'],
        action: 'tools/call',
        outcome: 'success',
        duration: 184_000_000,
        dataset: 'mcp_portal_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      source: { ip: '198.51.100.23', address: '198.51.100.23', geo: { country_iso_code: 'FR' } },
      client: { ip: '198.51.100.23', address: '198.51.100.23' },
      url: {
        original: 'https://mcp.example.com/mcp',
        full: 'https://mcp.example.com/mcp',
        scheme: 'https',
        domain: 'mcp.example.com',
        port: 443,
        path: '/mcp',
        registered_domain: 'example.com',
        subdomain: 'mcp',
        top_level_domain: 'com',
      },
      user: { email: 'frank@example.com', id: '00000000-0000-4000-8000-000000000065' },
      related: { ip: ['198.51.100.23'], hosts: ['mcp.example.com'], user: ['frank@example.com'] },
      cloudflare: {
        PortalAUD: '0000000000000000000000000000000000000000000000000000000000000061',
        PortalID: '00000000-0000-4000-8000-000000000062',
        ServerID: '00000000-0000-4000-8000-000000000063',
        ServerResponseDurationMs: 184,
        SessionID: '00000000-0000-4000-8000-000000000064',
        Success: true,
        ToolCallName: 'search_tickets',
      },
    });
  });

  it('maps a refused call from an IPv4-mapped address: failure with the error message', () => {
    const event = mapLine(mcpPortalLogs, deniedCall!);
    expect(event.event).toMatchObject({ action: 'tools/call', outcome: 'failure' });
    expect(event.error).toEqual({ message: 'tool not allowed by portal policy' });
    expect(getField(event, 'source.ip')).toBe('198.51.100.23');
    expect(getField(event, 'cloudflare.ToolCallName')).toBe('delete_ticket');
  });

  it('maps a tools/list call from an IPv6 client', () => {
    const event = mapLine(mcpPortalLogs, toolsList!);
    expect(event.event).toMatchObject({ action: 'tools/list', outcome: 'success' });
    expect(event.client).toEqual({ ip: '2001:db8:23::1', address: '2001:db8:23::1' });
    expect(event.url).toBeUndefined();
  });

  it.each([
    [true, 'success'],
    [false, 'failure'],
    ['false', 'failure'],
    [undefined, 'unknown'],
  ])('Success %j gives outcome %s', (success, outcome) => {
    expect(getField(map({ Success: success }), 'event.outcome')).toBe(outcome);
  });

  it.each([
    [{ Error: 'upstream server unreachable' }, 'failure'],
    [{ Error: '' }, 'unknown'],
    [{ Error: 'retried', Success: true }, 'success'],
  ] as const)('without Success, an Error fails the call: %j → %s', (extra, outcome) => {
    expect(getField(map(extra), 'event.outcome')).toBe(outcome);
  });

  it('sets event.duration only from a number of milliseconds', () => {
    expect(getField(map({ ServerResponseDurationMs: 12.5 }), 'event.duration')).toBe(12_500_000);
    const text = map({ ServerResponseDurationMs: '12' });
    expect(getField(text, 'event.duration')).toBeUndefined();
    expect(getField(text, 'cloudflare.ServerResponseDurationMs')).toBe('12');
  });

  it('hashes the line for event.id: SessionID spans many calls', () => {
    const a = getField(map({ SessionID: 's-1' }), 'event.id');
    expect(getField(map({ SessionID: 's-1' }), 'event.id')).toBe(a);
    expect(getField(map({ SessionID: 's-1', ToolCallName: 'other' }), 'event.id')).not.toBe(a);
  });

  it('quarantines a Success that is not a boolean', () => {
    expect(() => map({ Success: 'sometimes' })).toThrow(MappingError);
  });

  it('recognises its records by Datetime and an MCP field, not by ClientIP', () => {
    for (const line of [toolCall, deniedCall, toolsList])
      expect(mcpPortalLogs.matches(JSON.parse(line!))).toBe(true);
    expect(mcpPortalLogs.matches({ Datetime: 1767225600, ToolCallName: 't' })).toBe(true);
    expect(mcpPortalLogs.matches({ Datetime: 1767225600, ClientIP: '192.0.2.1', Method: 'initialize' })).toBe(
      false,
    );
  });
});
