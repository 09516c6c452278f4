import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { nelReports } from '../../../lambdas/datasets/nel-reports.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [tcpTimeout, emptyResponse] = fixtureLines('nel_reports', 'tcp-timeout');

const base: CfRecord = { Timestamp: '2026-01-01T00:00:00Z', ClientIPASN: 64500 };
const map = (extra: CfRecord) => mapRecord(nelReports, { ...base, ...extra });

describe('nel_reports mapper', () => {
  it('maps a TCP timeout report to the complete ECS event', () => {
    expect(mapLine(nelReports, tcpTimeout!)).toEqual({
      '@timestamp': '2026-01-01T08:15:30.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['error'],
        action: 'tcp.timed_out',
        outcome: 'failure',
        dataset: 'nel_reports',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      source: {
        as: { number: 64500, organization: { name: 'EXAMPLE-NET' } },
        geo: { country_iso_code: 'FR' },
      },
      error: { type: 'tcp.timed_out' },
      cloudflare: { LastKnownGoodColoCode: 'CDG', Phase: 'connection' },
    });
  });

  it('puts an application-phase report in the web category', () => {
    const event = mapLine(nelReports, emptyResponse!);
    expect(event.event).toMatchObject({
      category: ['web'],
      type: ['error'],
      action: 'http.response.invalid.empty',
      outcome: 'failure',
    });
    expect(event.source).toEqual({ as: { number: 64501 }, geo: { country_iso_code: 'US' } });
  });

  it.each([
    ['dns', ['network']],
    ['connection', ['network']],
    ['application', ['web']],
    ['unknown', ['network', 'web']],
  ])('gives phase %s the category %j', (phase, category) => {
    const event = map({ Phase: phase, Type: 'dns.name_not_resolved' });
    expect(getField(event, 'event.category')).toEqual(category);
    expect(getField(event, 'cloudflare.Phase')).toBe(phase);
  });

  it('keeps both categories without a phase', () => {
    expect(getField(map({ Type: 'tcp.reset' }), 'event.category')).toEqual(['network', 'web']);
  });

  it('maps a sampled success report (type ok) to info/success without error.type', () => {
    const event = map({ Phase: 'application', Type: 'ok' });
    expect(event.event).toMatchObject({ type: ['info'], action: 'ok', outcome: 'success' });
    expect(event.error).toBeUndefined();
  });

  it('leaves a report without a type info/unknown, with no action', () => {
    const event = map({ Phase: 'dns' });
    expect(event.event).toMatchObject({ type: ['info'], outcome: 'unknown' });
    expect(getField(event, 'event.action')).toBeUndefined();
  });

  it('has no client IP: no source.ip, source.address or related.ip', () => {
    const event = mapLine(nelReports, tcpTimeout!);
    expect(getField(event, 'source.ip')).toBeUndefined();
    expect(getField(event, 'source.address')).toBeUndefined();
    expect(event.related).toBeUndefined();
  });

  it('quarantines a line whose ClientIPASN is not an integer', () => {
    expect(() => map({ ClientIPASN: 'AS64500' })).toThrow(MappingError);
  });

  it('has no natural key: identical lines share an event.id, different lines do not', () => {
    expect(getField(map({ Type: 'tcp.reset' }), 'event.id')).toBe(
      getField(map({ Type: 'tcp.reset' }), 'event.id'),
    );
    expect(getField(map({ Type: 'tcp.reset' }), 'event.id')).not.toBe(
      getField(map({ Type: 'tcp.aborted' }), 'event.id'),
    );
  });

  it('matches its fixture records and a time field with one NEL name, not a bare Timestamp + Phase', () => {
    for (const line of [tcpTimeout!, emptyResponse!]) expect(nelReports.matches(JSON.parse(line))).toBe(true);
    expect(nelReports.matches({ Timestamp: 1767225600, LastKnownGoodColoCode: 'AMS' })).toBe(true);
    expect(nelReports.matches({ Timestamp: 1767225600, Phase: 'dns', Type: 'x' })).toBe(false);
  });
});
