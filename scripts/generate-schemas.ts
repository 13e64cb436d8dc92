import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { publishedSchemas, renderPublishedDocument } from './published-schemas';

/** Writes every published document; `npm run generate`, then check the results in. */
const repoRoot = resolve(__dirname, '..');

for (const [relativePath, document] of Object.entries(publishedSchemas())) {
  const target = resolve(repoRoot, relativePath);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, renderPublishedDocument(document));
  console.log(`wrote ${relativePath}`);
}
