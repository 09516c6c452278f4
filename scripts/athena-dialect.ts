/**
 * Athena (Trino) SQL → DuckDB SQL, for running the saved queries on the local lake. One SQL text per query is
 * kept (Athena's); this translation covers exactly what those queries use and DuckDB spells or means
 * differently, and refuses the rest, so that a query can never run locally with a meaning Athena would not give
 * it. The saved queries are written in the subset both engines read alike; what remains:
 *
 * | Athena (Trino)                  | DuckDB                                                                   | Why                                                                                   |
 * | ------------------------------- | ------------------------------------------------------------------------ | ------------------------------------------------------------------------------------- |
 * | `cardinality(array)`            | `len(array)`                                                             | DuckDB's `cardinality` takes maps only                                                |
 * | `array_join(array, sep)`        | `array_to_string(array, sep)`                                            | name (both leave NULL elements out)                                                   |
 * | `json_extract_scalar(json, p)`  | `CASE WHEN try(json_type(json, p)) IN ('ARRAY','OBJECT') THEN NULL ELSE try(json_extract_string(json, p)) END` | Trino gives NULL for an object, a list or text that is not JSON; DuckDB gives the JSON text or fails |
 * | `regexp_like(text, pattern)`    | `regexp_matches(text, pattern)`                                          | name (both match anywhere in the text); Java-only regex syntax is refused (RE2 lacks it) |
 * | `date_diff(unit, a, b)`         | `date_sub(unit, a, b)`                                                   | Trino counts whole units elapsed, as `date_sub` does; DuckDB's `date_diff` counts unit boundaries crossed |
 * | `contains(array, x)`            | `CASE WHEN list_contains(array, x) THEN true WHEN len(array) > list_count(array) THEN NULL ELSE list_contains(array, x) END` | Trino gives NULL, not false, when x is absent and the array holds a NULL |
 *
 * Read alike by both, and so passed through (each checked by a test): `count`, `sum`, `min`, `max`, `coalesce`,
 * `lower`, `array_sort`, `array_agg` (with `DISTINCT`), `date_trunc`, `CAST`, `CROSS JOIN UNNEST(…) AS t (c)`,
 * `ARRAY[…]`, `INTERVAL '1' HOUR`, `LIKE`, `BETWEEN`, window functions, `?` placeholders, struct member access
 * (`source.geo.country_iso_code`, `event."end"`).
 *
 * Refused with an {@link AthenaDialectError} (fix the query or add a rule with its test): any other function
 * (Trino and DuckDB share many names with different meanings: `element_at` on maps, `concat` with NULL,
 * `least`, `regexp_extract`…), `/` (Trino divides integers to an integer, DuckDB to a double), backtick quoting
 * (Hive DDL, not Athena DML), and unterminated strings, identifiers or comments.
 */

/** SQL the translation refuses, with where and why. */
export class AthenaDialectError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AthenaDialectError';
  }
}

type TokenKind = 'space' | 'comment' | 'string' | 'quoted' | 'number' | 'word' | 'param' | 'punct';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Offset in the SQL text. */
  readonly at: number;
}

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const SPACE = /\s+/y;
const OPERATORS = ['<>', '<=', '>=', '!=', '||', '->', '=>'];

function lineOf(sql: string, at: number): number {
  return sql.slice(0, at).split('\n').length;
}

/** Splits `sql` into tokens whose texts concatenate back to `sql`. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const sticky = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    return re.exec(sql)?.[0];
  };
  const closing = (quote: string, kind: string): number => {
    let j = i + 1;
    for (;;) {
      const k = sql.indexOf(quote, j);
      if (k < 0) throw new AthenaDialectError(`line ${lineOf(sql, i)}: unterminated ${kind}`);
      // A doubled quote is the quote itself.
      if (sql[k + 1] === quote) j = k + 2;
      else return k + 1;
    }
  };
  while (i < sql.length) {
    const c = sql[i]!;
    let kind: TokenKind;
    let end: number;
    if (/\s/.test(c)) {
      kind = 'space';
      end = i + sticky(SPACE)!.length;
    } else if (sql.startsWith('--', i)) {
      kind = 'comment';
      const k = sql.indexOf('\n', i);
      end = k < 0 ? sql.length : k;
    } else if (sql.startsWith('/*', i)) {
      kind = 'comment';
      const k = sql.indexOf('*/', i + 2);
      if (k < 0) throw new AthenaDialectError(`line ${lineOf(sql, i)}: unterminated comment`);
      end = k + 2;
    } else if (c === "'") {
      kind = 'string';
      end = closing("'", 'string');
    } else if (c === '"') {
      kind = 'quoted';
      end = closing('"', 'quoted identifier');
    } else if (c === '`') {
      throw new AthenaDialectError(
        `line ${lineOf(sql, i)}: backticks quote names in Hive DDL only; Athena queries use double quotes`,
      );
    } else if (c === '?') {
      kind = 'param';
      end = i + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      kind = 'word';
      end = i + sticky(WORD)!.length;
    } else if (/[0-9.]/.test(c) && sticky(NUMBER) !== undefined) {
      kind = 'number';
      end = i + sticky(NUMBER)!.length;
    } else {
      kind = 'punct';
      end = i + (OPERATORS.find((op) => sql.startsWith(op, i))?.length ?? 1);
    }
    tokens.push({ kind, text: sql.slice(i, end), at: i });
    i = end;
  }
  return tokens;
}

/**
 * Words that may stand before `(` without being a function: clauses, operators, table constructs. `filter` is
 * one only when `WHERE` follows its parenthesis (an aggregate's `FILTER (WHERE …)`); Trino's `filter(array, f)`
 * is a function like any other.
 */
const KEYWORDS = new Set([
  'all',
  'and',
  'any',
  'as',
  'between',
  'by',
  'case',
  'cross',
  'distinct',
  'else',
  'except',
  'exists',
  'from',
  'full',
  'group',
  'having',
  'in',
  'inner',
  'intersect',
  'is',
  'join',
  'lateral',
  'left',
  'like',
  'limit',
  'not',
  'on',
  'or',
  'order',
  'outer',
  'over',
  'partition',
  'right',
  'select',
  'then',
  'union',
  'unnest',
  'using',
  'values',
  'when',
  'where',
  'with',
]);

/** Functions both engines read alike for the argument types the saved queries give them (see the tests). */
const ALIKE = new Set([
  'array_agg',
  'array_sort',
  'cast',
  'coalesce',
  'count',
  'date_trunc',
  'lower',
  'max',
  'min',
  'sum',
]);

/** One argument of a call: its translated text, and the literal it is when it is one string literal. */
interface Argument {
  readonly sql: string;
  readonly literal?: string;
}

type Rule = (args: readonly Argument[], where: string) => string;

function arity(name: string, args: readonly Argument[], count: number, where: string): void {
  if (args.length !== count) {
    throw new AthenaDialectError(
      `${where}: ${name}() is translated with ${count} arguments, not ${args.length}`,
    );
  }
}

/** JSON paths both engines read alike: `$.member`, `$.a.b`, `$.list[0]`. */
const SIMPLE_JSON_PATH = /^\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+$/;

/** Java regex syntax RE2 (DuckDB) does not have: lookaround, atomic groups, backreferences, possessive quantifiers. */
const JAVA_ONLY_REGEX = /\(\?<?[=!]|\(\?>|\\[1-9]|\\k<|[*+?}]\+|\\[GZ]/;

/** Date parts of equal length everywhere, for which whole units elapsed mean the same in both engines. */
const FIXED_UNITS = new Set(['millisecond', 'second', 'minute', 'hour', 'day']);

const RULES: Readonly<Record<string, Rule>> = {
  cardinality(args, where) {
    arity('cardinality', args, 1, where);
    return `len(${args[0]!.sql})`;
  },
  array_join(args, where) {
    arity('array_join', args, 2, where);
    return `array_to_string(${args[0]!.sql}, ${args[1]!.sql})`;
  },
  json_extract_scalar(args, where) {
    arity('json_extract_scalar', args, 2, where);
    const [json, path] = args as [Argument, Argument];
    if (path.literal === undefined || !SIMPLE_JSON_PATH.test(path.literal)) {
      throw new AthenaDialectError(
        `${where}: json_extract_scalar() is translated for a literal path like '$.a.b' or '$.a[0]', not ${path.sql}`,
      );
    }
    return (
      `CASE WHEN try(json_type(${json.sql}, ${path.sql})) IN ('ARRAY', 'OBJECT') THEN NULL ` +
      `ELSE try(json_extract_string(${json.sql}, ${path.sql})) END`
    );
  },
  regexp_like(args, where) {
    arity('regexp_like', args, 2, where);
    const [text, pattern] = args as [Argument, Argument];
    if (pattern.literal === undefined) {
      throw new AthenaDialectError(`${where}: regexp_like() is translated for a literal pattern only`);
    }
    if (JAVA_ONLY_REGEX.test(pattern.literal)) {
      throw new AthenaDialectError(
        `${where}: the pattern ${pattern.sql} uses Java regex syntax RE2 (DuckDB) does not have`,
      );
    }
    return `regexp_matches(${text.sql}, ${pattern.sql})`;
  },
  date_diff(args, where) {
    arity('date_diff', args, 3, where);
    const [unit, a, b] = args as [Argument, Argument, Argument];
    if (unit.literal === undefined || !FIXED_UNITS.has(unit.literal.toLowerCase())) {
      throw new AthenaDialectError(
        `${where}: date_diff() is translated for ${[...FIXED_UNITS].join(', ')} given as a literal, not ${unit.sql}`,
      );
    }
    return `date_sub(${unit.sql}, ${a.sql}, ${b.sql})`;
  },
  contains(args, where) {
    arity('contains', args, 2, where);
    const [list, x] = args as [Argument, Argument];
    return (
      `CASE WHEN list_contains(${list.sql}, ${x.sql}) THEN true ` +
      `WHEN len(${list.sql}) > list_count(${list.sql}) THEN NULL ELSE list_contains(${list.sql}, ${x.sql}) END`
    );
  },
};

class Translator {
  private readonly sql: string;
  private readonly tokens: Token[];

  constructor(sql: string) {
    this.sql = sql;
    this.tokens = tokenize(sql);
  }

  translate(): string {
    return this.range(0, this.tokens.length);
  }

  private where(index: number): string {
    return `line ${lineOf(this.sql, this.tokens[index]!.at)}`;
  }

  /** Index of the next token from `i` that is not space or comment (or `end`). */
  private next(i: number, end: number): number {
    let j = i;
    while (j < end && (this.tokens[j]!.kind === 'space' || this.tokens[j]!.kind === 'comment')) j++;
    return j;
  }

  /** Index of the previous significant token before `i`, or -1. */
  private previous(i: number): number {
    let j = i - 1;
    while (j >= 0 && (this.tokens[j]!.kind === 'space' || this.tokens[j]!.kind === 'comment')) j--;
    return j;
  }

  /** Index of the `)` closing the `(` at `open`. */
  private closing(open: number, end: number): number {
    let depth = 0;
    for (let j = open; j < end; j++) {
      const t = this.tokens[j]!;
      if (t.kind !== 'punct') continue;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return j;
    }
    throw new AthenaDialectError(`${this.where(open)}: unbalanced parenthesis`);
  }

  /** The name of the function a word or quoted name at `i` would call, in lower case. */
  private nameAt(i: number): string {
    const t = this.tokens[i]!;
    return (t.kind === 'quoted' ? t.text.slice(1, -1).replaceAll('""', '"') : t.text).toLowerCase();
  }

  /** The `(` of a function call named by the word or quoted name at `i`, or undefined when it is not a call. */
  private callOpen(i: number, end: number): number | undefined {
    const open = this.next(i + 1, end);
    if (open >= end || this.tokens[open]!.text !== '(') return undefined;
    const quoted = this.tokens[i]!.kind === 'quoted';
    const word = this.nameAt(i);
    const before = this.previous(i);
    // `AS t (c)`: a table alias and its column names.
    if (before >= 0 && this.tokens[before]!.text.toLowerCase() === 'as') return undefined;
    if (word === 'filter') {
      const inside = this.next(open + 1, end);
      if (inside < end && this.tokens[inside]!.text.toLowerCase() === 'where') return undefined;
    } else if (!quoted && KEYWORDS.has(word)) {
      return undefined;
    }
    return open;
  }

  private range(start: number, end: number): string {
    let out = '';
    for (let i = start; i < end; i++) {
      const t = this.tokens[i]!;
      if (t.kind === 'word' || t.kind === 'quoted') {
        const open = this.callOpen(i, end);
        if (open !== undefined) {
          const close = this.closing(open, end);
          out += this.call(i, open, close);
          i = close;
          continue;
        }
      }
      if (t.kind === 'punct' && t.text === '/') {
        throw new AthenaDialectError(
          `${this.where(i)}: "/" divides integers to an integer in Athena and to a double in DuckDB; ` +
            'the saved queries do not divide',
        );
      }
      out += t.text;
    }
    return out;
  }

  private call(name: number, open: number, close: number): string {
    const word = this.tokens[name]!.text;
    const lower = this.nameAt(name);
    if (ALIKE.has(lower)) {
      return `${this.tokens
        .slice(name, open + 1)
        .map((t) => t.text)
        .join('')}${this.range(open + 1, close)})`;
    }
    const rule = RULES[lower];
    if (!rule) {
      throw new AthenaDialectError(
        `${this.where(name)}: ${word}() has no DuckDB translation and is not known to mean the same in both ` +
          'engines; add a rule (and its test) to scripts/athena-dialect.ts',
      );
    }
    return rule(this.arguments(open, close), this.where(name));
  }

  private arguments(open: number, close: number): Argument[] {
    const args: Argument[] = [];
    let depth = 0;
    let from = open + 1;
    const push = (to: number) => {
      const significant = this.tokens
        .slice(from, to)
        .filter((t) => t.kind !== 'space' && t.kind !== 'comment');
      const only = significant.length === 1 ? significant[0] : undefined;
      args.push({
        sql: this.range(from, to).trim(),
        literal: only?.kind === 'string' ? only.text.slice(1, -1).replaceAll("''", "'") : undefined,
      });
    };
    for (let j = open + 1; j < close; j++) {
      const t = this.tokens[j]!;
      if (t.kind !== 'punct') continue;
      if (t.text === '(' || t.text === '[') depth++;
      else if (t.text === ')' || t.text === ']') depth--;
      else if (t.text === ',' && depth === 0) {
        push(j);
        from = j + 1;
      }
    }
    if (this.next(from, close) < close || args.length > 0) push(close);
    return args;
  }
}

/**
 * The DuckDB SQL of an Athena query (see the module comment for the rules).
 * @throws {AthenaDialectError} for SQL outside what the translation knows to carry over unchanged in meaning.
 */
export function toDuckDb(sql: string): string {
  return new Translator(sql).translate();
}

/** The number of `?` placeholders in `sql` (outside strings, quoted names and comments). */
export function countPlaceholders(sql: string): number {
  return tokenize(sql).filter((t) => t.kind === 'param').length;
}
