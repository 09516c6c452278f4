import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAVED_QUERIES } from '../../lambdas/lake/queries.ts';
import { AthenaDialectError, countPlaceholders, toDuckDb } from '../../scripts/athena-dialect.ts';

// The values each Athena expression is expected to give come from the Trino documentation of the function (Athena
// engine version 3 is Trino); there is no Athena here, so DuckDB is checked against those values.

let instance: DuckDBInstance;
let db: DuckDBConnection;

/** Rows of an Athena query run in DuckDB after translation, values as JSON (BIGINT as text). */
async function athena(sql: string, params: (string | number)[] = []): Promise<unknown[][]> {
  const reader = await db.runAndReadAll(toDuckDb(sql), params.length > 0 ? params : undefined);
  return reader.getRowsJson() as unknown[][];
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  // Fixtures in DuckDB's own SQL: a list column with the cases that tell the engines apart, and JSON texts.
  await db.run(`CREATE TABLE lists AS SELECT * FROM (VALUES
    (1, ['a', 'b']), (2, []::VARCHAR[]), (3, NULL::VARCHAR[]), (4, ['a', NULL])) v(id, list)`);
  await db.run(`CREATE TABLE docs AS SELECT * FROM (VALUES
    (1, '{"name":"ci","n":1,"b":true,"o":{"x":1},"l":[1,2],"z":null}'), (2, 'not json'), (3, NULL)) v(id, doc)`);
  await db.run(`CREATE TABLE events AS SELECT * FROM (VALUES
    ('2026-03-10', 'g1', 'b', {'geo': {'country_iso_code': 'NL'}}, {'end': TIMESTAMP '2026-03-10 09:00:00'}),
    ('2026-03-10', 'g1', 'a', {'geo': {'country_iso_code': 'US'}}, {'end': NULL}),
    ('2026-03-11', 'g2', NULL, {'geo': {'country_iso_code': NULL}}, {'end': NULL}),
    ('2026-03-12', 'g2', 'c', {'geo': {'country_iso_code': 'FR'}}, {'end': NULL})
  ) v(dt, grp, name, source, event)`);
});

afterAll(() => {
  db.closeSync();
  instance.closeSync();
});

describe('toDuckDb rules', () => {
  it('spells cardinality(array) as len(array), which counts NULL elements as Trino does', async () => {
    expect(toDuckDb('SELECT cardinality(list) FROM lists')).toBe('SELECT len(list) FROM lists');
    expect(await athena('SELECT id, cardinality(list) FROM lists ORDER BY id')).toEqual([
      [1, '2'],
      [2, '0'],
      [3, null],
      [4, '2'],
    ]);
  });

  it('spells array_join(array, sep) as array_to_string, both leaving NULL elements out', async () => {
    expect(toDuckDb("array_join(list, ', ')")).toBe("array_to_string(list, ', ')");
    expect(await athena("SELECT id, array_join(list, ',') FROM lists ORDER BY id")).toEqual([
      [1, 'a,b'],
      [2, ''],
      [3, null],
      [4, 'a'],
    ]);
  });

  it('gives json_extract_scalar NULL for objects, lists, JSON null and text that is not JSON, as Trino does', async () => {
    expect(toDuckDb("json_extract_scalar(doc, '$.name')")).toBe(
      "CASE WHEN try(json_type(doc, '$.name')) IN ('ARRAY', 'OBJECT') THEN NULL " +
        "ELSE try(json_extract_string(doc, '$.name')) END",
    );
    const paths = ['$.name', '$.n', '$.b', '$.o', '$.l', '$.z', '$.missing', '$.o.x', '$.l[1]'];
    const select = paths.map((p) => `json_extract_scalar(doc, '${p}')`).join(', ');
    expect(await athena(`SELECT id, ${select} FROM docs ORDER BY id`)).toEqual([
      [1, 'ci', '1', 'true', null, null, null, null, '1', '2'],
      [2, null, null, null, null, null, null, null, null, null],
      [3, null, null, null, null, null, null, null, null, null],
    ]);
  });

  it('refuses json_extract_scalar paths beyond $.member and [n]', () => {
    expect(() => toDuckDb(`json_extract_scalar(doc, '$["a b"]')`)).toThrow(AthenaDialectError);
    expect(() => toDuckDb('json_extract_scalar(doc, path)')).toThrow(/literal path/);
  });

  it('spells regexp_like as regexp_matches: a match anywhere, case-sensitive, NULL in NULL out', async () => {
    expect(toDuckDb("regexp_like(lower(x), 'token|api_?key')")).toBe(
      "regexp_matches(lower(x), 'token|api_?key')",
    );
    expect(
      await athena(
        "SELECT regexp_like('api_key_view', 'token|api_?key'), regexp_like('TOKEN', 'token'), " +
          "regexp_like('abc', '^b'), regexp_like(NULL, 'a')",
      ),
    ).toEqual([[true, false, false, null]]);
  });

  it('refuses regex syntax RE2 lacks (lookaround, backreferences, possessive) and patterns that are not literals', () => {
    for (const pattern of ['(?=a)b', '(?<!a)b', '(a)\\1', 'a*+', '(?>a)']) {
      expect(() => toDuckDb(`regexp_like(x, '${pattern}')`)).toThrow(/Java regex/);
    }
    expect(() => toDuckDb('regexp_like(x, y)')).toThrow(/literal pattern/);
  });

  it("gives date_diff Trino's whole units elapsed through date_sub, where DuckDB's date_diff counts boundaries", async () => {
    expect(toDuckDb("date_diff('minute', a.ts, b.ts)")).toBe("date_sub('minute', a.ts, b.ts)");
    const ts = (t: string) => `TIMESTAMP '2026-03-10 ${t}'`;
    expect(
      await athena(
        `SELECT date_diff('minute', ${ts('10:00:59')}, ${ts('10:01:00')}), ` +
          `date_diff('minute', ${ts('09:00:00')}, ${ts('09:40:00')}), ` +
          `date_diff('minute', ${ts('10:40:00')}, ${ts('10:00:00')}), ` +
          `date_diff('hour', ${ts('10:30:00')}, ${ts('11:29:59')}), ` +
          `date_diff('day', ${ts('23:50:00')}, TIMESTAMP '2026-03-11 00:20:00')`,
      ),
    ).toEqual([['0', '40', '-40', '0', '0']]);
    // What the untranslated call would have said: one minute (a boundary crossed), not zero.
    const raw = await db.runAndReadAll(`SELECT date_diff('minute', ${ts('10:00:59')}, ${ts('10:01:00')})`);
    expect(raw.getRowsJson()).toEqual([['1']]);
  });

  it('refuses date_diff in units of unequal length (month, year) and units that are not literals', () => {
    expect(() => toDuckDb("date_diff('month', a, b)")).toThrow(/millisecond, second, minute, hour, day/);
    expect(() => toDuckDb('date_diff(unit, a, b)')).toThrow(AthenaDialectError);
  });

  it('gives contains(array, x) NULL when x is absent from a list holding a NULL, as Trino does', async () => {
    expect(
      await athena("SELECT id, contains(list, 'a'), contains(list, 'c') FROM lists ORDER BY id"),
    ).toEqual([
      [1, true, false],
      [2, false, false],
      [3, null, null],
      [4, true, null],
    ]);
    expect(await athena("SELECT contains(ARRAY['a'], NULL)")).toEqual([[null]]);
    // The difference shows under NOT: Trino keeps neither the NULL list nor the list holding a NULL.
    expect(await athena("SELECT id FROM lists WHERE NOT contains(list, 'c') ORDER BY id")).toEqual([
      [1],
      [2],
    ]);
  });

  it('checks the number of arguments of the functions it rewrites', () => {
    expect(() => toDuckDb("array_join(list, ',', 'null')")).toThrow(/2 arguments, not 3/);
    expect(() => toDuckDb('cardinality()')).toThrow(/1 arguments, not 0/);
  });

  it('translates calls nested in the arguments of calls', () => {
    expect(toDuckDb("array_join(array_sort(array_agg(DISTINCT x)), ', ')")).toBe(
      "array_to_string(array_sort(array_agg(DISTINCT x)), ', ')",
    );
    expect(toDuckDb('coalesce(cardinality(a), cardinality(b))')).toBe('coalesce(len(a), len(b))');
  });
});

describe('toDuckDb pass-through', () => {
  it('leaves strings, quoted names and comments alone', () => {
    const sql = `SELECT 'cardinality(x) / 2' AS "a/b" -- element_at(m, 'k') / 3\n/* concat() */ FROM t`;
    expect(toDuckDb(sql)).toBe(sql);
  });

  it('reads alike: count(DISTINCT), array_sort(array_agg(DISTINCT)) with NULLs last, min, max, coalesce, lower', async () => {
    expect(
      await athena(
        'SELECT count(DISTINCT name), array_sort(array_agg(DISTINCT name)), min(name), max(name), ' +
          "coalesce(min(name), 'none'), lower(max(grp)) FROM events",
      ),
    ).toEqual([['3', ['a', 'b', 'c', null], 'a', 'c', 'a', 'g2']]);
  });

  it('reads alike: date_trunc, INTERVAL arithmetic, CAST, CASE, LIKE', async () => {
    expect(
      await athena(
        "SELECT date_trunc('hour', TIMESTAMP '2026-03-10 12:34:56.789'), " +
          "TIMESTAMP '2026-03-10 23:50:00' + INTERVAL '1' HOUR, CAST(42 AS varchar), " +
          "CASE WHEN 'blockedByCategory' LIKE 'blocked%' THEN 'yes' ELSE 'no' END",
      ),
    ).toEqual([['2026-03-10 12:00:00', '2026-03-11 00:50:00', '42', 'yes']]);
  });

  it('reads alike: CROSS JOIN UNNEST(…) AS t (c) over a CASE, ARRAY[…], and an empty list giving no row', async () => {
    expect(
      await athena(`SELECT id, c.item FROM lists
CROSS JOIN UNNEST(CASE WHEN cardinality(list) > 0 THEN list ELSE ARRAY['(none)'] END) AS c (item)
ORDER BY id, c.item`),
    ).toEqual([
      [1, 'a'],
      [1, 'b'],
      [2, '(none)'],
      [3, '(none)'],
      [4, 'a'],
      [4, null],
    ]);
  });

  it('reads alike: struct members, a quoted reserved member, window sums of aggregates, ? bound in order', async () => {
    expect(
      await athena(
        `SELECT grp, source.geo.country_iso_code AS country, count(*) AS n, event."end" AS ended,
  sum(count(*)) OVER (PARTITION BY grp) AS group_n
FROM events
WHERE dt BETWEEN ? AND ?
GROUP BY grp, source.geo.country_iso_code, event."end"
ORDER BY grp, country`,
        ['2026-03-10', '2026-03-11'],
      ),
    ).toEqual([
      ['g1', 'NL', '1', '2026-03-10 09:00:00', '2'],
      ['g1', 'US', '1', null, '2'],
      ['g2', null, '1', null, '1'],
    ]);
  });

  it('lets an aggregate FILTER (WHERE …) clause through as a clause, not a call', () => {
    expect(toDuckDb('count(*) FILTER (WHERE x > 1)')).toBe('count(*) FILTER (WHERE x > 1)');
  });
});

describe('toDuckDb refusals', () => {
  it('refuses functions it neither translates nor knows to mean the same in both engines', () => {
    for (const call of [
      "element_at(m, 'k')",
      "concat('a', NULL)",
      'approx_distinct(x)',
      'filter(list, x -> x IS NOT NULL)',
      "date_format(ts, '%Y')",
      '"element_at"(m, 1)',
    ]) {
      expect(() => toDuckDb(`SELECT ${call} FROM t`)).toThrow(/no DuckDB translation/);
    }
  });

  it('refuses division, which truncates integers in Athena only', () => {
    expect(() => toDuckDb('SELECT 5 / 2')).toThrow(/divides integers/);
  });

  it('refuses backticks, unterminated text and unbalanced parentheses', () => {
    expect(() => toDuckDb('SELECT `x` FROM t')).toThrow(/backticks/);
    expect(() => toDuckDb("SELECT 'open")).toThrow(/unterminated string/);
    expect(() => toDuckDb('SELECT "open')).toThrow(/unterminated quoted identifier/);
    expect(() => toDuckDb('SELECT 1 /* open')).toThrow(/unterminated comment/);
    expect(() => toDuckDb('SELECT count(x')).toThrow(/unbalanced/);
  });

  it('says on which line the refused SQL is', () => {
    expect(() => toDuckDb('SELECT\n  x,\n  least(a, b)\nFROM t')).toThrow(/^line 3: least\(\)/);
  });
});

describe('countPlaceholders', () => {
  it('counts ? outside strings, quoted names and comments', () => {
    expect(countPlaceholders(`SELECT '?', "?" FROM t WHERE a = ? -- ?\n AND b BETWEEN ? AND ? /* ? */`)).toBe(
      3,
    );
  });
});

describe('the saved queries', () => {
  it.each(SAVED_QUERIES.map((q) => [q.id, q.sql] as const))('%s translates', (_id, sql) => {
    expect(() => toDuckDb(sql)).not.toThrow();
  });
});
