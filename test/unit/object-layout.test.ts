import { describe, expect, it } from 'vitest';
import { definedKeys, hasDefinedValue, objectFactory, slotView } from '../../lambdas/core/object-layout.ts';

describe('object layouts', () => {
  it('builds plain objects with the layout keys in order from slots', () => {
    const make = objectFactory(['b', 'a', 'c']);
    const object = make([1, undefined, 'x']);
    expect(Object.keys(object)).toEqual(['b', 'a', 'c']);
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(JSON.stringify(object)).toBe('{"b":1,"c":"x"}');
    expect(definedKeys(object)).toEqual(['b', 'c']);
    expect(hasDefinedValue(object)).toBe(true);
    expect(hasDefinedValue(make([]))).toBe(false);
  });

  it('takes keys as data, never as code', () => {
    const make = objectFactory(['a"];globalThis.pwned=1;//', 'x\\y']);
    expect(Object.keys(make([1, 2]))).toEqual(['a"];globalThis.pwned=1;//', 'x\\y']);
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it('refuses a duplicate key and __proto__', () => {
    expect(() => objectFactory(['a', 'a'])).toThrow(/duplicate key "a"/);
    expect(() => objectFactory(['__proto__'])).toThrow(/__proto__/);
  });

  it('reads the current slot values through a view, which cannot be written', () => {
    const slots: unknown[] = [undefined, undefined];
    const view = slotView(['A', 'B'], slots);
    slots[1] = 7;
    expect(view.B).toBe(7);
    expect(view.A).toBeUndefined();
    expect(() => {
      (view as Record<string, unknown>).A = 1;
    }).toThrow();
  });
});
