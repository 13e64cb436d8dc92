import { normalizeConnectorTask } from '../../lib/connector-task';
import {
  TaskNotFoundError,
  UpstreamContractError,
  UpstreamUnavailableError,
} from '../../lib/errors';
import type { CallOptions, DmsClient, UpstreamResponse } from '../../lib/huawei/dms-client';
import type { TaskListPage } from '../../lib/huawei/task-list-pages';
import { createLogger } from '../../lib/logger';
import { DimensionedCounter, createMetrics } from '../../lib/metrics';
import type { StatusChange } from '../../lib/status/status-store';
import { TaskObserver, listedTask, type ListedTask } from '../../lib/task-observer';
import type { InstanceRef, TaskRef } from '../../lib/task-ref';
import type { Tracing } from '../../lib/tracing';
import { FakeClock } from '../support/fake-clock';
import { InMemoryStatusStore } from './in-memory-status-store';
import { REF, TASK_NAME, statusChange } from './status-fixtures';
import { failNormalizing, restoreNormalizer } from '../support/normalizer-fault';
import type * as NormalizerFault from '../support/normalizer-fault';

/*
 * What TaskObserver does with ListConnectorTasks: pages measured like any look at Huawei, each
 * entity normalized with the ShowConnectorTask schema, and recorded through the same decision and
 * conditional commit as `check`, at the times of the page that showed it.
 */

// A fault of our own in the normalizer, which no input can provoke (test/support/normalizer-fault.ts).
jest.mock('../../lib/connector-task', () =>
  jest.requireActual<typeof NormalizerFault>('../support/normalizer-fault').mockableConnectorTask(),
);
afterEach(restoreNormalizer);

const INSTANCE: InstanceRef = { projectId: REF.projectId, instanceId: REF.instanceId };
const REQUEST_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
/** How long the fake Huawei takes to answer a page, on the fake clock. */
const PAGE_LATENCY_MS = 250;

function entity(status = 'RUNNING', id = REF.taskId): Record<string, unknown> {
  return { id, status, task_name: TASK_NAME, create_time: 1708427753133 };
}

/** A page as the pager yields it, asked at `lookedAt` and answered PAGE_LATENCY_MS later. */
function page(entities: unknown[], lookedAt: number, offset = 0): TaskListPage {
  return {
    offset,
    entities,
    totalNumber: offset + entities.length,
    requestId: REQUEST_ID,
    lookedAt,
    answeredAt: lookedAt + PAGE_LATENCY_MS,
    more: false,
  };
}

function setup() {
  const clock = new FakeClock();
  const store = new InMemoryStatusStore();
  const pageRequests: { instance: InstanceRef; page: { offset: number; limit: number } }[] = [];
  const calls: CallOptions[] = [];
  let answer: () => Promise<UpstreamResponse> = () =>
    Promise.resolve({
      body: { tasks: [entity()], total_number: 1 },
      requestId: REQUEST_ID,
      attempts: 1,
      sentAt: clock.now(),
    });
  const showConnectorTask = jest.fn();
  const dms = {
    showConnectorTask,
    listConnectorTasks(
      instance: InstanceRef,
      requested: { offset: number; limit: number },
      call: CallOptions,
    ): Promise<UpstreamResponse> {
      pageRequests.push({ instance, page: requested });
      calls.push(call);
      clock.advance(PAGE_LATENCY_MS);
      return answer();
    },
  } as unknown as DmsClient;
  const metrics = createMetrics();
  const addMetric = jest.spyOn(metrics, 'addMetric');
  const upstreamOutcomes = new DimensionedCounter(metrics, 'UpstreamOutcome', 'outcome');
  const outcome = jest.spyOn(upstreamOutcomes, 'add');
  const traced = jest.fn<Promise<unknown>, Parameters<Tracing['traced']>>((_n, _a, work) => work());
  const tracing: Tracing = {
    enabled: false,
    middleware: undefined,
    captureClient: (client) => client,
    traced: traced as Tracing['traced'],
  };
  const observer = new TaskObserver({
    dms,
    store,
    clock,
    logger: createLogger(),
    metrics,
    tracing,
    upstreamOutcomes,
  });
  const call: CallOptions = { deadline: clock.now() + 5_000 };
  return {
    clock,
    store,
    observer,
    call,
    pageRequests,
    calls,
    showConnectorTask,
    traced,
    /** The next page requests answer this, or fail with it. */
    answers(response: UpstreamResponse | Error): void {
      answer = () =>
        response instanceof Error ? Promise.reject(response) : Promise.resolve(response);
    },
    metric: (name: string) =>
      addMetric.mock.calls.filter(([metricName]) => metricName === name).map((c) => c[2]),
    outcomes: () => outcome.mock.calls.map(([value]) => value),
    /** A task of REF listed with `status` on a page asked now. */
    listed: (status = 'RUNNING'): ListedTask =>
      listedTask(INSTANCE, page([entity(status)], clock.now()), 0),
    async pages(): Promise<TaskListPage[]> {
      const seen: TaskListPage[] = [];
      for await (const listedPage of observer.listPages(INSTANCE, call)) seen.push(listedPage);
      return seen;
    },
  };
}

describe('listedTask: an entity of a list page', () => {
  it('is normalized exactly as a ShowConnectorTask body with the same fields', () => {
    const body = entity('PAUSED');

    const listed = listedTask(INSTANCE, page([body], 0), 0);

    expect(listed.task).toEqual(normalizeConnectorTask(body));
  });

  it('is the task of the listed instance with the entity’s id', () => {
    const other = '2a5a28e1-bbbb-4ccc-8ddd-123456789abc';

    const listed = listedTask(INSTANCE, page([entity(), entity('RUNNING', other)], 0), 1);

    expect(listed.ref).toEqual<TaskRef>({ ...INSTANCE, taskId: other });
  });

  it('carries the times and request id of the page request that showed it', () => {
    const listed = listedTask(INSTANCE, page([entity()], 1_000), 0);

    expect(listed).toMatchObject({
      lookedAt: 1_000,
      answeredAt: 1_000 + PAGE_LATENCY_MS,
      upstreamRequestId: REQUEST_ID,
    });
  });

  it('is refused when it breaks the task schema, naming its offset in the listing', () => {
    const broken = page([entity(), { id: REF.taskId, status: 42 }], 0, 50);

    const error = catchError(() => listedTask(INSTANCE, broken, 1));

    expect(error).toBeInstanceOf(UpstreamContractError);
    expect(error).toMatchObject({
      reason: 'task list offset 51: the task is invalid (status: expected string, got integer)',
      upstreamRequestId: REQUEST_ID,
    });
  });

  it('is refused when its id is not a task id we accept, since it would become a key', () => {
    const masked = page([entity('RUNNING', '194917d0-****-****-****-********')], 0);

    const error = catchError(() => listedTask(INSTANCE, masked, 0));

    expect(error).toMatchObject({
      code: 'UPSTREAM_CONTRACT_VIOLATION',
      reason: 'task list offset 0: the task id is not a lowercase UUID',
    });
  });

  it('lets a fault of our own through as itself, never as a breach of contract by Huawei', () => {
    const bug = new TypeError('a fault of ours');
    failNormalizing(bug);

    const error = catchError(() => listedTask(INSTANCE, page([entity()], 0), 0));

    expect(error).toBe(bug);
  });
});

describe('TaskObserver.observeListed', () => {
  it('records a task never seen as version 1, changed from null', async () => {
    const { observer, store, listed } = setup();

    const observation = await observer.observeListed(listed('RUNNING'));

    expect(store.stored(REF)).toMatchObject<Partial<StatusChange>>({
      status: 'RUNNING',
      version: 1,
      previousStatus: null,
      taskName: TASK_NAME,
      task: normalizeConnectorTask(entity('RUNNING')),
    });
    expect(observation).toEqual({
      task: normalizeConnectorTask(entity('RUNNING')),
      statusChanged: true,
      previousStatus: null,
      statusSince: store.stored(REF)?.observedAt,
      upstreamRequestId: REQUEST_ID,
    });
  });

  it('makes no call to Huawei of its own', async () => {
    const { observer, listed, showConnectorTask, pageRequests } = setup();

    await observer.observeListed(listed());

    expect(showConnectorTask).not.toHaveBeenCalled();
    expect(pageRequests).toEqual([]);
  });

  it('records when the page asked Huawei, not when the task was recorded', async () => {
    const { observer, store, clock } = setup();
    const asked = clock.now();
    const listed = listedTask(INSTANCE, page([entity()], asked), 0);
    clock.advance(60_000);

    await observer.observeListed(listed);

    expect(store.stored(REF)?.lookedAt).toBe(asked);
  });

  it('commits nothing when the listed status is the stored one', async () => {
    const { observer, store, listed } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 3 }));

    const observation = await observer.observeListed(listed('RUNNING'));

    expect(store.commits).toEqual([]);
    expect(observation).toMatchObject({ statusChanged: false, previousStatus: 'RUNNING' });
  });

  it('commits a new status as the next version, changed from the stored one', async () => {
    const { observer, store, listed } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 3 }));

    await observer.observeListed(listed('PAUSED'));

    expect(store.stored(REF)).toMatchObject({
      status: 'PAUSED',
      version: 4,
      previousStatus: 'RUNNING',
    });
  });

  it('leaves a stored status alone when its observation asked Huawei after the page was answered', async () => {
    const { observer, store, clock } = setup();
    const listed = listedTask(INSTANCE, page([entity('RUNNING')], clock.now()), 0);
    const afterTheAnswer = listed.answeredAt + 1;
    store.put(REF, statusChange({ status: 'PAUSED', version: 2, lookedAt: afterTheAnswer }));

    const observation = await observer.observeListed(listed);

    expect(store.commits).toEqual([]);
    expect(observation).toMatchObject({ statusChanged: false, previousStatus: 'PAUSED' });
  });

  it('commits when the stored observation asked Huawei no later than the page was answered', async () => {
    const { observer, store, clock } = setup();
    const listed = listedTask(INSTANCE, page([entity('RUNNING')], clock.now()), 0);
    store.put(REF, statusChange({ status: 'PAUSED', version: 2, lookedAt: listed.answeredAt }));

    await observer.observeListed(listed);

    expect(store.stored(REF)).toMatchObject({ status: 'RUNNING', version: 3 });
  });

  it('re-decides after losing the write to another observer', async () => {
    const { observer, store, listed } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 1 }));
    store.beforeCommit = () => {
      store.beforeCommit = undefined;
      store.put(REF, statusChange({ status: 'WAITING', version: 2, previousStatus: 'RUNNING' }));
    };

    const observation = await observer.observeListed(listed('PAUSED'));

    expect(store.commits.map((c) => [c.version, c.previousStatus, c.status])).toEqual([
      [2, 'RUNNING', 'PAUSED'],
      [3, 'WAITING', 'PAUSED'],
    ]);
    expect(observation).toMatchObject({ statusChanged: true, previousStatus: 'WAITING' });
  });

  it('reads the stored status through the reader it is given', async () => {
    const { observer, store, listed } = setup();
    const read = jest.fn(() => Promise.resolve(undefined));

    await observer.observeListed(listed(), read);

    expect(read).toHaveBeenCalledWith(REF);
    expect(store.gets).toEqual([]);
  });
});

describe('TaskObserver.listPages', () => {
  it('asks Huawei for the instance’s pages with the caller’s deadline', async () => {
    const { pages, pageRequests, calls, call } = setup();

    await pages();

    expect(pageRequests).toEqual([{ instance: INSTANCE, page: { offset: 0, limit: 50 } }]);
    expect(calls).toEqual([call]);
  });

  it('measures each page request as a look at Huawei', async () => {
    const { pages, metric, outcomes, answers } = setup();
    answers({
      body: { tasks: [], total_number: 0 },
      requestId: REQUEST_ID,
      attempts: 2,
      sentAt: 0,
    });

    await pages();

    expect(metric('UpstreamLatency')).toEqual([PAGE_LATENCY_MS]);
    expect(metric('UpstreamAttempts')).toEqual([2]);
    expect(outcomes()).toEqual(['OK']);
  });

  it('counts a failed page request under its code and attempts, and throws it', async () => {
    const { pages, metric, outcomes, answers } = setup();
    const failure = new UpstreamUnavailableError();
    failure.attempts = 3;
    answers(failure);

    await expect(pages()).rejects.toBe(failure);
    expect(metric('UpstreamAttempts')).toEqual([3]);
    expect(outcomes()).toEqual(['UPSTREAM_UNAVAILABLE']);
  });

  it('counts a missing instance under its code, as one attempt', async () => {
    const { pages, metric, outcomes, answers } = setup();
    answers(new TaskNotFoundError('instance', REQUEST_ID));

    await expect(pages()).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(metric('UpstreamAttempts')).toEqual([1]);
    expect(outcomes()).toEqual(['INSTANCE_NOT_FOUND']);
  });

  it('counts an unexpected failure as INTERNAL_ERROR', async () => {
    const { pages, outcomes, answers } = setup();
    answers(new TypeError('a bug'));

    await expect(pages()).rejects.toBeInstanceOf(TypeError);
    expect(outcomes()).toEqual(['INTERNAL_ERROR']);
  });

  it('traces each page request annotated with the instance and offset', async () => {
    const { pages, traced } = setup();

    await pages();

    expect(traced.mock.calls.map((c) => c.slice(0, 2))).toEqual([
      ['Huawei DMS ListConnectorTasks', { instanceId: INSTANCE.instanceId, offset: '0' }],
    ]);
  });
});

function catchError(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
