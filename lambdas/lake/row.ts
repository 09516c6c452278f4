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
import { type ObjectFactory, objectFactory } from '../core/object-layout.ts';
import type { DatasetName } from '../datasets/catalog.ts';
import { MAPPERS } from '../datasets/index.ts';
import { LAKE_SCHEMA, type LakeSchema, type LakeType, VENDOR_COLUMN, VENDOR_OTHER_COLUMN } from './schema.ts';

type Column = { readonly name: string; readonly type: LakeType };

/**
 * How the vendor fields of one dataset's events become columns: for each key of the mapper's vendor layout, in
 * order, its column (an index into the column layout) or -1. Built once per dataset; an event's vendor object
 * walks it in step, so the common row costs no lookup and no keyed store.
 */
interface VendorPlan {
  readonly keys: readonly string[];
  readonly column: Int32Array;
  readonly types: readonly LakeType[];
  readonly columnIndex: ReadonlyMap<string, number>;
  readonly names: readonly string[];
  readonly make: ObjectFactory;
  readonly slots: unknown[];
  /** The columns one event filled, in the order it filled them (the first `used` entries). */
  readonly filled: Int32Array;
  /** Factories of objects with just the filled columns, by a hash of them (see {@link compactColumns}). */
  readonly subsets: Map<number, { readonly columns: Int32Array; readonly make: ObjectFactory }>;
}

/** Converts ECS events to lake rows with one schema; caches the column of each vendor name it meets. */
export class LakeRowShaper {
  private readonly schema: LakeSchema;
  private readonly columns = new Map<string, Column | null>();
  private readonly plans = new Map<string, VendorPlan | null>();

  constructor(schema: LakeSchema = LAKE_SCHEMA) {
    this.schema = schema;
  }

  /** The lake row of `event` (a shallow copy; `event` is not changed). */
  shape(event: EcsEvent): EcsEvent {
    if (event[VENDOR_COLUMN] === undefined) return event;
    // A spread copy keeps the event's hidden class (a fast object), and so do the stores after it.
    return this.shapeInPlace({ ...event });
  }

  /** Turns `event` itself into its lake row, for a caller that has no further use for the event. */
  shapeInPlace(event: EcsEvent): EcsEvent {
    const vendor = event[VENDOR_COLUMN] as EcsEvent | undefined;
    if (vendor === undefined) return event;
    const dataset = (event.event as EcsEvent | undefined)?.dataset;
    const plan = typeof dataset === 'string' ? this.planOf(dataset) : null;
    const slots = plan?.slots;
    let extra: EcsEvent | undefined;
    let other: Record<string, string> | undefined;
    let used = 0;
    let position = 0;
    for (const key in vendor) {
      const value = vendor[key];
      const at = position++;
      if (value === undefined || value === null) continue;
      let index = -1;
      let type: LakeType | undefined;
      if (plan && plan.keys[at] === key) {
        index = plan.column[at]!;
        if (index >= 0) type = plan.types[index];
      } else {
        const column = this.columnOf(key);
        if (column) {
          index = plan?.columnIndex.get(column.name) ?? -1;
          if (index < 0) {
            // A column this dataset's layout does not have: rare (fields Cloudflare added), kept by name.
            const fitted = extra && column.name in extra ? undefined : fitToColumn(value, column.type);
            if (fitted !== undefined) {
              extra ??= {};
              extra[column.name] = fitted;
              continue;
            }
          } else type = column.type;
        }
      }
      if (type !== undefined && slots && slots[index] === undefined) {
        const fitted = fitToColumn(value, type);
        if (fitted !== undefined) {
          slots[index] = fitted;
          plan.filled[used++] = index;
          continue;
        }
      }
      other ??= {};
      // Lower case, as the OpenX SerDe matches keys (case-insensitive), so Athena and the local lake agree;
      // a second spelling of one name gets a suffix instead of replacing the first.
      let name = key.toLowerCase();
      for (let n = 2; name in other; n++) name = `${key.toLowerCase()}~${n}`;
      other[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    let columns: EcsEvent | undefined;
    if (used > 0 && plan) {
      columns = compactColumns(plan, used);
      for (let i = 0; i < used; i++) plan.slots[plan.filled[i]!] = undefined;
    }
    if (extra) columns = columns ? Object.assign(columns, extra) : extra;
    event[VENDOR_COLUMN] = columns;
    if (other) event[VENDOR_OTHER_COLUMN] = { ...other };
    return event;
  }

  private planOf(dataset: string): VendorPlan | null {
    let plan = this.plans.get(dataset);
    if (plan === undefined) {
      const mapper = MAPPERS[dataset as DatasetName] as (typeof MAPPERS)[DatasetName] | undefined;
      plan = mapper ? this.buildPlan(mapper.vendorKeys) : null;
      this.plans.set(dataset, plan);
    }
    return plan;
  }

  private buildPlan(keys: readonly string[]): VendorPlan {
    const names: string[] = [];
    const types: LakeType[] = [];
    const columnIndex = new Map<string, number>();
    const column = new Int32Array(keys.length).fill(-1);
    for (const [at, key] of keys.entries()) {
      const c = this.columnOf(key);
      if (!c) continue;
      let index = columnIndex.get(c.name);
      if (index === undefined) {
        index = names.length;
        names.push(c.name);
        types.push(c.type);
        columnIndex.set(c.name, index);
      }
      column[at] = index;
    }
    return {
      keys,
      column,
      types,
      columnIndex,
      names,
      make: objectFactory(names),
      slots: new Array(names.length),
      filled: new Int32Array(names.length),
      subsets: new Map(),
    };
  }

  private columnOf(key: string): Column | null {
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

/** Factories of column sets made per dataset at most; a job fills the same few sets, row after row. */
const MAX_COLUMN_SETS = 256;

/**
 * The filled columns of one event as an object that has just those keys. A table's layout has every column its
 * dataset documents, and an event fills a third of them: `JSON.stringify` pays for each key present, undefined or
 * not. Events of one job fill the same columns, so the objects are made by a factory per set of filled columns,
 * found by a hash of them and checked; a hash that collides, or a set beyond the first {@link MAX_COLUMN_SETS},
 * falls back to the whole layout (keys whose value is undefined, which JSON leaves out).
 */
function compactColumns(plan: VendorPlan, used: number): EcsEvent {
  const filled = plan.filled;
  let hash = used;
  for (let i = 0; i < used; i++) hash = (Math.imul(hash, 0x9e3779b1) + filled[i]!) | 0;
  let subset = plan.subsets.get(hash);
  if (subset === undefined) {
    // Sets of columns come from the data. Making a factory compiles code, so the first ones seen get one and the
    // rest share the whole layout: never a compile per row, whatever the data.
    if (plan.subsets.size >= MAX_COLUMN_SETS) return plan.make(plan.slots);
    const columns = filled.slice(0, used);
    subset = {
      columns,
      make: objectFactory(
        Array.from(columns, (c) => plan.names[c]!),
        columns,
      ),
    };
    plan.subsets.set(hash, subset);
  } else if (!sameColumns(subset.columns, filled, used)) {
    return plan.make(plan.slots);
  }
  return subset.make(plan.slots);
}

function sameColumns(columns: Int32Array, filled: Int32Array, used: number): boolean {
  if (columns.length !== used) return false;
  for (let i = 0; i < used; i++) if (columns[i] !== filled[i]) return false;
  return true;
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

/** {@link toLakeRow} that turns `event` itself into the row (the normalize path, which drops the event). */
export function intoLakeRow(event: EcsEvent): EcsEvent {
  return defaultShaper.shapeInPlace(event);
}
