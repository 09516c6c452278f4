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

  it('drops a byte-order mark that arrives split across chunks, and only at the start of the object', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const data = Buffer.concat([bom, Buffer.from('{"a":1}\n'), bom, Buffer.from('{"b":2}\n')]);
    for (const size of [1, 2, 3, 4, 1024]) {
      // A later mark is data of its line (the pipeline decides what to do with it).
      expect((await collect(data, size)).lines, `chunks of ${size}`).toEqual(['{"a":1}', '\uFEFF{"b":2}']);
    }
    // The first line is a single over-long or unterminated one.
    expect((await collect(Buffer.concat([bom, Buffer.from('{"c":3}')]), 2)).lines).toEqual(['{"c":3}']);
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

describe('readLines invalid UTF-8', () => {
  const valid = '{"city":"Zürich – 東京 🦊"}';
  /** A line with an invalid byte (0xff), a lone continuation byte (0x80) and a cut-short 3-byte sequence. */
  const invalid = Buffer.concat([
    Buffer.from('{"user":"'),
    Buffer.from([0xff, 0x80, 0xe6, 0x9d]),
    Buffer.from('"}'),
  ]);
  const replacement = '{"user":"\uFFFD\uFFFD\uFFFD"}';

  /** Every line flagged as invalid, by line number. */
  const flagged = (batches: LineBatch[]) =>
    batches.flatMap((b) => (b.invalidUtf8 ?? []).map((index) => b.firstLineNumber + index));

  it('names the lines whose bytes are not UTF-8, wherever the chunks split them, and decodes them with U+FFFD', async () => {
    // A literal U+FFFD in the data is a valid character, not a sign of bad bytes.
    const data = Buffer.concat([
      Buffer.from(`${valid}\n`),
      invalid,
      Buffer.from(`\n${valid}\n{"note":"\uFFFD is fine"}\r\n`),
      invalid,
      Buffer.from('\r\n'),
      Buffer.from(`${valid}\n`),
      invalid,
    ]);
    for (const size of [1, 2, 3, 5, 13, 40, 64 * 1024]) {
      const { lines, batches } = await collect(data, size);
      expect(lines, `chunks of ${size}`).toEqual([
        valid,
        replacement,
        valid,
        '{"note":"\uFFFD is fine"}',
        replacement,
        valid,
        replacement,
      ]);
      expect(flagged(batches), `chunks of ${size}`).toEqual([2, 5, 7]);
    }
  });

  it('names nothing in valid data split inside multi-byte characters', async () => {
    const data = Buffer.from(`${Array.from({ length: 50 }, () => valid).join('\n')}\n`);
    for (const size of [1, 2, 3, 7, 31, 64 * 1024]) {
      const { lines, batches } = await collect(gzipSync(data), size);
      expect(lines).toHaveLength(50);
      expect(
        batches.some((b) => b.invalidUtf8 !== undefined),
        `chunks of ${size}`,
      ).toBe(false);
    }
  });

  it('checks lines in gzip data the same way', async () => {
    const data = gzipSync(Buffer.concat([Buffer.from(`${valid}\n`), invalid, Buffer.from(`\n${valid}\n`)]));
    const { lines, batches } = await collect(data, 11);
    expect(lines).toEqual([valid, replacement, valid]);
    expect(flagged(batches)).toEqual([2]);
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
