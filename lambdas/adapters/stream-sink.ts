import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { PutRecordsResult, RecordSink } from '../ports.ts';

/** A record sink for the command line: writes packed records (NDJSON already) to a stream, honouring back-pressure. */
export class StreamSink implements RecordSink {
  private readonly out: Writable;

  constructor(out: Writable) {
    this.out = out;
  }

  async putRecords(records: readonly Uint8Array[]): Promise<PutRecordsResult> {
    for (const record of records) {
      if (!this.out.write(record)) await once(this.out, 'drain');
    }
    return { failed: [] };
  }
}
