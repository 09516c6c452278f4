import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type LineBatch, readLines } from '../../lambdas/core/decode.ts';
import { DecodeError } from '../../lambdas/core/errors.ts';

/** Splits `data` into chunks of `size` bytes, like a network stream would deliver it. */
async function* chunked(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield new Uint8Array(data.subarray(i, i + size));
}

async function collect(
  data: Buffer,
  chunkSize = 7,
  options = {},
): Promise<{ lines: string[]; batches: LineBatch[] }> {
  const batches: LineBatch[] = [];
  for await (const batch of readLines(chunked(data, chunkSize), options)) batches.push(batch);
  return { lines: batches.flatMap((b) => b.lines), batches };
}

describe('readLines', () => {
  it('reads plain NDJSON split at arbitrary chunk boundaries', async () => {
    const { lines } = await collect(Buffer.from('{"a":1}\n{"b":2}\n'), 3);
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('reads gzip, including several concatenated members', async () => {
    const data = Buffer.concat([gzipSync('{"a":1}\n{"b"'), gzipSync(':2}\n'), gzipSync('{"c":3}\n')]);
    const { lines } = await collect(data, 5);
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('strips CR of CRLF endings, also when CR and LF fall in different chunks', async () => {
    const { lines } = await collect(Buffer.from('{"a":1}\r\n{"b":2}\r\n'), 8);
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('keeps a last line without newline', async () => {
    const { lines } = await collect(gzipSync('{"a":1}\n{"b":2}'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('keeps blank lines so line numbers stay true', async () => {
    const { batches } = await collect(Buffer.from('{"a":1}\n\n\r\n{"b":2}\n'), 1024);
    expect(batches).toEqual([{ lines: ['{"a":1}', '', '', '{"b":2}'], firstLineNumber: 1 }]);
  });

  it('numbers lines across batches', async () => {
    const { batches } = await collect(Buffer.from('a\nb\nc\nd\n'), 4);
    const numbered = batches.flatMap((b) => b.lines.map((line, i) => `${b.firstLineNumber + i}:${line}`));
    expect(numbered).toEqual(['1:a', '2:b', '3:c', '4:d']);
  });

  it('drops a leading byte-order mark', async () => {
    const { lines } = await collect(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n')]),
    );
    expect(lines).toEqual(['{"a":1}']);
  });

  it('keeps multi-byte UTF-8 characters split across chunks intact', async () => {
    const { lines } = await collect(Buffer.from('{"city":"Zürich – 東京"}\n'), 1);
    expect(lines).toEqual(['{"city":"Zürich – 東京"}']);
  });

  it('yields nothing for an empty object or an empty gzip member', async () => {
    expect((await collect(Buffer.alloc(0))).lines).toEqual([]);
    expect((await collect(gzipSync(''))).lines).toEqual([]);
  });

  it('fails a truncated gzip object with a DecodeError after yielding the lines before the damage', async () => {
    const body = Buffer.from(Array.from({ length: 2000 }, (_, i) => `{"n":${i}}\n`).join(''));
    const gz = gzipSync(body);
    const lines: string[] = [];
    let error: unknown;
    try {
      for await (const b of readLines(chunked(gz.subarray(0, gz.length - 20), 64))) lines.push(...b.lines);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).message).toMatch(/corrupt or truncated after line \d+/);
    expect((error as DecodeError).linesRead).toBe(lines.length);
    expect(lines.slice(0, 3)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);
  });

  it('fails corrupt gzip data and trailing garbage with a DecodeError', async () => {
    const gz = gzipSync('{"a":1}\n');
    const corrupt = Buffer.from(gz);
    corrupt[12] = corrupt[12]! ^ 0xff;
    await expect(collect(corrupt)).rejects.toBeInstanceOf(DecodeError);
    await expect(collect(Buffer.concat([gz, Buffer.from('garbage')]))).rejects.toBeInstanceOf(DecodeError);
  });

  it('rethrows errors of the source stream unchanged', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gzipSync('{"a":1}\n').subarray(0, 10);
      throw reset;
    }
    await expect(
      (async () => {
        for await (const _ of readLines(failing()));
      })(),
    ).rejects.toBe(reset);
  });

  it('reports an over-long line with its head and length, and goes on with the next line', async () => {
    const long = `{"x":"${'y'.repeat(5000)}"}`;
    const { batches, lines } = await collect(Buffer.from(`{"a":1}\n${long}\n{"b":2}\n`), 100, {
      maxLineBytes: 1000,
      keptBytes: 10,
    });
    expect(lines).toEqual(['{"a":1}', long.slice(0, 10), '{"b":2}']);
    const over = batches.flatMap((b) =>
      (b.oversized ?? []).map((o) => ({ ...o, line: b.firstLineNumber + o.index })),
    );
    expect(over).toEqual([{ index: expect.any(Number), bytes: long.length, line: 2 }]);
  });

  it('reports an over-long last line without newline', async () => {
    const long = 'z'.repeat(3000);
    const { batches } = await collect(Buffer.from(`a\n${long}`), 256, { maxLineBytes: 1000, keptBytes: 4 });
    expect(batches.at(-1)).toEqual({
      lines: ['zzzz'],
      firstLineNumber: 2,
      oversized: [{ index: 0, bytes: 3000 }],
    });
  });
});

describe('readLines line limit', () => {
  it('applies to a long line that arrives within one chunk', async () => {
    const long = 'q'.repeat(3000);
    const { batches } = await collect(Buffer.from(`a\n${long}\nb\n`), 65536, {
      maxLineBytes: 1000,
      keptBytes: 5,
    });
    expect(batches).toEqual([
      { lines: ['a', 'qqqqq', 'b'], firstLineNumber: 1, oversized: [{ index: 1, bytes: 3000 }] },
    ]);
  });

  it('applies when the line ends just past the limit in the chunk after its start', async () => {
    const long = 'w'.repeat(1001);
    const { lines, batches } = await collect(Buffer.from(`${long}\nnext\n`), 600, {
      maxLineBytes: 1000,
      keptBytes: 3,
    });
    expect(lines).toEqual(['www', 'next']);
    expect(batches.flatMap((b) => b.oversized ?? [])).toEqual([{ index: 0, bytes: 1001 }]);
  });

  it('keeps a line of exactly the limit whole', async () => {
    const exact = 'e'.repeat(1000);
    const { lines, batches } = await collect(Buffer.from(`${exact}\n`), 300, { maxLineBytes: 1000 });
    expect(lines).toEqual([exact]);
    expect(batches.some((b) => b.oversized)).toBe(false);
  });
});
