import { hash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { BlobStore, Clock, ObjectRef } from '../ports.ts';

/** A line (or, with `line` null, a whole object) that could not be turned into an event, and why. */
export interface QuarantineEntry {
  /** 1-based line number in the object; null when the problem concerns the object as a whole. */
  readonly line: number | null;
  readonly reason: string;
  /** The raw line (or its head, for an over-long line). */
  readonly raw?: string;
  /** The raw line's full length in bytes, when `raw` holds only its head. */
  readonly rawBytes?: number;
  readonly dataset?: string;
}

/** Receives quarantined lines of one object. */
export interface Quarantine {
  /** @returns a promise to await when the entry caused a write. */
  add(entry: QuarantineEntry): Promise<void> | undefined;
  /** Writes what is still held. @returns how many entries were quarantined in all. */
  finish(): Promise<number>;
}

/** Options of {@link BlobQuarantine}. */
export interface BlobQuarantineOptions {
  readonly store: BlobStore;
  /** Key prefix in the store, without trailing slash. */
  readonly prefix: string;
  readonly source: ObjectRef;
  /** Partition date `yyyy-MM-dd`: the object's `{DATE}` folder, else today. */
  readonly date?: string;
  readonly clock: Clock;
  /** Uncompressed bytes per quarantine file. @default 8 MiB */
  readonly maxPartBytes?: number;
}

/**
 * Writes quarantined lines as gzip NDJSON files under `<prefix>/dt=<yyyy-MM-dd>/<object-hash>-<part>.json.gz`,
 * one record per line: `quarantined_at`, `reason`, `dataset`, `bucket`, `key`, `line`, `raw` (and `raw_bytes`).
 * File names derive from the source object, so a retried object overwrites its own files instead of adding
 * copies; memory is bounded by the part size.
 */
export class BlobQuarantine implements Quarantine {
  private readonly options: BlobQuarantineOptions;
  private readonly maxPartBytes: number;
  private readonly keyBase: string;
  private held: string[] = [];
  private heldBytes = 0;
  private part = 0;
  private count = 0;

  constructor(options: BlobQuarantineOptions) {
    this.options = options;
    this.maxPartBytes = options.maxPartBytes ?? 8 * 1024 * 1024;
    const { source, clock, prefix } = options;
    const id = hash('sha256', `${source.bucket}/${source.key}\u0000${source.versionId ?? ''}`, 'hex').slice(
      0,
      24,
    );
    const date = options.date ?? clock.now().toISOString().slice(0, 10);
    this.keyBase = `${prefix}/dt=${date}/${id}`;
  }

  add(entry: QuarantineEntry): Promise<void> | undefined {
    const text = JSON.stringify({
      quarantined_at: this.options.clock.now().toISOString(),
      reason: entry.reason,
      dataset: entry.dataset ?? null,
      bucket: this.options.source.bucket,
      key: this.options.source.key,
      line: entry.line,
      raw: entry.raw ?? null,
      ...(entry.rawBytes === undefined ? {} : { raw_bytes: entry.rawBytes }),
    });
    this.held.push(text);
    this.heldBytes += text.length + 1;
    this.count++;
    return this.heldBytes >= this.maxPartBytes ? this.write() : undefined;
  }

  async finish(): Promise<number> {
    if (this.held.length > 0) await this.write();
    return this.count;
  }

  private async write(): Promise<void> {
    const body = gzipSync(`${this.held.join('\n')}\n`);
    const key = `${this.keyBase}-${String(this.part).padStart(4, '0')}.json.gz`;
    this.held = [];
    this.heldBytes = 0;
    this.part++;
    await this.options.store.putObject(key, body, 'application/x-ndjson');
  }
}
