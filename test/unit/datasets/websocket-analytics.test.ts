import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { closeOutcome, websocketAnalytics } from '../../../lambdas/datasets/websocket-analytics.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [zoneLine] = fixtureLines('websocket_analytics', 'zone-connection');
const [accountLine] = fixtureLines('websocket_analytics', 'account-connection');
const [noStartLine] = fixtureLines('websocket_analytics', 'no-start-time');

const zone: CfRecord = {
  EdgeStartTimestamp: '2026-01-01T00:00:00Z',
  ClientIP: '192.0.2.10',
  RayID: '8f1e2d3c4b5a0001',
  ConnectionID: 'c-1',
};
const mapZone = (extra: CfRecord) => mapRecord(websocketAnalytics, { ...zone, ...extra });

describe('websocket_analytics mapper', () => {
  it('maps a zone connection (PascalCase, timestamp_format) to the complete ECS event', () => {
    expect(mapLine(websocketAnalytics, zoneLine!)).toEqual({
      '@timestamp': '2026-01-01T10:00:00.250000000Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network', 'web'],
        type: ['connection', 'end'],
        reason: '1000',
        outcome: 'success',
        start: '2026-01-01T10:00:00.250000000Z',
        end: '2026-01-01T10:05:30.500000001Z',
        duration: 330_250_000_001,
        dataset: 'websocket_analytics',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      source: { address: '203.0.113.120', ip: '203.0.113.120' },
      http: { request: { id: '8f1e2d3c4b5a0601' } },
      network: { protocol: 'websocket' },
      related: { ip: ['203.0.113.120'] },
      cloudflare: {
        ConnectionCloseSource: 'client',
        ConnectionID: '00000000-0000-4000-8000-000000000061',
        RayID: '8f1e2d3c4b5a0601',
      },
    });
  });

  it('maps an account connection (camelCase, integer nanoseconds) to the complete ECS event', () => {
    expect(mapLine(websocketAnalytics, accountLine!)).toEqual({
      '@timestamp': '2026-01-01T10:00:00.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network', 'web'],
        type: ['connection', 'end'],
        reason: 'origin_error',
        outcome: 'failure',
        start: '2026-01-01T10:00:00.123456789Z',
        end: '2026-01-01T10:00:05.000000000Z',
        duration: 4_876_543_211,
        dataset: 'websocket_analytics',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      source: { address: '2001:db8:6::1', ip: '2001:db8:6::1' },
      http: { request: { id: '8f1e2d3c4b5a0602' } },
      network: { protocol: 'websocket' },
      related: { ip: ['2001:db8:6::1'] },
      cloudflare: {
        connectionCloseSource: 'origin',
        connectionId: '00000000-0000-4000-8000-000000000062',
        rayId: '8f1e2d3c4b5a0602',
      },
    });
  });

  it('reads the account times as nanoseconds even when they are digit strings', () => {
    const event = mapRecord(websocketAnalytics, {
      timestampStartNanos: '1767225600000000001',
      timestampEndNanos: '1767225601000000000',
      connectionId: 'c',
    });
    expect(event['@timestamp']).toBe('2026-01-01T00:00:00.000000001Z');
    expect(getField(event, 'event.duration')).toBe(999_999_999);
  });

  it('has no duration without an end, and the start is still @timestamp', () => {
    const event = mapZone({});
    expect(event['@timestamp']).toBe('2026-01-01T00:00:00Z');
    expect(getField(event, 'event.start')).toBe('2026-01-01T00:00:00Z');
    expect(getField(event, 'event.duration')).toBeUndefined();
  });

  it('falls back to the object time, tagged, with an end but no start', () => {
    const event = mapRecord(websocketAnalytics, {
      timestampEndNanos: 1767225601000000000,
      connectionId: 'c',
    });
    expect(event.tags).toEqual(['timestamp_from_object']);
    expect(getField(event, 'event.end')).toBe('2026-01-01T00:00:01.000000000Z');
    expect(getField(event, 'event.duration')).toBeUndefined();
  });

  it('maps a zone line whose job left EdgeStartTimestamp out: the object time, tagged, and the end kept', () => {
    const event = mapLine(websocketAnalytics, noStartLine!);
    expect(event['@timestamp']).toBe('2026-01-01T00:00:00.000Z');
    expect(event.tags).toEqual(['timestamp_from_object']);
    expect(getField(event, 'event.end')).toBe('2026-01-01T10:15:00Z');
    expect(getField(event, 'event.outcome')).toBe('success');
  });

  describe('event.outcome from the close reason', () => {
    it.each([
      ['1000', 'success'],
      ['1001', 'success'],
      ['1002', 'failure'],
      ['1006', 'failure'],
      ['1011', 'failure'],
      ['1005', 'unknown'],
      ['4000', 'unknown'],
      ['normal_closure', 'success'],
      ['abnormal_closure', 'failure'],
      ['CLIENT_IDLE_TIMEOUT', 'failure'],
      ['ORIGIN_ERROR', 'failure'],
      ['client_closed', 'unknown'],
    ])('%s → %s, and the reason is event.reason', (reason, outcome) => {
      const event = mapZone({ ConnectionCloseReason: reason });
      expect(getField(event, 'event.reason')).toBe(reason);
      expect(getField(event, 'event.outcome')).toBe(outcome);
      expect(closeOutcome(reason)).toBe(outcome);
    });

    it('reads a numeric close code written as a number', () => {
      const event = mapZone({ ConnectionCloseReason: 1006 });
      expect(getField(event, 'event.reason')).toBe('1006');
      expect(getField(event, 'event.outcome')).toBe('failure');
    });

    it('is unknown without a reason', () => {
      expect(getField(mapZone({}), 'event.outcome')).toBe('unknown');
    });

    it('takes the account shape reason too', () => {
      const event = mapRecord(websocketAnalytics, { connectionCloseReason: 'normal', connectionId: 'c' });
      expect(event.event).toMatchObject({ reason: 'normal', outcome: 'success' });
    });
  });

  it('unwraps an IPv4-mapped IPv6 client address in both shapes', () => {
    expect(getField(mapZone({ ClientIP: '::ffff:198.51.100.4' }), 'source.ip')).toBe('198.51.100.4');
    const account = mapRecord(websocketAnalytics, { clientIP: '::FFFF:198.51.100.5', connectionId: 'c' });
    expect(getField(account, 'source.ip')).toBe('198.51.100.5');
  });

  it('quarantines a line whose time is not a time, in either shape', () => {
    expect(() => mapZone({ EdgeEndTimestamp: 'later' })).toThrow(MappingError);
    expect(() => mapRecord(websocketAnalytics, { timestampStartNanos: 'soon' })).toThrow(MappingError);
  });

  it('keys zone lines on RayID and ConnectionID, and hashes account lines', () => {
    const a = mapZone({ ConnectionCloseReason: '1000' });
    expect(getField(mapZone({ ConnectionCloseReason: '1006' }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(mapZone({ ConnectionID: 'c-2' }), 'event.id')).not.toBe(getField(a, 'event.id'));
    const account = (reason: string) =>
      getField(mapRecord(websocketAnalytics, { rayId: 'r', connectionCloseReason: reason }), 'event.id');
    expect(account('a')).toBe(account('a'));
    expect(account('a')).not.toBe(account('b'));
  });

  describe('signature', () => {
    it('matches both fixture shapes and a minimal record of either', () => {
      for (const line of [zoneLine!, accountLine!]) {
        expect(websocketAnalytics.matches(JSON.parse(line))).toBe(true);
      }
      expect(websocketAnalytics.matches({ EdgeStartTimestamp: 1767225600, ConnectionID: 'c' })).toBe(true);
      expect(websocketAnalytics.matches({ timestampStartNanos: 1767225600000000000 })).toBe(true);
    });

    it('does not match an http_requests line, nor a zero_trust_network_sessions one', () => {
      const http = {
        EdgeStartTimestamp: 1767225600,
        RayID: 'r',
        ClientIP: '192.0.2.1',
        EdgeResponseStatus: 200,
      };
      const ztns = { SessionStartTime: 1767225600, ConnectionCloseReason: 'CLIENT_CLOSED', SessionID: 's' };
      expect(websocketAnalytics.matches(http)).toBe(false);
      expect(websocketAnalytics.matches(ztns)).toBe(false);
    });
  });
});
