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
  setPath(event, partsOf(path), value);
}

/** {@link setField} for a path already split with {@link partsOf} (hot paths); sets even empty values. */
export function setPath(event: EcsEvent, parts: readonly string[], value: unknown): void {
  let node = event;
  const last = parts.length - 1;
  for (let i = 0; i < last; i++) {
    const part = parts[i]!;
    let next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      next = {};
      node[part] = next;
    }
    node = next as EcsEvent;
  }
  node[parts[last]!] = value;
}

/** The value at dotted `path`, or undefined. */
export function getField(event: EcsEvent, path: string): unknown {
  return getPath(event, partsOf(path));
}

/** {@link getField} for a path already split with {@link partsOf}. */
export function getPath(event: EcsEvent, parts: readonly string[]): unknown {
  let node: unknown = event;
  for (const part of parts) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as EcsEvent)[part];
  }
  return node;
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
