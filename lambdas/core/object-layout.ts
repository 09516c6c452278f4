/**
 * Objects with a fixed set of keys, built from slot arrays: the hot path's way to build events without keyed
 * stores. A store `object[key] = value` whose `key` varies from one call to the next is megamorphic in V8 and
 * costs about 100 ns; the normalizer made four of them per Cloudflare field (values, vendor fields, lake
 * columns), most of its time. Writing `slots[i]` instead and then creating the object from one literal with all
 * the keys costs a few nanoseconds per field, and every object of one layout shares one hidden class, which
 * `JSON.stringify` walks on its fast path.
 *
 * Keys whose slot is undefined are present with the value undefined: `JSON.stringify` leaves them out, and so
 * does everything that reads events (see {@link definedKeys}).
 */

/** Builds an object with the layout's keys, in order, from a slot array of the same length. */
export type ObjectFactory = (slots: readonly unknown[]) => Record<string, unknown>;

/**
 * A factory for objects with exactly `keys`, in that order. The keys are program constants (field tables, the
 * lake schema), never input: they are written into generated code as JSON string literals.
 *
 * @param from the slot each key takes its value from (a subset of a wider slot array); by default key i takes
 *   slot i.
 * @throws on a duplicate key or `__proto__`.
 */
export function objectFactory(keys: readonly string[], from?: ArrayLike<number>): ObjectFactory {
  const seen = new Set<string>();
  for (const key of keys) {
    if (key === '__proto__') throw new Error('objectFactory: "__proto__" cannot be a key of a layout');
    if (seen.has(key)) throw new Error(`objectFactory: duplicate key "${key}"`);
    seen.add(key);
  }
  // A constructor of named stores, generated once per layout: every store site sees one hidden class, and V8
  // gives the properties in-object slots (a literal of the same keys is four times slower to create beyond a
  // hundred keys). Its prototype is Object.prototype, so the objects are plain objects in every respect.
  const body = keys
    .map((key, i) => `this[${JSON.stringify(key)}]=s[${from ? Number(from[i]) : i}];`)
    .join('');
  const Layout = new Function('s', body) as unknown as new (
    slots: readonly unknown[],
  ) => Record<string, unknown>;
  Layout.prototype = Object.prototype;
  return (slots) => new Layout(slots);
}

/**
 * A read-only view of slot values by name, for code that reads a few named fields of a layout (a dataset's
 * `refine`): reading `view.Name` reads the slot, so nothing is copied. The view shows the slots' current
 * values; whoever owns them must not hand it beyond the time they stay put.
 */
export function slotView(
  keys: readonly string[],
  slots: readonly unknown[],
): Readonly<Record<string, unknown>> {
  const view = Object.create(null) as Record<string, unknown>;
  for (const [i, key] of keys.entries()) {
    Object.defineProperty(view, key, { enumerable: true, get: () => slots[i] });
  }
  return Object.freeze(view);
}

/** The keys of `object` whose value is not undefined (what JSON would show). */
export function definedKeys(object: object): string[] {
  const keys: string[] = [];
  for (const key in object) if ((object as Record<string, unknown>)[key] !== undefined) keys.push(key);
  return keys;
}

/** True when some member of `object` is not undefined. */
export function hasDefinedValue(object: object): boolean {
  for (const key in object) if ((object as Record<string, unknown>)[key] !== undefined) return true;
  return false;
}
