/**
 * The local lake in the format the deployed one has, read with DuckDB (an embedded engine, never bundled into a
 * Lambda: only scripts and tests import this file):
 *
 * - {@link convertLakeToParquet} does what Firehose's record format conversion does to the files the local
 *   pipeline wrote: each `ecs/dataset=…/dt=…/*.json.gz` becomes Parquet (GZIP, as Firehose writes it) with the Glue table's schema.
 * - {@link openLocalLake} opens the lake under the Glue table names (`ecs`, `quarantine`, `raw_<dataset>`) and
 *   runs Athena SQL on it, translated by `toDuckDb`.
 */
import { createReadStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import {
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBValueConverter,
  type Json,
  JsonDuckDBValueConverter,
  objectArrayFromMapValue,
} from '@duckdb/node-api';
import {
  duckdbType,
  LAKE_DATASETS,
  LAKE_JSON_KEY_MAPPINGS,
  LAKE_PARQUET_COMPRESSION,
  LAKE_SCHEMA,
  LAKE_TABLES,
  type LakeColumn,
  type LakeSchema,
  type LakeType,
  QUARANTINE_COLUMNS,
  rawTableColumns,
} from '../lambdas/lake/schema.ts';
import { DEFAULT_LOGPUSH_PREFIX, DEFAULT_QUARANTINE_PREFIX, LAKE_ECS_PREFIX } from '../lambdas/settings.ts';
import { toDuckDb } from './athena-dialect.ts';

/** A lake file that could not be converted to Parquet; `cause` holds DuckDB's error when it was DuckDB's. */
export class LakeConversionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LakeConversionError';
  }
}

/** One lake file converted to Parquet. */
export interface ConvertedFile {
  /** The gzip NDJSON file the pipeline wrote (removed), relative to the lake folder. */
  readonly json: string;
  /** The Parquet file that replaced it, relative to the lake folder. */
  readonly parquet: string;
  readonly rows: number;
  readonly jsonBytes: number;
  readonly parquetBytes: number;
}

/** `text` as a SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `name` as a quoted SQL identifier. */
export function sqlName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** DuckDB's `read_json(columns=…)` struct: JSON key → DuckDB type. */
function columnsArgument(columns: readonly { key: string; type: LakeType }[]): string {
  return `{${columns.map((c) => `${sqlString(c.key)}: ${sqlString(duckdbType(c.type))}`).join(', ')}}`;
}

/** The JSON key of a lake column (`ts` is written as `@timestamp`). */
function jsonKeyOf(column: string): string {
  return LAKE_JSON_KEY_MAPPINGS[column] ?? column;
}

const structMembers = new WeakMap<LakeType, Map<string, LakeType>>();

function membersOf(type: LakeType & { kind: 'struct' }): Map<string, LakeType> {
  let members = structMembers.get(type);
  if (!members) {
    members = new Map(type.fields.map((f) => [f.name, f.type]));
    structMembers.set(type, members);
  }
  return members;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Where `value` does not fit `type` in a way DuckDB (like the OpenX SerDe behind Firehose) would not report: a
 * key the struct does not declare (dropped without a word), or an object or list where the column holds one
 * value (stored as JSON text). Type errors of scalars (text in a number column) DuckDB reports itself.
 */
function misfits(value: unknown, type: LakeType, path: string, out: string[]): void {
  if (value === null || value === undefined || out.length >= 5) return;
  switch (type.kind) {
    case 'struct': {
      if (!isObject(value)) {
        out.push(`"${path}" is ${JSON.stringify(value)}, not an object`);
        return;
      }
      const members = membersOf(type);
      for (const [key, member] of Object.entries(value)) {
        const memberType = members.get(key);
        if (memberType === undefined) out.push(`"${path}.${key}" is not a column of the schema`);
        else misfits(member, memberType, `${path}.${key}`, out);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) out.push(`"${path}" is ${JSON.stringify(value)}, not a list`);
      else for (const item of value) misfits(item, type.element, `${path}[]`, out);
      return;
    case 'map':
      if (!isObject(value)) out.push(`"${path}" is ${JSON.stringify(value)}, not an object`);
      else {
        for (const [key, item] of Object.entries(value)) {
          if (typeof item === 'object' && item !== null) out.push(`"${path}.${key}" is not text`);
        }
      }
      return;
    default:
      if (typeof value === 'object') out.push(`"${path}" is ${JSON.stringify(value)}, not one value`);
  }
}

/** The problems of one lake row against the schema (empty when it fits). */
export function lakeRowMisfits(row: unknown, schema: LakeSchema = LAKE_SCHEMA): string[] {
  const out: string[] = [];
  if (!isObject(row)) return ['the line is not a JSON object'];
  const byKey = new Map(schema.columns.map((c) => [jsonKeyOf(c.name), c]));
  for (const [key, value] of Object.entries(row)) {
    const column = byKey.get(key);
    if (column === undefined) out.push(`"${key}" is not a column of the schema`);
    else misfits(value, column.type, key, out);
  }
  return out;
}

function leaves(type: LakeType): number {
  if (type.kind === 'struct') return type.fields.reduce((n, f) => n + leaves(f.type), 0);
  return type.kind === 'map' ? 2 : 1;
}

/** How many Parquet leaf columns (column chunks per row group) the schema's rows have. */
export function parquetLeafCount(schema: LakeSchema = LAKE_SCHEMA): number {
  return schema.columns.reduce((n, c) => n + leaves(c.type), 0);
}

/** Checks every line of a gzip NDJSON lake file against the schema. @returns the number of rows. */
async function checkLakeFile(path: string, schema: LakeSchema): Promise<number> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  let rows = 0;
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line === '') continue;
    rows++;
    let problems: string[];
    try {
      problems = lakeRowMisfits(JSON.parse(line), schema);
    } catch (error) {
      problems = [`invalid JSON (${(error as Error).message})`];
    }
    if (problems.length > 0) {
      lines.close();
      throw new LakeConversionError(`${path}: line ${number}: ${problems.join('; ')}`);
    }
  }
  return rows;
}

/** Files below `dir` whose path relative to it matches `pattern` (`/` separators), sorted. */
async function filesMatching(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    },
  );
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .filter((path) => pattern.test(path))
    .sort();
}

const LAKE_JSON_FILE = new RegExp(`^${LAKE_ECS_PREFIX}/dataset=[^/]+/dt=[^/]+/[^/]+\\.json\\.gz$`);

/**
 * Converts the lake's event files to Parquet as Firehose's record format conversion would: every
 * `ecs/dataset=*\/dt=*\/*.json.gz` becomes `<same name>.parquet` beside it (the JSON file removed), with the
 * columns of `schema` (the Glue table's) in table order, `ts` read from `@timestamp` like the SerDe's key
 * mapping, the lake's Parquet compression (LAKE_PARQUET_COMPRESSION).
 *
 * DuckDB's `read_json` with `columns` ignores keys it was not given (as does the OpenX SerDe), and no option
 * makes it object, so each row is first checked against the schema: an undeclared key, or an object where a
 * column holds one value, fails the conversion instead of vanishing. `toLakeRow` keeps rows from having either.
 *
 * @throws {LakeConversionError} naming the file, line and key, or wrapping DuckDB's error (a value of the wrong
 *   type, a time it cannot parse).
 */
export async function convertLakeToParquet(
  lakeDir: string,
  schema: LakeSchema = LAKE_SCHEMA,
): Promise<ConvertedFile[]> {
  const files = await filesMatching(lakeDir, LAKE_JSON_FILE);
  if (files.length === 0) return [];
  const columns = columnsArgument(schema.columns.map((c) => ({ key: jsonKeyOf(c.name), type: c.type })));
  const select = schema.columns
    .map((c) =>
      jsonKeyOf(c.name) === c.name ? sqlName(c.name) : `${sqlName(jsonKeyOf(c.name))} AS ${sqlName(c.name)}`,
    )
    .join(', ');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const converted: ConvertedFile[] = [];
  try {
    for (const json of files) {
      const source = join(lakeDir, json);
      const parquet = json.replace(/\.json\.gz$/, '.parquet');
      const target = join(lakeDir, parquet);
      const rows = await checkLakeFile(source, schema);
      const jsonBytes = (await stat(source)).size;
      // Threads pay off on big files only: for a small one, writing hundreds of column chunks in parallel costs more.
      await connection.run(jsonBytes < 4 * 1024 * 1024 ? 'SET threads = 1' : 'RESET threads');
      try {
        await connection.run(
          `COPY (SELECT ${select} FROM read_json(${sqlString(source)}, format = 'newline_delimited', ` +
            `records = true, columns = ${columns})) TO ${sqlString(target)} (FORMAT PARQUET, COMPRESSION ${LAKE_PARQUET_COMPRESSION})`,
        );
      } catch (error) {
        await rm(target, { force: true });
        throw new LakeConversionError(`${source}: ${(error as Error).message}`, { cause: error });
      }
      const parquetBytes = (await stat(target)).size;
      await rm(source);
      converted.push({ json, parquet, rows, jsonBytes, parquetBytes });
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return converted;
}

/** A value bound to a `?` of a query. */
export type QueryValue = string | number | boolean | null;

/**
 * The value of an Athena literal as a saved query's parameter example writes it (`'2026-01-01'`, `50`, `0.5`,
 * `true`, `NULL`). `DATE '…'` and `TIMESTAMP '…'` give their text, which DuckDB casts where a date or time is
 * compared.
 */
export function parseAthenaLiteral(literal: string): QueryValue {
  const text = literal.trim();
  const quoted = /^(?:(?:DATE|TIMESTAMP)\s+)?'((?:[^']|'')*)'$/i.exec(text);
  if (quoted) return quoted[1]!.replaceAll("''", "'");
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n))
      throw new Error(`Athena literal ${literal}: integer too large to bind exactly`);
    return n;
  }
  if (/^-?(?:\d+\.\d*|\.\d+)(?:e[-+]?\d+)?$/i.test(text)) return Number(text);
  if (/^(?:true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^null$/i.test(text)) return null;
  throw new Error(`not an Athena literal this runner understands: ${literal}`);
}

/** What a query returned: column names and rows, values as JSON (BIGINT as a number when it is exact). */
export interface QueryResult {
  readonly columns: string[];
  readonly rows: unknown[][];
}

/** Where the local lake and bucket are. */
export interface LocalLakeOptions {
  /** The lake folder (`ecs/`, `quarantine/` below it). */
  readonly lake: string;
  /** The folder standing in for the Logpush bucket. */
  readonly bucket: string;
  /** @default DEFAULT_LOGPUSH_PREFIX */
  readonly logpushPrefix?: string;
  /** @default DEFAULT_QUARANTINE_PREFIX */
  readonly quarantinePrefix?: string;
  /** Athena SQL → DuckDB SQL. @default toDuckDb */
  readonly translate?: (athenaSql: string) => string;
}

/** The local lake opened in DuckDB, with a view for each Glue table. */
export interface LocalLake {
  /** Where the lake, bucket and prefixes are (defaults filled in). */
  readonly options: Required<LocalLakeOptions>;
  /** Runs Athena SQL (translated to DuckDB's dialect) with `params` bound to its `?` in order. */
  query(athenaSql: string, params?: readonly QueryValue[]): Promise<QueryResult>;
  /** Runs DuckDB SQL as it is (local checks: `parquet_metadata`, `EXPLAIN`). */
  duckdb(sql: string, params?: readonly QueryValue[]): Promise<QueryResult>;
  close(): void;
}

/**
 * Values as JSON (times as DuckDB writes them, `2026-11-20 10:15:01.234567`), except that integers are numbers
 * when exact, so results read and compare as plain values, and maps are objects.
 */
const toJsonValue: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT: {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : String(value);
    }
    case DuckDBTypeId.MAP:
      return Object.fromEntries(
        objectArrayFromMapValue(value, type, converter).map((e) => [String(e.key), e.value]),
      );
    default:
      return JsonDuckDBValueConverter(value, type, converter);
  }
};

async function run(
  connection: DuckDBConnection,
  sql: string,
  params: readonly QueryValue[] = [],
): Promise<QueryResult> {
  const reader = await connection.runAndReadAll(sql, params.length > 0 ? [...params] : undefined);
  return { columns: reader.columnNames(), rows: reader.convertRows(toJsonValue) };
}

/** A view with `columns` and no rows, for a table whose folder holds no file yet (Athena reads it as empty). */
function emptySelect(columns: readonly LakeColumn[]): string {
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS ${sqlName(c.name)}`).join(', ')} WHERE false`;
}

const STRING: LakeType = { kind: 'string' };

/**
 * The raw table of one dataset, as the OpenX SerDe reads it: keys matched to the lower-case columns whatever
 * their case (`case.insensitive`), a line that is not JSON read as a row of NULLs (`ignore.malformed.json`),
 * and the `scope_id` and `day` partition columns from the object's folders.
 */
function rawSelect(glob: string, columns: readonly LakeColumn[]): string {
  const structure = JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, duckdbType(c.type)])));
  const lowered =
    'to_json(map_from_entries(list_transform(json_keys(json), ' +
    'k -> struct_pack(k := lower(k), v := json_extract(json, k)))))';
  return (
    `SELECT ${columns.map((c) => `r.${sqlName(c.name)} AS ${sqlName(c.name)}`).join(', ')}, ` +
    `string_split(filename, '/')[-3] AS scope_id, string_split(filename, '/')[-2] AS day ` +
    `FROM (SELECT json_transform(${lowered}, ${sqlString(structure)}) AS r, filename ` +
    `FROM read_json_objects(${sqlString(glob)}, format = 'newline_delimited', ignore_errors = true, ` +
    `filename = true))`
  );
}

/**
 * Opens the local lake in an in-memory DuckDB with one view per Glue table ({@link LAKE_TABLES}):
 * `ecs` over the Parquet files with `dataset` and `dt` as text partition columns (Athena's partition keys),
 * `quarantine` over the quarantine files with `dt`, and `raw_<dataset>` over the Logpush objects with `scope_id`
 * and `day`. A table with no file yet is an empty view with the same columns.
 */
export async function openLocalLake(options: LocalLakeOptions): Promise<LocalLake> {
  const logpushPrefix = options.logpushPrefix ?? DEFAULT_LOGPUSH_PREFIX;
  const quarantinePrefix = options.quarantinePrefix ?? DEFAULT_QUARANTINE_PREFIX;
  const translate = options.translate ?? toDuckDb;
  const parquet = await filesMatching(
    options.lake,
    new RegExp(`^${LAKE_ECS_PREFIX}/dataset=[^/]+/dt=[^/]+/[^/]+\\.parquet$`),
  );
  let parquetBytes = 0;
  for (const file of parquet) parquetBytes += (await stat(join(options.lake, file))).size;
  // Scanning hundreds of column chunks per file costs more in parallel than it saves, until files are big.
  const instance = await DuckDBInstance.create(':memory:', {
    ...(parquetBytes < 64 * 1024 * 1024 ? { threads: '1' } : {}),
  });
  const connection = await instance.connect();
  const view = (name: string, select: string) => connection.run(`CREATE VIEW ${sqlName(name)} AS ${select}`);
  try {
    const ecsColumns = [...LAKE_SCHEMA.columns, ...LAKE_SCHEMA.partitionKeys];
    await view(
      LAKE_TABLES.ecs,
      parquet.length === 0
        ? emptySelect(ecsColumns)
        : `SELECT * FROM read_parquet(${sqlString(join(options.lake, LAKE_ECS_PREFIX, '*', '*', '*.parquet'))}, ` +
            `hive_partitioning = true, hive_types = {'dataset': 'VARCHAR', 'dt': 'VARCHAR'})`,
    );

    const quarantine = await filesMatching(
      join(options.lake, quarantinePrefix),
      /^dt=[^/]+\/[^/]+\.json\.gz$/,
    );
    const quarantineColumns = [...QUARANTINE_COLUMNS, { name: 'dt', type: STRING }];
    await view(
      LAKE_TABLES.quarantine,
      quarantine.length === 0
        ? emptySelect(quarantineColumns)
        : `SELECT ${quarantineColumns.map((c) => sqlName(c.name)).join(', ')} FROM read_json(` +
            `${sqlString(join(options.lake, quarantinePrefix, '*', '*.json.gz'))}, format = 'newline_delimited', ` +
            `records = true, columns = ${columnsArgument(QUARANTINE_COLUMNS.map((c) => ({ key: c.name, type: c.type })))}, ` +
            `hive_partitioning = true, hive_types = {'dt': 'VARCHAR'})`,
    );

    for (const dataset of LAKE_DATASETS) {
      const columns = rawTableColumns(dataset);
      const folder = join(options.bucket, logpushPrefix, dataset);
      const objects = await filesMatching(folder, /^[^/]+\/[^/]+\/[^/]+\.log\.gz$/);
      await view(
        LAKE_TABLES.raw(dataset),
        objects.length === 0
          ? emptySelect([...columns, { name: 'scope_id', type: STRING }, { name: 'day', type: STRING }])
          : rawSelect(join(folder, '*', '*', '*.log.gz'), columns),
      );
    }
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return {
    options: { ...options, logpushPrefix, quarantinePrefix, translate },
    query: (athenaSql, params) => run(connection, translate(athenaSql), params),
    duckdb: (sql, params) => run(connection, sql, params),
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
