/**
 * What an Athena query over the `ecs` table would scan, measured on the local lake, against what the same
 * question costs over the raw Logpush objects.
 *
 * Method. Athena bills the bytes it reads from S3 (at least 10 MB per query). On Parquet it reads, in the
 * partitions that survive partition projection, the file footers and the column chunks of the columns the query
 * names (Athena engine 3 prunes nested fields, so `rule.id` reads that leaf, not the whole `rule` struct); it
 * cannot skip anything in gzip JSON, so a raw table query reads every object of its dataset and day whole.
 * Here:
 *
 * - partitions: DuckDB's plan of the query prunes the hive-partitioned files by `dataset` and `dt` as projection
 *   does in Athena; its `File Filters` are evaluated against the lake's partitions.
 * - columns: the scan's projections in the plan made with filter pushdown off (so columns used only in `WHERE`
 *   are listed too), matched to the Parquet leaves (`parquet_metadata().path_in_schema`).
 * - Parquet bytes: the sum of `total_compressed_size` of those leaves' column chunks in those files, and,
 *   separately, the files' footers (with this schema's ~640 leaf columns, some 60-75 KB a file: a lot for a
 *   sample file of a few rows, little for the 64-128 MiB files Firehose writes).
 * - raw bytes: the size of the `.log.gz` objects of the same datasets under the same days (`{DATE}` folder =
 *   `dt` without dashes), which the raw table's query reads whole.
 *
 * Row-group statistics could let Athena skip more; they are not counted, so the Parquet figure is an upper bound.
 */
import { mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { SAVED_QUERIES } from '../lambdas/lake/queries.ts';
import { mulberry32 } from '../test/support/prng.ts';
import {
  convertLakeToParquet,
  type LocalLake,
  openLocalLake,
  parseAthenaLiteral,
  type QueryValue,
  sqlString,
} from './local-lake.ts';
import { runLocalPipeline } from './local-pipeline.ts';

/**
 * `node scripts/query-cost.ts [--events N] [--query ID] [--sql "SELECT …"]…`: the measurement on N synthetic
 * firewall events of one day (the README's cost figures).
 */

/** The saved query `npm start` measures, a typical one: WAF blocks by rule and host over a range of days. */
export const COST_QUERY_ID = 'waf-blocks-by-rule-and-host';

/** What one query reads, on Parquet and as raw Logpush objects. */
export interface ScanEstimate {
  /** `dataset/dt` partitions read. */
  readonly partitions: string[];
  /** Parquet files read. */
  readonly files: number;
  /** Columns read, as the plan names them (`rule.id`). */
  readonly columns: string[];
  /** Compressed bytes of the column chunks read. */
  readonly parquetBytes: number;
  /** Bytes of the footers of the files read. */
  readonly footerBytes: number;
  /** Logpush objects of the same datasets and days. */
  readonly rawObjects: number;
  /** Their bytes (gzip). */
  readonly rawBytes: number;
}

interface PlanNode {
  readonly name: string;
  readonly children: readonly PlanNode[];
  readonly extra_info?: Record<string, unknown>;
}

function scans(node: PlanNode): Record<string, unknown>[] {
  const own = node.name === 'READ_PARQUET' && node.extra_info ? [node.extra_info] : [];
  return [...own, ...node.children.flatMap(scans)];
}

async function planScans(lake: LocalLake, sql: string): Promise<Record<string, unknown>[]> {
  const { rows } = await lake.duckdb(`EXPLAIN (FORMAT JSON) ${sql}`);
  return rows.flatMap((row) => (JSON.parse(String(row[1])) as PlanNode[]).flatMap(scans));
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/**
 * The filters of a plan's `File Filters`: DuckDB 1.5 writes each in parentheses, one after the other with
 * nothing between them.
 */
export function splitFileFilters(text: string): string[] {
  const filters: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      i = j;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      filters.push(text.slice(start, i + 1).trim());
      start = i + 1;
    }
  }
  const rest = text.slice(start).trim();
  if (rest !== '') filters.push(rest);
  return filters;
}

/** `event."end"` → `event, end`, as `path_in_schema` writes it. */
function leafPath(projection: string): string {
  const parts = projection.match(/"(?:[^"]|"")*"|[^.]+/g) ?? [];
  return parts.map((p) => (p.startsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p)).join(', ');
}

async function footerBytes(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(8);
    await handle.read(tail, 0, 8, size - 8);
    return tail.readUInt32LE(0) + 8;
  } finally {
    await handle.close();
  }
}

/** `value` as a DuckDB literal. */
function literal(value: QueryValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return sqlString(value);
  return String(value);
}

/**
 * `sql` with each `?` outside quotes and comments replaced by its value: the plan of a prepared statement
 * cannot prune partitions by values it has not seen yet.
 */
export function inlineParameters(sql: string, params: readonly QueryValue[]): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const j = end === -1 ? sql.length : end;
      out += sql.slice(i, j);
      i = j - 1;
    } else if (c === '?') {
      if (next >= params.length)
        throw new Error(`the query has more ? than the ${params.length} parameter(s)`);
      out += literal(params[next++]!);
    } else out += c;
  }
  if (next !== params.length) throw new Error(`the query has ${next} ?, not ${params.length}`);
  return out;
}

/**
 * Estimates what `athenaSql` (a query over `ecs`, with `params` for its `?`) reads on the local lake's Parquet
 * files, and what the raw Logpush objects of the same partitions weigh (see the file comment for the method).
 */
export async function estimateScan(
  lake: LocalLake,
  athenaSql: string,
  params: readonly QueryValue[] = [],
): Promise<ScanEstimate> {
  const sql = inlineParameters(lake.options.translate(athenaSql), params);
  const pruned = await planScans(lake, sql);
  await lake.duckdb(`SET disabled_optimizers = 'filter_pushdown'`);
  let unpruned: Record<string, unknown>[];
  try {
    unpruned = await planScans(lake, sql);
  } finally {
    await lake.duckdb('RESET disabled_optimizers');
  }
  if (pruned.length !== unpruned.length) {
    throw new Error(`the two plans of the query scan ${pruned.length} and ${unpruned.length} times`);
  }

  // Every Parquet file with its partition values, to evaluate the plan's file filters on.
  const fileTable = `(SELECT DISTINCT file, dataset, dt FROM (SELECT file,
      regexp_extract(file, '/dataset=([^/]+)/', 1) AS dataset, regexp_extract(file, '/dt=([^/]+)/', 1) AS dt
      FROM glob(${sqlString(join(lake.options.lake, 'ecs', '*', '*', '*.parquet'))})))`;
  const readByFile = new Map<string, Set<string>>();
  for (let i = 0; i < pruned.length; i++) {
    const filters = list(pruned[i]!['File Filters']).flatMap(splitFileFilters);
    const where = filters.length > 0 ? `WHERE ${filters.map((f) => `(${f})`).join(' AND ')}` : '';
    const { rows } = await lake.duckdb(`SELECT file FROM ${fileTable} ${where}`);
    // Partition columns are folder names, not data.
    const columns = list(unpruned[i]!.Projections)
      .filter((p) => p !== 'dataset' && p !== 'dt')
      .map(leafPath);
    for (const [file] of rows) {
      const set = readByFile.get(String(file)) ?? new Set<string>();
      for (const c of columns) set.add(c);
      readByFile.set(String(file), set);
    }
  }

  let parquetBytes = 0;
  let footers = 0;
  const partitions = new Set<string>();
  const columns = new Set<string>();
  for (const [file, read] of readByFile) {
    for (const c of read) columns.add(c.replaceAll(', ', '.'));
    partitions.add(/\/dataset=([^/]+)\/dt=([^/]+)\//.exec(file)!.slice(1).join('/'));
    footers += await footerBytes(file);
    if (read.size === 0) continue;
    const { rows } = await lake.duckdb(
      `SELECT path_in_schema, total_compressed_size FROM parquet_metadata(${sqlString(file)})`,
    );
    for (const [leaf, size] of rows) {
      const path = String(leaf);
      if ([...read].some((c) => path === c || path.startsWith(`${c}, `))) parquetBytes += Number(size);
    }
  }

  let rawObjects = 0;
  let rawBytes = 0;
  const { bucket, logpushPrefix } = lake.options;
  for (const partition of partitions) {
    const [dataset, dt] = partition.split('/') as [string, string];
    const glob = join(bucket, logpushPrefix, dataset, '*', dt.replaceAll('-', ''), '*.log.gz');
    const { rows } = await lake.duckdb(`SELECT file FROM glob(${sqlString(glob)})`);
    for (const [file] of rows) {
      rawObjects++;
      rawBytes += (await stat(String(file))).size;
    }
  }
  return {
    partitions: [...partitions].sort(),
    files: readByFile.size,
    columns: [...columns].sort(),
    parquetBytes,
    footerBytes: footers,
    rawObjects,
    rawBytes,
  };
}

/** Bytes in KB with one decimal. */
export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** One line for people: "scans N KB on Parquet vs M KB of raw gzip JSON (ratio)". */
export function describeEstimate(e: ScanEstimate): string {
  const ratio =
    e.parquetBytes === 0
      ? 'no column data read'
      : Math.abs(e.rawBytes - e.parquetBytes) < 0.05 * e.rawBytes
        ? 'about the same'
        : e.rawBytes > e.parquetBytes
          ? `${(e.rawBytes / e.parquetBytes).toFixed(1)}x less on Parquet`
          : `${(e.parquetBytes / e.rawBytes).toFixed(1)}x more on Parquet`;
  return (
    `scans ${kb(e.parquetBytes)} on Parquet vs ${kb(e.rawBytes)} of raw gzip JSON (${ratio}); ` +
    `${e.files} file(s), columns ${e.columns.join(', ') || 'none'}, plus ${kb(e.footerBytes)} of Parquet footers`
  );
}

const HOSTS = [
  'www.example.com',
  'api.example.com',
  'shop.example.com',
  'login.example.com',
  'cdn.example.net',
];
const PATHS = [
  '/',
  '/login',
  '/wp-login.php',
  '/.env',
  '/api/v1/items',
  '/cart',
  '/search',
  '/admin',
  '/xmlrpc.php',
];
const RULES: readonly (readonly [string, string, string])[] = [
  ['firewallManaged', '100016', 'Version Control - Information Disclosure'],
  ['firewallManaged', '6179ae15870a4bb7b2d480d4843b323c', 'SQLi - Comment'],
  ['firewallCustom', 'c0ffee00c0ffee00c0ffee00c0ffee00', 'Block admin from outside'],
  ['ratelimit', 'badc0ffee0ddf00dbadc0ffee0ddf00d', 'Rate limit login'],
  ['l7ddos', 'ddos-l7-1', 'L7 DDoS'],
  ['botFight', 'bf-1', 'Bot fight mode'],
];
const ACTIONS = ['block', 'block', 'block', 'managed_challenge', 'log', 'skip', 'jschallenge'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'curl/8.5.0',
  'Mozilla/5.0 zgrab/0.x',
  'python-requests/2.32.3',
];
const COUNTRIES = ['us', 'de', 'fr', 'br', 'cn', 'ru', 'in', 'nl', 'jp', 'gb'];

/**
 * `count` synthetic firewall_events lines of one day, spread over its hours: documentation addresses
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), example.* hosts, a few rules, paths and
 * agents, unique RayIDs. Fields vary about as much as in a real zone under scanning, so gzip and Parquet
 * compress them comparably; the figures are an illustration, not a benchmark of any real traffic.
 */
export function syntheticFirewallLines(count: number, day: string, seed = 1): string[] {
  const next = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const hex16 = () =>
    Array.from({ length: 2 }, () =>
      Math.floor(next() * 2 ** 32)
        .toString(16)
        .padStart(8, '0'),
    ).join('');
  const start = Date.parse(`${day}T00:00:00Z`);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const net = pick(['192.0.2', '198.51.100', '203.0.113', 'v6']);
    const host = Math.floor(next() * 254) + 1;
    const ip =
      net === 'v6'
        ? `2001:db8::${host.toString(16)}:${Math.floor(next() * 65535).toString(16)}`
        : `${net}.${host}`;
    const [source, ruleId, description] = pick(RULES);
    const asn = 64496 + Math.floor(next() * 16);
    lines.push(
      JSON.stringify({
        Action: pick(ACTIONS),
        ClientASN: asn,
        ClientASNDescription: `EXAMPLE-NET-${asn}`,
        ClientCountry: pick(COUNTRIES),
        ClientIP: ip,
        ClientIPClass: pick(['noRecord', 'unknown', 'searchEngine']),
        ClientRequestHost: pick(HOSTS),
        ClientRequestMethod: pick(['GET', 'GET', 'POST', 'HEAD']),
        ClientRequestPath: pick(PATHS),
        ClientRequestProtocol: pick(['HTTP/1.1', 'HTTP/2', 'HTTP/3']),
        ClientRequestQuery: next() < 0.3 ? `?id=${Math.floor(next() * 10000)}` : '',
        ClientRequestScheme: 'https',
        ClientRequestUserAgent: pick(AGENTS),
        Datetime: new Date(start + Math.floor((i / count) * 86_400_000)).toISOString().replace('.000Z', 'Z'),
        Description: description,
        EdgeColoCode: pick(['AMS', 'FRA', 'CDG', 'IAD', 'GRU', 'NRT']),
        EdgeResponseStatus: pick([403, 403, 429, 200]),
        Kind: 'firewall',
        MatchIndex: 0,
        OriginResponseStatus: 0,
        OriginatorRayID: '00',
        RayID: hex16(),
        RuleID: ruleId,
        Source: source,
      }),
    );
  }
  return lines;
}

/**
 * `node scripts/query-cost.ts [--events N] [--query ID]`: a saved query (the cost query by default) on a
 * synthetic lake of N firewall events of one day.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '100000' },
      query: { type: 'string', default: COST_QUERY_ID },
      // Ad-hoc Athena SQL over `ecs` to measure too; every `?` is the day.
      sql: { type: 'string', multiple: true, default: [] },
    },
  });
  const events = Number(values.events);
  const day = '2026-11-20';
  const work = await mkdtemp(join(tmpdir(), 'cf-logs-cost-'));
  try {
    const folder = join(
      work,
      'input',
      'firewall_events',
      '0123456789abcdef0123456789abcdef',
      day.replaceAll('-', ''),
    );
    await mkdir(folder, { recursive: true });
    // Logpush writes an object every few minutes; 50,000 lines is a busy zone's object.
    const perObject = 50_000;
    for (let i = 0; i * perObject < events; i++) {
      const lines = syntheticFirewallLines(Math.min(perObject, events - i * perObject), day, i + 1);
      await writeFile(
        join(folder, `part-${String(i).padStart(4, '0')}.log.gz`),
        gzipSync(`${lines.join('\n')}\n`),
      );
    }
    const run = await runLocalPipeline(join(work, 'input'), join(work, 'out'));
    const converted = await convertLakeToParquet(run.lake);
    const lake = await openLocalLake({ lake: run.lake, bucket: run.bucket });
    try {
      const query = SAVED_QUERIES.find((q) => q.id === values.query);
      if (!query) throw new Error(`no saved query ${values.query}`);
      const args = query.parameters.map((p) =>
        p.name === 'from_dt' || p.name === 'to_dt' ? day : parseAthenaLiteral(p.example),
      );
      const estimate = await estimateScan(lake, query.sql, args);
      const parquet = converted.reduce((n, c) => n + c.parquetBytes, 0);
      const json = converted.reduce((n, c) => n + c.jsonBytes, 0);
      console.log(`${events} synthetic firewall_events lines of ${day}:`);
      console.log(
        `  lake: ${kb(parquet)} Parquet (${converted.length} file(s)) vs ${kb(json)} of the same rows as gzip JSON`,
      );
      console.log(`  "${query.name}" ${describeEstimate(estimate)}`);
      for (const sql of values.sql) {
        const adHoc = await estimateScan(
          lake,
          sql,
          [...sql.matchAll(/\?/g)].map(() => day),
        );
        console.log(`  ${sql.replace(/\s+/g, ' ')}\n    ${describeEstimate(adHoc)}`);
      }
    } finally {
      lake.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
