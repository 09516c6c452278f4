import { describe, expect, it } from 'vitest';
import { getField } from '../../lambdas/core/ecs.ts';
import { MappingError } from '../../lambdas/core/errors.ts';
import { type CfRecord, defineMapper, INVALID_UTF8_TAG } from '../../lambdas/datasets/mapper.ts';
import { toLakeRow } from '../../lambdas/lake/row.ts';
import { FALLBACK_TIME, mapLine, mapRecord } from '../fixtures/datasets/load.ts';

// A made-up table exercising the engine alone (the dataset name only has to be a known one).
const mapper = defineMapper({
  dataset: 'spectrum_events',
  observerType: 'proxy',
  category: ['network'],
  type: ['connection'],
  idFields: ['ID', 'Part'],
  signature: { all: ['Start'], any: ['ID'] },
  fields: {
    ID: { type: 'string' },
    Part: { type: 'int' },
    Start: { type: 'time', to: ['@timestamp', 'event.start'] },
    End: { type: 'time', to: 'event.end' },
    Ms: { type: 'time', unit: 'ms' },
    ClientIP: { type: 'string', to: 'source.ip' },
    Port: { type: 'int', to: 'source.port', keep: true },
    Ratio: { type: 'float' },
    Flag: { type: 'bool' },
    Ips: { type: 'string[]', to: 'dns.resolved_ip' },
    Old: { type: 'string', drop: 'deprecated duplicate of ID' },
    Nested: { type: 'object' },
    List: { type: 'object[]' },
  },
});
const base: CfRecord = { ID: 'a', Start: '2026-01-01T00:00:00Z' };
const map = (extra: CfRecord) => mapRecord(mapper, { ...base, ...extra });

describe('defineMapper engine', () => {
  it('refuses a table that targets a field outside the ECS catalogue', () => {
    expect(() =>
      defineMapper({ ...mapper.spec, fields: { X: { type: 'string', to: 'source.not_ecs' } } }),
    ).toThrow(/not in the catalogue/);
  });

  it('keeps a value that does not convert to its ECS type (an invalid IP) under cloudflare.*', () => {
    const event = map({ ClientIP: 'unknown' });
    expect(getField(event, 'source.ip')).toBeUndefined();
    expect(getField(event, 'cloudflare.ClientIP')).toBe('unknown');
  });

  it('keeps a mapped field under cloudflare.* too when the table says keep', () => {
    expect(getField(map({ Port: 0 }), 'source.port')).toBe(0);
    expect(getField(map({ Port: 0 }), 'cloudflare.Port')).toBe(0);
  });

  it('drops a field the table drops, whatever its value', () => {
    expect(getField(map({ Old: 'x' }), 'cloudflare.Old')).toBeUndefined();
  });

  it('converts lossless representations: digit strings to int, "true"/1 to bool, numeric strings to float', () => {
    const event = map({ Part: '12', Flag: 'true', Ratio: '0.5' });
    expect(event.cloudflare).toMatchObject({ Part: 12, Flag: true, Ratio: 0.5 });
    expect(getField(map({ Flag: 0 }), 'cloudflare.Flag')).toBe(false);
  });

  it('rejects an integer string too long to be exact, and a float where an int is documented', () => {
    expect(() => map({ Part: '1234567890123456' })).toThrow(MappingError);
    expect(() => map({ Part: 1.5 })).toThrow(MappingError);
  });

  it('names the field and the offending value in the quarantine reason', () => {
    expect(() => map({ Part: 'twelve' })).toThrow('field Part: expected int, got string "twelve"');
  });

  it('computes event.duration in nanoseconds only when the end is not before the start', () => {
    expect(getField(map({ End: '2026-01-01T00:00:00.5Z' }), 'event.duration')).toBe(500_000_000);
    expect(getField(map({ End: '2025-12-31T23:59:59Z' }), 'event.duration')).toBeUndefined();
  });

  it('reads a fixed-unit time field by its unit whatever its magnitude, and keeps it as ISO text', () => {
    expect(getField(map({ Ms: 1_767_225_600_123 }), 'cloudflare.Ms')).toBe('2026-01-01T00:00:00.123Z');
  });

  it('treats 0 as an unset time, as Logpush writes it', () => {
    expect(getField(map({ End: 0 }), 'event.end')).toBeUndefined();
  });

  it('builds event.id from the natural key, and from the whole line when the first key field is missing', () => {
    const a = map({ Part: 1 });
    expect(getField(map({ Part: 1, Flag: true }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ Part: 2 }), 'event.id')).not.toBe(getField(a, 'event.id'));
    const noKey = '{"Start":"2026-01-01T00:00:00Z","Part":1}';
    expect(getField(mapLine(mapper, noKey), 'event.id')).toBe(getField(mapLine(mapper, noKey), 'event.id'));
    expect(getField(mapLine(mapper, `${noKey} `), 'event.id')).not.toBe(
      getField(mapLine(mapper, noKey), 'event.id'),
    );
  });

  it('keeps a 19-digit integer in a string or any field exact, and keys event.id on its exact digits', () => {
    const line = (id: string) => `{"Start":"2026-01-01T00:00:00Z","ID":${id},"Extra":${id}}`;
    const wide = defineMapper({ ...mapper.spec, fields: { ...mapper.spec.fields, Extra: { type: 'any' } } });
    const a = mapLine(wide, line('1234567890123456781'));
    const b = mapLine(wide, line('1234567890123456782'));
    expect(getField(a, 'cloudflare.ID')).toBe('1234567890123456781');
    expect(getField(a, 'cloudflare.Extra')).toBe('1234567890123456781');
    // JSON.parse rounds both to the same number; the ids must still differ.
    expect(JSON.parse(line('1234567890123456781')).ID).toBe(JSON.parse(line('1234567890123456782')).ID);
    expect(getField(a, 'event.id')).not.toBe(getField(b, 'event.id'));
  });

  it('keeps an int beyond 2^53 exact under cloudflare.* instead of a rounded ECS long, and so in the lake', () => {
    const event = mapLine(mapper, '{"Start":"2026-01-01T00:00:00Z","ID":"a","Port":12345678901234567891}');
    expect(getField(event, 'source.port')).toBeUndefined();
    expect(getField(event, 'cloudflare.Port')).toBe('12345678901234567891');
    expect(toLakeRow(event).cloudflare_other).toMatchObject({ port: '12345678901234567891' });
    expect(getField(map({ Port: 2 ** 53 - 1 }), 'source.port')).toBe(2 ** 53 - 1);
  });

  it('keys event.id on the instant of a time field, whatever its timestamp_format', () => {
    const timed = defineMapper({ ...mapper.spec, idFields: ['Start', 'ID'] });
    const ids = ['"2026-01-01T00:00:00.5Z"', '"2026-01-01T00:00:00.500000000Z"', '1767225600500000000'].map(
      (start) => getField(mapLine(timed, `{"Start":${start},"ID":"a"}`), 'event.id'),
    );
    expect(new Set(ids).size).toBe(1);
  });

  it('tags an event whose line had bytes that are not UTF-8, beside the object-time tag', () => {
    const line = JSON.stringify({ ID: 'a', Start: '2026-01-01T00:00:00Z', Note: 'caf\uFFFD' });
    const fallbackTime = FALLBACK_TIME;
    const record = () => JSON.parse(line) as CfRecord;
    expect(mapper.map(record(), { line, fallbackTime, invalidUtf8: true }).tags).toEqual([INVALID_UTF8_TAG]);
    expect(mapper.map(record(), { line, fallbackTime }).tags).toBeUndefined();
    const untimed = JSON.stringify({ ID: 'b' });
    expect(
      mapper.map(JSON.parse(untimed) as CfRecord, { line: untimed, fallbackTime, invalidUtf8: true }).tags,
    ).toEqual(['timestamp_from_object', INVALID_UTF8_TAG]);
  });

  it('matches a record by its signature', () => {
    expect(mapper.matches({ Start: 1, ID: 'a' })).toBe(true);
    expect(mapper.matches({ Start: 1 })).toBe(false);
    expect(mapper.matches({ ID: 'a' })).toBe(false);
  });

  it('keeps every element of an IP list, the whole list under cloudflare.* when some are not IPs', () => {
    const event = map({ Ips: ['198.51.100.1', 'not-an-ip'] });
    expect(getField(event, 'dns.resolved_ip')).toEqual(['198.51.100.1']);
    expect(getField(event, 'cloudflare.Ips')).toEqual(['198.51.100.1', 'not-an-ip']);
  });

  it('keeps 19-digit integers inside objects and arrays exact (merged Subrequests)', () => {
    const line =
      '{"ID":"a","Start":"2026-01-01T00:00:00Z","List":[{"EdgeStartTimestamp":1767225600123456789}]}';
    expect(getField(mapLine(mapper, line), 'cloudflare.List')).toEqual([
      { EdgeStartTimestamp: '1767225600123456789' },
    ]);
  });
});
