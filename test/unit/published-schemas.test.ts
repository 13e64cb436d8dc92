import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { publishedSchemas, renderPublishedDocument } from '../../scripts/published-schemas';

const repoRoot = resolve(__dirname, '../..');

function checkedInCopy(relativePath: string): string | undefined {
  try {
    return readFileSync(resolve(repoRoot, relativePath), 'utf8');
  } catch {
    return undefined;
  }
}

it.each(Object.keys(publishedSchemas()))('%s is checked in as generated', (relativePath) => {
  const generated = renderPublishedDocument(publishedSchemas()[relativePath]);

  const checkedIn = checkedInCopy(relativePath);

  if (checkedIn !== generated) {
    throw new Error(
      `${relativePath} is missing or out of date: run \`npm run generate\` and commit the result.`,
    );
  }
});
