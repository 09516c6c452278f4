/**
 * Recovers integer tokens exactly as written in a JSON line. `JSON.parse` turns integers above 2^53 into the
 * nearest double, which corrupts Logpush's 19-digit `unixnano` timestamps; the digits are still in the line.
 */

/**
 * The digits of the integer value of top-level `key` in the JSON object `line`, or undefined when the key is
 * absent at the top level or its value is not an integer.
 *
 * @param parsed the value `JSON.parse` gave for the key, when known: a single compact occurrence whose digits
 *   round to it is taken without scanning the line (Logpush writes compact JSON, so this is the usual case).
 */
export function rawIntegerToken(line: string, key: string, parsed?: number): string | undefined {
  if (parsed !== undefined) {
    const needle = `"${key}":`;
    const first = line.indexOf(needle);
    if (first > 0 && line.indexOf(needle, first + needle.length) < 0) {
      const token = integerAt(line, first + needle.length);
      if (token !== undefined && Number(token) === parsed) return token;
    }
  }
  return scanTopLevel(line, key);
}

/**
 * {@link rawIntegerToken} for the fields of one record, in the order `for…in` gives them (the line's order):
 * one per mapper, {@link reset} for each record. When no value of the record is an object or a list of objects,
 * `"key":` can only occur in the line as the record's own key (inside a string every quote is escaped), so the
 * token is found by one forward search from where the previous one ended, with no uniqueness scan of the rest
 * of the line. Otherwise, or when that search is inconclusive, it falls back to {@link rawIntegerToken}.
 */
export class ExactIntegers {
  private line = '';
  private record: Readonly<Record<string, unknown>> = {};
  private flat: boolean | undefined;
  private cursor = 0;
  private readonly needles = new Map<string, string>();

  /** Starts on a new record and the line it was parsed from. */
  reset(line: string, record: Readonly<Record<string, unknown>>): void {
    this.line = line;
    this.record = record;
    this.flat = undefined;
    this.cursor = 0;
  }

  /** The exact digits of top-level `key`, whose parsed value is `parsed` (an integer beyond 2^53). */
  digits(key: string, parsed: number): string | undefined {
    this.flat ??= !hasNestedObject(this.record);
    if (this.flat) {
      const needle = this.needleOf(key);
      let at = this.line.indexOf(needle, this.cursor);
      if (at < 0 && this.cursor > 0) at = this.line.indexOf(needle);
      if (at > 0 && this.line.charCodeAt(at - 1) !== 0x5c /* \ */) {
        const token = integerAt(this.line, at + needle.length);
        if (token !== undefined && Number(token) === parsed) {
          this.cursor = at + needle.length;
          return token;
        }
      }
    }
    return rawIntegerToken(this.line, key, parsed);
  }

  private needleOf(key: string): string {
    let needle = this.needles.get(key);
    if (needle === undefined) {
      needle = `"${key}":`;
      // Keys come from records: a flood of new ones must not grow the cache without bound.
      if (this.needles.size >= 1000) this.needles.clear();
      this.needles.set(key, needle);
    }
    return needle;
  }
}

function hasNestedObject(record: Readonly<Record<string, unknown>>): boolean {
  for (const key in record) {
    const value = record[key];
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value)) return true;
    for (const item of value) if (typeof item === 'object' && item !== null) return true;
  }
  return false;
}

function integerAt(line: string, start: number): string | undefined {
  let i = start;
  while (isSpace(line.charCodeAt(i))) i++;
  const begin = i;
  if (line.charCodeAt(i) === 0x2d /* - */) i++;
  while (i < line.length && isDigit(line.charCodeAt(i))) i++;
  if (i === begin) return undefined;
  const next = line.charCodeAt(i);
  if (next === 0x2e /* . */ || next === 0x65 /* e */ || next === 0x45 /* E */) return undefined;
  return line.slice(begin, i);
}

function scanTopLevel(line: string, key: string): string | undefined {
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = endOfString(line, i);
      if (depth === 1 && expectKey) {
        let j = end + 1;
        while (isSpace(line.charCodeAt(j))) j++;
        if (line.charCodeAt(j) === 0x3a /* : */ && JSON.parse(line.slice(i, end + 1)) === key) {
          return integerAt(line, j + 1);
        }
      }
      expectKey = false;
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c /* , */) {
      expectKey = true;
    }
  }
  return undefined;
}

function endOfString(line: string, openQuote: number): number {
  for (let i = openQuote + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return line.length;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** True when `value` holds, at any depth, an integer too large for a JS number to be exact. */
export function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (hasUnsafeInteger(item)) return true;
    return false;
  }
  for (const key in value) if (hasUnsafeInteger((value as Record<string, unknown>)[key])) return true;
  return false;
}

type SourceReviver = (key: string, value: unknown, context: { source?: string }) => unknown;

/**
 * Parses a JSON object line keeping every integer above 2^53 exact, as its digit string (JSON.parse source
 * text access, V8 ≥ 11.4). Several times slower than plain parsing: only for lines known to need it.
 */
export function parseWithExactIntegers(line: string): Record<string, unknown> {
  const reviver: SourceReviver = (_key, value, context) =>
    typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source
      ? context.source
      : value;
  return JSON.parse(line, reviver as (key: string, value: unknown) => unknown) as Record<string, unknown>;
}
