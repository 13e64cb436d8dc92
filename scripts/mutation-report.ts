/**
 * `npm run test:mutation` ends here: reads StrykerJS's JSON report and writes docs/mutation-report.md
 * (checked in): the score per file and every surviving mutant, each with the reason it is
 * equivalent from docs/mutation-equivalents.json. A survivor without a reason is a missing test or
 * dead code: the script lists it as unexplained and exits 1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

const REPORT = 'reports/mutation/mutation.json';
/**
 * Later runs over part of the code (`stryker run <config>` with a narrower `mutate` and this
 * report name): their results replace the main report's for the same mutants. Mutants of
 * module-level code run every test, so an incremental run reuses their old results even after
 * tests were added; a narrow non-incremental run settles them.
 */
const RERUN = 'reports/mutation/rerun.json';
const EQUIVALENTS = 'docs/mutation-equivalents.json';
const OUTPUT = 'docs/mutation-report.md';

const mutantSchema = z.object({
  mutatorName: z.string(),
  replacement: z.string().optional(),
  status: z.string(),
  location: z.object({ start: z.object({ line: z.number(), column: z.number() }) }),
});

const reportSchema = z.object({
  files: z.record(
    z.string(),
    z.object({
      source: z.string(),
      mutants: z.array(mutantSchema),
    }),
  ),
});

const equivalentsSchema = z.array(
  z.object({ file: z.string(), line: z.number(), mutator: z.string(), why: z.string().min(10) }),
);

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const report = reportSchema.parse(JSON.parse(readFileSync(REPORT, 'utf8')));
if (existsSync(RERUN)) {
  const rerun = reportSchema.parse(JSON.parse(readFileSync(RERUN, 'utf8')));
  const key = (file: string, m: z.infer<typeof mutantSchema>) =>
    `${file}:${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement ?? ''}`;
  const settled = new Map<string, string>();
  for (const [file, { mutants }] of Object.entries(rerun.files)) {
    for (const mutant of mutants) settled.set(key(file, mutant), mutant.status);
  }
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) mutant.status = settled.get(key(file, mutant)) ?? mutant.status;
  }
}
const equivalents = equivalentsSchema.parse(JSON.parse(readFileSync(EQUIVALENTS, 'utf8')));
const reasonFor = (file: string, line: number, mutator: string) =>
  equivalents.find((e) => e.file === file && e.line === line && e.mutator === mutator)?.why;

const rows: string[] = [];
const survivors: string[] = [];
let detected = 0;
let undetected = 0;
let unexplained = 0;
for (const [file, { source, mutants }] of Object.entries(report.files).sort()) {
  const lines = source.split('\n');
  const fileDetected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const fileUndetected = mutants.filter((m) => UNDETECTED.has(m.status));
  const timeouts = mutants.filter((m) => m.status === 'Timeout').length;
  detected += fileDetected;
  undetected += fileUndetected.length;
  const total = fileDetected + fileUndetected.length;
  rows.push(
    `| \`${file}\` | ${total} | ${fileDetected - timeouts} | ${timeouts} | ${fileUndetected.length} | ${percent(fileDetected, total)} |`,
  );
  for (const mutant of fileUndetected) {
    const line = mutant.location.start.line;
    const why = reasonFor(file, line, mutant.mutatorName);
    if (!why) unexplained += 1;
    const code = (lines[line - 1] ?? '').trim().replaceAll('|', '\\|');
    survivors.push(
      `| \`${file}:${line}\` | ${mutant.mutatorName} (${mutant.status}) | \`${code}\` → \`${(mutant.replacement ?? '').replaceAll('\n', ' ').replaceAll('|', '\\|').slice(0, 80)}\` | ${why ?? '**unexplained: a missing test or dead code**'} |`,
    );
  }
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${((part / whole) * 100).toFixed(1)}%`;
}

const score = percent(detected, detected + undetected);
writeFileSync(
  OUTPUT,
  [
    '# Mutation testing report',
    '',
    'Written by `npm run test:mutation` (StrykerJS 9.6.1, jest runner, `stryker.config.json`) over the',
    'delivery path (the observer, the status store and its batch reads and error translation, the',
    'stream reader, the publisher, the stream handler and the batched reads, the DynamoDB client',
    'and its signer), list-page polls, the task health assessment and the signature guard. Each',
    'mutant runs the unit tests that cover it',
    '(`jest.mutation.config.cjs`); the integration and model-based tests (`npm test`) guard the same',
    'code against moto and are not part of this score. A timeout counts as detected (the mutant made',
    'a test hang, typically an endless retry loop).',
    '',
    `**Mutation score: ${score}** (${detected} detected of ${detected + undetected}; threshold 90%).`,
    '',
    '| file | mutants | killed | timed out | survived | score |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '## Surviving mutants',
    '',
    survivors.length === 0
      ? 'None.'
      : [
          '| where | mutator | change | why it is equivalent |',
          '| --- | --- | --- | --- |',
          ...survivors,
        ].join('\n'),
    '',
  ].join('\n'),
);
process.stdout.write(
  `mutation score ${score}; ${survivors.length} survivors, ${unexplained} unexplained\n`,
);
if (unexplained > 0) process.exitCode = 1;
