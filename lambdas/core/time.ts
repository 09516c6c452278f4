import { MappingError } from './errors.ts';

/** Unit of an integer timestamp. */
export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

/** An instant, exact to the nanosecond, with its canonical ECS rendering. */
export interface Instant {
  /** Nanoseconds since the Unix epoch. */
  readonly ns: bigint;
  /** `YYYY-MM-DDTHH:MM:SS[.fraction]Z` in UTC; the fraction keeps the precision the input had. */
  readonly iso: string;
}

/** How to read one timestamp value. */
export interface TimeOptions {
  /** Fixed unit of the field (`EventTimestampMs`, `*Nanos`); when absent the unit follows the magnitude. */
  readonly unit?: TimeUnit;
  /**
   * The integer exactly as written in the source line. `JSON.parse` rounds integers above 2^53, and Logpush's
   * default `unixnano` timestamps are 19 digits, so the caller recovers the digits from the line.
   */
  readonly rawDigits?: string;
}

const UNIT_DIGITS: Record<TimeUnit, number> = { s: 0, ms: 3, us: 6, ns: 9 };
const NS_PER_UNIT: Record<TimeUnit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const DIGITS = /^\d{1,20}$/;
// Nothing Cloudflare logs predates 1990 or lies past 2200: such values are unit mistakes, not times.
const MIN_NS = 631_152_000_000_000_000n;
const MAX_NS = 7_258_118_400_000_000_000n;

/**
 * Reads a Logpush timestamp in any `timestamp_format` (`unixnano`, `unix`, `rfc3339`, `rfc3339ms`, `rfc3339ns`),
 * as an integer, a digit string or an RFC 3339 string. Integer units are detected by magnitude (seconds up to 11
 * digits, milliseconds 12-14, microseconds 15-17, nanoseconds 18-19) unless the field has a fixed unit.
 *
 * @returns undefined for absent values (`undefined`, `null`, `""`, `0`), which Logpush emits for unset times.
 * @throws MappingError when the value is not a time.
 */
export function parseEventTime(value: unknown, options: TimeOptions = {}): Instant | undefined {
  if (value === undefined || value === null || value === '' || value === 0 || value === '0') return undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) {
      const digits =
        options.rawDigits ?? (Number.isSafeInteger(value) ? String(value) : BigInt(value).toString());
      return fromDigits(digits, options.unit, value);
    }
    if (Number.isFinite(value) && value > 0 && options.unit === undefined)
      return fromFractionalSeconds(value);
    throw invalid(value);
  }
  if (typeof value === 'string') {
    if (CANONICAL_UTC.test(value)) {
      // Fast path: already canonical; only the calendar needs checking.
      const ns = rfc3339ToNs(value);
      if (ns !== undefined) return { ns, iso: value };
      throw invalid(value);
    }
    if (DIGITS.test(value)) return fromDigits(value, options.unit, value);
    const ns = rfc3339ToNs(value);
    if (ns === undefined) throw invalid(value);
    const fraction = RFC3339.exec(value)?.[7] ?? '';
    return { ns, iso: render(ns, fraction.length) };
  }
  throw invalid(value);
}

/** Nanoseconds from `start` to `end` (negative when end is earlier). */
export function durationNs(start: Instant, end: Instant): bigint {
  return end.ns - start.ns;
}

/** The instant of a JS Date, at millisecond precision. */
export function instantFromDate(date: Date): Instant {
  const ns = BigInt(date.getTime()) * 1_000_000n;
  return { ns, iso: render(ns, 3) };
}

function fromDigits(digits: string, unit: TimeUnit | undefined, original: unknown): Instant {
  const resolved = unit ?? unitByMagnitude(digits.length);
  if (resolved === undefined) throw invalid(original);
  const ns = BigInt(digits) * NS_PER_UNIT[resolved];
  if (ns < MIN_NS || ns > MAX_NS) throw invalid(original);
  // In range, the digits hold more than the fraction: the seconds and the fraction are read off them as text,
  // without dividing the big integer.
  const fractionDigits = UNIT_DIGITS[resolved];
  const split = digits.length - fractionDigits;
  const head = headOf(digits.slice(0, split));
  return { ns, iso: fractionDigits === 0 ? `${head}Z` : `${head}.${digits.slice(split)}Z` };
}

function fromFractionalSeconds(seconds: number): Instant {
  const ns = BigInt(Math.round(seconds * 1000)) * 1_000_000n;
  if (ns < MIN_NS || ns > MAX_NS) throw invalid(seconds);
  return { ns, iso: render(ns, 3) };
}

function unitByMagnitude(length: number): TimeUnit | undefined {
  if (length <= 11) return 's';
  if (length <= 14) return 'ms';
  if (length <= 17) return 'us';
  if (length <= 19) return 'ns';
  return undefined;
}

function rfc3339ToNs(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', , sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2023-02-30 over into March; a real calendar date round-trips.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (sign) {
    offsetMinutes = Number(oh) * 60 + Number(om);
    if (sign === '+') offsetMinutes = -offsetMinutes;
  }
  const ns = (BigInt(ms) + BigInt(offsetMinutes) * 60_000n) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
  if (ns < MIN_NS || ns > MAX_NS) return undefined;
  return ns;
}

// Records of one object cluster in time: the rendered second is reused while it stays the same.
let cachedSeconds = '';
let cachedHead = '';

/** `YYYY-MM-DDTHH:MM:SS` of a count of Unix seconds given as digits. */
function headOf(seconds: string): string {
  if (seconds !== cachedSeconds) {
    cachedHead = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
    cachedSeconds = seconds;
  }
  return cachedHead;
}

function render(ns: bigint, fractionDigits: number): string {
  const head = headOf(String(ns / 1_000_000_000n));
  if (fractionDigits === 0) return `${head}Z`;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').slice(0, fractionDigits);
  return `${head}.${fraction}Z`;
}

function invalid(value: unknown): MappingError {
  return new MappingError(`${JSON.stringify(value)} is not a valid time`);
}
