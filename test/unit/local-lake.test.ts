import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-fs.ts';
import type { EcsEvent } from '../../lambdas/core/ecs.ts';
import type { DatasetName } from '../../lambdas/datasets/catalog.ts';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import { toLakeRow } from '../../lambdas/lake/row.ts';
import {
  duckdbType,
  LAKE_DATASETS,
  LAKE_JSON_KEY_MAPPINGS,
  LAKE_SCHEMA,
  type LakeType,
  QUARANTINE_COLUMNS,
  rawTableColumns,
} from '../../lambdas/lake/schema.ts';
import {
  type ConvertedFile,
  convertLakeToParquet,
  LakeConversionError,
  type LocalLake,
  lakeRowMisfits,
  openLocalLake,
  parseAthenaLiteral,
} from '../../scripts/local-lake.ts';
import { runLocalPipeline } from '../../scripts/local-pipeline.ts';
import { inlineParameters, splitFileFilters } from '../../scripts/query-cost.ts';
import { fixtureLines, mapLine } from '../fixtures/datasets/load.ts';
import { fakeClock } from '../support/clock.ts';

async function lines(path: string): Promise<Record<string, unknown>[]> {
  return gunzipSync(await readFile(path))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('LocalLakeSink', () => {
  it('partitions events by dataset and event day, like the Firehose stream, and keeps each once', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cf-logs-lake-'));
    const sink = new LocalLakeSink(root, 'stream', new Date('2026-11-21T08:00:00Z'));
    const ev = (dataset: string, ts: string, n: number) =>
      JSON.stringify({ '@timestamp': ts, event: { dataset, n } });
    await sink.putRecords([
      Buffer.from(
        `${ev('http_requests', '2026-11-20T23:59:59.999Z', 1)}\n${ev('http_requests', '2026-11-21T00:00:00Z', 2)}\n`,
      ),
      Buffer.from(`${ev('gateway_dns', '2026-11-20T10:00:00Z', 3)}\n{"no":"keys"}\n`),
    ]);
    const written = await sink.close();
    expect(written.map((w) => [w.path.replace(/[^/]+$/, ''), w.events])).toEqual([
      ['ecs/dataset=gateway_dns/dt=2026-11-20/', 1],
      ['ecs/dataset=http_requests/dt=2026-11-20/', 1],
      ['ecs/dataset=http_requests/dt=2026-11-21/', 1],
      ['errors/DynamicPartitioning.MetadataExtractionFailed/dt=2026-11-21/', 1],
    ]);
    expect(written[0]!.path).toMatch(/\/stream-1-2026-11-21-08-00-00-\d{4}\.json\.gz$/);
    expect(await lines(join(root, written[2]!.path))).toEqual([
      { '@timestamp': '2026-11-21T00:00:00Z', event: { dataset: 'http_requests', n: 2 } },
    ]);
  });
});

describe('the local run behind npm start', () => {
  it('turns every sample into events except the one line cut short, which is quarantined with its reason', async () => {
    const samples = new URL('../../samples/logpush/', import.meta.url).pathname;
    const out = await mkdtemp(join(tmpdir(), 'cf-logs-run-'));
    const result = await runLocalPipeline(samples, out, fakeClock());
    expect(result.failures).toEqual([]);
    const byDataset: Record<string, number> = {};
    for (const s of result.summaries) {
      for (const [d, n] of Object.entries(s.eventsByDataset)) byDataset[d] = (byDataset[d] ?? 0) + n;
    }
    expect(byDataset).toEqual({
      access_requests: 3,
      audit_logs: 2,
      dns_logs: 3,
      email_security_alerts: 2,
      firewall_events: 4,
      gateway_dns: 3,
      gateway_http: 4,
      gateway_network: 3,
      http_requests: 5,
      workers_trace_events: 2,
      zero_trust_network_sessions: 2,
    });
    expect(result.summaries.filter((s) => s.outcome === 'skipped').map((s) => s.skipReason)).toEqual([
      'ownership-challenge',
    ]);
    expect(result.lakeFiles.map((f) => f.path.replace(/[^/]+$/, ''))).toEqual(
      Object.keys(byDataset).map((dataset) => `ecs/dataset=${dataset}/dt=2026-11-20/`),
    );
    expect(result.quarantineFiles).toHaveLength(1);
    const [entry] = await lines(join(result.lake, result.quarantineFiles[0]!));
    expect(entry).toMatchObject({
      line: 5,
      dataset: 'firewall_events',
      reason: expect.stringMatching(/^invalid JSON/),
    });
  });
});

/** Microseconds since the epoch of an ISO-8601 UTC time (`T` or space, up to nanoseconds; DuckDB keeps µs). */
function micros(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(text);
  if (!m) throw new Error(`not a UTC time: ${text}`);
  const seconds = BigInt(Date.parse(`${m[1]}T${m[2]}Z`)) * 1000n;
  return seconds + BigInt((m[3] ?? '').padEnd(6, '0').slice(0, 6));
}

/**
 * A row in comparable form, read back from DuckDB or written by `toLakeRow`: absent and null members dropped,
 * times as microseconds (what a Parquet TIMESTAMP keeps), in the schema's terms.
 */
function comparable(value: unknown, type: LakeType): unknown {
  if (value === null || value === undefined) return undefined;
  switch (type.kind) {
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const f of type.fields) {
        const v = comparable((value as Record<string, unknown>)[f.name], f.type);
        if (v !== undefined) out[f.name] = v;
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    case 'array':
      return (value as unknown[]).map((v) => comparable(v, type.element) ?? null);
    case 'timestamp':
      return micros(value as string);
    default:
      return value;
  }
}

const ROW_TYPE: LakeType = { kind: 'struct', fields: LAKE_SCHEMA.columns };
const VIEW_ROW_TYPE: LakeType = {
  kind: 'struct',
  fields: [...LAKE_SCHEMA.columns, ...LAKE_SCHEMA.partitionKeys],
};

function comparableLakeRow(row: EcsEvent): unknown {
  const renamed: Record<string, unknown> = {};
  for (const c of LAKE_SCHEMA.columns) renamed[c.name] = row[LAKE_JSON_KEY_MAPPINGS[c.name] ?? c.name];
  return comparable(renamed, ROW_TYPE);
}

const identity = (sql: string) => sql;

describe('the lake in Parquet (every dataset fixture, written by LocalLakeSink)', () => {
  const expected = new Map<string, EcsEvent>();
  let root: string;
  let written: { path: string; events: number }[];
  let converted: ConvertedFile[];
  let lake: LocalLake;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cf-logs-parquet-'));
    const sink = new LocalLakeSink(root, 'stream', new Date('2026-11-21T08:00:00Z'));
    const fixtures = new URL('../fixtures/datasets/', import.meta.url).pathname;
    for (const dataset of LAKE_DATASETS) {
      const names = readdirSync(join(fixtures, dataset)).filter((n) => n.endsWith('.ndjson'));
      for (const name of names) {
        const rows = fixtureLines(dataset, name.replace(/\.ndjson$/, '')).map((line) =>
          toLakeRow(mapLine(MAPPERS[dataset as DatasetName], line)),
        );
        for (const row of rows) expected.set((row.event as { id: string }).id, row);
        await sink.putRecords([Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''))]);
      }
    }
    written = await sink.close();
    converted = await convertLakeToParquet(root);
    lake = await openLocalLake({ lake: root, bucket: join(root, 'no-bucket'), translate: identity });
  }, 60_000);
  afterAll(() => lake?.close());

  it('replaces each JSON file by a Parquet file of the same name in the same Firehose folder', async () => {
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
    written.sort(byPath);
    expect(converted.map((c) => c.json)).toEqual(written.map((w) => w.path));
    expect(converted.map((c) => c.parquet)).toEqual(
      written.map((w) => w.path.replace(/\.json\.gz$/, '.parquet')),
    );
    expect(converted.map((c) => c.rows)).toEqual(written.map((w) => w.events));
    const files = readdirSync(root, { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith('.json.gz'))).toEqual([]);
    for (const c of converted) {
      const handle = await open(join(root, c.parquet), 'r');
      const head = Buffer.alloc(4);
      await handle.read(head, 0, 4, 0);
      await handle.close();
      expect(head.toString('latin1')).toBe('PAR1');
    }
  });

  it('writes the Glue table: its columns in table order with their types, and no partition column', async () => {
    const file = join(root, converted[0]!.parquet);
    const described = await lake.duckdb(
      `DESCRIBE SELECT * FROM read_parquet('${file}', hive_partitioning = false)`,
    );
    const canonical = await lake.duckdb(
      `SELECT ${LAKE_SCHEMA.columns.map((c, i) => `typeof(CAST(NULL AS ${duckdbType(c.type)})) AS c${i}`).join(', ')}`,
    );
    expect(described.rows.map((r) => [r[0], r[1]])).toEqual(
      LAKE_SCHEMA.columns.map((c, i) => [c.name, canonical.rows[0]![i]]),
    );
  });

  it('reads back every row as the lake row of its ECS event, in the partition of its dataset and day', async () => {
    const { columns, rows } = await lake.query('SELECT * FROM ecs');
    expect(rows).toHaveLength(expected.size);
    for (const values of rows) {
      const row = Object.fromEntries(columns.map((c, i) => [c, values[i]]));
      const want = expected.get((row.event as { id: string }).id)!;
      expect(comparable(row, VIEW_ROW_TYPE)).toEqual({
        ...(comparableLakeRow(want) as object),
        dataset: (want.event as { dataset: string }).dataset,
        dt: (want['@timestamp'] as string).slice(0, 10),
      });
    }
  });

  it('keeps @timestamp as ts to the microsecond, nanosecond times included', async () => {
    const { rows } = await lake.query('SELECT event.id, epoch_us(ts) FROM ecs');
    const nanos = [...expected.values()].filter((e) => /\.\d{9}Z$/.test(e['@timestamp'] as string));
    expect(nanos.length).toBeGreaterThan(0);
    for (const [id, us] of rows) {
      expect(BigInt(us as number)).toBe(micros(expected.get(id as string)!['@timestamp'] as string));
    }
  });

  it('shows tables without files as empty views with their columns', async () => {
    const quarantine = await lake.query('SELECT * FROM quarantine');
    expect(quarantine).toEqual({ columns: [...QUARANTINE_COLUMNS.map((c) => c.name), 'dt'], rows: [] });
    const raw = await lake.query('SELECT * FROM raw_http_requests');
    expect(raw).toEqual({
      columns: [...rawTableColumns('http_requests').map((c) => c.name), 'scope_id', 'day'],
      rows: [],
    });
  });

  it('binds parameters in order and gives integers as numbers and maps as objects', async () => {
    const { columns, rows } = await lake.query(
      "SELECT ? AS a, ? AS b, count(*) AS n, MAP {'k': 'v'} AS m FROM ecs WHERE dataset = ?",
      ['x', 2, 'http_requests'],
    );
    expect(columns).toEqual(['a', 'b', 'n', 'm']);
    const events = [...expected.values()].filter(
      (e) => (e.event as { dataset: string }).dataset === 'http_requests',
    );
    expect(rows).toEqual([['x', 2, events.length, { k: 'v' }]]);
  });
});

describe('converting a lake file that does not fit the schema', () => {
  async function lakeWith(row: Record<string, unknown>): Promise<{ root: string; file: string }> {
    const root = await mkdtemp(join(tmpdir(), 'cf-logs-misfit-'));
    const folder = join(root, 'ecs/dataset=http_requests/dt=2026-11-20');
    await mkdir(folder, { recursive: true });
    const good = { '@timestamp': '2026-11-20T10:00:00Z', event: { dataset: 'http_requests', id: 'a' } };
    const file = join(folder, 'stream-1-2026-11-20-10-00-00-0001.json.gz');
    await writeFile(file, gzipSync(`${JSON.stringify(good)}\n${JSON.stringify(row)}\n`));
    return { root, file };
  }

  it('fails on a key the schema does not declare, naming line and key, and keeps the JSON file', async () => {
    const { root, file } = await lakeWith({
      '@timestamp': '2026-11-20T10:00:01Z',
      event: { dataset: 'http_requests', id: 'b' },
      cloudflare: { rayid: '8e2f0a1b2c3d0001', not_a_column: 1 },
    });
    const conversion = convertLakeToParquet(root);
    await expect(conversion).rejects.toThrow(LakeConversionError);
    await expect(conversion).rejects.toThrow(/line 2: "cloudflare\.not_a_column" is not a column/);
    expect(readdirSync(join(file, '..'))).toEqual(['stream-1-2026-11-20-10-00-00-0001.json.gz']);
  });

  it('fails on a value DuckDB cannot read as its column type', async () => {
    const { root } = await lakeWith({
      '@timestamp': '2026-11-20T10:00:01Z',
      event: { dataset: 'http_requests', id: 'b', duration: 'slow' },
    });
    await expect(convertLakeToParquet(root)).rejects.toThrow(/slow/);
  });

  it('names every kind of misfit: unknown column, object for a value, value for a list', () => {
    expect(
      lakeRowMisfits({
        '@timestamp': '2026-11-20T10:00:00Z',
        ts: '2026-11-20T10:00:00Z',
        source: { ip: { v4: '192.0.2.1' } },
        event: { category: 'web' },
        cloudflare_other: { anything: 'goes', nested: { no: 1 } },
      }),
    ).toEqual([
      '"ts" is not a column of the schema',
      '"source.ip" is {"v4":"192.0.2.1"}, not one value',
      '"event.category" is "web", not a list',
      '"cloudflare_other.nested" is not text',
    ]);
  });
});

describe('parameters of saved queries', () => {
  it('reads Athena literals as the values to bind', () => {
    expect(
      ["'2026-01-01'", "'it''s'", '50', '-3', '0.5', 'true', 'NULL', "DATE '2026-01-01'"].map(
        parseAthenaLiteral,
      ),
    ).toEqual(['2026-01-01', "it's", 50, -3, 0.5, true, null, '2026-01-01']);
    expect(() => parseAthenaLiteral('now()')).toThrow(/not an Athena literal/);
    expect(() => parseAthenaLiteral('9007199254740993')).toThrow(/too large/);
  });

  it('inlines values for a plan, leaving ? in strings, quoted names and comments alone', () => {
    expect(
      inlineParameters(`SELECT '?', "a?" -- ?\nFROM t WHERE x = ? AND y = ? AND z = ?`, ["it's", 2, null]),
    ).toBe(`SELECT '?', "a?" -- ?\nFROM t WHERE x = 'it''s' AND y = 2 AND z = NULL`);
    expect(() => inlineParameters('SELECT ?', [])).toThrow(/more \?/);
  });

  it('splits the file filters DuckDB writes one after the other', () => {
    expect(splitFileFilters("((dataset = 'a)') OR (dt = 'b'))(dataset = 'x')")).toEqual([
      "((dataset = 'a)') OR (dt = 'b'))",
      "(dataset = 'x')",
    ]);
    expect(splitFileFilters("dt >= '2026-11-21'")).toEqual(["dt >= '2026-11-21'"]);
  });
});
