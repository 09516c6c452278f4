/**
 * The local lake's views over a lake built the way `npm start` builds it, from every dataset fixture laid out as
 * Logpush objects: the ECS table on Parquet, the quarantine table, and one raw table per dataset read as the
 * OpenX SerDe reads the untouched objects.
 */
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE_DATASETS, type LakeColumn, rawTableColumns } from '../../lambdas/lake/schema.ts';
import { convertLakeToParquet, type LocalLake, openLocalLake } from '../../scripts/local-lake.ts';
import { type LocalRunResult, runLocalPipeline } from '../../scripts/local-pipeline.ts';
import { estimateScan } from '../../scripts/query-cost.ts';
import { fakeClock } from '../support/clock.ts';

const SCOPE = '0123456789abcdef0123456789abcdef';
const OTHER_SCOPE = 'fedcba9876543210fedcba9876543210';
const DAY = '20261120';
const OTHER_DAY = '20261121';
const CUT_SHORT = '{"Action":"block","ClientIP":"192.0.2.66","Datetime":"2026-11-20T10:15:1';

interface RawObject {
  readonly dataset: string;
  readonly scope: string;
  readonly day: string;
  readonly lines: string[];
}

const fixtures = new URL('../fixtures/datasets/', import.meta.url).pathname;

/** A number as written in the line. */
interface SourceNumber {
  readonly source: string;
}

function isSourceNumber(value: unknown): value is SourceNumber {
  return typeof value === 'object' && value !== null && Object.keys(value).join() === 'source';
}

/** JSON.parse keeping each number's source text (19-digit integers stay exact). */
function parseWithSource(line: string): Record<string, unknown> {
  return JSON.parse(line, (_key, value, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined ? { source: context.source } : value,
  );
}

/** Minified JSON text of a parsed value, numbers as written. */
function jsonText(value: unknown): string {
  if (isSourceNumber(value)) return value.source;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An integer as the local lake returns it: a number when exact, else its text. */
function integer(source: string): number | string {
  const n = Number(source);
  return Number.isSafeInteger(n) ? n : source;
}

/** What the raw table's column holds for a line's value, as the local lake returns it. */
function rawCell(value: unknown, column: LakeColumn): unknown {
  if (value === undefined || value === null) return null;
  const type = column.type;
  if (type.kind === 'string') {
    if (typeof value === 'string') return value;
    return isSourceNumber(value) ? value.source : jsonText(value);
  }
  if (type.kind === 'array' && Array.isArray(value)) {
    return value.map((item) =>
      isSourceNumber(item) ? (type.element.kind === 'bigint' ? integer(item.source) : item.source) : item,
    );
  }
  if (isSourceNumber(value)) return type.kind === 'bigint' ? integer(value.source) : Number(value.source);
  return value;
}

/** The `{DATE}` folder of a firewall_events line: the UTC day of its `Datetime` (Unix ns or RFC 3339). */
function firewallDay(line: string): string {
  const datetime = (JSON.parse(line) as { Datetime: number | string }).Datetime;
  const date = typeof datetime === 'number' ? new Date(datetime / 1e6) : new Date(datetime);
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

describe('the local lake opened in DuckDB (every dataset fixture, as Logpush objects)', () => {
  let input: string;
  let result: LocalRunResult;
  let lake: LocalLake;
  const objects: RawObject[] = [];

  beforeAll(async () => {
    input = await mkdtemp(join(tmpdir(), 'cf-logs-views-in-'));
    for (const dataset of LAKE_DATASETS) {
      const names = readdirSync(join(fixtures, dataset))
        .filter((n) => n.endsWith('.ndjson'))
        .sort();
      for (const [i, name] of names.entries()) {
        const other = dataset === 'http_requests' && i === 1;
        const text = await readFile(join(fixtures, dataset, name), 'utf8');
        const lines = text.split('\n').filter((l) => l.trim() !== '');
        let day = other ? OTHER_DAY : DAY;
        if (dataset === 'firewall_events' && i === 0) {
          // Under the day of its events, as Logpush would put it, so that a raw table query of their day reads it.
          day = firewallDay(lines[0]!);
          lines.push(CUT_SHORT);
        }
        const object = { dataset, scope: other ? OTHER_SCOPE : SCOPE, day, lines };
        objects.push(object);
        const folder = join(input, dataset, object.scope, object.day);
        await mkdir(folder, { recursive: true });
        await writeFile(
          join(folder, `${object.day}T100000Z_${object.day}T100100Z_${i}.log`),
          `${lines.join('\n')}\n`,
        );
      }
    }
    result = await runLocalPipeline(input, await mkdtemp(join(tmpdir(), 'cf-logs-views-out-')), fakeClock());
    await convertLakeToParquet(result.lake);
    lake = await openLocalLake({ lake: result.lake, bucket: result.bucket });
  }, 120_000);
  afterAll(() => lake?.close());

  it('ecs: every delivered event, under its dataset and the day of its time', async () => {
    expect(result.failures).toEqual([]);
    const delivered: Record<string, number> = {};
    for (const s of result.summaries) {
      for (const [d, n] of Object.entries(s.eventsByDataset)) delivered[d] = (delivered[d] ?? 0) + n;
    }
    const { rows } = await lake.query(
      'SELECT dataset, count(*) AS events, count(DISTINCT event.id) AS ids FROM ecs GROUP BY dataset ORDER BY dataset',
    );
    expect(rows).toEqual(
      Object.entries(delivered)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([d, n]) => [d, n, n]),
    );
    expect(rows.map((r) => r[0])).toEqual([...LAKE_DATASETS].sort());
    const misplaced = await lake.duckdb(
      "SELECT count(*) FROM ecs WHERE dt <> strftime(ts, '%Y-%m-%d') OR dataset <> event.dataset",
    );
    expect(misplaced.rows).toEqual([[0]]);
  });

  it('quarantine: the line cut short, with its reason, object, line number and the day of its folder', async () => {
    const { columns, rows } = await lake.query(
      'SELECT dataset, key, line, reason, raw, dt FROM quarantine ORDER BY key, line',
    );
    const firewall = objects.find((o) => o.dataset === 'firewall_events')!;
    expect(columns).toEqual(['dataset', 'key', 'line', 'reason', 'raw', 'dt']);
    expect(rows).toEqual([
      [
        'firewall_events',
        expect.stringMatching(new RegExp(`^logpush/firewall_events/${SCOPE}/${firewall.day}/.*\\.log\\.gz$`)),
        firewall.lines.length,
        expect.stringMatching(/^invalid JSON/),
        CUT_SHORT,
        `${firewall.day.slice(0, 4)}-${firewall.day.slice(4, 6)}-${firewall.day.slice(6)}`,
      ],
    ]);
  });

  it('raw_<dataset>: each line of each object, fields under their lower-case names whatever their case', async () => {
    let checked = 0;
    for (const dataset of LAKE_DATASETS) {
      const columns = rawTableColumns(dataset);
      const mine = objects.filter((o) => o.dataset === dataset);
      const expected = mine.flatMap((o) =>
        o.lines.map((line) => {
          let record: Record<string, unknown> = {};
          try {
            record = parseWithSource(line);
          } catch {
            // A line that is not JSON reads as a row of NULLs (ignore.malformed.json).
          }
          const byLower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
          return [...columns.map((c) => rawCell(byLower.get(c.name), c)), o.scope, o.day];
        }),
      );
      const result = await lake.query(`SELECT * FROM raw_${dataset}`);
      expect(result.columns).toEqual([...columns.map((c) => c.name), 'scope_id', 'day']);
      const order = (a: unknown[], b: unknown[]) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
      expect(result.rows.sort(order), dataset).toEqual(expected.sort(order));
      checked += expected.length;
    }
    expect(checked).toBe(objects.reduce((n, o) => n + o.lines.length, 0));
  });

  it('raw_websocket_analytics: the account and zone spellings of one field fill one column', async () => {
    const { rows } = await lake.query(
      'SELECT scope_id, count(*), count(clientip), count(rayid) FROM raw_websocket_analytics GROUP BY scope_id',
    );
    const lines = objects.filter((o) => o.dataset === 'websocket_analytics').flatMap((o) => o.lines);
    expect(lines.some((l) => l.includes('"clientIP"'))).toBe(true);
    expect(lines.some((l) => l.includes('"ClientIP"'))).toBe(true);
    expect(rows).toEqual([[SCOPE, lines.length, lines.length, lines.length]]);
  });

  it('raw tables: scope_id and day from the object folders', async () => {
    const { rows } = await lake.query(
      'SELECT scope_id, day, count(*) FROM raw_http_requests GROUP BY scope_id, day ORDER BY day',
    );
    const http = objects.filter((o) => o.dataset === 'http_requests');
    expect(rows).toEqual([
      [SCOPE, DAY, http.filter((o) => o.day === DAY).reduce((n, o) => n + o.lines.length, 0)],
      [OTHER_SCOPE, OTHER_DAY, http.find((o) => o.day === OTHER_DAY)!.lines.length],
    ]);
  });

  it('estimates the scan of a query: its columns in its partitions on Parquet, whole objects raw', async () => {
    const [[dt]] = (await lake.query("SELECT min(dt) FROM ecs WHERE dataset = 'firewall_events'")).rows as [
      [string],
    ];
    const sql = `SELECT rule.id, url.domain, count(*) AS blocks FROM ecs
      WHERE dataset = 'firewall_events' AND dt BETWEEN ? AND ? AND event.action = 'block'
      GROUP BY rule.id, url.domain`;
    const estimate = await estimateScan(lake, sql, [dt, dt]);
    expect(estimate.partitions).toEqual([`firewall_events/${dt}`]);
    expect(estimate.columns).toEqual(['event.action', 'rule.id', 'url.domain']);
    const glob = join(result.lake, `ecs/dataset=firewall_events/dt=${dt}/*.parquet`);
    const { rows } = await lake.duckdb(
      `SELECT sum(total_compressed_size) FROM parquet_metadata('${glob}')
       WHERE path_in_schema IN ('event, action', 'rule, id', 'url, domain')`,
    );
    expect(estimate.parquetBytes).toBe(Number(rows[0]![0]));
    const raw = join(result.bucket, 'logpush/firewall_events', SCOPE, dt.replaceAll('-', ''));
    const rawFiles = readdirSync(raw).filter((f) => f.endsWith('.log.gz'));
    let rawBytes = 0;
    for (const f of rawFiles) rawBytes += (await stat(join(raw, f))).size;
    expect(rawFiles.length).toBeGreaterThan(0);
    expect(estimate).toMatchObject({ files: 1, rawObjects: rawFiles.length, rawBytes });
    expect(estimate.footerBytes).toBeGreaterThan(0);

    const none = await estimateScan(lake, sql, ['1999-01-01', '1999-01-01']);
    expect(none).toMatchObject({ files: 0, parquetBytes: 0, rawBytes: 0, partitions: [] });
  });
});
