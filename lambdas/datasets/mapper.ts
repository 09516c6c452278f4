import {
  type EcsEvent,
  eventId,
  type FieldSetter,
  isEmpty,
  normalizeIp,
  setField,
  setterOf,
} from '../core/ecs.ts';
import { ECS_FIELDS, ECS_VERSION, type EcsFieldType } from '../core/ecs-fields.ts';
import { enricherFor } from '../core/enrich.ts';
import { MappingError } from '../core/errors.ts';
import { ExactIntegers, hasUnsafeInteger, parseWithExactIntegers } from '../core/json-raw.ts';
import { hasDefinedValue, objectFactory, slotView } from '../core/object-layout.ts';
import { type Instant, parseEventTime, type TimeUnit } from '../core/time.ts';
import type { DatasetName } from './catalog.ts';

/** A Logpush record as parsed from one NDJSON line. */
export type CfRecord = { [field: string]: unknown };

/**
 * The type Cloudflare documents for a field (`../shared/cloudflare/<dataset>.md`); `time` is "int or string";
 * `any` is for fields whose type is not documented yet (announced in a changelog only): kept as they come, so a
 * wrong guess can never quarantine every line that carries the field.
 */
export type CfType =
  | 'string'
  | 'int'
  | 'float'
  | 'bool'
  | 'time'
  | 'object'
  | 'string[]'
  | 'int[]'
  | 'object[]'
  | 'any';

/** What happens to one Cloudflare field. */
export interface FieldSpec {
  /** The documented type; a value of another type that cannot be converted without loss quarantines the line. */
  readonly type: CfType;
  /** ECS field(s) the value goes to, converted to the ECS field's type. */
  readonly to?: string | readonly string[];
  /** Keep the value under `cloudflare.<Name>` too. Fields without `to` are always kept. */
  readonly keep?: boolean;
  /** Deliberately left out of the event, with the reason (a deprecated duplicate, say). */
  readonly drop?: string;
  /** For `time` fields with a fixed unit (`EventTimestampMs`, `*Nanos`); others follow `timestamp_format`. */
  readonly unit?: TimeUnit;
}

/** What a dataset's `refine` function works with. */
export interface RefineContext {
  /** The record as parsed: types as Cloudflare wrote them. Prefer {@link values} for typed fields. */
  readonly record: CfRecord;
  /**
   * Every present, non-empty field of the table after the type check, in its documented type: an int written as
   * "403" is 403, a bool written as "false" is false, a time is its {@link Instant}. Fields the table does not list
   * and dropped fields are undefined. A view valid during the call only: keep values, not the object.
   */
  readonly values: Readonly<CfRecord>;
  readonly event: EcsEvent;
  /** Vendor fields kept so far (they become `cloudflare.*`); refine may add derived ones or remove some. */
  readonly vendor: CfRecord;
  /** The record's time fields, parsed, by Cloudflare field name. */
  readonly times: Readonly<Record<string, Instant>>;
}

/** How records are recognised when the object key does not name the dataset. */
export interface Signature {
  /** Fields that must all be present. */
  readonly all: readonly string[];
  /** Fields of which at least one must be present (when given). */
  readonly any?: readonly string[];
}

/** The declarative description of one dataset's mapping to ECS. */
export interface DatasetMapperSpec {
  readonly dataset: DatasetName;
  /** `observer.type`: proxy, dns, firewall, … (SEKOIA's choice per dataset). */
  readonly observerType: string;
  /** `event.kind`. @default 'event' */
  readonly kind?: 'event' | 'alert' | 'state' | 'metric' | 'asset';
  /** Default `event.category` and `event.type` (ECS allowed values); `refine` may change them per record. */
  readonly category: readonly string[];
  readonly type: readonly string[];
  /** The natural key of a record, for `event.id`; the first field must be present, else the line is hashed. */
  readonly idFields?: readonly string[];
  /** Every documented field of the dataset. Fields not listed are still kept under `cloudflare.*`. */
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly signature: Signature;
  /** The exceptions a table cannot say: derived values, conditional categories, outcomes. */
  readonly refine?: (context: RefineContext) => void;
  /**
   * ECS fields `refine` may set that no table entry targets (catalogue paths). With the table's targets and what
   * the engine derives from them, this is everything the mapper can emit: the lake's Glue schema is built from it,
   * and a test fails when a fixture event carries a field nobody declared.
   */
  readonly derives?: readonly string[];
  /** Vendor fields `refine` adds under `cloudflare.*` that are not in the table, with their type. */
  readonly derivesVendor?: Readonly<Record<string, CfType>>;
}

/** Input of one mapping besides the record. */
export interface MapContext {
  /** The line the record was parsed from: 19-digit integers and the event id come from it. */
  readonly line: string;
  /** `@timestamp` for records that carry no event time: when the Logpush object was written. */
  readonly fallbackTime: Instant;
  /** The line had bytes that are not UTF-8 (read as U+FFFD): the event is tagged {@link INVALID_UTF8_TAG}. */
  readonly invalidUtf8?: boolean;
}

/** A compiled dataset mapper. */
export interface DatasetMapper {
  readonly dataset: DatasetName;
  readonly spec: DatasetMapperSpec;
  /**
   * The keys of `event.cloudflare` in the order the mapper lays them out: every table field not dropped, then
   * the fields `refine` derives; unknown fields come after them. Absent fields are present with the value
   * undefined (see `object-layout.ts`).
   */
  readonly vendorKeys: readonly string[];
  /** True when the record looks like this dataset (used when the object key does not say). */
  matches(record: CfRecord): boolean;
  /** @throws MappingError when the record cannot be mapped; the caller quarantines the line with the message. */
  map(record: CfRecord, context: MapContext): EcsEvent;
}

interface Target {
  readonly path: string;
  readonly set: FieldSetter;
  readonly ecs: EcsFieldType;
}

interface CompiledField {
  readonly spec: FieldSpec;
  readonly targets: readonly Target[];
  readonly keep: boolean;
  /** Position in the values layout (every table field). */
  readonly slot: number;
  /** Position in the vendor layout; -1 for dropped fields. */
  readonly vendorSlot: number;
}

/** Tag on events whose `@timestamp` is the object's upload time because the record had no event time. */
export const TIMESTAMP_FROM_OBJECT_TAG = 'timestamp_from_object';

/**
 * Tag on events whose line had bytes that are not UTF-8: each invalid sequence reads as U+FFFD in the event, and
 * the original bytes are only in the Logpush object.
 */
export const INVALID_UTF8_TAG = 'invalid_utf8';

/** Compiles a dataset description into a mapper; a target outside the ECS catalogue is a programming error. */
export function defineMapper(spec: DatasetMapperSpec): DatasetMapper {
  const compiled = new Map<string, CompiledField>();
  const names = Object.keys(spec.fields);
  // The vendor layout: every field that can be kept (all but dropped ones), then the ones refine derives.
  const vendorKeys = names.filter((name) => spec.fields[name]!.drop === undefined);
  for (const name of Object.keys(spec.derivesVendor ?? {})) if (!(name in spec.fields)) vendorKeys.push(name);
  const vendorSlotOf = new Map(vendorKeys.map((name, i) => [name, i]));
  for (const [slot, name] of names.entries()) {
    const field = spec.fields[name]!;
    const paths = field.to === undefined ? [] : typeof field.to === 'string' ? [field.to] : field.to;
    const targets = paths.map((path) => {
      const ecs = ECS_FIELDS[path];
      if (!ecs) throw new Error(`${spec.dataset}.${name}: ECS field "${path}" is not in the catalogue`);
      return { path, set: setterOf(path), ecs };
    });
    compiled.set(name, {
      spec: field,
      targets,
      keep: field.drop === undefined && (targets.length === 0 || field.keep === true),
      slot,
      vendorSlot: vendorSlotOf.get(name) ?? -1,
    });
  }
  const idSlots = (spec.idFields ?? []).map((name) => {
    const field = compiled.get(name);
    if (!field) throw new Error(`${spec.dataset}: id field "${name}" is not in the field table`);
    return field.slot;
  });
  const makeVendor = objectFactory(vendorKeys);
  // What this mapper can set: the engine's enrichment skips what its events cannot carry.
  const enrichEvent = enricherFor(
    new Set([
      ...[...compiled.values()].flatMap((f) => f.targets.map((t) => t.path)),
      ...(spec.derives ?? []),
    ]),
  );
  // Scratch slots, reused: map() is synchronous and the objects made from them copy the values. Both are cleared
  // at the start of each map (a builtin fill, cheaper than remembering which slots were set), so a record that
  // threw half-way leaves nothing behind for the next one.
  const valueSlots: unknown[] = new Array(names.length).fill(undefined);
  const vendorSlots: unknown[] = new Array(vendorKeys.length).fill(undefined);
  // `values` for refine: the checked value slots read by name, valid while this map() call runs.
  const values = slotView(names, valueSlots);
  const exact = new ExactIntegers();
  // Records of one object nearly always list their keys in one order: the field at each position is looked up
  // once and then recognised by comparing the key (a pointer comparison for JSON.parse's internalized keys).
  const seenKeys: string[] = [];
  const seenFields: (CompiledField | undefined)[] = [];

  function matches(record: CfRecord): boolean {
    for (const f of spec.signature.all) if (!(f in record)) return false;
    if (!spec.signature.any) return true;
    for (const f of spec.signature.any) if (f in record) return true;
    return false;
  }

  function map(record: CfRecord, context: MapContext): EcsEvent {
    const event: EcsEvent = {
      '@timestamp': undefined,
      ecs: { version: ECS_VERSION },
      event: {
        kind: spec.kind ?? 'event',
        category: [...spec.category],
        type: [...spec.type],
        dataset: spec.dataset,
      },
      observer: { vendor: 'Cloudflare', type: spec.observerType },
    };
    valueSlots.fill(undefined);
    vendorSlots.fill(undefined);
    exact.reset(context.line);
    let position = 0;
    let unknown: [string, unknown][] | undefined;
    let times: Record<string, Instant> | undefined;
    let start: Instant | undefined;
    let end: Instant | undefined;
    // Whether any value is an object or a list: only those can hide a rounded 19-digit integer (see below).
    let nested = false;

    for (const key in record) {
      const raw = record[key];
      let field: CompiledField | undefined;
      if (seenKeys[position] === key) field = seenFields[position];
      else {
        field = compiled.get(key);
        seenKeys[position] = key;
        seenFields[position] = field;
      }
      position++;
      if (isEmpty(raw)) continue;
      if (typeof raw === 'object') nested = true;
      if (field === undefined) {
        const value = unknownValue(raw, key, exact);
        const vendorSlot = vendorSlotOf.get(key);
        if (vendorSlot === undefined) {
          unknown ??= [];
          unknown.push([key, value]);
        } else {
          vendorSlots[vendorSlot] = value;
        }
        continue;
      }
      if (field.vendorSlot < 0) continue;
      const value = checked(field.spec, raw, key, exact);
      if (value === undefined) continue;
      valueSlots[field.slot] = value;
      let keep = field.keep;
      for (const target of field.targets) {
        const converted = toEcs(target.ecs, value);
        if (converted === undefined) {
          // Not convertible to the ECS type (an invalid IP, say): the raw value stays under cloudflare.*.
          keep = true;
          continue;
        }
        // A list that lost elements in conversion is kept whole under cloudflare.* too.
        if (Array.isArray(value) && (converted as unknown[]).length < value.length) keep = true;
        if (target.path === 'event.start') start = value as Instant;
        else if (target.path === 'event.end') end = value as Instant;
        target.set(event, converted);
      }
      if (field.spec.type === 'time') {
        times ??= {};
        times[key] = value as Instant;
        if (keep) vendorSlots[field.vendorSlot] = (value as Instant).iso;
      } else if (keep) {
        vendorSlots[field.vendorSlot] = value;
      }
    }
    if (position < seenKeys.length) seenKeys.length = position;

    if (start && end && end.ns >= start.ns) setField(event, 'event.duration', Number(end.ns - start.ns));
    if (event['@timestamp'] === undefined) {
      event['@timestamp'] = context.fallbackTime.iso;
      event.tags = [TIMESTAMP_FROM_OBJECT_TAG];
    }
    if (context.invalidUtf8) event.tags = [...((event.tags as string[] | undefined) ?? []), INVALID_UTF8_TAG];
    const vendor = makeVendor(vendorSlots);
    if (unknown) for (const [key, value] of unknown) vendor[key] = value;
    spec.refine?.({ record, values, event, vendor, times: times ?? NO_TIMES });
    // Vendor values are the record's values or derived from them: without a nested one there is nothing to fix.
    if (nested) exactNestedIntegers(vendor, context.line);
    if (hasDefinedValue(vendor)) event.cloudflare = vendor;
    enrichEvent(event);
    setField(event, 'event.id', eventId(spec.dataset, naturalKey(context.line)));
    return event;
  }

  // From the checked values: exact digits for 19-digit ids, the nanosecond of a time whatever its format.
  function naturalKey(line: string): string {
    const first = idSlots[0];
    if (first === undefined || valueSlots[first] === undefined) return `line\u0000${line}`;
    if (idSlots.length === 1) return stringOf(valueSlots[first]);
    return idSlots.map((slot) => stringOf(valueSlots[slot])).join('\u0000');
  }

  return { dataset: spec.dataset, spec, vendorKeys, matches, map };
}

const NO_TIMES: Readonly<Record<string, Instant>> = Object.freeze({});

/**
 * Objects and lists kept under `cloudflare.*` (merged `Subrequests`, `Metadata`, …) may hold 19-digit integers
 * that `JSON.parse` rounded. Only then is the line parsed again with source-text access, and those values
 * replaced by exact ones (big integers as digit strings); lines without such numbers pay one walk of their
 * nested values.
 */
function exactNestedIntegers(vendor: CfRecord, line: string): void {
  let exact: CfRecord | undefined;
  for (const key in vendor) {
    const value = vendor[key];
    if (typeof value !== 'object' || value === null || !hasUnsafeInteger(value)) continue;
    exact ??= parseWithExactIntegers(line);
    if (exact[key] !== undefined) vendor[key] = exact[key];
  }
}

function stringOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (isInstant(value)) return String(value.ns);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Unknown (new) fields are kept as they are; integers too large for a JS number keep their exact digits. */
function unknownValue(raw: unknown, key: string, exact: ExactIntegers): unknown {
  if (typeof raw === 'number' && Number.isInteger(raw) && !Number.isSafeInteger(raw)) {
    return exact.digits(key, raw) ?? raw;
  }
  return raw;
}

/** The exact digits of an integer too large for a JS number (a 19-digit id), read from the line. */
function exactDigits(raw: number, key: string, exact: ExactIntegers): string | undefined {
  return Number.isInteger(raw) && !Number.isSafeInteger(raw) ? exact.digits(key, raw) : undefined;
}

function isInstant(value: unknown): value is Instant {
  return typeof value === 'object' && value !== null && typeof (value as Instant).ns === 'bigint';
}

/** The value checked against (and, where lossless, converted to) its documented type; undefined = absent. */
function checked(spec: FieldSpec, raw: unknown, key: string, exact: ExactIntegers): unknown {
  switch (spec.type) {
    case 'string':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number') return exactDigits(raw, key, exact) ?? String(raw);
      if (typeof raw === 'boolean') return String(raw);
      break;
    case 'int':
      // Beyond 2^53 JSON.parse has rounded the number: its exact digits (from the line) are kept as text, which no
      // ECS long takes, so the value lands under cloudflare.* exactly as Cloudflare wrote it.
      if (typeof raw === 'number' && Number.isInteger(raw))
        return Number.isSafeInteger(raw) ? raw : (exactDigits(raw, key, exact) ?? raw);
      if (typeof raw === 'string' && /^-?\d{1,15}$/.test(raw)) return Number(raw);
      break;
    case 'float':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
      break;
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 1) return true;
      if (raw === 'false' || raw === 0) return false;
      break;
    case 'time': {
      try {
        const rawDigits =
          typeof raw === 'number' && !Number.isSafeInteger(raw) ? exact.digits(key, raw) : undefined;
        return parseEventTime(raw, { unit: spec.unit, rawDigits });
      } catch (error) {
        throw new MappingError(`field ${key}: ${(error as Error).message}`);
      }
    }
    case 'object':
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) return raw;
      break;
    case 'string[]':
    case 'int[]':
    case 'object[]':
      if (Array.isArray(raw)) return raw;
      break;
    case 'any':
      return typeof raw === 'number' ? (exactDigits(raw, key, exact) ?? raw) : raw;
  }
  throw new MappingError(`field ${key}: expected ${spec.type}, got ${describe(raw)}`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return `${type} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/** The value in the ECS field's type, or undefined when it cannot be expressed in it. */
function toEcs(ecs: EcsFieldType, value: unknown): unknown {
  if (ecs.array) {
    const list = Array.isArray(value) ? value : [value];
    const out = list.map((v) => scalarToEcs(ecs.type, v)).filter((v) => v !== undefined);
    return out.length > 0 ? out : undefined;
  }
  return scalarToEcs(ecs.type, value);
}

function scalarToEcs(type: EcsFieldType['type'], value: unknown): unknown {
  switch (type) {
    case 'date':
      return (value as Instant).iso;
    case 'ip':
      return normalizeIp(value);
    case 'keyword':
    case 'text':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return undefined;
    case 'long':
      // A rounded integer would be a wrong value, and one beyond 2^63 fails the lake's bigint column.
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
    case 'double':
      return typeof value === 'number' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'object':
    case 'flattened':
      return value;
  }
}
