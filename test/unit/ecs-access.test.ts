import { describe, expect, it } from 'vitest';
import { type EcsEvent, getField, getterOf, setField, setterOf } from '../../lambdas/core/ecs.ts';

describe('generated field accessors', () => {
  it('creates the objects on the way, and replaces a value on the way that is not a plain object', () => {
    const event: EcsEvent = { source: 'x', url: ['a'], user: null };
    setterOf('source.geo.city_name')(event, 'Paris');
    setterOf('url.domain')(event, 'example.com');
    setterOf('user.name')(event, 'alice');
    setterOf('@timestamp')(event, 't');
    expect(event).toEqual({
      source: { geo: { city_name: 'Paris' } },
      url: { domain: 'example.com' },
      user: { name: 'alice' },
      '@timestamp': 't',
    });
  });

  it('keeps what is already there beside the field it sets', () => {
    const event: EcsEvent = { source: { ip: '192.0.2.1', geo: { country_iso_code: 'FR' } } };
    setterOf('source.geo.city_name')(event, 'Paris');
    expect(event).toEqual({
      source: { ip: '192.0.2.1', geo: { country_iso_code: 'FR', city_name: 'Paris' } },
    });
  });

  it('reads undefined through a missing or scalar part', () => {
    const event: EcsEvent = { source: { ip: '192.0.2.1' }, tags: 'x' };
    expect(getterOf('source.ip')(event)).toBe('192.0.2.1');
    expect(getterOf('source.geo.city_name')(event)).toBeUndefined();
    expect(getterOf('tags.length.x')(event)).toBeUndefined();
    expect(getterOf('destination.ip')(event)).toBeUndefined();
  });

  it('gives one function per path, and names that need quoting work', () => {
    expect(setterOf('a.b')).toBe(setterOf('a.b'));
    const event: EcsEvent = {};
    setField(event, `odd"name.\\x`, 1);
    expect(event).toEqual({ 'odd"name': { '\\x': 1 } });
    expect(getField(event, `odd"name.\\x`)).toBe(1);
  });

  it('setField leaves empty values out; the setter itself sets them', () => {
    const event: EcsEvent = {};
    setField(event, 'a.b', '');
    setField(event, 'a.c', []);
    expect(event).toEqual({});
    setterOf('a.b')(event, '');
    expect(event).toEqual({ a: { b: '' } });
  });
});
