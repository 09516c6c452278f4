/**
 * An ECS event as the lake stores it: the shape of the Glue table (see `schema.ts`), so Firehose's Parquet
 * conversion can neither drop a field nor reject the record over a type. The ECS part is already in catalogue
 * types (the engine and its tests see to that); only the vendor fields need work:
 *
 * - a vendor field that is a column, with a value of the column's type, goes into `cloudflare` under its
 *   lower-case name;
 * - every other vendor field (one Cloudflare added after the tables were written, a value of an unexpected type)
 *   goes into `cloudflare_other` under its lower-case name, as text (JSON for objects and lists).
 *
 * `@timestamp` stays as it is: the SerDe maps it to the `ts` column.
 */
import type { EcsEvent } from '../core/ecs.ts';
import { LAKE_SCHEMA, type LakeSchema, type LakeType, VENDOR_COLUMN, VENDOR_OTHER_COLUMN } from './schema.ts';

/** Converts ECS events to lake rows with one schema; caches the column of each vendor name it meets. */
export class LakeRowShaper {
  private readonly schema: LakeSchema;
  private readonly columns = new Map<string, { readonly name: string; readonly type: LakeType } | null>();

  constructor(schema: LakeSchema = LAKE_SCHEMA) {
    this.schema = schema;
  }

  /** The lake row of `event` (a shallow copy; `event` is not changed). */
  shape(event: EcsEvent): EcsEvent {
    const vendor = event[VENDOR_COLUMN];
    if (vendor === undefined) return event;
    // Copied key by key rather than spread-then-delete: `delete` would turn the row into a slow dictionary
    // object, for this walk and for JSON.stringify after it.
    const row: EcsEvent = {};
    for (const key in event) if (key !== VENDOR_COLUMN) row[key] = event[key];
    const columns: EcsEvent = {};
    let other: Record<string, string> | undefined;
    let hasColumns = false;
    const fields = vendor as EcsEvent;
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined || value === null) continue;
      const column = this.columnOf(key);
      const fitted = column && !(column.name in columns) ? fitToColumn(value, column.type) : undefined;
      if (column && fitted !== undefined) {
        columns[column.name] = fitted;
        hasColumns = true;
      } else {
        other ??= {};
        // Lower case, as the OpenX SerDe matches keys (case-insensitive), so Athena and the local lake agree;
        // a second spelling of one name gets a suffix instead of replacing the first.
        let name = key.toLowerCase();
        for (let n = 2; name in other; n++) name = `${key.toLowerCase()}~${n}`;
        other[name] = typeof value === 'string' ? value : JSON.stringify(value);
      }
    }
    // Objects filled key by key beyond a dozen properties become dictionaries in V8, which JSON.stringify
    // serialises at half speed (the whole row, not just them); a spread copy is a fast object again.
    if (hasColumns) row[VENDOR_COLUMN] = { ...columns };
    if (other) row[VENDOR_OTHER_COLUMN] = { ...other };
    return row;
  }

  private columnOf(key: string): { readonly name: string; readonly type: LakeType } | null {
    let column = this.columns.get(key);
    if (column === undefined) {
      column = this.schema.vendor.get(key.toLowerCase()) ?? null;
      // Names come from records: a flood of new ones must not grow the cache without bound.
      if (this.columns.size >= 10_000) this.columns.clear();
      this.columns.set(key, column);
    }
    return column;
  }
}

/** `value` in the column's type, or undefined when it cannot be stored there without loss. */
export function fitToColumn(value: unknown, type: LakeType): unknown {
  switch (type.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return JSON.stringify(value);
    case 'bigint':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'array': {
      if (!Array.isArray(value)) return undefined;
      const out: unknown[] = [];
      for (const item of value) {
        const f = item === null ? null : fitToColumn(item, type.element);
        if (f === undefined) return undefined;
        out.push(f);
      }
      return out;
    }
    default:
      // Vendor columns are scalars, string or number lists (vendorLakeType); nothing else reaches here.
      return undefined;
  }
}

const defaultShaper = new LakeRowShaper();

/** The lake row of `event` with the registered mappers' schema. */
export function toLakeRow(event: EcsEvent): EcsEvent {
  return defaultShaper.shape(event);
}
