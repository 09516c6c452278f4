/**
 * The lake's table schema, generated from the mapper tables: one source of truth for the Glue table Firehose
 * converts to Parquet with, the Athena columns, and the local lake (DuckDB). Nothing here is kept by hand:
 *
 * - ECS columns: every catalogue field some mapper can emit (a table target, a field its `refine` declares in
 *   `derives`, or what the engine derives from those), nested as structs, typed from the ECS catalogue.
 * - `cloudflare`: a struct of every vendor field some table keeps under `cloudflare.*`, lower-cased (Athena names
 *   are lower case); a name two datasets type differently becomes a string.
 * - `cloudflare_other`: a string map of the vendor fields that are not columns (fields Cloudflare added after the
 *   tables were written, values of an unexpected type): Firehose drops what the schema does not declare, so
 *   without it they would vanish.
 * - `ts`: `@timestamp` (Athena does not allow `@` in column names); the JSON keeps `@timestamp` and the SerDe maps
 *   it ({@link LAKE_JSON_KEY_MAPPINGS}).
 */
import { ECS_FIELDS, type EcsFieldType } from '../core/ecs-fields.ts';
import { enrichedFields } from '../core/enrich.ts';
import { DATASET_NAMES, type DatasetName } from '../datasets/catalog.ts';
import { MAPPERS } from '../datasets/index.ts';
import type { CfType, DatasetMapper } from '../datasets/mapper.ts';

/** A column type, in terms both Glue (Hive DDL) and DuckDB can say. */
export type LakeType =
  | { readonly kind: 'string' | 'bigint' | 'double' | 'boolean' | 'timestamp' }
  | { readonly kind: 'array'; readonly element: LakeType }
  | { readonly kind: 'struct'; readonly fields: readonly LakeColumn[] }
  /** `map<string,string>` */
  | { readonly kind: 'map' };

/** A column (or struct member). */
export interface LakeColumn {
  readonly name: string;
  readonly type: LakeType;
}

/** A vendor column: its type and which dataset fields feed it. */
export interface VendorColumn {
  /** Column name: the Cloudflare name, lower-cased. */
  readonly name: string;
  readonly type: LakeType;
  /** `dataset.Field` of every table entry (or `refine` derivation) behind it. */
  readonly sources: readonly string[];
}

/** The schema of the ECS table. */
export interface LakeSchema {
  /** Top-level columns, in table order. */
  readonly columns: readonly LakeColumn[];
  /** Partition keys, in S3 layout order: `ecs/dataset=…/dt=…/`. */
  readonly partitionKeys: readonly LakeColumn[];
  /** ECS leaf paths that are columns (dotted, as in the catalogue), with their catalogue type. */
  readonly ecsFields: ReadonlyMap<string, EcsFieldType>;
  /** ECS path → the datasets that can emit it. */
  readonly ecsSources: ReadonlyMap<string, readonly DatasetName[]>;
  /** Vendor columns by lower-case name. */
  readonly vendor: ReadonlyMap<string, VendorColumn>;
}

const STRING: LakeType = { kind: 'string' };
const BIGINT: LakeType = { kind: 'bigint' };
const DOUBLE: LakeType = { kind: 'double' };
const BOOLEAN: LakeType = { kind: 'boolean' };
const TIMESTAMP: LakeType = { kind: 'timestamp' };
const MAP: LakeType = { kind: 'map' };

/** Column of `@timestamp`. */
export const TIMESTAMP_COLUMN = 'ts';
/** Struct of vendor fields. */
export const VENDOR_COLUMN = 'cloudflare';
/** Map of vendor fields that are not columns. */
export const VENDOR_OTHER_COLUMN = 'cloudflare_other';
/** Column name → JSON key, for the OpenX JSON SerDe (Firehose's deserializer) and the local lake. */
export const LAKE_JSON_KEY_MAPPINGS: Readonly<Record<string, string>> = { [TIMESTAMP_COLUMN]: '@timestamp' };

/**
 * Parquet compression of the lake, for Firehose and the local lake alike. GZIP rather than Firehose's usual Snappy:
 * Athena bills the compressed bytes it reads, and on the project's synthetic firewall events GZIP made the lake and
 * the columns a typical saved query reads about a third smaller (the README's cost section has the figures).
 */
export const LAKE_PARQUET_COMPRESSION = 'GZIP';

/** Athena: lower case letters, digits and underscore; at most 255 characters (Athena UG, naming). */
export const LAKE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,254}$/;

/** The lake type of an ECS catalogue field. */
export function ecsLakeType(field: EcsFieldType): LakeType {
  let scalar: LakeType;
  switch (field.type) {
    case 'keyword':
    case 'text':
    case 'ip':
      scalar = STRING;
      break;
    case 'long':
      scalar = BIGINT;
      break;
    case 'double':
      scalar = DOUBLE;
      break;
    case 'boolean':
      scalar = BOOLEAN;
      break;
    case 'date':
      scalar = TIMESTAMP;
      break;
    case 'flattened':
      scalar = MAP;
      break;
    case 'object': {
      if (!field.fields)
        throw new Error('an ECS object field needs its members (fields) to be a lake column');
      scalar = {
        kind: 'struct',
        fields: Object.entries(field.fields).map(([name, member]) => ({ name, type: ecsLakeType(member) })),
      };
      break;
    }
  }
  return field.array ? { kind: 'array', element: scalar } : scalar;
}

/**
 * The lake type of a Cloudflare field kept under `cloudflare.*`. Objects, lists of objects and undocumented
 * (`any`) values are stored as JSON text: their inner keys are Cloudflare's to change, and Athena reads them with
 * `json_extract_scalar`. Times are kept as written by the mapper (RFC 3339 text, exact to the nanosecond).
 */
export function vendorLakeType(type: CfType): LakeType {
  switch (type) {
    case 'int':
      return BIGINT;
    case 'float':
      return DOUBLE;
    case 'bool':
      return BOOLEAN;
    case 'string[]':
      return { kind: 'array', element: STRING };
    case 'int[]':
      return { kind: 'array', element: BIGINT };
    default:
      return STRING;
  }
}

/** ECS paths set by the engine on every event (mapper envelope, `event.id`, tags). */
const ENVELOPE = [
  '@timestamp',
  'ecs.version',
  'event.kind',
  'event.category',
  'event.type',
  'event.dataset',
  'event.id',
  'observer.vendor',
  'observer.type',
  'tags',
];

/** Every ECS catalogue path `mapper` can emit. */
export function emittableEcsFields(mapper: DatasetMapper): Set<string> {
  const paths = new Set<string>(ENVELOPE);
  const targets: string[] = [];
  for (const field of Object.values(mapper.spec.fields)) {
    if (field.drop !== undefined || field.to === undefined) continue;
    targets.push(...(typeof field.to === 'string' ? [field.to] : field.to));
  }
  for (const path of [...targets, ...(mapper.spec.derives ?? [])]) paths.add(path);
  if (paths.has('event.start') && paths.has('event.end')) paths.add('event.duration');
  for (const path of enrichedFields(paths)) paths.add(path);
  return paths;
}

/** Every vendor field `mapper` can keep under `cloudflare.*` by its table or `refine`, with its type. */
export function emittableVendorFields(mapper: DatasetMapper): Map<string, CfType> {
  const out = new Map<string, CfType>();
  for (const [name, field] of Object.entries(mapper.spec.fields)) {
    if (field.drop !== undefined) continue;
    if (field.to === undefined || field.keep === true) out.set(name, field.type);
  }
  for (const [name, type] of Object.entries(mapper.spec.derivesVendor ?? {})) out.set(name, type);
  return out;
}

function sameType(a: LakeType, b: LakeType): boolean {
  return hiveType(a) === hiveType(b);
}

/** Builds the schema from mappers (the registry by default). */
export function buildLakeSchema(mappers: readonly DatasetMapper[] = Object.values(MAPPERS)): LakeSchema {
  const ecsSources = new Map<string, DatasetName[]>();
  const vendorTypes = new Map<string, { type: LakeType; sources: string[] }>();
  for (const mapper of mappers) {
    for (const path of emittableEcsFields(mapper)) {
      if (!ECS_FIELDS[path]) throw new Error(`${mapper.dataset}: "${path}" is not in the ECS catalogue`);
      const list = ecsSources.get(path) ?? [];
      list.push(mapper.dataset);
      ecsSources.set(path, list);
    }
    for (const [name, cfType] of emittableVendorFields(mapper)) {
      const key = name.toLowerCase();
      const type = vendorLakeType(cfType);
      const entry = vendorTypes.get(key);
      const source = `${mapper.dataset}.${name}`;
      if (!entry) vendorTypes.set(key, { type, sources: [source] });
      else {
        // Two datasets disagree on the type of one name: text holds both.
        if (!sameType(entry.type, type)) entry.type = STRING;
        entry.sources.push(source);
      }
    }
  }

  const ecsFields = new Map<string, EcsFieldType>();
  for (const path of [...ecsSources.keys()].sort()) ecsFields.set(path, ECS_FIELDS[path]!);
  const vendor = new Map<string, VendorColumn>();
  for (const key of [...vendorTypes.keys()].sort()) {
    const { type, sources } = vendorTypes.get(key)!;
    vendor.set(key, { name: key, type, sources });
  }

  const columns: LakeColumn[] = [{ name: TIMESTAMP_COLUMN, type: TIMESTAMP }];
  const tree = ecsTree([...ecsFields.keys()].filter((path) => path !== '@timestamp'));
  for (const [name, node] of tree) columns.push({ name, type: nodeType(node) });
  columns.push({
    name: VENDOR_COLUMN,
    type: { kind: 'struct', fields: [...vendor.values()].map(({ name, type }) => ({ name, type })) },
  });
  columns.push({ name: VENDOR_OTHER_COLUMN, type: MAP });
  return {
    columns,
    partitionKeys: [
      { name: 'dataset', type: STRING },
      { name: 'dt', type: STRING },
    ],
    ecsFields,
    ecsSources,
    vendor,
  };
}

type TreeNode = { leaf: EcsFieldType } | { children: Map<string, TreeNode> };

function ecsTree(paths: readonly string[]): Map<string, TreeNode> {
  const root = new Map<string, TreeNode>();
  for (const path of paths) {
    const parts = path.split('.');
    let level = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      let node = level.get(part);
      if (!node) {
        node = { children: new Map() };
        level.set(part, node);
      }
      if (!('children' in node))
        throw new Error(`ECS field "${parts.slice(0, i + 1).join('.')}" is also a parent`);
      level = node.children;
    }
    const last = parts[parts.length - 1]!;
    if (level.has(last)) throw new Error(`ECS field "${path}" is also a parent`);
    level.set(last, { leaf: ECS_FIELDS[path]! });
  }
  return root;
}

function nodeType(node: TreeNode): LakeType {
  if ('leaf' in node) return ecsLakeType(node.leaf);
  return {
    kind: 'struct',
    fields: [...node.children].map(([name, child]) => ({ name, type: nodeType(child) })),
  };
}

/** The type in Glue's (Hive DDL) notation, as a Glue column `Type`. */
export function hiveType(type: LakeType): string {
  switch (type.kind) {
    case 'array':
      return `array<${hiveType(type.element)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${hiveType(f.type)}`).join(',')}>`;
    case 'map':
      return 'map<string,string>';
    default:
      return type.kind;
  }
}

/** The type in DuckDB's notation (member names quoted: `end`, `user` and friends are keywords there). */
export function duckdbType(type: LakeType): string {
  switch (type.kind) {
    case 'string':
      return 'VARCHAR';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'array':
      return `${duckdbType(type.element)}[]`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `"${f.name}" ${duckdbType(f.type)}`).join(', ')})`;
    case 'map':
      return 'MAP(VARCHAR, VARCHAR)';
  }
}

/** The ECS table's schema, from the registered mappers. */
export const LAKE_SCHEMA: LakeSchema = buildLakeSchema();

/** Dataset names, the values of the `dataset` partition key. */
export const LAKE_DATASETS: readonly DatasetName[] = DATASET_NAMES;

/**
 * Columns of the raw table of one Logpush dataset (untouched NDJSON read with the OpenX JSON SerDe): every field
 * of the mapper's table under its lower-case Cloudflare name (the SerDe matches keys case-insensitively). Times
 * are text (they come as numbers or strings depending on `timestamp_format`), objects and undocumented values
 * are JSON text; two spellings of one name (websocket's zone and account shapes) are one column.
 */
export function rawTableColumns(dataset: DatasetName): LakeColumn[] {
  const columns = new Map<string, LakeType>();
  for (const [name, field] of Object.entries(MAPPERS[dataset].spec.fields)) {
    const key = name.toLowerCase();
    const type = vendorLakeType(field.type);
    const seen = columns.get(key);
    columns.set(key, seen && !sameType(seen, type) ? STRING : type);
  }
  return [...columns].map(([name, type]) => ({ name, type }));
}

/** Columns of the quarantine table (`BlobQuarantine` records, `quarantine/dt=…/*.json.gz`). */
export const QUARANTINE_COLUMNS: readonly LakeColumn[] = [
  { name: 'quarantined_at', type: TIMESTAMP },
  { name: 'reason', type: STRING },
  { name: 'dataset', type: STRING },
  { name: 'bucket', type: STRING },
  { name: 'key', type: STRING },
  { name: 'line', type: BIGINT },
  { name: 'raw', type: STRING },
  { name: 'raw_bytes', type: BIGINT },
];

/** Table names in the Glue database (and views in the local lake). */
export const LAKE_TABLES = {
  ecs: 'ecs',
  quarantine: 'quarantine',
  raw: (dataset: DatasetName) => `raw_${dataset}`,
} as const;
