import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { detectDataset } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import {
  outcomeOf,
  triggerCategorization,
  workersTraceEvents,
} from '../../../lambdas/datasets/workers-trace-events.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [fetchException, scheduledOk] = fixtureLines('workers_trace_events', 'fetch-exception');

const base: CfRecord = {
  EventTimestampMs: 1767225600123,
  EventType: 'fetch',
  ScriptName: 'edge-app',
};
const map = (extra: CfRecord) => mapRecord(workersTraceEvents, { ...base, ...extra });

describe('workers_trace_events mapper', () => {
  it('maps a fetch invocation that threw to the complete ECS event', () => {
    const ua =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    expect(mapLine(workersTraceEvents, fetchException!)).toEqual({
      '@timestamp': '2026-01-05T12:00:00.123Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['web'],
        type: ['info'],
        action: 'fetch',
        outcome: 'failure',
        duration: 9_000_000,
        dataset: 'workers_trace_events',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'faas' },
      service: { name: 'items-api' },
      faas: {
        name: 'items-api',
        version: '00000000-0000-4000-8000-000000000031',
        trigger: { type: 'http' },
      },
      error: { type: 'TypeError', message: "Cannot read properties of undefined (reading 'id')" },
      url: {
        original: 'https://api.example.com/v1/items?limit=10',
        full: 'https://api.example.com/v1/items?limit=10',
        scheme: 'https',
        domain: 'api.example.com',
        registered_domain: 'example.com',
        subdomain: 'api',
        top_level_domain: 'com',
        port: 443,
        path: '/v1/items',
        query: 'limit=10',
      },
      http: { version: '2', request: { method: 'GET' }, response: { status_code: 500 } },
      user_agent: {
        original: ua,
        name: 'Chrome',
        version: '131.0.0.0',
        os: { name: 'Windows', version: '10', full: 'Windows 10' },
      },
      source: {
        address: '192.0.2.77',
        ip: '192.0.2.77',
        as: { number: 64500, organization: { name: 'Example Networks' } },
        geo: { country_iso_code: 'GB', city_name: 'London' },
      },
      tls: { version_protocol: 'tls', version: '1.3', cipher: 'AEAD-AES128-GCM-SHA256' },
      related: { ip: ['192.0.2.77'], hosts: ['api.example.com'] },
      cloudflare: {
        CPUTimeMs: 3,
        Event: {
          request: {
            cf: {
              asOrganization: 'Example Networks',
              asn: 64500,
              city: 'London',
              colo: 'LHR',
              country: 'GB',
              httpProtocol: 'HTTP/2',
              tlsCipher: 'AEAD-AES128-GCM-SHA256',
              tlsVersion: 'TLSv1.3',
            },
            headers: { accept: 'application/json', 'cf-connecting-ip': '192.0.2.77', 'user-agent': ua },
            method: 'GET',
            url: 'https://api.example.com/v1/items?limit=10',
          },
          response: { status: 500 },
        },
        Exceptions: [
          {
            message: "Cannot read properties of undefined (reading 'id')",
            name: 'TypeError',
            timestamp: 1767614400130,
          },
        ],
        Logs: [{ level: 'log', message: ['loading items'], timestamp: 1767614400125 }],
        Outcome: 'exception',
        ScriptTags: ['team:platform'],
        ScriptVersion: {
          id: '00000000-0000-4000-8000-000000000031',
          message: 'fix pagination',
          tag: 'v42',
        },
        WallTimeMs: 9,
      },
    });
  });

  it('maps a cron invocation: process, timer trigger, success, no request fields', () => {
    const event = mapLine(workersTraceEvents, scheduledOk!);
    expect(event['@timestamp']).toBe('2026-01-05T12:05:00.004Z');
    expect(event.event).toMatchObject({
      category: ['process'],
      action: 'scheduled',
      outcome: 'success',
      duration: 25_000_000,
    });
    expect(getField(event, 'faas.trigger.type')).toBe('timer');
    expect(event.url).toBeUndefined();
    expect(event.error).toBeUndefined();
    expect(getField(event, 'cloudflare.Event')).toEqual({
      cron: '*/5 * * * *',
      scheduledTime: 1767614700000,
    });
  });

  it('reads EventTimestampMs as milliseconds, as an integer or a digit string', () => {
    expect(map({ EventTimestampMs: 1767225600123 })['@timestamp']).toBe('2026-01-01T00:00:00.123Z');
    expect(map({ EventTimestampMs: '1767225600123' })['@timestamp']).toBe('2026-01-01T00:00:00.123Z');
  });

  it('quarantines an EventTimestampMs in another unit (seconds are not milliseconds)', () => {
    expect(() => map({ EventTimestampMs: 1767225600 })).toThrow(MappingError);
  });

  it.each([
    ['fetch', ['web'], 'http'],
    ['hibernatable_web_socket', ['web'], 'other'],
    ['email', ['email'], 'other'],
    ['worker_rpc', ['api'], 'other'],
    ['scheduled', ['process'], 'timer'],
    ['alarm', ['process'], 'timer'],
    ['queue', ['process'], 'pubsub'],
    ['tail', ['process'], 'other'],
  ])('EventType %s is category %j with trigger %s', (eventType, category, trigger) => {
    const event = map({ EventType: eventType });
    expect(getField(event, 'event.action')).toBe(eventType);
    expect(getField(event, 'event.category')).toEqual(category);
    expect(getField(event, 'faas.trigger.type')).toBe(trigger);
    expect(triggerCategorization(eventType)).toEqual({ category, triggerType: trigger });
  });

  it('keeps the default category and no trigger without an EventType', () => {
    const { EventType: _, ...rest } = base;
    const event = mapRecord(workersTraceEvents, rest);
    expect(getField(event, 'event.category')).toEqual(['process']);
    expect(event.faas).toEqual({ name: 'edge-app' });
  });

  it.each([
    ['ok', 'success'],
    ['exception', 'failure'],
    ['canceled', 'failure'],
    ['exceededCpu', 'failure'],
    ['exceededMemory', 'failure'],
    ['scriptNotFound', 'failure'],
    ['unknown', 'unknown'],
    [undefined, 'unknown'],
  ])('turns Outcome %s into event.outcome %s and keeps it', (outcome, expected) => {
    const event = map({ Outcome: outcome });
    expect(getField(event, 'event.outcome')).toBe(expected);
    expect(getField(event, 'cloudflare.Outcome')).toBe(outcome);
    expect(outcomeOf(outcome)).toBe(expected);
  });

  it('maps the sender and recipient of an email event', () => {
    const event = map({
      EventType: 'email',
      Event: { mailFrom: 'judy@example.com', rawSize: 2048, rcptTo: 'support@example.net' },
    });
    expect(event.email).toEqual({
      from: { address: ['judy@example.com'] },
      to: { address: ['support@example.net'] },
    });
  });

  it('takes no source.ip from a redacted header', () => {
    const event = map({
      Event: { request: { headers: { 'CF-Connecting-IP': 'REDACTED' }, method: 'POST' } },
    });
    expect(event.source).toBeUndefined();
    expect(getField(event, 'http.request.method')).toBe('POST');
  });

  it('unwraps an IPv4-mapped IPv6 client address and reads header names in any case', () => {
    const event = map({ Event: { request: { headers: { 'CF-Connecting-IP': '::ffff:203.0.113.9' } } } });
    expect(getField(event, 'source.ip')).toBe('203.0.113.9');
  });

  it('hashes the line for event.id (there is no unique id)', () => {
    const a = map({});
    expect(getField(map({}), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ WallTimeMs: 1 }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it('quarantines Exceptions that are not a list and an Event that is not an object', () => {
    expect(() => map({ Exceptions: { name: 'Error' } })).toThrow(MappingError);
    expect(() => map({ Event: 'fetch' })).toThrow(MappingError);
  });

  it('recognises its records, full and minimal, and nothing else claims them', () => {
    const full = JSON.parse(fetchException!) as CfRecord;
    expect(workersTraceEvents.matches(full)).toBe(true);
    expect(detectDataset(full)?.dataset).toBe('workers_trace_events');
    for (const name of workersTraceEvents.spec.signature.any ?? []) {
      const minimal = { EventTimestampMs: 1767225600123, [name]: 'x' };
      expect(detectDataset(minimal)?.dataset, name).toBe('workers_trace_events');
    }
    expect(workersTraceEvents.matches({ Timestamp: 1767225600, ScriptName: 'x' })).toBe(false);
  });
});
