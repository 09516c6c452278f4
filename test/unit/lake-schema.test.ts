/**
 * The contract between the lake's Glue schema (`LAKE_SCHEMA`, built from the mappers' declarations) and what the
 * mappers emit: every fixture line and every mapper's minimal record maps to ECS fields its mapper declares and to a
 * lake row that fits the table exactly; every column has a valid, unique name; every ECS column is emitted by some
 * fixture line; vendor columns have sources and a type all of them fit; the engine's share (`enrichedFields`) is
 * what `enrich()` does.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type EcsEvent, setField } from '../../lambdas/core/ecs.ts';
import { ECS_FIELDS, type EcsFieldType } from '../../lambdas/core/ecs-fields.ts';
import { enrich, enrichedFields } from '../../lambdas/core/enrich.ts';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import { type CfRecord, type DatasetMapper, defineMapper } from '../../lambdas/datasets/mapper.ts';
import { toLakeRow } from '../../lambdas/lake/row.ts';
import {
  buildLakeSchema,
  emittableVendorFields,
  hiveType,
  LAKE_NAME_PATTERN,
  LAKE_SCHEMA,
  type LakeColumn,
  type LakeType,
  VENDOR_COLUMN,
  vendorLakeType,
} from '../../lambdas/lake/schema.ts';
import { fixtureLines, mapLine, mapRecord } from '../fixtures/datasets/load.ts';
import { ecsLeafPaths, eventProblems, lakeRowProblems } from '../support/lake-conformance.ts';

const mappers = Object.values(MAPPERS) as DatasetMapper[];

/** Every fixture line of a dataset, as `file:line` and the mapped event. */
function fixtureEvents(mapper: DatasetMapper): [string, EcsEvent][] {
  const dir = new URL(`../fixtures/datasets/${mapper.dataset}/`, import.meta.url);
  if (!existsSync(dir)) return [];
  const out: [string, EcsEvent][] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ndjson'))) {
    const lines = fixtureLines(mapper.dataset, file.replace(/\.ndjson$/, ''));
    lines.forEach((line, i) => {
      out.push([`${file}:${i + 1}`, mapLine(mapper, line)]);
    });
  }
  return out;
}

/** The minimal record of test/unit/datasets/engine-rules.test.ts: the @timestamp field alone. */
function baseRecord(mapper: DatasetMapper): CfRecord {
  const entry = Object.entries(mapper.spec.fields).find(
    ([, f]) =>
      f.type === 'time' && (f.to === '@timestamp' || (Array.isArray(f.to) && f.to.includes('@timestamp'))),
  );
  if (!entry) throw new Error(`${mapper.dataset} has no @timestamp field`);
  return { [entry[0]]: '2026-01-01T00:00:00Z' };
}

describe.each(mappers.map((m) => [m.dataset, m] as const))(
  'lake schema and the %s mapper',
  (_name, mapper) => {
    const events = fixtureEvents(mapper);

    it('has fixture lines to check', () => {
      expect(events.length).toBeGreaterThan(0);
    });

    it('maps every fixture line to declared ECS fields and a lake row that fits the table', () => {
      for (const [where, event] of events) expect(eventProblems(mapper, event), where).toEqual([]);
    });

    it('does so for the minimal record and a record without any field', () => {
      for (const record of [baseRecord(mapper), {}]) {
        expect(eventProblems(mapper, mapRecord(mapper, record)), JSON.stringify(record)).toEqual([]);
      }
    });

    it('declares only catalogue fields in derives, none of them a table target already', () => {
      const targets = new Set<string>();
      for (const field of Object.values(mapper.spec.fields)) {
        if (field.drop !== undefined || field.to === undefined) continue;
        for (const path of typeof field.to === 'string' ? [field.to] : field.to) targets.add(path);
      }
      for (const path of mapper.spec.derives ?? []) {
        expect(ECS_FIELDS[path], path).toBeDefined();
        expect(targets.has(path), `${path} is a table target`).toBe(false);
      }
      for (const name of Object.keys(mapper.spec.derivesVendor ?? {})) {
        expect(mapper.spec.fields[name], `${name} is a table field`).toBeUndefined();
      }
    });
  },
);

describe('lake schema columns', () => {
  /** Collects the name of every column and struct member (through arrays), and the paths of repeated siblings. */
  function walk(columns: readonly LakeColumn[], prefix: string, names: string[], duplicates: string[]): void {
    const seen = new Set<string>();
    for (const column of columns) {
      const path = prefix === '' ? column.name : `${prefix}.${column.name}`;
      names.push(column.name);
      if (seen.has(column.name)) duplicates.push(path);
      seen.add(column.name);
      let type: LakeType = column.type;
      while (type.kind === 'array') type = type.element;
      if (type.kind === 'struct') walk(type.fields, path, names, duplicates);
    }
  }

  it('names every column and struct member validly for Athena, each unique among its siblings', () => {
    const names: string[] = [];
    const duplicates: string[] = [];
    walk([...LAKE_SCHEMA.columns, ...LAKE_SCHEMA.partitionKeys], '', names, duplicates);
    expect(names.length).toBeGreaterThan(LAKE_SCHEMA.ecsFields.size);
    expect(names.filter((name) => !LAKE_NAME_PATTERN.test(name))).toEqual([]);
    expect(duplicates).toEqual([]);
  });

  it('has every ECS column emitted by at least one fixture line', () => {
    const emitted = new Set<string>();
    for (const mapper of mappers)
      for (const [, event] of fixtureEvents(mapper))
        for (const path of ecsLeafPaths(event)) emitted.add(path);
    expect([...LAKE_SCHEMA.ecsFields.keys()].filter((path) => !emitted.has(path))).toEqual([]);
  });

  it('has a source for every vendor column, and text where its sources disagree on the type', () => {
    for (const [name, column] of LAKE_SCHEMA.vendor) {
      expect(column.sources.length, name).toBeGreaterThan(0);
      const types = new Set<string>();
      for (const source of column.sources) {
        const [dataset, field] = source.split('.') as [keyof typeof MAPPERS, string];
        const cfType = emittableVendorFields(MAPPERS[dataset]).get(field);
        expect(cfType, source).toBeDefined();
        expect(field.toLowerCase(), source).toBe(name);
        types.add(hiveType(vendorLakeType(cfType!)));
      }
      expect(hiveType(column.type), name).toBe(types.size === 1 ? [...types][0] : 'string');
    }
    const cloudflare = LAKE_SCHEMA.columns.find((c) => c.name === VENDOR_COLUMN)?.type;
    expect(cloudflare?.kind === 'struct' ? cloudflare.fields.length : 0).toBe(LAKE_SCHEMA.vendor.size);
  });

  it('keeps derived vendor fields as columns of their declared type (sinkhole PasswordSent, audit Metadata keys)', () => {
    expect(hiveType(LAKE_SCHEMA.vendor.get('passwordsent')!.type)).toBe('boolean');
    expect(LAKE_SCHEMA.vendor.get('passwordsent')!.sources).toEqual(['sinkhole_http_logs.PasswordSent']);
    expect(hiveType(LAKE_SCHEMA.vendor.get('request_client_default')!.type)).toBe('boolean');
    expect(hiveType(LAKE_SCHEMA.vendor.get('zone_tag')!.type)).toBe('string');
  });

  it('holds every ECS field a mapper derives in refine as a column of the catalogue type', () => {
    // A few that no table targets: they are columns only because a mapper declares them.
    for (const path of [
      'dns.answers',
      'source.geo.location',
      'tls.version',
      'event.outcome',
      'faas.version',
    ]) {
      expect(LAKE_SCHEMA.ecsFields.get(path), path).toEqual(ECS_FIELDS[path]);
    }
    const dns = LAKE_SCHEMA.columns.find((c) => c.name === 'dns')!;
    expect(hiveType(dns.type)).toContain(
      'answers:array<struct<name:string,type:string,class:string,ttl:bigint,data:string>>',
    );
  });
});

describe('lake conformance checks (test/support/lake-conformance.ts)', () => {
  const columns: LakeColumn[] = [
    { name: 'ts', type: { kind: 'timestamp' } },
    { name: 'n', type: { kind: 'bigint' } },
    { name: 'x', type: { kind: 'double' } },
    { name: 'tags', type: { kind: 'array', element: { kind: 'string' } } },
    { name: 'm', type: { kind: 'map' } },
    {
      name: 's',
      type: { kind: 'struct', fields: [{ name: 'ok', type: { kind: 'boolean' } }] },
    },
  ];

  it('accepts a row that fits, @timestamp standing for ts', () => {
    const row = {
      '@timestamp': '2026-01-01T00:00:00.123456789Z',
      n: 9_007_199_254_740_991,
      x: 1,
      tags: ['a'],
      m: { k: 'v' },
      s: { ok: false },
    };
    expect(lakeRowProblems(row, columns)).toEqual([]);
  });

  it.each([
    [{ ts: '2026-01-01T00:00:00Z' }, 'ts: not a column'],
    [
      { '@timestamp': '2026-01-01T00:00:00+01:00' },
      '@timestamp: expected timestamp, got string "2026-01-01T00:00:00+01:00"',
    ],
    [{ '@timestamp': 1767225600 }, '@timestamp: expected timestamp, got number 1767225600'],
    [{ n: 9_007_199_254_740_992 }, 'n: expected bigint, got number 9007199254740992'],
    [{ n: 1.5 }, 'n: expected bigint, got number 1.5'],
    [{ x: '1.5' }, 'x: expected double, got string "1.5"'],
    [{ tags: ['a', 2] }, 'tags[1]: expected string, got number 2'],
    [{ tags: 'a' }, 'tags: expected array, got string "a"'],
    [{ m: { k: 1 } }, 'm.k: expected string (map value), got number 1'],
    [{ s: { ok: 'yes' } }, 's.ok: expected boolean, got string "yes"'],
    [{ s: { other: true } }, 's.other: not a column'],
    [{ n: null }, 'n: expected bigint, got null null'],
  ])('reports %j', (row, problem) => {
    expect(lakeRowProblems(row, columns)).toEqual([problem]);
  });

  // A mapper whose refine sets a catalogue field it does not declare, and a declared one in the wrong shape.
  const mutant = (derives: readonly string[]) =>
    defineMapper({
      dataset: 'gateway_dns',
      observerType: 'dns',
      category: ['network'],
      type: ['info'],
      fields: { Datetime: { type: 'time', to: '@timestamp' } },
      signature: { all: ['Datetime'] },
      derives,
      refine({ event }) {
        setField(event, 'process.name', 'resolver');
        setField(event, 'dns.answers', [{ name: 'www.example.com', type: 5, ttl: '60' }]);
      },
    });

  it('fails a mapper whose refine sets a field it does not declare: not declared, and no column for it', () => {
    const mapper = mutant(['dns.answers']);
    const event = mapRecord(mapper, { Datetime: '2026-01-01T00:00:00Z' });
    const problems = eventProblems(mapper, event, buildLakeSchema([mapper]));
    expect(problems).toContain('process.name: not declared by gateway_dns');
    expect(problems).toContain('process: not a column');
    expect(problems).toContain('dns.answers[0].type: expected string, got number 5');
    expect(problems).toContain('dns.answers[0].ttl: expected bigint, got string "60"');
  });

  it('passes the declaration once it is made (the schema then has the column)', () => {
    const mapper = mutant(['dns.answers', 'process.name']);
    const event = mapRecord(mapper, { Datetime: '2026-01-01T00:00:00Z' });
    const problems = eventProblems(mapper, event, buildLakeSchema([mapper]));
    expect(problems.filter((p) => p.startsWith('process'))).toEqual([]);
  });

  it('checks the registered mappers against the registered schema with toLakeRow', () => {
    const event = mapRecord(MAPPERS.sinkhole_http_logs, {
      Timestamp: '2026-01-01T00:00:00Z',
      Password: 'hunter2',
    });
    expect(toLakeRow(event).cloudflare).toEqual({ passwordsent: true });
    expect(eventProblems(MAPPERS.sinkhole_http_logs, event)).toEqual([]);
  });
});

describe("each mapper's own enrichment (enricherFor)", () => {
  it.each(mappers.map((m) => [m.dataset, m] as const))(
    '%s: leaves nothing on its fixture events for the whole enrichment to add',
    (_, mapper) => {
      const events = fixtureEvents(mapper);
      for (const [where, event] of events) {
        const again = structuredClone(event);
        enrich(again);
        expect(again, where).toEqual(event);
      }
    },
  );
});

describe('enrichedFields (lambdas/core/enrich.ts)', () => {
  const ANDROID =
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';

  /** A value of the field's type that gives enrich() everything to work with. */
  function sample(path: string, field: EcsFieldType): unknown {
    if (path === 'url.original' || path === 'url.full') return 'https://www.example.com:8443/a/b?x=1#top';
    if (path === 'user_agent.original') return ANDROID;
    const scalar = {
      keyword: 'www.example.com',
      text: 'www.example.com',
      ip: '192.0.2.1',
      long: 1,
      double: 1.5,
      boolean: true,
      date: '2026-01-01T00:00:00Z',
      object: { a: 'b' },
      flattened: { a: 'b' },
    }[field.type];
    return field.array ? [scalar] : scalar;
  }

  it.each(Object.keys(ECS_FIELDS))('says exactly what enrich() adds to an event holding only %s', (path) => {
    const event: EcsEvent = {};
    setField(event, path, sample(path, ECS_FIELDS[path]!));
    enrich(event);
    const added = ecsLeafPaths(event).filter((p) => p !== path);
    expect(added.sort()).toEqual([...enrichedFields(new Set([path]))].filter((p) => p !== path).sort());
  });

  it('adds the URL parts, their domain parts and related.hosts for url.original', () => {
    expect([...enrichedFields(new Set(['url.original']))].sort()).toEqual([
      'related.hosts',
      'url.domain',
      'url.fragment',
      'url.full',
      'url.path',
      'url.port',
      'url.query',
      'url.registered_domain',
      'url.scheme',
      'url.subdomain',
      'url.top_level_domain',
    ]);
  });

  it('adds nothing for fields enrich() does not read, and the address and related.ip for an endpoint IP', () => {
    expect([...enrichedFields(new Set(['event.action', 'http.request.method']))]).toEqual([]);
    expect([...enrichedFields(new Set(['source.ip']))].sort()).toEqual(['related.ip', 'source.address']);
  });
});
