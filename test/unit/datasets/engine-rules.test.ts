/**
 * The rules every dataset mapper must keep, checked on each registered mapper from its own field table (so a new
 * field or a new mapper is covered without writing a line here): 0 and false kept, empty strings dropped, unknown
 * fields kept, every Logpush timestamp_format read exactly, type mismatches rejected for quarantine.
 */

import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type EcsEvent, getField } from '../../../lambdas/core/ecs.ts';
import { ECS_FIELDS, ECS_VERSION } from '../../../lambdas/core/ecs-fields.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { MAPPERS } from '../../../lambdas/datasets/index.ts';
import type { CfRecord, CfType, DatasetMapper } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const mappers = Object.values(MAPPERS) as DatasetMapper[];

/** The field that feeds @timestamp. */
function timeField(mapper: DatasetMapper): string {
  const entry = Object.entries(mapper.spec.fields).find(
    ([, f]) =>
      f.type === 'time' && (f.to === '@timestamp' || (Array.isArray(f.to) && f.to.includes('@timestamp'))),
  );
  if (!entry) throw new Error(`${mapper.dataset} has no @timestamp field`);
  return entry[0];
}

/** Names of the table's fields of one type that are neither dropped nor the time field. */
function fieldsOf(mapper: DatasetMapper, type: CfType): string[] {
  return Object.entries(mapper.spec.fields)
    .filter(([name, f]) => f.type === type && f.drop === undefined && name !== timeField(mapper))
    .map(([name]) => name);
}

/** A minimal record: the time field alone. */
function baseRecord(mapper: DatasetMapper): CfRecord {
  return { [timeField(mapper)]: '2026-01-01T00:00:00Z' };
}

describe.each(mappers.map((m) => [m.dataset, m] as const))('%s mapper engine rules', (_name, mapper) => {
  const time = timeField(mapper);
  const unit = mapper.spec.fields[time]?.unit;

  it('keeps integer 0 and boolean false, whether mapped to ECS or kept under cloudflare.*', () => {
    const ints = fieldsOf(mapper, 'int');
    const bools = fieldsOf(mapper, 'bool');
    const record: CfRecord = { ...baseRecord(mapper) };
    for (const f of ints) record[f] = 0;
    for (const f of bools) record[f] = false;
    const event = mapRecord(mapper, record);
    for (const f of [...ints, ...bools]) {
      const spec = mapper.spec.fields[f]!;
      const targets = spec.to === undefined ? [] : typeof spec.to === 'string' ? [spec.to] : spec.to;
      const found = [`cloudflare.${f}`, ...targets].some((path) => getField(event, path) === record[f]);
      // A 0 that a refine turns into a derived value (RCode 0 → NoError) is still not lost.
      const derived = f === 'RCode' && getField(event, 'dns.response_code') === 'NoError';
      expect(found || derived, `${f}: ${JSON.stringify(record[f])}`).toBe(true);
    }
  });

  it.each([
    [403, false],
    [200, true],
  ])('reads int and bool fields written as strings like typed ones (%d, %s)', (int, bool) => {
    const typed: CfRecord = { ...baseRecord(mapper) };
    const strings: CfRecord = { ...baseRecord(mapper) };
    for (const f of fieldsOf(mapper, 'int')) [typed[f], strings[f]] = [int, String(int)];
    for (const f of fieldsOf(mapper, 'bool')) [typed[f], strings[f]] = [bool, String(bool)];
    const withoutId = (event: EcsEvent) => ({ ...event, event: { ...(event.event as object), id: 'x' } });
    expect(withoutId(mapRecord(mapper, strings))).toEqual(withoutId(mapRecord(mapper, typed)));
  });

  it('drops empty strings: a record of "" adds nothing to the event', () => {
    const record: CfRecord = { ...baseRecord(mapper) };
    for (const f of fieldsOf(mapper, 'string')) record[f] = '';
    const empty = mapRecord(mapper, record);
    const bare = mapRecord(mapper, baseRecord(mapper));
    expect({ ...empty, event: { ...(empty.event as object), id: 'x' } }).toEqual({
      ...bare,
      event: { ...(bare.event as object), id: 'x' },
    });
  });

  it('keeps unknown fields under cloudflare.*, 19-digit integers with their exact digits', () => {
    const line = `{"${time}":"2026-01-01T00:00:00Z","FieldFromTheFuture":"x","FutureCounter":1767225600123456789,"FutureObject":{"a":[1,2]}}`;
    const event = mapLine(mapper, line);
    expect(event.cloudflare).toMatchObject({
      FieldFromTheFuture: 'x',
      FutureCounter: '1767225600123456789',
      FutureObject: { a: [1, 2] },
    });
  });

  it.each([
    ['unixnano', '1767225600123456789', '2026-01-01T00:00:00.123456789Z'],
    ['unix', '1767225600', '2026-01-01T00:00:00Z'],
    ['rfc3339', '"2026-01-01T00:00:00Z"', '2026-01-01T00:00:00Z'],
    ['rfc3339ms', '"2026-01-01T00:00:00.123Z"', '2026-01-01T00:00:00.123Z'],
    ['rfc3339ns', '"2026-01-01T00:00:00.123456789Z"', '2026-01-01T00:00:00.123456789Z'],
  ])('reads the time field in timestamp_format %s (%s)', (_format, json, iso) => {
    if (unit !== undefined) return; // a fixed-unit field does not follow timestamp_format: next test
    const event = mapLine(mapper, `{"${time}":${json}}`);
    expect(event['@timestamp']).toBe(iso);
    expect(event.tags).toBeUndefined();
  });

  it('reads a fixed-unit time field in its unit, exactly', () => {
    if (unit === undefined) return; // follows timestamp_format: previous test
    const digits = {
      s: '1767225600',
      ms: '1767225600123',
      us: '1767225600123456',
      ns: '1767225600123456789',
    }[unit];
    const iso = {
      s: '2026-01-01T00:00:00Z',
      ms: '2026-01-01T00:00:00.123Z',
      us: '2026-01-01T00:00:00.123456Z',
      ns: '2026-01-01T00:00:00.123456789Z',
    }[unit];
    expect(mapLine(mapper, `{"${time}":${digits}}`)['@timestamp']).toBe(iso);
  });

  it('falls back to the object time, tagged, when the record has no event time', () => {
    const event = mapRecord(mapper, {});
    expect(event['@timestamp']).toBe('2026-01-01T00:00:00.000Z');
    expect(event.tags).toEqual(['timestamp_from_object']);
  });

  it.each([
    ['int', 'twelve'],
    ['bool', 'maybe'],
    ['object', 'not an object'],
    ['string[]', 'not a list'],
    ['int[]', 7],
    ['string', { an: 'object' }],
    ['time', 'yesterday'],
  ] as const)(
    'rejects a %s field holding %j with a MappingError (the line is quarantined)',
    (type, value) => {
      const names = type === 'time' ? [time] : fieldsOf(mapper, type);
      if (names.length === 0) return; // the dataset has no field of this type
      for (const name of names) {
        const record = { ...baseRecord(mapper), [name]: value };
        expect(() => mapRecord(mapper, record), name).toThrow(MappingError);
      }
    },
  );

  it('gives the same record the same event.id and sets the envelope fields', () => {
    const a = mapRecord(mapper, baseRecord(mapper));
    const b = mapRecord(mapper, baseRecord(mapper));
    expect(getField(a, 'event.id')).toMatch(/^[0-9a-f]{32}$/);
    expect(getField(a, 'event.id')).toBe(getField(b, 'event.id'));
    expect(a.event).toMatchObject({ kind: mapper.spec.kind ?? 'event', dataset: mapper.dataset });
    expect(a.ecs).toEqual({ version: ECS_VERSION });
    expect(a.observer).toMatchObject({ vendor: 'Cloudflare', type: mapper.spec.observerType });
  });

  it('emits only catalogue ECS fields besides cloudflare.*, for every fixture line', () => {
    const dir = new URL(`../../fixtures/datasets/${mapper.dataset}/`, import.meta.url);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ndjson')) : [];
    for (const file of files) {
      for (const line of fixtureLines(mapper.dataset, file.replace(/\.ndjson$/, ''))) {
        const { cloudflare: _, ...ecs } = mapLine(mapper, line);
        expect(nonCatalogue(ecs), file).toEqual([]);
      }
    }
  });

  it('categorises with ECS allowed values only, for every fixture line and the bare record', () => {
    const events = [mapRecord(mapper, baseRecord(mapper))];
    const dir = new URL(`../../fixtures/datasets/${mapper.dataset}/`, import.meta.url);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ndjson')) : [];
    for (const file of files) {
      for (const line of fixtureLines(mapper.dataset, file.replace(/\.ndjson$/, '')))
        events.push(mapLine(mapper, line));
    }
    for (const event of events) {
      const e = event.event as Record<string, unknown>;
      expect(ALLOWED.kind).toContain(e.kind);
      expect(e.category, 'event.category').toEqual(expect.any(Array));
      expect(e.type, 'event.type').toEqual(expect.any(Array));
      for (const c of e.category as string[]) expect(ALLOWED.category, 'event.category').toContain(c);
      for (const t of e.type as string[]) expect(ALLOWED.type, 'event.type').toContain(t);
      if (e.outcome !== undefined) expect(ALLOWED.outcome).toContain(e.outcome);
    }
  });
});

/** ECS 8.17 allowed values of the categorisation fields (https://www.elastic.co/guide/en/ecs/current/ecs-allowed-values.html). */
const ALLOWED = {
  kind: ['alert', 'asset', 'enrichment', 'event', 'metric', 'state', 'pipeline_error', 'signal'],
  category: [
    'api',
    'authentication',
    'configuration',
    'database',
    'driver',
    'email',
    'file',
    'host',
    'iam',
    'intrusion_detection',
    'library',
    'malware',
    'network',
    'package',
    'process',
    'registry',
    'session',
    'threat',
    'vulnerability',
    'web',
  ],
  type: [
    'access',
    'admin',
    'allowed',
    'change',
    'connection',
    'creation',
    'deletion',
    'denied',
    'device',
    'end',
    'error',
    'group',
    'indicator',
    'info',
    'installation',
    'protocol',
    'start',
    'user',
  ],
  outcome: ['failure', 'success', 'unknown'],
};

/** Leaf paths of an event that are not ECS catalogue fields (a catalogue field may hold an object: geo.location). */
function nonCatalogue(node: EcsEvent, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (ECS_FIELDS[path]) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      out.push(...nonCatalogue(value as EcsEvent, path));
    else out.push(path);
  }
  return out;
}
