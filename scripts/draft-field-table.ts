/**
 * Drafts the `fields` table of a dataset mapper from the field documentation in `../shared/cloudflare/<dataset>.md`,
 * so no documented field is forgotten. The draft is pasted into `lambdas/datasets/<dataset>.ts` and then edited
 * by hand (ECS targets, keep/drop decisions). Usage: `node scripts/draft-field-table.ts gateway_dns`.
 */
import { readFieldDoc } from './field-docs.ts';

const dataset = process.argv[2];
if (!dataset) {
  console.error('usage: node scripts/draft-field-table.ts <dataset>');
  process.exit(2);
}
const doc = readFieldDoc(new URL('../../shared/cloudflare/', import.meta.url), dataset);
for (const [name, field] of doc.documented) {
  const type = field.type ?? `UNKNOWN(${field.docType})`;
  console.log(`    ${name}: { type: '${type}' },${field.deprecated ? ' // deprecated' : ''}`);
}
for (const name of doc.added)
  console.log(`    ${name}: { type: 'any' }, // added later; type not documented yet`);
