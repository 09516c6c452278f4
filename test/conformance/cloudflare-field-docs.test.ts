/**
 * Every field Cloudflare documents for a dataset (`../shared/cloudflare/<dataset>.md`) is in that dataset's mapper
 * table, with the documented type; the names the changelogs added later (listed without types at the bottom of the
 * file) are in the table too. So a field is mapped, kept or dropped on purpose, never by omission.
 * Like the SEKOIA harness, this fails loudly when `../shared` is absent unless CF_LOGS_SKIP_CONFORMANCE=1.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import type { CfType, DatasetMapper } from '../../lambdas/datasets/mapper.ts';
import { readFieldDoc as readDoc } from '../../scripts/field-docs.ts';

const DOCS = new URL('../../../shared/cloudflare/', import.meta.url);
const SKIP = process.env.CF_LOGS_SKIP_CONFORMANCE === '1';

function readFieldDoc(dataset: string): {
  documented: ReadonlyMap<string, CfType | undefined>;
  added: readonly string[];
} {
  const doc = readDoc(DOCS, dataset);
  return { documented: new Map([...doc.documented].map(([name, f]) => [name, f.type])), added: doc.added };
}

const mappers = Object.values(MAPPERS) as DatasetMapper[];

if (!existsSync(DOCS)) {
  const where = fileURLToPath(DOCS);
  if (SKIP) {
    console.log(
      `Cloudflare field-doc conformance SKIPPED: ${where} is absent and CF_LOGS_SKIP_CONFORMANCE=1`,
    );
    describe.skip(`Cloudflare field docs (skipped: ${where} absent)`, () => {
      it('lists every documented field', () => {});
    });
  } else {
    describe('Cloudflare field docs', () => {
      it('finds the field documentation', () => {
        throw new Error(
          `Cloudflare field documentation not found at ${where}: CI always has ../shared beside the repository. ` +
            'Set CF_LOGS_SKIP_CONFORMANCE=1 to skip these tests on a machine without it.',
        );
      });
    });
  }
} else {
  it('has a mapper for every dataset with a field table', () => {
    const documented = readdirSync(DOCS)
      .filter((f) => f.endsWith('.md') && f === f.toLowerCase())
      .map((f) => f.replace(/\.md$/, ''))
      .filter((name) => name !== 'index' && name !== 'facts');
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.filter((name) => !(name in MAPPERS))).toEqual([]);
  });

  // Datasets without a saved field table (INDEX.md lists which have one) have tables written from Cloudflare's
  // public field reference; there is nothing here to check them against.
  const documented = mappers.filter((m) => existsSync(new URL(`${m.dataset}.md`, DOCS)));
  describe.each(documented.map((m) => [m.dataset, m] as const))('%s field table', (dataset, mapper) => {
    const doc = readFieldDoc(dataset);

    it('reads a field list from the documentation', () => {
      expect(doc.documented.size).toBeGreaterThan(5);
    });

    it('lists every documented field with its documented type', () => {
      // A time field with a fixed unit (EventTimestampMs, *Nanos) is documented as a plain int.
      const table = Object.fromEntries(
        Object.entries(mapper.spec.fields).map(([name, f]) => [
          name,
          f.type === 'time' && f.unit ? 'int' : f.type,
        ]),
      );
      const documented = Object.fromEntries(doc.documented);
      expect(Object.fromEntries(Object.keys(documented).map((name) => [name, table[name]]))).toEqual(
        documented,
      );
    });

    it('lists the fields added after the documented version', () => {
      expect(doc.added.filter((name) => !(name in mapper.spec.fields))).toEqual([]);
    });
  });
}
