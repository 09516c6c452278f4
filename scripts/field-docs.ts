/**
 * Reads the field tables of `../shared/cloudflare/<dataset>.md` (Cloudflare's generated field documentation):
 * the drafting script and the test that holds mapper tables to the documentation share this one reader.
 */
import { readFileSync } from 'node:fs';
import type { CfType } from '../lambdas/datasets/mapper.ts';

/** Cloudflare's documented types, as mapper tables write them. */
export const DOC_TYPES: Readonly<Record<string, CfType>> = {
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

/** One documented field. */
export interface DocumentedField {
  /** The mapper type of the documented type; undefined for a type this reader does not know. */
  readonly type: CfType | undefined;
  /** The documented type as written. */
  readonly docType: string;
  readonly deprecated: boolean;
}

/** What the documentation of one dataset says. */
export interface FieldDoc {
  /** Documented fields, in documentation order. */
  readonly documented: ReadonlyMap<string, DocumentedField>;
  /** Names the changelogs added after the documented version (no type given). */
  readonly added: readonly string[];
}

/** Reads the field documentation of `dataset` from the folder `docs` (a `file:` URL ending in `/`). */
export function readFieldDoc(docs: URL, dataset: string): FieldDoc {
  const text = readFileSync(new URL(`${dataset}.md`, docs), 'utf8');
  const cut = text.search(/^## Fields added/m);
  const main = cut < 0 ? text : text.slice(0, cut);
  const tail = cut < 0 ? '' : text.slice(cut);
  const documented = new Map<string, DocumentedField>();
  for (const m of main.matchAll(/^\| ([A-Za-z0-9_]+)( \(deprecated\))?[^|]* \| `([^`]+)` \|/gm)) {
    documented.set(m[1]!, { type: DOC_TYPES[m[3]!], docType: m[3]!, deprecated: m[2] !== undefined });
  }
  const added = new Set<string>();
  for (const m of tail.matchAll(/`([A-Z][A-Za-z0-9]+)`/g)) added.add(m[1]!);
  for (const m of tail.matchAll(/^\| ([A-Z][A-Za-z0-9 /]+?) \|/gm)) {
    for (const name of m[1]!.split(' / ')) if (name !== 'Field') added.add(name.trim());
  }
  return { documented, added: [...added].filter((name) => !documented.has(name)) };
}
