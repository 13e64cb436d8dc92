import { normalizeConnectorTask } from '../../lib/connector-task';
import {
  TaskNotFoundError,
  UpstreamThrottledError,
  UpstreamUnavailableError,
} from '../../lib/errors';
import { MAX_LIST_PAGES, type TaskListPage } from '../../lib/huawei/task-list-pages';
import {
  observeInstance,
  type InstancePollContext,
  type PollOutcomes,
} from '../../lib/poll/observe-instance';
import type { InstanceWatch } from '../../lib/poll/poll-plan';
import { DELETED_STATUS } from '../../lib/status/status-event';
import type { ListedTask, TaskCheck, TaskObserver } from '../../lib/task-observer';
import type { TaskRef } from '../../lib/task-ref';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { REF } from './status-fixtures';
import { failNormalizing, restoreNormalizer } from '../support/normalizer-fault';
import type * as NormalizerFault from '../support/normalizer-fault';

// A fault of our own in the normalizer, which no input can provoke (test/support/normalizer-fault.ts).
jest.mock('../../lib/connector-task', () =>
  jest.requireActual<typeof NormalizerFault>('../support/normalizer-fault').mockableConnectorTask(),
);
afterEach(restoreNormalizer);

const INSTANCE = { projectId: REF.projectId, instanceId: REF.instanceId };
const WATCH: InstanceWatch = { ...INSTANCE, taskIds: [] };
const ids = (count: number, from = 0) =>
  Array.from(
    { length: count },
    (_, i) => `00000000-0000-4000-8000-${String(from + i).padStart(12, '0')}`,
  );
const ref = (taskId: string): TaskRef => ({ ...INSTANCE, taskId });

function page(entities: unknown[], offset = 0, more = false): TaskListPage {
  return {
    offset,
    entities,
    totalNumber: offset + entities.length + (more ? 1 : 0),
    requestId: 'req-1',
    lookedAt: 1_000,
    answeredAt: 1_020,
    more,
  };
}

interface Scenario {
  pages?: TaskListPage[];
  /** Thrown by the listing after its pages. */
  listingError?: Error;
  known?: { taskId: string; status: string }[] | Error;
  watch?: InstanceWatch;
  retryThrottled?: boolean;
  /** No health is read in this poll. */
  withoutHealth?: boolean;
  /** observeListed fails for these tasks with this error. */
  observeListedFails?: { taskIds: string[]; error: Error };
}

function run(scenario: Scenario) {
  const listedRefs: TaskRef[] = [];
  const listedStatuses: string[] = [];
  const checked: TaskRef[] = [];
  const failed: { what: string; code: string; affected: string[] }[] = [];
  const failures: unknown[] = [];
  const observed: { ref: TaskRef; result: TaskCheck }[] = [];
  const prefetched: string[][] = [];
  let listedCount = 0;
  const observer = {
    async *listPages() {
      for (const p of scenario.pages ?? []) yield await Promise.resolve(p);
      if (scenario.listingError) throw scenario.listingError;
    },
    observeListed: (task: ListedTask) => {
      const fails = scenario.observeListedFails;
      if (fails?.taskIds.includes(task.ref.taskId)) return Promise.reject(fails.error);
      listedRefs.push(task.ref);
      listedStatuses.push(task.task.status);
      return Promise.resolve({
        task: task.task,
        statusChanged: false,
        previousStatus: task.task.status,
        statusSince: null,
        upstreamRequestId: task.upstreamRequestId,
      });
    },
  } as unknown as TaskObserver;
  const tally: PollOutcomes = {
    observed: (observedRef, result) => {
      observed.push({ ref: observedRef, result });
      return Promise.resolve();
    },
    listed: (count) => {
      listedCount += count;
    },
    failed: (what, error, affected) => {
      failures.push(error);
      failed.push({
        what,
        code: (error as { code?: string }).code ?? 'none',
        // Strictly the task ids: anything else shows up as itself.
        affected: affected.map((r) => (typeof r === 'object' ? r.taskId : JSON.stringify(r))),
      });
      return Promise.resolve();
    },
  };
  const known = scenario.known ?? [];
  const ctx: InstancePollContext = {
    observer,
    store: {
      listByInstance: () =>
        known instanceof Error ? Promise.reject(known) : Promise.resolve(known),
    },
    call: { deadline: Number.MAX_SAFE_INTEGER },
    read: () => Promise.resolve(undefined),
    health: scenario.withoutHealth
      ? undefined
      : { prefetch: (refs) => prefetched.push(refs.map((r) => r.taskId)) },
    tally,
    check: (r) => {
      checked.push(r);
      return Promise.resolve();
    },
  };
  const outcome = observeInstance(scenario.watch ?? WATCH, ctx, {
    retryThrottled: scenario.retryThrottled ?? false,
  });
  return {
    outcome,
    listedRefs,
    listedStatuses,
    checked,
    failed,
    failures,
    observed,
    prefetched,
    listed: () => listedCount,
  };
}

const entities = (taskIds: string[]) => taskIds.map((id) => exampleTask({ id }));

describe('observeInstance', () => {
  it('observes every listed task from its page, with no request of its own', async () => {
    const tasks = ids(3);
    const result = run({ pages: [page(entities(tasks))] });

    await result.outcome;

    expect(result.listedRefs).toEqual(tasks.map(ref));
    expect(result.checked).toEqual([]);
    expect(result.failed).toStrictEqual([]);
    expect(result.listed()).toBe(3);
  });

  it("counts each listed task's observation in the tally, as a task present", async () => {
    const [taskId] = ids(1);
    const entity = exampleTask({ id: taskId, status: 'PAUSED' });
    const result = run({ pages: [page([entity])] });

    await result.outcome;

    expect(result.observed).toEqual([
      {
        ref: ref(taskId!),
        result: {
          kind: 'present',
          task: normalizeConnectorTask(entity),
          statusChanged: false,
          previousStatus: 'PAUSED',
          statusSince: null,
          upstreamRequestId: 'req-1',
        },
      },
    ]);
  });

  it("counts a listed task whose recording failed as that task's failure, for its health", async () => {
    const [kept, lost] = ids(2);
    const outage = new UpstreamUnavailableError();
    const result = run({
      pages: [page(entities([kept!, lost!]))],
      observeListedFails: { taskIds: [lost!], error: outage },
    });

    await result.outcome;

    expect(result.observed.map((o) => o.ref)).toEqual([ref(kept!)]);
    expect(result.failed).toEqual([
      {
        what: `${REF.projectId}/${REF.instanceId}/${lost!}`,
        code: 'UPSTREAM_UNAVAILABLE',
        affected: [lost!],
      },
    ]);
    expect(result.checked).toEqual([]);
  });

  // TaskObserver.listPages yields a first page or throws; this holds observeInstance to its own
  // side of that interface: no page seen is no cut-off.
  it('reports no cut-off for a listing that yields no page', async () => {
    const result = run({ pages: [] });

    await result.outcome;

    expect(result.failed).toEqual([]);
  });

  it('observes the listed tasks in a poll that reads no health', async () => {
    const tasks = ids(2);
    const result = run({ pages: [page(entities(tasks))], withoutHealth: true });

    await result.outcome;

    expect(result.listedRefs).toEqual(tasks.map(ref));
    expect(result.failed).toEqual([]);
  });

  it("reads the health of each page's tasks in one batch as the page comes in", async () => {
    const [first, second] = [ids(2), ids(1, 2)];
    const result = run({
      pages: [page(entities(first), 0, true), page(entities(second), 2)],
    });

    await result.outcome;

    expect(result.prefetched).toEqual([first, second]);
  });

  it('records a task listed twice (it moved while we paged) once, as the later page showed it', async () => {
    const [task] = ids(1);
    const result = run({
      pages: [
        page([exampleTask({ id: task, status: 'RUNNING' })], 0, true),
        page([exampleTask({ id: task, status: 'PAUSED' })], 1),
      ],
    });

    await result.outcome;

    expect(result.listedRefs).toEqual([ref(task!)]);
    expect(result.listedStatuses).toEqual(['PAUSED']);
    expect(result.listed()).toBe(1);
  });

  it('asks on its own for a task whose entity the task cannot be made from', async () => {
    const [whole, partial] = ids(2);
    const withoutStatus: Record<string, unknown> = exampleTask({ id: partial });
    delete withoutStatus.status;
    const result = run({ pages: [page([exampleTask({ id: whole }), withoutStatus])] });

    await result.outcome;

    expect(result.listedRefs).toEqual([ref(whole!)]);
    expect(result.checked).toEqual([ref(partial!)]);
    expect(result.failed).toEqual([]);
  });

  it('reports an entity that names no usable task as a failure of the instance', async () => {
    const result = run({ pages: [page([{ id: 'not-a-uuid' }, 42, null])] });

    await result.outcome;

    const entityFailure = {
      what: `${REF.projectId}/${REF.instanceId}/*`,
      code: 'UPSTREAM_CONTRACT_VIOLATION',
      affected: [],
    };
    expect(result.failed).toEqual([entityFailure, entityFailure, entityFailure]);
    expect(result.checked).toEqual([]);
  });

  it('asks on its own for known tasks the listing no longer shows, but not for deleted ones', async () => {
    const [listed, gone, deleted] = ids(3);
    const result = run({
      pages: [page(entities([listed!]))],
      known: [
        { taskId: listed!, status: 'RUNNING' },
        { taskId: gone!, status: 'RUNNING' },
        { taskId: deleted!, status: DELETED_STATUS },
      ],
    });

    await result.outcome;

    expect(result.checked).toEqual([ref(gone!)]);
  });

  it('asks on its own for a task watched by name that the listing does not show', async () => {
    const [listed, named] = ids(2);
    const result = run({
      pages: [page(entities([listed!]))],
      watch: { ...WATCH, taskIds: [listed!, named!] },
    });

    await result.outcome;

    expect(result.checked).toEqual([ref(named!)]);
  });

  it('confirms each known task on its own when the instance is gone', async () => {
    const [known] = ids(1);
    const result = run({
      listingError: new TaskNotFoundError('instance'),
      known: [{ taskId: known!, status: 'RUNNING' }],
    });

    await result.outcome;

    expect(result.checked).toEqual([ref(known!)]);
    expect(result.failed).toEqual([]);
  });

  it('reports a refused listing once, naming the tasks it hid from us for their health', async () => {
    const [listed, hidden, named] = ids(3);
    const result = run({
      pages: [page(entities([listed!]), 0, true)],
      listingError: new UpstreamUnavailableError(),
      known: [
        { taskId: listed!, status: 'RUNNING' },
        { taskId: hidden!, status: 'RUNNING' },
      ],
      watch: { ...WATCH, taskIds: [named!] },
    });

    await result.outcome;

    expect(result.failed).toEqual([
      {
        what: `${REF.projectId}/${REF.instanceId}/*`,
        code: 'UPSTREAM_UNAVAILABLE',
        affected: [named!, hidden!],
      },
    ]);
    expect(result.checked).toEqual([]);
  });

  it('hands a throttled first page back to be tried again later, when it may', async () => {
    const throttled = new UpstreamThrottledError();
    const result = run({ listingError: throttled, retryThrottled: true });

    await expect(result.outcome).rejects.toBe(throttled);
    expect(result.failed).toEqual([]);
  });

  it('reports a throttled listing as a failure when it may not be tried again', async () => {
    const result = run({
      listingError: new UpstreamThrottledError(),
      retryThrottled: false,
    });

    await result.outcome;

    expect(result.failed.map((f) => f.code)).toEqual(['UPSTREAM_THROTTLED']);
  });

  it('hands a throttled listing back whole, having recorded nothing of its earlier pages', async () => {
    const throttled = new UpstreamThrottledError();
    const result = run({
      pages: [page([...entities(ids(1)), { id: 'not-a-uuid' }], 0, true)],
      listingError: throttled,
      retryThrottled: true,
    });

    await expect(result.outcome).rejects.toBe(throttled);
    expect([result.listedRefs, result.failed, result.listed()]).toEqual([[], [], 0]);
  });

  it('takes a 404 other than "no such instance" as a refused listing, not as every task gone', async () => {
    const [known] = ids(1);
    const result = run({
      listingError: new TaskNotFoundError('task'),
      known: [{ taskId: known!, status: 'RUNNING' }],
    });

    await result.outcome;

    expect(result.checked).toEqual([]);
    expect(result.failed).toEqual([
      { what: `${REF.projectId}/${REF.instanceId}/*`, code: 'TASK_NOT_FOUND', affected: [known!] },
    ]);
  });

  it('reports a listing cut off at the page ceiling, after recording what it showed', async () => {
    const result = run({ pages: [page(entities(ids(2)), 0, true)] });

    await result.outcome;

    expect(result.listedRefs).toHaveLength(2);
    expect(result.failed).toEqual([
      {
        what: `${REF.projectId}/${REF.instanceId}/*`,
        code: 'UPSTREAM_CONTRACT_VIOLATION',
        affected: [],
      },
    ]);
    expect(result.failures).toMatchObject([
      { reason: `the task list does not end within ${MAX_LIST_PAGES} pages` },
    ]);
  });

  it('fails the listing with a fault of our own met reading an entity, never blaming the entity', async () => {
    const [before, faulty] = ids(2);
    const bug = new TypeError('a fault of ours');
    failNormalizing(bug, faulty);
    const result = run({ pages: [page(entities([before!, faulty!]))] });

    await result.outcome;

    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toBe(bug);
    expect(result.checked).toEqual([]);
    expect(result.listedRefs).toEqual([ref(before!)]);
  });

  it('fails when the status table cannot say which tasks it knows, after recording the listed', async () => {
    const down = new Error('DynamoDB down');
    const result = run({ pages: [page(entities(ids(2)))], known: down });

    await expect(result.outcome).rejects.toBe(down);
    expect(result.listedRefs).toHaveLength(2);
  });
});
