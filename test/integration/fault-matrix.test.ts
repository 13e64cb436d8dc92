/**
 * The fault matrix (docs/fault-matrix.md), checked: every row of test/fault-matrix/rows.ts is run
 * through the real HTTP handler and the real direct-invoke handler, each on a cold container
 * wired to real AWS SDK clients against moto and to the signature-verifying Huawei simulator,
 * and every value of the row is asserted. The document itself must be the rendering of the rows.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AWS_TIMEOUT_SLACK_MS,
  FAULT_MATRIX_PATH,
  renderFaultMatrix,
  timeBoundLabel,
} from '../fault-matrix/render';
import {
  AWS_REQUEST_TIMEOUT_MS,
  FAULT_ROWS,
  ROOMY_REMAINING_MS,
  attemptsOf,
  backoffWaitsMs,
  type FaultRow,
} from '../fault-matrix/rows';
import { runRow, type Entry, type RowRun } from '../fault-matrix/run-row';

const ENTRIES: readonly Entry[] = ['http', 'invoke'];

/** The runs of one row: each entry point as the row says, and HTTP again with time to spare. */
type Runs = Record<Entry | 'roomy', RowRun>;

function httpAnswer(row: FaultRow): string {
  return [row.http.status, row.http.code].filter((part) => part !== undefined).join(' ');
}

describe.each(FAULT_ROWS.map((row) => ({ id: row.id, row })))('fault matrix: $id', ({ row }) => {
  let runs: Runs | undefined;

  function runOf(run: keyof Runs): RowRun {
    if (!runs) throw new Error(`the runs of ${row.id} did not complete`);
    return runs[run];
  }

  beforeAll(async () => {
    // Each run has its own harness (simulator, AWS resources, container, clock): they can overlap.
    const [http, invoke, roomy] = await Promise.all([
      runRow(row, 'http'),
      runRow(row, 'invoke'),
      runRow(row, 'http', { remainingMs: ROOMY_REMAINING_MS }),
    ]);
    runs = { http, invoke, roomy };
  });

  it(`the HTTP endpoint answers ${httpAnswer(row)}`, () => {
    const { http } = runOf('http');

    expect({ status: http?.status, code: http?.code }).toEqual({
      status: row.http.status,
      code: row.http.code,
    });
  });

  it(
    row.http.retryAfter === undefined
      ? 'the HTTP answer has no Retry-After header'
      : `the HTTP answer says Retry-After: ${row.http.retryAfter}`,
    () => {
      expect(runOf('http').http?.retryAfter).toBe(row.http.retryAfter);
    },
  );

  it(
    row.invokeError === undefined
      ? 'direct invoke returns the task'
      : `direct invoke throws ${row.invokeError}`,
    () => {
      expect(runOf('invoke').invoke?.errorName).toBe(row.invokeError);
    },
  );

  it.each(ENTRIES)('Huawei receives the expected number of requests in the %s call', (entry) => {
    expect(runOf(entry).huaweiRequests).toBe(attemptsOf(row, entry));
  });

  it(`the time is bounded by: ${timeBoundLabel(row)}`, () => {
    const bound = row.timeBound;
    for (const entry of ENTRIES) {
      const { waitsMs, attemptEnds, awsRequests, huaweiRequests, elapsedMs } = runOf(entry);
      const timedOut = attemptEnds.filter((end) => end === 'timeout').length;
      const measured = { entry, waitsMs, timedOut, awsRequests };
      switch (bound.kind) {
        case 'immediate':
        case 'deadline':
          expect(measured).toEqual({ entry, waitsMs: [], timedOut: 0, awsRequests: undefined });
          break;
        case 'aws-sdk-retries':
          expect(measured).toEqual({
            entry,
            waitsMs: [],
            timedOut: 0,
            awsRequests: bound.requests,
          });
          expect(elapsedMs).toBeLessThan(AWS_REQUEST_TIMEOUT_MS);
          break;
        case 'aws-request-timeout': {
          const timeoutsMs = bound.requests * AWS_REQUEST_TIMEOUT_MS;
          expect(measured).toEqual({
            entry,
            waitsMs: [],
            timedOut: 0,
            awsRequests: bound.requests,
          });
          expect(elapsedMs).toBeGreaterThanOrEqual(timeoutsMs);
          expect(elapsedMs).toBeLessThan(timeoutsMs + AWS_TIMEOUT_SLACK_MS);
          break;
        }
        case 'backoff':
          expect(huaweiRequests).toBeGreaterThan(1);
          expect(measured).toEqual({
            entry,
            waitsMs: backoffWaitsMs(huaweiRequests),
            timedOut: 0,
            awsRequests: undefined,
          });
          break;
        case 'retry-after':
          expect(huaweiRequests).toBeGreaterThan(1);
          expect(measured).toEqual({
            entry,
            waitsMs: Array<number>(huaweiRequests - 1).fill(bound.seconds * 1000),
            timedOut: 0,
            awsRequests: undefined,
          });
          break;
        case 'attempt-timeout':
          expect(huaweiRequests).toBeGreaterThan(0);
          expect(measured).toEqual({
            entry,
            waitsMs: backoffWaitsMs(huaweiRequests),
            timedOut: huaweiRequests,
            awsRequests: undefined,
          });
          break;
      }
    }
  });

  if (row.timeBound.kind === 'deadline') {
    it(`with ${ROOMY_REMAINING_MS / 1000} s left, Huawei receives more requests: the deadline stopped it`, () => {
      expect(runOf('roomy').huaweiRequests).toBeGreaterThan(attemptsOf(row, 'http'));
    });
  } else {
    it(`with ${ROOMY_REMAINING_MS / 1000} s left, Huawei receives as many requests: the deadline did not stop it`, () => {
      expect(runOf('roomy').huaweiRequests).toBe(attemptsOf(row, 'http'));
    });
  }

  if (row.event === 'none') {
    it('no status-change event is put on the bus', () => {
      for (const entry of ENTRIES) {
        expect({ entry, ...runOf(entry).events }).toEqual({
          entry,
          attempted: 0,
          handedBack: false,
        });
      }
    });
  } else {
    it('the change waits in the stream while EventBridge is down, then is published once', () => {
      for (const entry of ENTRIES) {
        expect({ entry, ...runOf(entry).events }).toEqual({
          entry,
          attempted: expect.any(Number),
          handedBack: true,
          publishedWhileDown: 0,
          publishedAfter: 1,
        });
      }
    });
  }
});

describe('the fault matrix document', () => {
  it('has one row per id', () => {
    const ids = FAULT_ROWS.map((row) => row.id);

    expect(new Set(ids).size).toBe(ids.length);
  });

  it(`${FAULT_MATRIX_PATH} is the rendering of the rows`, () => {
    const rendered = renderFaultMatrix(FAULT_ROWS);
    let checkedIn: string | undefined;
    try {
      checkedIn = readFileSync(resolve(__dirname, '../..', FAULT_MATRIX_PATH), 'utf8');
    } catch {
      checkedIn = undefined;
    }

    if (checkedIn !== rendered) {
      throw new Error(
        `${FAULT_MATRIX_PATH} is missing or out of date: run \`npm run fault-matrix\` and commit the result.`,
      );
    }
  });
});
