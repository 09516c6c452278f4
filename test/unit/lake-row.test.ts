import { describe, expect, it } from 'vitest';
import { definedKeys } from '../../lambdas/core/object-layout.ts';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import { defineMapper } from '../../lambdas/datasets/mapper.ts';
import { fitToColumn, LakeRowShaper, toLakeRow } from '../../lambdas/lake/row.ts';
import { buildLakeSchema, LAKE_SCHEMA } from '../../lambdas/lake/schema.ts';
import { mapLine } from '../fixtures/datasets/load.ts';

// A two-dataset schema whose vendor names collide in case and in type, as real tables can.
const schema = buildLakeSchema([
  defineMapper({
    dataset: 'http_requests',
    observerType: 'proxy',
    category: ['web'],
    type: ['access'],
    fields: {
      EdgeStartTimestamp: { type: 'time', to: '@timestamp' },
      RayID: { type: 'string' },
      BotScore: { type: 'int' },
      Tags: { type: 'string[]' },
      Meta: { type: 'object' },
      Shared: { type: 'int' },
    },
    signature: { all: ['RayID'] },
  }),
  defineMapper({
    dataset: 'firewall_events',
    observerType: 'waf',
    category: ['web'],
    type: ['access'],
    fields: {
      Datetime: { type: 'time', to: '@timestamp' },
      Shared: { type: 'string' },
      Ratio: { type: 'float' },
    },
    signature: { all: ['Datetime'] },
  }),
]);
const shaper = new LakeRowShaper(schema);

describe('lake rows (lambdas/lake/row.ts)', () => {
  it('lower-cases vendor columns and leaves the ECS part and @timestamp alone', () => {
    const event = {
      '@timestamp': '2026-01-02T03:04:05.123456789Z',
      event: { id: 'x' },
      cloudflare: { RayID: 'r1', BotScore: 3 },
    };
    const row = shaper.shape(event);
    expect(row).toEqual({
      '@timestamp': '2026-01-02T03:04:05.123456789Z',
      event: { id: 'x' },
      cloudflare: { rayid: 'r1', botscore: 3 },
    });
    expect(event.cloudflare).toEqual({ RayID: 'r1', BotScore: 3 });
  });

  it('keeps fields that are not columns, or do not fit theirs, as text in cloudflare_other', () => {
    const row = shaper.shape({
      cloudflare: { NewField: { a: 1 }, BotScore: 'high', Tags: ['a', 2], Ratio: 0.5, Other: 7, Flag: true },
    });
    // A number in a list of strings is text without loss, so it stays in its column.
    expect(row.cloudflare).toEqual({ ratio: 0.5, tags: ['a', '2'] });
    expect(row.cloudflare_other).toEqual({
      newfield: '{"a":1}',
      botscore: 'high',
      other: '7',
      flag: 'true',
    });
  });

  it('stores objects and numbers in string columns as text; a name two datasets type differently is text', () => {
    expect(schema.vendor.get('shared')?.type).toEqual({ kind: 'string' });
    const row = shaper.shape({ cloudflare: { Meta: { k: [1, 2] }, Shared: 42 } });
    expect(row.cloudflare).toEqual({ meta: '{"k":[1,2]}', shared: '42' });
  });

  it('puts the second spelling of one lower-case name in cloudflare_other rather than overwrite the first', () => {
    const row = shaper.shape({ cloudflare: { RayID: 'a', rayId: 'b' } });
    expect(row.cloudflare).toEqual({ rayid: 'a' });
    expect(row.cloudflare_other).toEqual({ rayid: 'b' });
  });

  it('drops no vendor field: every key ends up in one of the two columns', () => {
    const vendor = { RayID: 'a', Unknown: null, BotScore: 1.5, Tags: ['x'], Whatever: [{ a: 1 }] };
    const row = shaper.shape({ cloudflare: vendor });
    const kept = [
      ...Object.keys((row.cloudflare ?? {}) as object),
      ...Object.keys((row.cloudflare_other ?? {}) as object),
    ];
    // null is what Logpush writes for an unset field: there is nothing to keep.
    expect(kept.sort()).toEqual(['botscore', 'rayid', 'tags', 'whatever']);
  });

  it('fits values to column types without loss or not at all', () => {
    expect(fitToColumn(2 ** 53, { kind: 'bigint' })).toBeUndefined();
    expect(fitToColumn(12, { kind: 'bigint' })).toBe(12);
    expect(fitToColumn(Number.NaN, { kind: 'double' })).toBeUndefined();
    expect(fitToColumn('true', { kind: 'boolean' })).toBeUndefined();
    expect(fitToColumn([1, null, 3], { kind: 'array', element: { kind: 'bigint' } })).toEqual([1, null, 3]);
    expect(fitToColumn([1, 'x'], { kind: 'array', element: { kind: 'bigint' } })).toBeUndefined();
  });

  it('keeps two spellings of one unknown name apart in cloudflare_other', () => {
    const row = shaper.shape({ cloudflare: { NewThing: 'a', newthing: 'b', NEWTHING: 'c' } });
    expect(row.cloudflare_other).toEqual({ newthing: 'a', 'newthing~2': 'b', 'newthing~3': 'c' });
  });

  it('shapes an event in place to the same row as the copy, for callers done with the event', () => {
    const event = () => ({
      '@timestamp': 't',
      event: { dataset: 'http_requests' },
      cloudflare: { RayID: 'r', X: 1 },
    });
    const copy = shaper.shape(event());
    const original = event();
    const inPlace = shaper.shapeInPlace(original);
    expect(inPlace).toBe(original);
    expect(inPlace).toEqual(copy);
  });

  it('gives each row just the columns it fills, whichever columns the rows before it filled', () => {
    const shaper = new LakeRowShaper();
    const values: Record<string, unknown> = {
      ClientDeviceType: 'mobile',
      EdgeResponseContentType: 'text/html',
      RayID: 'r',
      CacheCacheStatus: 'hit',
      EdgeColoID: 21,
      EdgeColoCode: 'AMS',
      WAFAttackScore: 80,
      BotScore: 3,
      ZoneName: 'example.com',
    };
    // In the order of the dataset's layout, which is the order the columns come out in.
    const layoutOrder = MAPPERS.http_requests.vendorKeys;
    const fields = Object.keys(values).sort((a, b) => layoutOrder.indexOf(a) - layoutOrder.indexOf(b));
    // Every subset of the nine fields, twice: 511 sets of columns, past the number that get a factory.
    for (let round = 0; round < 2; round++) {
      for (let mask = 1; mask < 1 << fields.length; mask++) {
        const chosen = fields.filter((_, i) => mask & (1 << i));
        const layout: Record<string, unknown> = Object.fromEntries(
          MAPPERS.http_requests.vendorKeys.map((k) => [k, undefined]),
        );
        for (const f of chosen) layout[f] = values[f];
        const row = shaper.shape({ event: { dataset: 'http_requests' }, cloudflare: layout });
        const columns = row.cloudflare as Record<string, unknown>;
        // The first 256 sets get objects of just their keys; later ones the whole layout, with the same JSON.
        if (round === 0 && mask <= 256)
          expect(Object.keys(columns)).toEqual(chosen.map((f) => f.toLowerCase()));
        expect(definedKeys(columns)).toEqual(chosen.map((f) => f.toLowerCase()));
        expect(JSON.parse(JSON.stringify(columns))).toEqual(
          Object.fromEntries(chosen.map((f) => [f.toLowerCase(), values[f]])),
        );
      }
    }
  });

  it('uses the registered mappers by default', () => {
    expect(LAKE_SCHEMA.vendor.has('rayid')).toBe(true);
    const row = toLakeRow({ cloudflare: { RayID: 'r', SomethingNew: 1 } });
    expect(row).toEqual({ cloudflare: { rayid: 'r' }, cloudflare_other: { somethingnew: '1' } });
  });

  it('gives the same columns on the per-dataset fast path as on the name-by-name path, extra fields included', () => {
    const json = (value: unknown) => JSON.parse(JSON.stringify(value ?? null));
    const line = JSON.stringify({
      EdgeStartTimestamp: 1795169700000000000,
      EdgeEndTimestamp: 1795169700035000000,
      RayID: '8e0000000000cafe',
      ClientIP: '192.0.2.7',
      ClientRequestHost: 'www.example.com',
      WAFAttackScore: 12,
      NewFieldFromCloudflare: { a: 1 },
      rayid: 'second spelling',
      ClientCountry: 'de',
    });
    const event = mapLine(MAPPERS.http_requests, line);
    // A value that does not fit its column (refine could leave one).
    (event.cloudflare as Record<string, unknown>).BotScore = 'high';
    const shaper = new LakeRowShaper();
    const fast = shaper.shape(event);
    // Without event.dataset the shaper has no plan and looks every name up.
    const slow = shaper.shape({ ...event, event: { ...(event.event as object), dataset: undefined } });
    expect(json(fast.cloudflare)).toEqual(json(slow.cloudflare));
    expect(json(fast.cloudflare_other)).toEqual(json(slow.cloudflare_other));
    expect(json(fast.cloudflare)).toMatchObject({
      rayid: '8e0000000000cafe',
      wafattackscore: 12,
    });
    expect(json(fast.cloudflare_other)).toEqual({
      botscore: 'high',
      newfieldfromcloudflare: '{"a":1}',
      rayid: 'second spelling',
    });
    // The next event of the layout starts from empty slots: nothing of the first one leaks into it.
    const next = shaper.shape(
      mapLine(MAPPERS.http_requests, '{"EdgeStartTimestamp":"2026-11-20T10:15:00Z","RayID":"8e01"}'),
    );
    expect(json(next.cloudflare)).toEqual({ rayid: '8e01' });
  });
});
