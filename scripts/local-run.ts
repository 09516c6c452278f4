/**
 * `npm start`: the Logpush path on this machine, no AWS needed. Sample Logpush files (or a folder of yours laid
 * out like the Logpush bucket) are "uploaded" into a local bucket folder as Cloudflare would (gzip), then every
 * object goes through the same `processObject` the Lambda runs, into a local lake laid out exactly like the
 * Firehose output, with quarantine beside it.
 *
 *   npm start                               # the project's samples
 *   npm start -- --input DIR --out DIR      # your own Logpush files (*.log.gz, *.log or *.ndjson), anywhere below DIR
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { FileObjectSource, FsBlobStore, LocalLakeSink } from '../lambdas/adapters/local-fs.ts';
import { type ObjectSummary, processObject } from '../lambdas/core/pipeline.ts';
import { BlobQuarantine } from '../lambdas/core/quarantine.ts';
import { systemClock } from '../lambdas/ports.ts';
import { DEFAULT_LOGPUSH_PREFIX, DEFAULT_QUARANTINE_PREFIX } from '../lambdas/settings.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    input: { type: 'string', default: join(root, 'samples', 'logpush') },
    out: { type: 'string', default: join(root, '.local') },
  },
});
const input = resolve(values.input);
const out = resolve(values.out);
const bucket = join(out, 'logpush-bucket');
const lake = join(out, 'lake');

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Puts the input files into the local bucket the way Logpush does: gzip NDJSON under the Logpush prefix. */
async function upload(): Promise<string[]> {
  const keys: string[] = [];
  for (const file of await filesBelow(input)) {
    const rel = relative(input, file).split('\\').join('/');
    let key = `${DEFAULT_LOGPUSH_PREFIX}/${rel}`;
    await mkdir(dirname(join(bucket, key)), { recursive: true });
    if (/\.(log|ndjson|json)$/.test(rel)) {
      key = `${key.replace(/\.(ndjson|json)$/, '.log')}.gz`;
      await writeFile(join(bucket, key), gzipSync(await readFile(file)));
    } else {
      await copyFile(file, join(bucket, key));
    }
    keys.push(key);
  }
  return keys;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const numeric = rows[0]!.map((_, c) => rows.slice(1).every((r) => /^\d+$/.test(r[c]!)));
  const pad = (cell: string, c: number) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!));
  return rows.map((r) => r.map(pad).join('  ').trimEnd()).join('\n');
}

await rm(bucket, { recursive: true, force: true });
await rm(lake, { recursive: true, force: true });
const keys = await upload();
console.log(
  `Uploaded ${keys.length} objects from ${relative(process.cwd(), input) || '.'} to ${relative(process.cwd(), bucket)}\n`,
);

const source = new FileObjectSource();
const sink = new LocalLakeSink(lake);
const store = new FsBlobStore(lake);
const summaries: ObjectSummary[] = [];
let failures = 0;
for (const key of keys) {
  const ref = { bucket, key, size: (await stat(join(bucket, key))).size };
  try {
    summaries.push(
      await processObject(
        ref,
        source,
        (r, info) =>
          new BlobQuarantine({
            store,
            prefix: DEFAULT_QUARANTINE_PREFIX,
            source: r,
            date: info.date,
            clock: systemClock,
          }),
        { sink, clock: systemClock, logpushPrefix: DEFAULT_LOGPUSH_PREFIX },
      ),
    );
  } catch (error) {
    failures++;
    console.error(
      `FAILED ${key}: ${(error as Error).message} (the Lambda would retry it, then dead-letter it)`,
    );
  }
}
const written = await sink.close();

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

const lakeRows = [['lake file (laid out like the Firehose output)', 'events']];
for (const f of written) lakeRows.push([f.path, String(f.events)]);
console.log(`${table(lakeRows)}\n`);

const quarantined = (await filesBelow(lake)).filter((f) =>
  relative(lake, f).startsWith(`${DEFAULT_QUARANTINE_PREFIX}/`),
);
const totals = summaries.reduce(
  (t, s) => ({
    events: t.events + s.events,
    quarantined: t.quarantined + s.quarantined,
    lines: t.lines + s.lines,
  }),
  { events: 0, quarantined: 0, lines: 0 },
);
console.log(
  `${totals.events} events delivered, ${totals.quarantined} lines quarantined (${quarantined.length} file(s)), ` +
    `${summaries.filter((s) => s.outcome === 'skipped').length} objects skipped, ${failures} failed, from ${totals.lines} lines.`,
);
console.log(
  `Lake: ${relative(process.cwd(), lake)}   Try: zcat ${relative(process.cwd(), lake)}/ecs/dataset=*/dt=*/*.json.gz | head -1`,
);
for (const q of quarantined)
  console.log(`Quarantine: ${relative(process.cwd(), q)}   (zcat it to see each line and its reason)`);
process.exitCode = failures > 0 ? 1 : 0;
