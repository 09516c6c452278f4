/**
 * The local run behind `npm start`, as a function the script and its test share: Logpush files are
 * "uploaded" into a local bucket folder as Cloudflare would (gzip NDJSON under the Logpush prefix), and every
 * object goes through the same `processObject` the Lambda runs, into a local lake laid out like the Firehose
 * output, with quarantine beside it.
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileObjectSource, FsBlobStore, LocalLakeSink } from '../lambdas/adapters/local-fs.ts';
import { type ObjectSummary, processObject } from '../lambdas/core/pipeline.ts';
import { BlobQuarantine } from '../lambdas/core/quarantine.ts';
import { type Clock, systemClock } from '../lambdas/ports.ts';
import { DEFAULT_LOGPUSH_PREFIX, DEFAULT_QUARANTINE_PREFIX } from '../lambdas/settings.ts';

/** What the local run did. */
export interface LocalRunResult {
  readonly bucket: string;
  readonly lake: string;
  readonly summaries: ObjectSummary[];
  readonly failures: { key: string; error: Error }[];
  /** Lake files written, relative to the lake folder, with their event counts. */
  readonly lakeFiles: { path: string; events: number }[];
  /** Quarantine files, relative to the lake folder. */
  readonly quarantineFiles: string[];
}

/** Every file below `dir`, sorted. */
export async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Runs the Logpush path over the files below `input` (`*.log`, `*.ndjson` and `*.json` are gzipped on upload,
 * `*.log.gz` and anything else copied as they are), with `out` as the working folder (its `logpush-bucket/` and
 * `lake/` are replaced).
 */
export async function runLocalPipeline(
  input: string,
  out: string,
  clock: Clock = systemClock,
): Promise<LocalRunResult> {
  const bucket = join(out, 'logpush-bucket');
  const lake = join(out, 'lake');
  await rm(bucket, { recursive: true, force: true });
  await rm(lake, { recursive: true, force: true });

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

  const source = new FileObjectSource();
  const sink = new LocalLakeSink(lake, 'cf-logs-local', clock.now());
  const store = new FsBlobStore(lake);
  const summaries: ObjectSummary[] = [];
  const failures: { key: string; error: Error }[] = [];
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
              clock,
            }),
          { sink, clock, logpushPrefix: DEFAULT_LOGPUSH_PREFIX },
        ),
      );
    } catch (error) {
      failures.push({ key, error: error as Error });
    }
  }
  const lakeFiles = await sink.close();
  const quarantineFiles = (await filesBelow(lake).catch(() => []))
    .map((f) => relative(lake, f))
    .filter((f) => f.startsWith(`${DEFAULT_QUARANTINE_PREFIX}/`));
  return { bucket, lake, summaries, failures, lakeFiles, quarantineFiles };
}
