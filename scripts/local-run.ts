/**
 * `npm start`: the Logpush path on this machine, no AWS needed (see `local-pipeline.ts`), then the lake in
 * Parquet as Firehose writes it and the saved Athena queries run on it with DuckDB (see `local-lake.ts`).
 *
 *   npm start                               # the project's anonymized samples
 *   npm start -- --input DIR --out DIR      # your own Logpush files (*.log.gz, *.log, *.ndjson) below DIR
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SAVED_QUERIES, type SavedQuery } from '../lambdas/lake/queries.ts';
import { DEFAULT_LOGPUSH_PREFIX } from '../lambdas/settings.ts';
import {
  convertLakeToParquet,
  openLocalLake,
  parquetLeafCount,
  parseAthenaLiteral,
  type QueryValue,
} from './local-lake.ts';
import { runLocalPipeline } from './local-pipeline.ts';
import { COST_QUERY_ID, describeEstimate, estimateScan, kb } from './query-cost.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    input: { type: 'string', default: join(root, 'samples', 'logpush') },
    out: { type: 'string', default: join(root, '.local') },
  },
});
const here = (path: string) => relative(process.cwd(), path) || '.';
/** Rows of a query result shown; the rest are counted. */
const MAX_ROWS = 10;
/** Characters of a cell shown. */
const MAX_CELL = 60;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const numeric = rows[0]!.map((_, c) => rows.slice(1).every((r) => /^-?\d+(\.\d+)?$/.test(r[c]!)));
  const pad = (cell: string, c: number) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!));
  return rows.map((r) => r.map(pad).join('  ').trimEnd()).join('\n');
}

function cell(value: unknown): string {
  const text = value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  const line = text.replace(/\s+/g, ' ');
  return line.length > MAX_CELL ? `${line.slice(0, MAX_CELL - 1)}…` : line;
}

const input = resolve(values.input);
const result = await runLocalPipeline(input, resolve(values.out));
const { summaries, failures, quarantineFiles } = result;
console.log(
  `Uploaded ${summaries.length + failures.length} objects from ${here(input)} to ${here(result.bucket)}\n`,
);

const rows = [['object', 'dataset', 'lines', 'events', 'quarantined', 'outcome']];
for (const s of summaries) {
  rows.push([
    s.key.replace(`${DEFAULT_LOGPUSH_PREFIX}/`, '').replace(/\/[0-9a-f]{32}\//, '/…/'),
    s.keyDataset ?? '-',
    String(s.lines),
    String(s.events),
    String(s.quarantined),
    s.outcome === 'skipped' ? `skipped: ${s.skipReason}` : 'processed',
  ]);
}
console.log(`${table(rows)}\n`);
for (const f of failures) {
  console.error(`FAILED ${f.key}: ${f.error.message} (the Lambda would retry it, then dead-letter it)`);
}

// Firehose converts each buffer to Parquet before writing it; here the finished JSON files are converted.
const converted = await convertLakeToParquet(result.lake);
const parquetByJson = new Map(converted.map((c) => [c.json, c.parquet]));
const lakeRows = [['lake file (laid out like the Firehose output)', 'events']];
for (const f of result.lakeFiles) lakeRows.push([parquetByJson.get(f.path) ?? f.path, String(f.events)]);
console.log(`${table(lakeRows)}\n`);

const events = summaries.reduce((n, s) => n + s.events, 0);
const quarantined = summaries.reduce((n, s) => n + s.quarantined, 0);
const lines = summaries.reduce((n, s) => n + s.lines, 0);
const skipped = summaries.filter((s) => s.outcome === 'skipped').length;
console.log(
  `${events} events delivered, ${quarantined} lines quarantined (${quarantineFiles.length} file(s)), ` +
    `${skipped} objects skipped, ${failures.length} failed, from ${lines} lines.`,
);
const parquetBytes = converted.reduce((n, c) => n + c.parquetBytes, 0);
const jsonBytes = converted.reduce((n, c) => n + c.jsonBytes, 0);
console.log(
  `Lake: ${here(result.lake)}, ${converted.length} Parquet file(s) of ${kb(parquetBytes)}; ` +
    `the same ${converted.reduce((n, c) => n + c.rows, 0)} rows as gzip JSON: ${kb(jsonBytes)} ` +
    `(each Parquet file carries the schema's ${parquetLeafCount()} leaf columns: heavy for a few rows, ` +
    'nothing for a Firehose buffer of 64-128 MiB)',
);
for (const q of quarantineFiles) {
  console.log(`Quarantine: ${here(join(result.lake, q))}   (zcat it to see each line and its reason)`);
}

const lake = await openLocalLake({ lake: result.lake, bucket: result.bucket });
let queryFailures = 0;
try {
  const range = await lake.query('SELECT min(dt), max(dt) FROM ecs');
  const [from, to] = (range.rows[0] ?? []) as (string | null)[];
  const argumentsOf = (query: SavedQuery): QueryValue[] =>
    query.parameters.map((p) => {
      if (p.name === 'from_dt' && from) return from;
      if (p.name === 'to_dt' && to) return to;
      return parseAthenaLiteral(p.example);
    });

  console.log(
    `\n${SAVED_QUERIES.length} saved queries on the local lake (DuckDB, SQL translated from Athena's)`,
  );
  for (const query of SAVED_QUERIES) {
    const args = argumentsOf(query);
    const shown = query.parameters.map((p, i) => `${p.name}=${JSON.stringify(args[i])}`).join(', ');
    console.log(`\n== ${query.name}${shown ? ` (${shown})` : ''}`);
    try {
      const answer = await lake.query(query.sql, args);
      if (answer.rows.length === 0) console.log('(no rows)');
      else {
        console.log(table([answer.columns, ...answer.rows.slice(0, MAX_ROWS).map((r) => r.map(cell))]));
        if (answer.rows.length > MAX_ROWS) console.log(`… ${answer.rows.length - MAX_ROWS} more rows`);
      }
    } catch (error) {
      queryFailures++;
      console.error(`FAILED ${query.id}: ${(error as Error).message}`);
    }
  }

  const costQuery = SAVED_QUERIES.find((q) => q.id === COST_QUERY_ID);
  if (!costQuery) throw new Error(`no saved query ${COST_QUERY_ID} to measure`);
  const estimate = await estimateScan(lake, costQuery.sql, argumentsOf(costQuery));
  console.log(`\nCost of "${costQuery.name}": ${describeEstimate(estimate)}`);
  console.log(
    '(a few sample rows say little: node scripts/query-cost.ts measures it on 100,000 synthetic events)',
  );
} finally {
  lake.close();
}

process.exitCode = failures.length > 0 || queryFailures > 0 ? 1 : 0;
