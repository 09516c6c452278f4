import { describe, expect, it } from 'vitest';
import { MappingError } from '../../lambdas/core/errors.ts';
import { durationNs, parseEventTime } from '../../lambdas/core/time.ts';
import { mulberry32 } from '../support/prng.ts';

describe('parseEventTime', () => {
  it('keeps unix nanoseconds exact when the integer does not fit a JS number', () => {
    // 1658281671671000123 is not representable as a double; the raw digits come from the line.
    const t = parseEventTime(1658281671671000000, { rawDigits: '1658281671671000123' });
    expect(t?.iso).toBe('2022-07-20T01:47:51.671000123Z');
    expect(t?.ns).toBe(1658281671671000123n);
  });

  it('reads unixnano given as a digit string', () => {
    expect(parseEventTime('1658281702371000000')?.iso).toBe('2022-07-20T01:48:22.371000000Z');
  });

  it('reads unix seconds, milliseconds and microseconds by magnitude', () => {
    expect(parseEventTime(1669858111)?.iso).toBe('2022-12-01T01:28:31Z');
    expect(parseEventTime(1669858111716)?.iso).toBe('2022-12-01T01:28:31.716Z');
    expect(parseEventTime(1669858111716123)?.iso).toBe('2022-12-01T01:28:31.716123Z');
  });

  it('uses the fixed unit of fields like EventTimestampMs whatever the magnitude', () => {
    expect(parseEventTime(1669858111716, { unit: 'ms' })?.iso).toBe('2022-12-01T01:28:31.716Z');
    expect(parseEventTime(1669858111716000000, { unit: 'ns', rawDigits: '1669858111716000001' })?.iso).toBe(
      '2022-12-01T01:28:31.716000001Z',
    );
  });

  it('renders integer times from their digits exactly as from the instant, in every unit and second', () => {
    const rnd = mulberry32(7);
    const units = [
      ['s', 0],
      ['ms', 3],
      ['us', 6],
      ['ns', 9],
    ] as const;
    for (let i = 0; i < 2000; i++) {
      const [unit, fractionDigits] = units[i % 4]!;
      // Seconds from 1990 to 2199, and every fraction, leading zeros included.
      const seconds = 631_152_000 + Math.floor(rnd() * 6_626_966_000);
      const fraction = fractionDigits
        ? String(Math.floor(rnd() * 10 ** fractionDigits)).padStart(fractionDigits, '0')
        : '';
      const digits = `${seconds}${fraction}`;
      const expected = `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fractionDigits ? `.${fraction}` : ''}Z`;
      const t = parseEventTime(digits, { unit });
      expect(t?.iso, digits).toBe(expected);
      expect(t?.ns, digits).toBe(BigInt(digits) * 10n ** BigInt(9 - fractionDigits));
    }
  });

  it('passes canonical RFC 3339 UTC strings through unchanged, in every precision', () => {
    for (const s of [
      '2023-02-24T14:52:47Z',
      '2024-02-17T23:52:01.123Z',
      '2024-02-17T23:52:01.123456789Z',
      '2014-01-01T05:20:00.12345Z',
    ]) {
      expect(parseEventTime(s)?.iso).toBe(s);
    }
  });

  it('converts offsets to UTC and keeps the fraction digits', () => {
    const t = parseEventTime('2023-02-24T16:52:47.5+02:00');
    expect(t?.iso).toBe('2023-02-24T14:52:47.5Z');
    expect(parseEventTime('2023-02-24T00:30:00-0130')?.iso).toBe('2023-02-24T02:00:00Z');
    expect(parseEventTime('2023-02-24 14:52:47z')?.iso).toBe('2023-02-24T14:52:47Z');
  });

  it('orders instants exactly and measures durations in nanoseconds', () => {
    const start = parseEventTime('1658281671671000000')!;
    const end = parseEventTime('2022-07-20T01:48:22.371000001Z')!;
    expect(durationNs(start, end)).toBe(30_700_000_001n);
  });

  it('treats 0 and empty values as no time', () => {
    expect(parseEventTime(0)).toBeUndefined();
    expect(parseEventTime('0')).toBeUndefined();
    expect(parseEventTime('')).toBeUndefined();
    expect(parseEventTime(null)).toBeUndefined();
    expect(parseEventTime(undefined)).toBeUndefined();
  });

  it('rejects values that are not times, naming the value', () => {
    expect(() => parseEventTime('yesterday')).toThrow(MappingError);
    expect(() => parseEventTime('2023-13-01T00:00:00Z')).toThrow(/not a valid time/);
    expect(() => parseEventTime(true)).toThrow(MappingError);
    expect(() => parseEventTime(-5)).toThrow(MappingError);
    expect(() => parseEventTime('12345678901234567890123')).toThrow(MappingError);
  });
});
