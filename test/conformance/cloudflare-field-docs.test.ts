/**
 * Every field Cloudflare documents for a dataset (`../shared/cloudflare/<dataset>.md`) is in that dataset's mapper
 * table, with the documented type; the names the changelogs added later (listed without types at the bottom of the
 * file) are in the table too. So a field is mapped, kept or dropped on purpose, never by omission.
 * Like the SEKOIA harness, this fails loudly when `../shared` is absent unless CF_LOGS_SKIP_CONFORMANCE=1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import type { CfType, DatasetMapper } from '../../lambdas/datasets/mapper.ts';

const DOCS = new URL('../../../shared/cloudflare/', import.meta.url);
const SKIP = process.env.CF_LOGS_SKIP_CONFORMANCE === '1';

// The documented types, as scripts/draft-field-table.ts reads them.
const DOC_TYPES: Readonly<Record<string, CfType>> = {
  string: 'string',
  int: 'int',
  float: 'float',
  bool: 'bool',
  object: 'object',
  'int or string': 'time',
  'array[string]': 'string[]',
  'array[int]': 'int[]',
  'array[object]': 'object[]',
  'array<object>': 'object[]',
};

interface FieldDoc {
  /** Documented fields with their type. */
  readonly documented: ReadonlyMap<string, CfType | undefined>;
  /** Names the changelogs added after the documented version. */
  readonly added: readonly string[];
}

function readFieldDoc(dataset: string): FieldDoc {
  const text = readFileSync(new URL(`${dataset}.md`, DOCS), 'utf8');
  const cut = text.search(/^## Fields added/m);
  const main = cut < 0 ? text : text.slice(0, cut);
  const tail = cut < 0 ? '' : text.slice(cut);
  const documented = new Map<string, CfType | undefined>();
  for (const m of main.matchAll(/^\| ([A-Za-z0-9_]+)[^|]* \| `([^`]+)` \|/gm))
    documented.set(m[1]!, DOC_TYPES[m[2]!]);
  const added = new Set<string>();
  for (const m of tail.matchAll(/`([A-Z][A-Za-z0-9]+)`/g)) added.add(m[1]!);
  for (const m of tail.matchAll(/^\| ([A-Z][A-Za-z0-9 /]+?) \|/gm)) {
    for (const name of m[1]!.split(' / ')) if (name !== 'Field') added.add(name.trim());
  }
  return { documented, added: [...added].filter((name) => !documented.has(name)) };
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
  describe.each(mappers.map((m) => [m.dataset, m] as const))('%s field table', (dataset, mapper) => {
    const doc = readFieldDoc(dataset);

    it('reads a field list from the documentation', () => {
      expect(doc.documented.size).toBeGreaterThan(5);
    });

    it('lists every documented field with its documented type', () => {
      const table = Object.fromEntries(Object.entries(mapper.spec.fields).map(([name, f]) => [name, f.type]));
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
