/**
 * Drafts the `fields` table of a dataset mapper from the field documentation in `../shared/cloudflare/<dataset>.md`,
 * so no documented field is forgotten. The draft is pasted into `lambdas/datasets/<dataset>.ts` and then edited
 * by hand (ECS targets, keep/drop decisions). Usage: `node scripts/draft-field-table.ts gateway_dns`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const TYPES: Record<string, string> = {
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

const dataset = process.argv[2];
if (!dataset) {
  console.error('usage: node scripts/draft-field-table.ts <dataset>');
  process.exit(2);
}
const doc = readFileSync(resolve(import.meta.dirname, '../../shared/cloudflare', `${dataset}.md`), 'utf8');
for (const line of doc.split('\n')) {
  const m = /^\| ([A-Za-z0-9_]+)( \(deprecated\))?[^|]* \| `([^`]+)` \|/.exec(line);
  if (!m) continue;
  const [, name, deprecated, docType] = m;
  const type = TYPES[docType!] ?? `UNKNOWN(${docType})`;
  console.log(`    ${name}: { type: '${type}' },${deprecated ? ' // deprecated' : ''}`);
}
