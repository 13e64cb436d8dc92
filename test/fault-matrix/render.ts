/**
 * Renders docs/fault-matrix.md from the rows. Used by `npm run fault-matrix` (writes it) and by
 * the fault-matrix test (checks the checked-in copy is exactly this).
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { AWS_CLIENT_CONFIG } from '../../lib/aws-client-config';
import { DEFAULT_RETRY_POLICY } from '../../lib/huawei/dms-client';
import { DEADLINE_RESERVE_MS } from '../../lib/deadline';
import {
  AWS_ATTEMPTS,
  AWS_REQUEST_TIMEOUT_MS,
  FAULT_GROUPS,
  MATRIX_SETTINGS,
  MAX_ATTEMPTS,
  ROOMY_REMAINING_MS,
  attemptsOf,
  backoffWaitsMs,
  type FaultRow,
  type TimeBound,
} from './rows';

export const FAULT_MATRIX_PATH = 'docs/fault-matrix.md';

const REPO_ROOT = resolve(__dirname, '../..');

const seconds = (ms: number) => `${ms / 1000} s`;

const BOUND_NAMES: Record<TimeBound['kind'], string> = {
  immediate: 'immediate',
  'aws-sdk-retries': 'AWS client retries',
  'aws-request-timeout': 'AWS request timeout',
  backoff: 'backoff',
  'retry-after': 'Retry-After',
  'attempt-timeout': 'attempt timeout',
  deadline: 'deadline',
};

/** The time bound as the table shows it: its name, and the numbers of this row. */
export function timeBoundLabel(row: FaultRow): string {
  const bound = row.timeBound;
  const name = BOUND_NAMES[bound.kind];
  const attempts = attemptsOf(row, 'http');
  switch (bound.kind) {
    case 'immediate':
    case 'deadline':
      return name;
    case 'aws-sdk-retries':
      return `${name} (${bound.requests} requests)`;
    case 'aws-request-timeout':
      return `${name} × ${bound.requests} attempts`;
    case 'backoff':
      return `${name} between ${attempts} attempts`;
    case 'retry-after':
      return `${name} (${bound.seconds} s) between ${attempts} attempts`;
    case 'attempt-timeout':
      return `${name} × ${attempts}`;
  }
}

const ROOMY = seconds(ROOMY_REMAINING_MS);

/**
 * Beyond its AWS request timeouts, what a call bounded by them may take (the SDK's backoff
 * between the attempts, the rest of the handler, a loaded machine).
 */
export const AWS_TIMEOUT_SLACK_MS = 2_000;

const TIME_BOUNDS: Record<TimeBound['kind'], string> = {
  immediate:
    'the first answer decides: no wait and no retry of ours (a 401 re-reads the secret and ' +
    're-signs once, at once). Checked: the service never waited and no attempt timed out.',
  'aws-sdk-retries':
    'the AWS client’s own retries (the SDK’s for Secrets Manager, the service’s own DynamoDB ' +
    'client’s), as every AWS client of the service is configured ' +
    `(\`lib/aws-client-config.ts\`: ${AWS_ATTEMPTS} requests, with a ` +
    'jittered backoff between them): the upstream deadline covers only the calls to ' +
    'Huawei. Checked: the failing client attempted that many requests, the service never ' +
    `waited, and the call ended within one AWS request timeout (${seconds(AWS_REQUEST_TIMEOUT_MS)}).`,
  'aws-request-timeout':
    `the AWS client’s request timeout (${seconds(AWS_REQUEST_TIMEOUT_MS)}, which throws; ` +
    `connect timeout ${seconds(AWS_CLIENT_CONFIG.requestHandler.connectionTimeout)}) ends each ` +
    `of its ${AWS_ATTEMPTS} attempts, so the call ends after about ` +
    `${seconds(AWS_ATTEMPTS * AWS_REQUEST_TIMEOUT_MS)}; the upstream deadline does not apply. Checked: ` +
    `the failing client attempted that many requests, and the call took between ` +
    `${seconds(AWS_ATTEMPTS * AWS_REQUEST_TIMEOUT_MS)} and ` +
    `${seconds(AWS_ATTEMPTS * AWS_REQUEST_TIMEOUT_MS + AWS_TIMEOUT_SLACK_MS)}.`,
  backoff:
    `\`UPSTREAM_MAX_ATTEMPTS\` (default ${MAX_ATTEMPTS}) attempts with full-jitter exponential ` +
    `backoff between them: random × min(${seconds(DEFAULT_RETRY_POLICY.maxDelayMs)}, ` +
    `${DEFAULT_RETRY_POLICY.baseDelayMs} ms × 2^(n−1)); a wait that would end after the ` +
    'deadline is not started, and the last error is answered at once. Checked: the waits are ' +
    `exactly that backoff (${backoffWaitsMs(MAX_ATTEMPTS).join(' ms and ')} ms with the jitter ` +
    'fixed), and no attempt timed out.',
  'retry-after':
    '`UPSTREAM_MAX_ATTEMPTS` attempts, waiting Huawei’s `Retry-After` between them because it ' +
    'fits before the deadline. Checked: the waits are exactly the `Retry-After`.',
  'attempt-timeout':
    'every attempt ends at `UPSTREAM_ATTEMPT_TIMEOUT_MS` (or at the deadline, when that comes ' +
    'first), with backoff between the attempts. Checked: every attempt ended by its timeout.',
  deadline:
    `the deadline, the Lambda’s remaining time minus ${seconds(DEADLINE_RESERVE_MS)} (kept for ` +
    'the DynamoDB write and the answer): a wait or an attempt that would end after it is not ' +
    'started, so the call ends at once. Checked: the service never waited, no attempt timed ' +
    `out, and the same fault with ${ROOMY} left gets more Huawei requests.`,
};

const EVENTS: Record<FaultRow['event'], string> = {
  none: 'none',
  'held-in-stream': 'committed; waits in the table’s stream, published when EventBridge is back',
};

function httpCell(row: FaultRow): string {
  const retryAfter =
    row.http.retryAfter === undefined ? '' : `, \`Retry-After: ${row.http.retryAfter}\``;
  return `${row.http.status}${retryAfter}`;
}

function attemptsCell(row: FaultRow): string {
  const http = attemptsOf(row, 'http');
  const invoke = attemptsOf(row, 'invoke');
  return http === invoke ? String(http) : `HTTP ${http}, invoke ${invoke}`;
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function groupSection(group: string, rows: readonly FaultRow[]): string {
  const header = [
    'Fault',
    'Produced in the test by',
    'HTTP',
    '`code`',
    'Direct invoke',
    'Huawei requests',
    'Time bound',
    'Status-change event',
  ];
  const lines = [
    `## ${group}`,
    '',
    tableRow(header),
    tableRow(header.map(() => '---')),
    ...rows.map((row) =>
      tableRow([
        row.fault,
        row.producedBy,
        httpCell(row),
        row.http.code === undefined ? '—' : `\`${row.http.code}\``,
        row.invokeError === undefined ? 'returns the task' : `\`${row.invokeError}\``,
        attemptsCell(row),
        timeBoundLabel(row),
        EVENTS[row.event],
      ]),
    ),
  ];
  const notes = rows.filter((row) => row.note !== undefined);
  if (notes.length > 0) {
    lines.push('', ...notes.map((row) => `- **${row.fault}**: ${row.note}`));
  }
  return lines.join('\n');
}

function document(rows: readonly FaultRow[]): string {
  const { remainingMs, attemptTimeoutMs, maxRequestsPerSecond, jitter } = MATRIX_SETTINGS;
  const sections = FAULT_GROUPS.map((group) => ({
    group,
    rows: rows.filter((row) => row.group === group),
  }))
    .filter((section) => section.rows.length > 0)
    .map((section) => groupSection(section.group, section.rows));
  return [
    `<!-- Generated from test/fault-matrix/rows.ts by \`npm run fault-matrix\`: edit the rows, then run it. -->`,
    '',
    '# Fault matrix',
    '',
    'What each entry point answers when something it depends on fails: the HTTP handler ' +
      '(`functions/http.ts`: status and the problem+json `code`) and the direct-invoke handler ' +
      '(`functions/invoke.ts`: the `name` of the error it throws, which Step Functions ' +
      '`Retry`/`Catch` match on).',
    '',
    'Every row is a test: `test/integration/fault-matrix.test.ts` runs it through both handlers, ' +
      'each on a cold container wired to real AWS clients (the SDK’s, and the service’s own ' +
      'DynamoDB client) against moto and to the Huawei ' +
      'simulator (which verifies every signature), and asserts each value below. This file is ' +
      'rendered from the same rows (`test/fault-matrix/rows.ts`); the test fails when it differs ' +
      'from the rendering.',
    '',
    '- **Huawei requests**: requests the Huawei simulator received during one call, retries ' +
      'included.',
    '- **Time bound**: what ends the call (see [Time bounds](#time-bounds)). Every row is also ' +
      `run with ${ROOMY} left: only the rows bounded by the deadline then get more Huawei ` +
      'requests.',
    '- **Status-change event**: what the stream consumer (`statusStream`, fed the table’s ' +
      'stream) puts on the bus afterwards; “none”: it did not even try.',
    '',
    'Each row is one call on a fresh container. Faults that depend on what happened earlier in ' +
      'the same invocation, such as an access key Huawei refused earlier in a poll (not signed ' +
      'with again), are covered by `test/integration/hardening-auth-storms.test.ts`.',
    '',
    ...sections.flatMap((section) => [section, '']),
    '## Time bounds',
    '',
    ...(Object.keys(TIME_BOUNDS) as TimeBound['kind'][]).map(
      (kind) => `- **${BOUND_NAMES[kind]}**: ${TIME_BOUNDS[kind]}`,
    ),
    '',
    '## How the rows are run',
    '',
    'With the defaults of `lib/config.ts`, except:',
    '',
    `- \`UPSTREAM_ATTEMPT_TIMEOUT_MS\` ${attemptTimeoutMs} (default ` +
      `${DEFAULT_RETRY_POLICY.attemptTimeoutMs}), so a black hole costs ` +
      `${seconds(MAX_ATTEMPTS * attemptTimeoutMs)} per call;`,
    `- \`UPSTREAM_MAX_REQUESTS_PER_SECOND\` ${maxRequestsPerSecond} (default 50), so pacing adds ` +
      'no wait of its own;',
    `- ${seconds(remainingMs)} of Lambda time left when the handler starts (deadline ` +
      `${seconds(remainingMs - DEADLINE_RESERVE_MS)}), unless the row says otherwise;`,
    `- the backoff jitter fixed at ${jitter} (half of each ceiling);`,
    '- a service clock that starts at the real time and moves only when the service waits on ' +
      'it (backoff, `Retry-After`), at once: waits cost no real time, and the deadline is ' +
      'reached only through them, so attempt counts do not depend on the machine’s load.',
    '',
    'Deployed, `http` has 10 s (deadline 8.5 s) and `invoke` 15 s (deadline 13.5 s). With the ' +
      'default 3 s attempt timeout, a black hole on `http` ends at the deadline during its third ' +
      'attempt: 504 `UPSTREAM_TIMEOUT` after about 8.5 s, inside the Lambda timeout.',
    '',
  ].join('\n');
}

/**
 * The document, formatted by the repository's Prettier (its CLI, with the repository's settings:
 * the same as `npm run lint` checks). A child process, because Prettier's API loads its plugins
 * with dynamic imports, which Jest's module system does not run.
 */
export function renderFaultMatrix(rows: readonly FaultRow[]): string {
  return execFileSync(
    process.execPath,
    [require.resolve('prettier/bin/prettier.cjs'), '--stdin-filepath', FAULT_MATRIX_PATH],
    { cwd: REPO_ROOT, input: document(rows), encoding: 'utf8' },
  );
}
