import { describe, expect, it } from 'vitest';
import {
  ExactIntegers,
  hasUnsafeInteger,
  parseWithExactIntegers,
  rawIntegerToken,
} from '../../lambdas/core/json-raw.ts';

describe('rawIntegerToken', () => {
  it('finds the digits of a top-level key', () => {
    expect(
      rawIntegerToken('{"A":1,"EdgeStartTimestamp":1658281671671000123,"B":2}', 'EdgeStartTimestamp'),
    ).toBe('1658281671671000123');
  });

  it('ignores the same key nested deeper (merged Worker subrequests)', () => {
    const line =
      '{"Subrequests":[{"EdgeStartTimestamp":1111111111111111111}],"EdgeStartTimestamp":2222222222222222222}';
    expect(rawIntegerToken(line, 'EdgeStartTimestamp')).toBe('2222222222222222222');
  });

  it('ignores the key text inside string values and tolerates whitespace', () => {
    const line = '{ "Note" : "\\"T\\":9999999999999999999 \\\\", "T" : 1234567890123456789 }';
    expect(rawIntegerToken(line, 'T')).toBe('1234567890123456789');
  });

  it('returns undefined when the key is absent or not an integer', () => {
    expect(rawIntegerToken('{"T":"x"}', 'T')).toBeUndefined();
    expect(rawIntegerToken('{"U":1}', 'T')).toBeUndefined();
  });
});

describe('rawIntegerToken with the parsed value', () => {
  it('takes the single compact occurrence whose digits round to the parsed number', () => {
    const line = '{"A":1,"EdgeStartTimestamp":1658281671671000123}';
    expect(rawIntegerToken(line, 'EdgeStartTimestamp', JSON.parse(line).EdgeStartTimestamp)).toBe(
      '1658281671671000123',
    );
  });

  it('falls back to scanning when the single occurrence is a nested one', () => {
    const line = '{"Sub":{"T":1111111111111111111},"T" : 2222222222222222222}';
    expect(rawIntegerToken(line, 'T', JSON.parse(line).T)).toBe('2222222222222222222');
  });
});

describe('ExactIntegers (one record, fields in line order)', () => {
  const digitsOf = (line: string, keys: readonly string[]) => {
    const exact = new ExactIntegers();
    const record = JSON.parse(line) as Record<string, number>;
    exact.reset(line);
    return keys.map((key) => exact.digits(key, record[key]!));
  };

  it('reads each top-level token of a flat record exactly, in order', () => {
    const line = '{"EdgeEndTimestamp":1795169700035000001,"X":"a","EdgeStartTimestamp":1795169700000000001}';
    expect(digitsOf(line, ['EdgeEndTimestamp', 'EdgeStartTimestamp'])).toEqual([
      '1795169700035000001',
      '1795169700000000001',
    ]);
  });

  it('is not fooled by the key quoted inside a string value, or by a key ending in it', () => {
    const line = String.raw`{"Note":"\"T\":1152921504606846977","A\"T":1152921504606846977,"T":1152921504606846976}`;
    expect(digitsOf(line, ['T'])).toEqual(['1152921504606846976']);
  });

  it('takes the top-level token when a nested object carries the same key first (and its value rounds alike)', () => {
    // 2^60 and 2^60 + 1 are one double: only the position tells them apart.
    const line = '{"Subrequests":[{"T":1152921504606846977}],"T":1152921504606846976}';
    expect(digitsOf(line, ['T'])).toEqual(['1152921504606846976']);
  });

  it('starts afresh on reset, whatever the previous record left', () => {
    const exact = new ExactIntegers();
    const first = '{"A":1,"B":2,"T":1234567890123456789}';
    exact.reset(first);
    expect(exact.digits('T', JSON.parse(first).T)).toBe('1234567890123456789');
    const second = '{"T":9234567890123456789,"A":1}';
    exact.reset(second);
    expect(exact.digits('T', JSON.parse(second).T)).toBe('9234567890123456789');
  });

  it('finds each key wherever it is in the next record, however far it moved from the last one', () => {
    const exact = new ExactIntegers();
    const lineWith = (pad: number, t: string) => `{"Pad":"${'x'.repeat(pad)}","A":1,"T":${t}}`;
    for (const [pad, t] of [
      [2000, '1795169700000000001'],
      [0, '1795169700000000002'],
      [1500, '1795169700000000003'],
      [1490, '1795169700000000004'],
      [10, '1795169700000000005'],
    ] as const) {
      const line = lineWith(pad, t);
      exact.reset(line);
      expect(exact.digits('T', JSON.parse(line).T)).toBe(t);
    }
  });

  it('reads a key after a brace inside a string value exactly (the slow path)', () => {
    const line = '{"Note":"{\\"T\\":1152921504606846977}","T":1152921504606846976}';
    expect(digitsOf(line, ['T'])).toEqual(['1152921504606846976']);
  });

  it('finds a key listed before the previous one (line order not kept)', () => {
    const line = '{"T":1234567890123456789,"U":2234567890123456789}';
    expect(digitsOf(line, ['U', 'T'])).toEqual(['2234567890123456789', '1234567890123456789']);
  });
});

describe('exact nested integers', () => {
  it('finds an unsafe integer at any depth, and only then', () => {
    expect(hasUnsafeInteger(JSON.parse('{"a":[{"b":1767225600123456789}]}'))).toBe(true);
    expect(hasUnsafeInteger({ a: [{ b: 9007199254740991 }], c: 'x', d: 1.5 })).toBe(false);
  });

  it('parses a line keeping big integers as their exact digits, and everything else as usual', () => {
    const line = '{"n":1,"f":1.5,"s":"1767225600123456789","List":[{"T":1767225600123456789}]}';
    expect(parseWithExactIntegers(line)).toEqual({
      n: 1,
      f: 1.5,
      s: '1767225600123456789',
      List: [{ T: '1767225600123456789' }],
    });
  });
});
