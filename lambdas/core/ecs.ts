import { hash } from 'node:crypto';
import { isIP } from 'node:net';

/** An ECS event: nested objects keyed by ECS field name parts (`{ source: { ip } }`). */
export type EcsEvent = { [field: string]: unknown };

const pathCache = new Map<string, readonly string[]>();

/** The parts of a dotted ECS path, split once and cached. */
export function partsOf(path: string): readonly string[] {
  let parts = pathCache.get(path);
  if (!parts) {
    // '@timestamp' and vendor names contain no dots; ECS paths are split on them.
    parts = path.split('.');
    pathCache.set(path, parts);
  }
  return parts;
}

/** True for values ECS events leave out: undefined, null, `""`, and empty arrays and objects. */
export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') {
    for (const _ in value) return false;
    return true;
  }
  return false;
}

/**
 * Sets the field at dotted `path`, creating the objects on the way. Empty values ({@link isEmpty}) are not set,
 * so `0` and `false` are kept and `""` never appears in an event.
 */
export function setField(event: EcsEvent, path: string, value: unknown): void {
  if (isEmpty(value)) return;
  setterOf(path)(event, value);
}

/** Sets the field at one path (sets even empty values), see {@link setterOf}. */
export type FieldSetter = (event: EcsEvent, value: unknown) => void;
/** Reads the field at one path (undefined when a part on the way is missing), see {@link getterOf}. */
export type FieldGetter = (event: EcsEvent) => unknown;

const setters = new Map<string, FieldSetter>();
const getters = new Map<string, FieldGetter>();

/**
 * A setter for dotted `path`, generated once per path: each step is a load or store of a constant name, which V8
 * caches per site, where a loop over the parts makes every access a keyed one with a varying key (megamorphic,
 * several times slower). Paths are program constants (ECS names, mapper tables), never record keys: the cache
 * grows with the code, not the data. Objects on the way are created when missing or not plain objects.
 */
export function setterOf(path: string): FieldSetter {
  let setter = setters.get(path);
  if (setter === undefined) {
    const parts = partsOf(path);
    const steps = parts.slice(0, -1).map((part) => {
      const name = JSON.stringify(part);
      return `x=n[${name}];if(typeof x!=="object"||x===null||Array.isArray(x)){x={};n[${name}]=x}n=x;`;
    });
    const body = `let n=e,x;${steps.join('')}n[${JSON.stringify(parts[parts.length - 1])}]=v;`;
    setter = new Function('e', 'v', body) as FieldSetter;
    setters.set(path, setter);
  }
  return setter;
}

/** A getter for dotted `path`, generated once per path (see {@link setterOf}). */
export function getterOf(path: string): FieldGetter {
  let getter = getters.get(path);
  if (getter === undefined) {
    const parts = partsOf(path);
    const steps = parts.map(
      (part, i) => `${i ? 'if(typeof n!=="object"||n===null)return;' : ''}n=n[${JSON.stringify(part)}];`,
    );
    getter = new Function('e', `let n=e;${steps.join('')}return n;`) as FieldGetter;
    getters.set(path, getter);
  }
  return getter;
}

/** The value at dotted `path`, or undefined. */
export function getField(event: EcsEvent, path: string): unknown {
  return getterOf(path)(event);
}

/** Removes the field at dotted `path` (parents left in place). */
export function deleteField(event: EcsEvent, path: string): void {
  const parts = partsOf(path);
  let node: unknown = event;
  for (let i = 0; i < parts.length - 1; i++) {
    node = (node as EcsEvent | undefined)?.[parts[i]!];
    if (typeof node !== 'object' || node === null) return;
  }
  delete (node as EcsEvent)[parts[parts.length - 1]!];
}

/**
 * An IP address in canonical form, or undefined when `value` is not one. IPv4-mapped IPv6 (`::ffff:192.0.2.1`)
 * becomes the IPv4 address, so one client has one address whichever socket family saw it.
 */
export function normalizeIp(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  const canonical = canonicalIpv6(text);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const high = Number.parseInt(mapped[1]!, 16);
    const low = Number.parseInt(mapped[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return canonical;
}

/**
 * RFC 5952 text of an IPv6 address (lower case, no leading zeros, the longest run of zero groups as `::`), so one
 * address is one value in `related.ip` and in Athena joins; an embedded IPv4 tail comes out as two hex groups.
 * A zone index (`fe80::1%eth0`) is kept as written, in lower case.
 */
function canonicalIpv6(text: string): string {
  if (text.includes('%')) return text.toLowerCase();
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/**
 * A deterministic event id: the same dataset and natural key (or, lacking one, the same line) always give the
 * same id, so retries and replays are recognisable and Athena can deduplicate on it.
 */
export function eventId(dataset: string, key: string): string {
  return hash('sha256', `${dataset}\u0000${key}`, 'hex').slice(0, 32);
}
