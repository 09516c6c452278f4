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
 * {@link rawIntegerToken} for the fields of one record: one per mapper, {@link reset} for each record. Before the
 * line's first nested object (its first `{` after the opening one), `"key":` can only occur as a top-level key
 * (inside a string every quote is escaped), so a token found there needs no uniqueness scan of the rest of the
 * line. Where each key was found in the previous record is remembered, and the search starts a little before it:
 * records of one job list their fields in one order, so it skips most of the line. When that search is
 * inconclusive it falls back to {@link rawIntegerToken}.
 */
export class ExactIntegers {
  private line = '';
  /** Position of the line's first nested `{`; -1 until asked. */
  private brace = -1;
  private readonly keys = new Map<string, { readonly needle: string; at: number }>();

  /** Starts on a new record and the line it was parsed from. */
  reset(line: string): void {
    this.line = line;
    this.brace = -1;
  }

  /** The exact digits of top-level `key`, whose parsed value is `parsed` (an integer beyond 2^53). */
  digits(key: string, parsed: number): string | undefined {
    const line = this.line;
    if (this.brace < 0) {
      const brace = line.indexOf('{', 1);
      this.brace = brace < 0 ? line.length : brace;
    }
    const entry = this.entryOf(key);
    // A little before where the key was last time: the values before it vary in length from record to record.
    const from = entry.at - (entry.at >> 3) - 64;
    let at = from > 0 ? line.indexOf(entry.needle, from) : -1;
    if (at < 0 || at >= this.brace) at = line.indexOf(entry.needle);
    if (at > 0 && at < this.brace && line.charCodeAt(at - 1) !== 0x5c /* \ */) {
      const token = integerAt(line, at + entry.needle.length);
      if (token !== undefined && Number(token) === parsed) {
        entry.at = at;
        return token;
      }
    }
    return rawIntegerToken(line, key, parsed);
  }

  private entryOf(key: string): { readonly needle: string; at: number } {
    let entry = this.keys.get(key);
    if (entry === undefined) {
      entry = { needle: `"${key}":`, at: 0 };
      // Keys come from records: a flood of new ones must not grow the cache without bound.
      if (this.keys.size >= 1000) this.keys.clear();
      this.keys.set(key, entry);
    }
    return entry;
  }
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
