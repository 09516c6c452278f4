import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { partitionOf } from '../core/partition.ts';
import type {
  BlobStore,
  ObjectRef,
  ObjectSource,
  OpenedObject,
  PutRecordsResult,
  RecordSink,
} from '../ports.ts';
import { LAKE_ECS_PREFIX, LAKE_ERROR_PREFIX } from '../settings.ts';

/** Reads objects from a folder standing in for a bucket: `ref.key` is a path below `ref.bucket`. */
export class FileObjectSource implements ObjectSource {
  async open(ref: ObjectRef): Promise<OpenedObject> {
    const path = join(ref.bucket, ref.key);
    const info = await stat(path);
    return {
      body: createReadStream(path, { highWaterMark: 64 * 1024 }),
      size: info.size,
      lastModified: info.mtime,
    };
  }
}

/** Writes objects as files below a folder standing in for a bucket. */
export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async putObject(key: string, body: Uint8Array): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }
}

interface OpenPartition {
  readonly gzip: Gzip;
  readonly file: WriteStream;
  readonly path: string;
  events: number;
}

/**
 * Stands in for the Firehose delivery stream on this machine: de-aggregates each record into its events,
 * partitions them with the same keys Firehose extracts ({@link partitionOf}), and writes gzip NDJSON files laid
 * out like the stream's S3 output (`ecs/dataset=<dataset>/dt=<yyyy-MM-dd>/<stream>-1-<time>-<n>.json.gz`);
 * events Firehose could not partition go under `errors/` as they would there. Files are streamed, so memory
 * does not grow with the data. Call {@link close} to finish the files.
 */
export class LocalLakeSink implements RecordSink {
  private readonly root: string;
  private readonly streamName: string;
  private readonly stamp: string;
  private readonly partitions = new Map<string, OpenPartition>();
  private sequence = 0;

  constructor(root: string, streamName = 'cf-logs-local', now = new Date()) {
    this.root = root;
    this.streamName = streamName;
    this.stamp = now.toISOString().slice(0, 19).replace(/[T:]/g, '-');
  }

  async putRecords(records: readonly Uint8Array[]): Promise<PutRecordsResult> {
    for (const record of records) {
      for (const line of Buffer.from(record).toString('utf8').split('\n')) {
        if (line === '') continue;
        let keys: ReturnType<typeof partitionOf>;
        try {
          keys = partitionOf(JSON.parse(line));
        } catch {
          keys = undefined;
        }
        const prefix = keys
          ? `${LAKE_ECS_PREFIX}/dataset=${keys.dataset}/dt=${keys.dt}`
          : `${LAKE_ERROR_PREFIX}/DynamicPartitioning.MetadataExtractionFailed/dt=${this.stamp.slice(0, 10)}`;
        const partition = await this.partition(prefix);
        partition.events++;
        if (!partition.gzip.write(`${line}\n`)) await once(partition.gzip, 'drain');
      }
    }
    return { failed: [] };
  }

  /** Finishes every file. @returns the files written, relative to the root, with their event counts. */
  async close(): Promise<{ path: string; events: number }[]> {
    const written: { path: string; events: number }[] = [];
    for (const p of this.partitions.values()) {
      p.gzip.end();
      await once(p.file, 'close');
      written.push({ path: p.path, events: p.events });
    }
    this.partitions.clear();
    return written.sort((a, b) => a.path.localeCompare(b.path));
  }

  private async partition(prefix: string): Promise<OpenPartition> {
    const open = this.partitions.get(prefix);
    if (open) return open;
    const name = `${this.streamName}-1-${this.stamp}-${String(++this.sequence).padStart(4, '0')}.json.gz`;
    const path = `${prefix}/${name}`;
    await mkdir(join(this.root, prefix), { recursive: true });
    const gzip = createGzip();
    const file = createWriteStream(join(this.root, path));
    gzip.pipe(file);
    const partition = { gzip, file, path, events: 0 };
    this.partitions.set(prefix, partition);
    return partition;
  }
}
