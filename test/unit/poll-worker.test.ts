import { createContainer, type Container } from '../../lib/container';
import { serviceDynamoDb } from '../support/dynamodb-client';
import {
  ConfigurationError,
  DependencyUnavailableError,
  TaskNotFoundError,
  UpstreamContractError,
  UpstreamUnavailableError,
} from '../../lib/errors';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { REPORTED_FAILURES, pollTasks } from '../../lib/poll/poll-tasks';
import { createPollWorkerHandler } from '../../lib/poll/poll-worker';
import type { TaskCheck, TaskObserver } from '../../lib/task-observer';
import type { TaskRef } from '../../lib/task-ref';
import { lambdaContext } from '../support/lambda';
import { sqsRecord } from '../support/sqs-record';

const PROJECT_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const INSTANCE_ID = '59f6d088-1b2c-4d5e-8f90-123456789abc';

const ENV = {
  HUAWEICLOUD_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:huawei-aksk',
  HUAWEICLOUD_REGION: 'cn-north-4',
  HUAWEICLOUD_PROJECT_ID: PROJECT_ID,
  STATUS_TABLE_NAME: 'connector-status',
};

function refs(count: number, offset = 0): TaskRef[] {
  return Array.from({ length: count }, (_, i) => ({
    projectId: PROJECT_ID,
    instanceId: INSTANCE_ID,
    taskId: `00000000-0000-4000-8000-${String(offset + i).padStart(12, '0')}`,
  }));
}

/** An observer that fails the tasks it is told to, in the order the poll reaches them. */
function fakeObserver(failing: Map<string, Error>): TaskObserver {
  return {
    check: (ref: TaskRef): Promise<TaskCheck> => {
      const error = failing.get(ref.taskId);
      if (error) return Promise.reject(error);
      return Promise.resolve({
        kind: 'gone',
        error: new TaskNotFoundError('task'),
        statusChanged: false,
        previousStatus: null,
      });
    },
  } as unknown as TaskObserver;
}

/** `upstream` tasks fail upstream, then `infrastructure` tasks fail on DynamoDB. */
function failures(upstream: readonly TaskRef[], infrastructure: readonly TaskRef[]) {
  return new Map<string, Error>([
    ...upstream.map((r) => [r.taskId, new UpstreamContractError('no status')] as const),
    ...infrastructure.map(
      (r) => [r.taskId, new DependencyUnavailableError('Amazon DynamoDB')] as const,
    ),
  ]);
}

function setup(failing: Map<string, Error>) {
  const logger = createLogger();
  const metrics = createMetrics();
  const container: Container = {
    ...createContainer(ENV, {
      logger,
      metrics,
      dynamoDb: serviceDynamoDb({ endpoint: 'http://127.0.0.1:9' }),
    }),
    observer: fakeObserver(failing),
  };
  return {
    container,
    worker: createPollWorkerHandler(container, { concurrency: 1 }),
    addMetric: jest.spyOn(metrics, 'addMetric'),
    loggedError: jest.spyOn(logger, 'error'),
  };
}

const call = { concurrency: 1, deadline: Date.now() + 60_000 };

describe('pollTasks', () => {
  it('counts every infrastructure failure, also those past the reported sample', async () => {
    const [upstream, infrastructure] = [refs(REPORTED_FAILURES + 1), refs(4, 100)];
    const { container } = setup(failures(upstream, infrastructure));

    const { summary, infrastructureFailed } = await pollTasks(
      { tasks: [...upstream, ...infrastructure], instances: [] },
      container,
      call,
    );

    expect(summary.failures.some((f) => f.code === 'DEPENDENCY_UNAVAILABLE')).toBe(false);
    expect(infrastructureFailed).toBe(4);
  });

  it('counts a configuration error as an infrastructure failure', async () => {
    const [task] = refs(1);
    const { container } = setup(new Map([[task!.taskId, new ConfigurationError('bad secret')]]));

    const { infrastructureFailed } = await pollTasks(
      { tasks: [task!], instances: [] },
      container,
      call,
    );

    expect(infrastructureFailed).toBe(1);
  });

  it('does not count upstream failures as infrastructure failures', async () => {
    const upstream = refs(3);
    const { container } = setup(failures(upstream, []));

    const { infrastructureFailed } = await pollTasks(
      { tasks: upstream, instances: [] },
      container,
      call,
    );

    expect(infrastructureFailed).toBe(0);
  });
});

describe('pollTasks with several tasks of one instance watched by name', () => {
  it('checks the tasks a refused listing hands back with every worker of the poll', async () => {
    const tasks = refs(4);
    const { container } = setup(new Map());
    let inFlight = 0;
    let mostInFlight = 0;
    const checked: string[] = [];
    const observer = {
      // eslint-disable-next-line require-yield -- the listing is refused before its first page
      async *listPages() {
        await Promise.resolve();
        throw new UpstreamUnavailableError();
      },
      check: async (ref: TaskRef): Promise<TaskCheck> => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        checked.push(ref.taskId);
        return {
          kind: 'gone',
          error: new TaskNotFoundError('task'),
          statusChanged: false,
          previousStatus: null,
        };
      },
    } as unknown as TaskObserver;

    const { summary } = await pollTasks(
      { tasks, instances: [] },
      { ...container, observer },
      { ...call, concurrency: 3 },
    );

    expect(checked.sort()).toStrictEqual(tasks.map((t) => t.taskId));
    expect(mostInFlight).toBe(3);
    expect(summary).toMatchObject({ checked: 4, missing: 4, failed: 0 });
  });
});

describe('pollTasks with task health', () => {
  it('leaves no health read behind when every task failed before it could be assessed', async () => {
    const [task] = refs(1);
    const { container } = setup(new Map([[task!.taskId, new DependencyUnavailableError('x')]]));
    const getMany = jest.fn(() => Promise.resolve(new Map()));

    await pollTasks(
      { tasks: [task!], instances: [] },
      { ...container, healthStore: { getMany, save: () => Promise.resolve(true) } },
      { ...call, health: { stuckAfterMs: new Map(), unobservableAfter: 3 } },
    );
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(getMany).not.toHaveBeenCalled();
  });
});

describe('poll worker', () => {
  it('reports a record whose infrastructure failure follows more than the sampled failures', async () => {
    const [upstream, infrastructure] = [refs(REPORTED_FAILURES + 1), refs(4, 100)];
    const upstreamOnly = refs(1, 200);
    const { worker } = setup(failures([...upstream, ...upstreamOnly], infrastructure));
    const records = [
      sqsRecord('batch-a', [...upstream, ...infrastructure]),
      sqsRecord('batch-b', upstreamOnly),
    ];

    const response = await worker({ Records: records }, lambdaContext(20_000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'batch-a' }] });
  });

  it('reports the failed record of a batch of one instead of failing the invocation', async () => {
    const infrastructure = refs(1);
    const { worker } = setup(failures([], infrastructure));

    const response = await worker(
      { Records: [sqsRecord('only', infrastructure)] },
      lambdaContext(20_000),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'only' }] });
  });

  it('does not count a batch whose every record failed as a failed invocation', async () => {
    const infrastructure = refs(1);
    const { worker, addMetric } = setup(failures([], infrastructure));

    await worker({ Records: [sqsRecord('only', infrastructure)] }, lambdaContext(20_000)).catch(
      () => undefined,
    );

    expect(addMetric.mock.calls.map(([name]) => name)).not.toContain('FailedRequests');
  });

  it('logs a redelivered record under its code, not as unexpected', async () => {
    const infrastructure = refs(1);
    const { worker, loggedError } = setup(failures([], infrastructure));

    await worker({ Records: [sqsRecord('only', infrastructure)] }, lambdaContext(20_000)).catch(
      () => undefined,
    );

    expect(loggedError.mock.calls.map(([message, fields]) => [message, fields])).toEqual([
      [expect.any(String), expect.objectContaining({ code: 'DEPENDENCY_UNAVAILABLE' })],
    ]);
  });
});
