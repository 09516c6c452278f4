import { gunzipSync } from 'node:zlib';
import type {
  BlobStore,
  ObjectRef,
  ObjectSource,
  OpenedObject,
  PutRecordsResult,
  RecordSink,
} from '../../lambdas/ports.ts';

/** Objects held in memory, streamed in small chunks like a network body. */
export class MemoryObjectSource implements ObjectSource {
  readonly objects = new Map<string, Buffer>();
  opened = 0;
  private readonly chunkSize: number;

  constructor(chunkSize = 4096) {
    this.chunkSize = chunkSize;
  }

  put(bucket: string, key: string, body: Buffer | string): ObjectRef {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    this.objects.set(`${bucket}/${key}`, data);
    return { bucket, key, size: data.length };
  }

  async open(ref: ObjectRef): Promise<OpenedObject> {
    const data = this.objects.get(`${ref.bucket}/${ref.key}`);
    if (!data) throw new Error(`no object ${ref.bucket}/${ref.key}`);
    this.opened++;
    const size = this.chunkSize;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < data!.length; i += size) yield data!.subarray(i, i + size);
    }
    return { body: body(), size: data.length, lastModified: new Date('2026-11-20T10:00:00Z') };
  }
}

/** A sink that keeps every accepted record and can fail entries or calls on demand. */
export class MemorySink implements RecordSink {
  readonly records: Buffer[] = [];
  readonly calls: number[] = [];
  /** Called per call; returns indexes to fail, or throws to fail the call. */
  plan: (call: number, batch: readonly Uint8Array[]) => number[] = () => [];

  async putRecords(batch: readonly Uint8Array[]): Promise<PutRecordsResult> {
    const call = this.calls.length;
    this.calls.push(batch.length);
    const failing = new Set(this.plan(call, batch));
    batch.forEach((r, i) => {
      if (!failing.has(i)) this.records.push(Buffer.from(r));
    });
    return { failed: [...failing].map((index) => ({ index, code: 'ServiceUnavailableException' })) };
  }

  /** Every delivered event, parsed. */
  events(): Record<string, unknown>[] {
    return this.records.flatMap((r) =>
      r
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }
}

/** Objects written by the pipeline (quarantine files), kept in memory. */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Buffer>();

  async putObject(key: string, body: Uint8Array): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }

  /** Every quarantine record written, parsed (files are gzip NDJSON). */
  entries(): Record<string, unknown>[] {
    return [...this.objects.values()].flatMap((b) =>
      gunzipSync(b)
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }
}
