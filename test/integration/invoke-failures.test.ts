/**
 * Direct invoke failures that happen around the task observation itself: a payload that is not
 * an invocation input, and a status table that is missing or unreachable (idempotency records
 * live there). Each must reach the caller as one of our errors, and be logged and counted.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ContainerOverrides } from '../../lib/container';
import { serviceDynamoDb } from '../support/dynamodb-client';
import { INSTANCE_ID, TASK_ID, startHarness, type Harness } from '../support/harness';
import { freePort } from '../support/moto';
import { captureJsonLines } from '../support/capture-output';

const INPUT = { instanceId: INSTANCE_ID, taskId: TASK_ID };

const harnesses: Harness[] = [];

async function setup(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const harness = await startHarness(options);
  harnesses.push(harness);
  return harness;
}

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
});

/**
 * DynamoDB clients (the service's, and idempotency's SDK one) aimed at a loopback port nobody
 * listens on: refused at once, no retry.
 */
async function unreachableDynamoDb(): Promise<ContainerOverrides> {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  return {
    dynamoDb: serviceDynamoDb({ endpoint, maxAttempts: 1 }),
    idempotencyDynamoDb: new DynamoDBClient({ endpoint, maxAttempts: 1 }),
  };
}

interface Outcome {
  error: Error;
  lines: Record<string, unknown>[];
}

async function invokeFailing(harness: Harness, input: unknown): Promise<Outcome> {
  let error: unknown;
  const lines = await captureJsonLines(async () => {
    error = await harness.invoke(input).then(
      () => undefined,
      (e: unknown) => e,
    );
  });
  if (!(error instanceof Error)) throw new Error('expected the invocation to fail');
  return { error, lines };
}

function loggedCodes(lines: Record<string, unknown>[]): unknown[] {
  return lines.filter((l) => typeof l.level === 'string' && 'code' in l).map((l) => l.code);
}

/** The `code` dimension of every FailedRequestsByCode metric (EMF) written. */
function countedCodes(lines: Record<string, unknown>[]): unknown[] {
  return lines.filter((l) => '_aws' in l && 'FailedRequestsByCode' in l).map((l) => l.code);
}

describe('direct invoke with a payload that is not an invocation input', () => {
  it.each([
    { label: 'null', input: null },
    { label: 'an empty object', input: {} },
    { label: 'a string', input: 'observe the task' },
  ])('throws InvalidRequestError with a one-line stack for $label', async ({ input }) => {
    const harness = await setup();

    const { error } = await invokeFailing(harness, input);

    expect(error.name).toBe('InvalidRequestError');
    expect(error.stack).toBe(`InvalidRequestError: ${error.message}`);
  });

  it('logs and counts the refusal as INVALID_REQUEST', async () => {
    const harness = await setup();

    const { lines } = await invokeFailing(harness, null);

    expect(loggedCodes(lines)).toEqual(['INVALID_REQUEST']);
    expect(countedCodes(lines)).toEqual(['INVALID_REQUEST']);
  });

  it('is refused before the idempotency store is used, even while DynamoDB is down', async () => {
    const harness = await setup({ overrides: await unreachableDynamoDb() });

    const { error } = await invokeFailing(harness, {});

    expect(error.name).toBe('InvalidRequestError');
  });
});

describe('direct invoke while DynamoDB is unreachable', () => {
  it('throws DependencyUnavailableError with a one-line stack', async () => {
    const harness = await setup({ overrides: await unreachableDynamoDb() });

    const { error } = await invokeFailing(harness, INPUT);

    expect(error.name).toBe('DependencyUnavailableError');
    expect(error.stack).toBe(`DependencyUnavailableError: ${error.message}`);
  });

  it('logs and counts the failure as DEPENDENCY_UNAVAILABLE', async () => {
    const harness = await setup({ overrides: await unreachableDynamoDb() });

    const { lines } = await invokeFailing(harness, INPUT);

    expect(loggedCodes(lines)).toEqual(['DEPENDENCY_UNAVAILABLE']);
    expect(countedCodes(lines)).toEqual(['DEPENDENCY_UNAVAILABLE']);
  });

  it('does not call Huawei', async () => {
    const harness = await setup({ overrides: await unreachableDynamoDb() });

    await invokeFailing(harness, INPUT);

    expect(harness.simulator.requests).toHaveLength(0);
  });
});

describe('direct invoke when the status table does not exist', () => {
  it('throws ConfigurationError naming STATUS_TABLE_NAME, with a one-line stack', async () => {
    const harness = await setup({ env: { STATUS_TABLE_NAME: 'no-such-status-table' } });

    const { error } = await invokeFailing(harness, INPUT);

    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toContain('STATUS_TABLE_NAME');
    expect(error.stack).toBe(`ConfigurationError: ${error.message}`);
  });

  it('logs and counts the failure as CONFIGURATION_ERROR', async () => {
    const harness = await setup({ env: { STATUS_TABLE_NAME: 'no-such-status-table' } });

    const { lines } = await invokeFailing(harness, INPUT);

    expect(loggedCodes(lines)).toEqual(['CONFIGURATION_ERROR']);
    expect(countedCodes(lines)).toEqual(['CONFIGURATION_ERROR']);
  });
});

describe('direct invoke of a payload that is already being observed', () => {
  it('leaves the running invocation its idempotency record', async () => {
    const harness = await setup();
    harness.simulator.injectFault({ kind: 'slow', delayMs: 1_500 });
    const first = harness.invoke(INPUT);
    while (harness.simulator.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    await harness.invoke(INPUT).catch(() => undefined);

    const third = await harness.invoke(INPUT).catch((e: unknown) => e);

    expect(third).toMatchObject({ name: 'ObservationInProgressError' });
    await first;
  });
});
