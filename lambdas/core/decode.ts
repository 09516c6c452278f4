import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DecodeError } from './errors.ts';

/** Lines decoded from one stretch of an object. */
export interface LineBatch {
  /** The lines, without their `\n` or `\r\n`; blank lines are kept (as `""`) so numbering stays true. */
  readonly lines: string[];
  /** 1-based number of `lines[0]` within the object. */
  readonly firstLineNumber: number;
  /** Lines longer than the limit: `lines[index]` holds only their head. */
  readonly oversized?: readonly OversizedLine[];
  /**
   * Indexes of lines whose bytes are not valid UTF-8: each invalid sequence reads as U+FFFD in `lines[index]`.
   * Over-long lines are not checked (their head may end inside a character).
   */
  readonly invalidUtf8?: readonly number[];
}

/** A line cut short because it was longer than {@link DecodeOptions.maxLineBytes}. */
export interface OversizedLine {
  readonly index: number;
  /** The line's full length in bytes. */
  readonly bytes: number;
}

/** Limits of the decoder. */
export interface DecodeOptions {
  /**
   * Longest line held in memory; longer lines are reported with their first `keptBytes` only, so one
   * pathological line cannot exhaust the function's memory. @default 16 MiB
   */
  readonly maxLineBytes?: number;
  /** How much of an over-long line is kept. @default 1 MiB */
  readonly keptBytes?: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Streams the lines of a Logpush object: gzip (any number of concatenated members) or plain NDJSON, detected
 * from the first bytes. Memory stays bounded by the decompressor's chunk size plus the longest line, whatever
 * the object's size. Handles CRLF, a last line without newline, blank lines and a leading byte-order mark
 * (however the first bytes are split). Lines with bytes that are not UTF-8 are decoded with U+FFFD in their
 * place and named in {@link LineBatch.invalidUtf8}: the check runs once over the whole lines of each chunk, and
 * line by line only in a chunk that fails it, so valid data pays one fast pass per chunk.
 *
 * @throws DecodeError when the gzip data is corrupt or truncated (lines before the damage have been yielded).
 *   Errors of the source stream (a reset connection) are rethrown unchanged.
 */
export async function* readLines(
  chunks: AsyncIterable<Uint8Array>,
  options: DecodeOptions = {},
): AsyncGenerator<LineBatch> {
  const maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
  const keptBytes = Math.min(options.keptBytes ?? 1024 * 1024, maxLineBytes);
  let lineNumber = 1;
  // The start of a line that continues in the next chunk.
  let carry: Buffer[] = [];
  let carryBytes = 0;
  // While passing over the rest of an over-long line: its length so far, else -1.
  let skipping = -1;
  let first = true;

  try {
    for await (const chunk of decompress(chunks)) {
      const lines: string[] = [];
      let oversized: OversizedLine[] | undefined;
      let invalid: number[] | undefined;
      const batchStart = lineNumber;
      let start = 0;
      let nl = chunk.indexOf(NEWLINE, start);
      // The lines that lie wholly in this chunk are checked in one pass; the line continued from the previous
      // chunk is checked when its parts are joined. Only a chunk that fails is checked line by line.
      let checkEach = false;
      if (nl !== -1) {
        const from = carryBytes > 0 || skipping >= 0 ? nl + 1 : start;
        const to = chunk.lastIndexOf(NEWLINE);
        checkEach = from < to && !isUtf8(chunk.subarray(from, to));
      }
      while (nl !== -1) {
        const segment = nl - start;
        if (skipping >= 0 || carryBytes + segment > maxLineBytes) {
          // Over the limit: the head is kept for the quarantine record, with the full length.
          const total = (skipping >= 0 ? skipping : carryBytes) + segment;
          if (skipping < 0 && carryBytes < keptBytes) carry.push(chunk.subarray(start, nl));
          lines.push(head(carry, keptBytes));
          oversized ??= [];
          oversized.push({ index: lines.length - 1, bytes: total });
          carry = [];
          carryBytes = 0;
          skipping = -1;
        } else if (carryBytes > 0) {
          carry.push(chunk.subarray(start, nl));
          const joined = Buffer.concat(carry, carryBytes + segment);
          lines.push(toLine(joined));
          if (!isUtf8(joined)) {
            invalid ??= [];
            invalid.push(lines.length - 1);
          }
          carry = [];
          carryBytes = 0;
        } else {
          const end = nl > start && chunk[nl - 1] === CR ? nl - 1 : nl;
          lines.push(chunk.toString('utf8', start, end));
          if (checkEach && !isUtf8(chunk.subarray(start, end))) {
            invalid ??= [];
            invalid.push(lines.length - 1);
          }
        }
        lineNumber++;
        start = nl + 1;
        nl = chunk.indexOf(NEWLINE, start);
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        if (skipping >= 0) {
          skipping += rest.length;
        } else if (carryBytes + rest.length > maxLineBytes) {
          // From here on only the length is counted; what is held is cut down to the head.
          skipping = carryBytes + rest.length;
          carry.push(rest);
          carry = [Buffer.from(head(carry, keptBytes, 'buffer'))];
          carryBytes = carry[0]!.length;
        } else {
          // Copy: the decompressor may reuse its chunk buffer.
          carry.push(Buffer.from(rest));
          carryBytes += rest.length;
        }
      }
      if (lines.length > 0) {
        if (first) {
          dropByteOrderMark(lines);
          first = false;
        }
        yield batchOf(lines, batchStart, oversized, invalid);
      }
    }
  } catch (error) {
    if (isZlibError(error)) {
      const read = lineNumber - 1;
      throw new DecodeError(`gzip data is corrupt or truncated after line ${read}: ${error.message}`, read, {
        cause: error,
      });
    }
    throw error;
  }

  if (skipping >= 0) {
    const lines = [head(carry, keptBytes)];
    if (first) dropByteOrderMark(lines);
    yield batchOf(lines, lineNumber, [{ index: 0, bytes: skipping }], undefined);
  } else if (carryBytes > 0) {
    const joined = Buffer.concat(carry, carryBytes);
    const lines = [toLine(joined)];
    if (first) dropByteOrderMark(lines);
    yield batchOf(lines, lineNumber, undefined, isUtf8(joined) ? undefined : [0]);
  }
}

function batchOf(
  lines: string[],
  firstLineNumber: number,
  oversized: OversizedLine[] | undefined,
  invalidUtf8: number[] | undefined,
): LineBatch {
  if (!oversized && !invalidUtf8) return { lines, firstLineNumber };
  return {
    lines,
    firstLineNumber,
    ...(oversized ? { oversized } : {}),
    ...(invalidUtf8 ? { invalidUtf8 } : {}),
  };
}

/**
 * A UTF-8 byte-order mark is not part of the first record. It is removed from the first line's text rather than
 * from the first chunk's bytes, because a chunk may end inside it.
 */
function dropByteOrderMark(lines: string[]): void {
  const line = lines[0]!;
  if (line.charCodeAt(0) === 0xfeff) lines[0] = line.slice(1);
}

function toLine(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}

/** The first `bytes` bytes of `parts`, as text or as bytes. */
function head(parts: Buffer[], bytes: number): string;
function head(parts: Buffer[], bytes: number, as: 'buffer'): Buffer;
function head(parts: Buffer[], bytes: number, as?: 'buffer'): string | Buffer {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = Buffer.concat(parts, Math.min(bytes, total));
  return as === 'buffer' ? joined : joined.toString('utf8');
}

function isZlibError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' && code.startsWith('Z_');
}

/** Yields the decompressed bytes of a gzip stream, or the bytes unchanged when they are not gzip. */
async function* decompress(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  // Gather at least the two magic bytes.
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < 2) {
    const next = await iterator.next();
    if (next.done) break;
    const buf = asBuffer(next.value);
    head.push(buf);
    headBytes += buf.length;
  }
  if (headBytes === 0) return;
  const first = head.length === 1 ? head[0]! : Buffer.concat(head, headBytes);
  const rest = remaining(iterator);

  if (first[0] !== 0x1f || first[1] !== 0x8b) {
    yield first;
    yield* rest;
    return;
  }

  const source = Readable.from(prepend(first, rest), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  try {
    for await (const out of gunzip) yield out as Buffer;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

async function* remaining(iterator: AsyncIterator<Uint8Array>): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  } finally {
    await iterator.return?.();
  }
}

async function* prepend(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  yield* rest;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
