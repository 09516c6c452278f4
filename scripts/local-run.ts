/**
 * `npm start`: the Logpush path on this machine, no AWS needed (see `local-pipeline.ts`).
 *
 *   npm start                               # the project's anonymized samples
 *   npm start -- --input DIR --out DIR      # your own Logpush files (*.log.gz, *.log, *.ndjson) below DIR
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LOGPUSH_PREFIX } from '../lambdas/settings.ts';
import { runLocalPipeline } from './local-pipeline.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    input: { type: 'string', default: join(root, 'samples', 'logpush') },
    out: { type: 'string', default: join(root, '.local') },
  },
});
const here = (path: string) => relative(process.cwd(), path) || '.';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const numeric = rows[0]!.map((_, c) => rows.slice(1).every((r) => /^\d+$/.test(r[c]!)));
  const pad = (cell: string, c: number) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!));
  return rows.map((r) => r.map(pad).join('  ').trimEnd()).join('\n');
}

const input = resolve(values.input);
const result = await runLocalPipeline(input, resolve(values.out));
const { summaries, failures, lakeFiles, quarantineFiles } = result;
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

const lakeRows = [['lake file (laid out like the Firehose output)', 'events']];
for (const f of lakeFiles) lakeRows.push([f.path, String(f.events)]);
console.log(`${table(lakeRows)}\n`);

const events = summaries.reduce((n, s) => n + s.events, 0);
const quarantined = summaries.reduce((n, s) => n + s.quarantined, 0);
const lines = summaries.reduce((n, s) => n + s.lines, 0);
const skipped = summaries.filter((s) => s.outcome === 'skipped').length;
console.log(
  `${events} events delivered, ${quarantined} lines quarantined (${quarantineFiles.length} file(s)), ` +
    `${skipped} objects skipped, ${failures.length} failed, from ${lines} lines.`,
);
console.log(
  `Lake: ${here(result.lake)}   Try: zcat ${here(result.lake)}/ecs/dataset=*/dt=*/*.json.gz | head -1`,
);
for (const q of quarantineFiles) {
  console.log(`Quarantine: ${here(join(result.lake, q))}   (zcat it to see each line and its reason)`);
}
process.exitCode = failures.length > 0 ? 1 : 0;
