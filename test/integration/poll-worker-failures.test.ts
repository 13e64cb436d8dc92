/**
 * The poll worker while DynamoDB is unreachable: a batch that could not record its tasks' statuses
 * must come back (batch item failure), however many upstream failures came first, and a batch
 * whose every record failed is still a batch response, not a failed invocation.
 */
import { REPORTED_FAILURES } from '../../lib/poll/poll-tasks';
import { createPollWorkerHandler, type PollWorkerHandler } from '../../lib/poll/poll-worker';
import type { TaskRef } from '../../lib/task-ref';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { INSTANCE_ID, PROJECT_ID, startHarness, type Harness } from '../support/harness';
import { lambdaContext } from '../support/lambda';
import { freePort } from '../support/moto';
import { captureJsonLines } from '../support/capture-output';
import { serviceDynamoDb } from '../support/dynamodb-client';
import { sqsRecord } from '../support/sqs-record';

const harnesses: Harness[] = [];

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
});

/** The worker of a deployment whose DynamoDB refuses every connection. */
async function setup(): Promise<{ harness: Harness; worker: PollWorkerHandler }> {
  const dynamoDb = serviceDynamoDb({
    endpoint: `http://127.0.0.1:${await freePort()}`,
    maxAttempts: 1,
  });
  const harness = await startHarness({ overrides: { random: () => 0, dynamoDb } });
  harnesses.push(harness);
  // One task at a time: the failures happen in the order of the batch.
  return { harness, worker: createPollWorkerHandler(harness.container, { concurrency: 1 }) };
}

let nextTask = 0;

/** Tasks Huawei serves without a status: each fails upstream before DynamoDB is used. */
function brokenTasks(harness: Harness, count: number): TaskRef[] {
  return Array.from({ length: count }, () => {
    const taskId = `00000000-0000-4000-8000-${String(nextTask++).padStart(12, '0')}`;
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, { id: taskId, task_name: 'no status' });
    return { projectId: PROJECT_ID, instanceId: INSTANCE_ID, taskId };
  });
}

/** Tasks Huawei serves well: each fails when its stored status is read. */
function healthyTasks(harness: Harness, count: number): TaskRef[] {
  return Array.from({ length: count }, () => {
    const taskId = `00000000-0000-4000-8000-${String(nextTask++).padStart(12, '0')}`;
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: taskId }));
    return { projectId: PROJECT_ID, instanceId: INSTANCE_ID, taskId };
  });
}

describe('poll worker while DynamoDB is unreachable', () => {
  it('redelivers a batch whose DynamoDB failure follows more upstream failures than are sampled', async () => {
    const { harness, worker } = await setup();
    const batch = [...brokenTasks(harness, REPORTED_FAILURES + 1), ...healthyTasks(harness, 4)];
    const upstreamOnly = brokenTasks(harness, 1);
    const records = [sqsRecord('batch', batch), sqsRecord('upstream-only', upstreamOnly)];

    const response = await worker({ Records: records }, lambdaContext(20_000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'batch' }] });
  });

  it('reports the failed record of a batch of one instead of failing the invocation', async () => {
    const { harness, worker } = await setup();
    const record = sqsRecord('only', healthyTasks(harness, 1));

    const response = await worker({ Records: [record] }, lambdaContext(20_000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'only' }] });
  });

  it('counts no failed invocation when every record of the batch failed', async () => {
    const { harness, worker } = await setup();
    const record = sqsRecord('only', healthyTasks(harness, 1));

    const lines = await captureJsonLines(() =>
      worker({ Records: [record] }, lambdaContext(20_000)).catch(() => undefined),
    );

    expect(lines.filter((l) => '_aws' in l && 'FailedRequestsByCode' in l)).toEqual([]);
  });

  it('logs the failed record as DEPENDENCY_UNAVAILABLE with its message id', async () => {
    const { harness, worker } = await setup();
    const record = sqsRecord('only', healthyTasks(harness, 1));

    const lines = await captureJsonLines(() =>
      worker({ Records: [record] }, lambdaContext(20_000)).catch(() => undefined),
    );

    expect(lines.filter((l) => l.level === 'ERROR').map((l) => [l.code, l.messageId])).toEqual([
      ['DEPENDENCY_UNAVAILABLE', 'only'],
    ]);
  });
});
