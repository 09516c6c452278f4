import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATASET_NAMES } from '../../lambdas/datasets/catalog.ts';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import { datasetTable, ecsTargets, withDatasetTable } from '../../scripts/dataset-table.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README dataset table', () => {
  it('is the table the mapper tables generate (run `npm run docs:datasets` after changing a mapper)', () => {
    expect(withDatasetTable(readme)).toBe(readme);
  });

  it('has one row per catalogue dataset', () => {
    const rows = datasetTable().split('\n').slice(2);
    expect(rows.map((row) => /^\| `([a-z0-9_]+)`/.exec(row)?.[1])).toEqual(DATASET_NAMES);
  });

  it('lists the ECS targets of a mapper by object, in reading order', () => {
    const targets = ecsTargets(MAPPERS.gateway_dns!);
    expect([...targets.keys()].slice(0, 3)).toEqual(['event', 'source', 'destination']);
    expect(targets.get('source')).toEqual(['ip', 'port', 'geo.continent_code', 'geo.country_iso_code']);
    expect(targets.has('@timestamp')).toBe(false);
  });

  it('refuses a README without the markers', () => {
    expect(() => withDatasetTable('# no table here')).toThrow(/datasets:begin/);
  });
});
