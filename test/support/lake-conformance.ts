/**
 * Checks that hold the lake's Glue schema and the mappers together: an event's ECS fields are ones its mapper
 * declares (so the schema, built from the declarations, has a column for each), and its lake row fits the table
 * exactly (every key a column or struct member, every value of the column's type), as Firehose's Parquet conversion
 * needs it: a key the schema does not declare is dropped there, a value of another type fails the record.
 */
import type { EcsEvent } from '../../lambdas/core/ecs.ts';
import { ECS_FIELDS } from '../../lambdas/core/ecs-fields.ts';
import type { DatasetMapper } from '../../lambdas/datasets/mapper.ts';
import { LakeRowShaper, toLakeRow } from '../../lambdas/lake/row.ts';
import {
  emittableEcsFields,
  LAKE_JSON_KEY_MAPPINGS,
  LAKE_SCHEMA,
  type LakeColumn,
  type LakeSchema,
  type LakeType,
  VENDOR_COLUMN,
  VENDOR_OTHER_COLUMN,
} from '../../lambdas/lake/schema.ts';

/** ISO-8601 in UTC as the mappers write times: `2026-01-01T00:00:00Z`, up to nanoseconds. */
const UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/**
 * The ECS leaf paths of an event, dotted: a catalogue field is a leaf even when it holds an object
 * (`source.geo.location`, `dns.answers`); `cloudflare.*` and `cloudflare_other` are left out. A path outside the
 * catalogue is returned as far as the event goes, so the caller sees it.
 */
export function ecsLeafPaths(event: EcsEvent): string[] {
  const out: string[] = [];
  const walk = (node: EcsEvent, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      if (prefix === '' && (key === VENDOR_COLUMN || key === VENDOR_OTHER_COLUMN)) continue;
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (ECS_FIELDS[path] === undefined && isPlainObject(value)) walk(value, path);
      else out.push(path);
    }
  };
  walk(event, '');
  return out;
}

/**
 * What is wrong with a lake row (the JSON Firehose receives) against the table's columns, one message per problem
 * (`dns.answers[0].type: expected string, got number 1`); empty when the row conforms. Top-level JSON keys are
 * column names except where {@link LAKE_JSON_KEY_MAPPINGS} maps them (`@timestamp` is column `ts`).
 */
export function lakeRowProblems(
  row: Readonly<Record<string, unknown>>,
  columns: readonly LakeColumn[] = LAKE_SCHEMA.columns,
): string[] {
  const byJsonKey = new Map<string, LakeColumn>();
  for (const column of columns) byJsonKey.set(LAKE_JSON_KEY_MAPPINGS[column.name] ?? column.name, column);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(row)) {
    const column = byJsonKey.get(key);
    if (column === undefined) problems.push(`${key}: not a column`);
    else problems.push(...valueProblems(value, column.type, key));
  }
  return problems;
}

/**
 * What is wrong with one event a mapper emitted: ECS fields the mapper does not declare (not in
 * `emittableEcsFields`), then the problems of its lake row against `schema` (`toLakeRow`'s row for the registered
 * schema, the pipeline's own).
 */
export function eventProblems(
  mapper: DatasetMapper,
  event: EcsEvent,
  schema: LakeSchema = LAKE_SCHEMA,
): string[] {
  const declared = emittableEcsFields(mapper);
  // Checked as delivered, in JSON: members whose value is undefined (absent slots of a layout) are not there.
  const problems = ecsLeafPaths(asJson(event))
    .filter((path) => !declared.has(path))
    .map((path) => `${path}: not declared by ${mapper.dataset}`);
  const row = schema === LAKE_SCHEMA ? toLakeRow(event) : new LakeRowShaper(schema).shape(event);
  return [...problems, ...lakeRowProblems(asJson(row), schema.columns)];
}

function asJson(event: EcsEvent): EcsEvent {
  return JSON.parse(JSON.stringify(event)) as EcsEvent;
}

function valueProblems(value: unknown, type: LakeType, path: string): string[] {
  const wrong = () => [`${path}: expected ${type.kind}, got ${describe(value)}`];
  if (value === null || value === undefined) return wrong();
  switch (type.kind) {
    case 'string':
      return typeof value === 'string' ? [] : wrong();
    case 'bigint':
      return typeof value === 'number' && Number.isSafeInteger(value) ? [] : wrong();
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? [] : wrong();
    case 'boolean':
      return typeof value === 'boolean' ? [] : wrong();
    case 'timestamp':
      return typeof value === 'string' && UTC_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))
        ? []
        : wrong();
    case 'array':
      if (!Array.isArray(value)) return wrong();
      return value.flatMap((item, i) => valueProblems(item, type.element, `${path}[${i}]`));
    case 'map':
      if (!isPlainObject(value)) return wrong();
      return Object.entries(value)
        .filter(([, v]) => typeof v !== 'string')
        .map(([k, v]) => `${path}.${k}: expected string (map value), got ${describe(v)}`);
    case 'struct': {
      if (!isPlainObject(value)) return wrong();
      const members = new Map(type.fields.map((f) => [f.name, f.type]));
      return Object.entries(value).flatMap(([k, v]) => {
        const member = members.get(k);
        return member === undefined
          ? [`${path}.${k}: not a column`]
          : valueProblems(v, member, `${path}.${k}`);
      });
    }
  }
}

function isPlainObject(value: unknown): value is EcsEvent {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const text = JSON.stringify(value) ?? String(value);
  return `${type} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}
