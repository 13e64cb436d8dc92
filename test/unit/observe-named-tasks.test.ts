import {
  DependencyUnavailableError,
  TaskNotFoundError,
  UpstreamThrottledError,
  UpstreamUnavailableError,
} from '../../lib/errors';
import type { TaskListPage } from '../../lib/huawei/task-list-pages';
import type { PollOutcomes } from '../../lib/poll/observe-instance';
import {
  groupNamedTasks,
  observeNamedTasks,
  type NamedTasks,
} from '../../lib/poll/observe-named-tasks';
import type { ListedTask, TaskObserver } from '../../lib/task-observer';
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
const ids = (count: number, from = 0) =>
  Array.from(
    { length: count },
    (_, i) => `00000000-0000-4000-8000-${String(from + i).padStart(12, '0')}`,
  );
const ref = (taskId: string): TaskRef => ({ ...INSTANCE, taskId });
const entities = (taskIds: readonly string[]) => taskIds.map((id) => exampleTask({ id }));

/** A page at `offset` of a listing of `total` tasks. */
function page(items: unknown[], offset: number, total: number): TaskListPage {
  return {
    offset,
    entities: items,
    totalNumber: total,
    requestId: 'req-1',
    lookedAt: 1_000,
    answeredAt: 1_020,
    more: offset + items.length < total,
  };
}

interface Scenario {
  readonly named: readonly string[];
  readonly pages?: TaskListPage[];
  /** Thrown by the listing after its pages. */
  readonly listingError?: Error;
  readonly retryThrottled?: boolean;
}

function run(scenario: Scenario) {
  const recorded: { taskId: string; status: string }[] = [];
  const failed: { what: string; code: string; affected: string[] }[] = [];
  let pagesAsked = 0;
  const observer = {
    async *listPages() {
      for (const p of scenario.pages ?? []) {
        pagesAsked += 1;
        yield await Promise.resolve(p);
      }
      if (scenario.listingError) throw scenario.listingError;
    },
    observeListed: (task: ListedTask) => {
      recorded.push({ taskId: task.ref.taskId, status: task.task.status });
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
    observed: () => Promise.resolve(),
    listed: () => {
      throw new Error('named tasks are watched already: not counted as listed');
    },
    failed: (what, error, affected) => {
      failed.push({
        what,
        code: (error as { code?: string }).code ?? 'none',
        affected: affected.map((r) => r.taskId),
      });
      return Promise.resolve();
    },
  };
  const named: NamedTasks = { ...INSTANCE, taskIds: scenario.named };
  const outcome = observeNamedTasks(
    named,
    {
      observer,
      call: { deadline: Number.MAX_SAFE_INTEGER },
      read: () => Promise.resolve(undefined),
      tally,
    },
    { retryThrottled: scenario.retryThrottled ?? false },
  );
  return { outcome, recorded, failed, pagesAsked: () => pagesAsked };
}

describe('groupNamedTasks', () => {
  it('lists an instance with two or more named tasks and leaves lone tasks to their own requests', () => {
    const other = { projectId: REF.projectId, instanceId: 'other-instance' };
    const [a, b, c] = ids(3);
    const tasks = [ref(a!), { ...other, taskId: c! }, ref(b!)];

    const { groups, singles } = groupNamedTasks(tasks);

    expect(groups).toStrictEqual([{ ...INSTANCE, taskIds: [a, b] }]);
    expect(singles).toStrictEqual([{ ...other, taskId: c }]);
  });

  it('counts a task named twice once', () => {
    const [a, b] = ids(2);

    const { groups } = groupNamedTasks([ref(a!), ref(b!), ref(a!)]);

    expect(groups).toStrictEqual([{ ...INSTANCE, taskIds: [a, b] }]);
  });

  it('keeps instances of different projects apart', () => {
    const [a, b] = ids(2);
    const elsewhere = { projectId: 'another-project', instanceId: REF.instanceId };

    const { groups, singles } = groupNamedTasks([ref(a!), { ...elsewhere, taskId: b! }]);

    expect(groups).toStrictEqual([]);
    expect(singles).toStrictEqual([ref(a!), { ...elsewhere, taskId: b! }]);
  });
});

describe('observeNamedTasks', () => {
  it('records only the named tasks of the page and hands none back', async () => {
    const all = ids(5);
    const named = [all[1]!, all[3]!];
    const result = run({ named, pages: [page(entities(all), 0, 5)] });

    const own = await result.outcome;

    expect(result.recorded.map((r) => r.taskId)).toStrictEqual(named);
    expect(own).toStrictEqual([]);
    expect(result.failed).toStrictEqual([]);
  });

  it('stops paging once every named task is seen', async () => {
    const all = ids(100);
    const named = [all[0]!, all[1]!];
    const result = run({
      named,
      pages: [page(entities(all.slice(0, 50)), 0, 100), page(entities(all.slice(50)), 50, 100)],
    });

    await result.outcome;

    expect(result.pagesAsked()).toBe(1);
  });

  it('stops paging when the pages left are as many as the named tasks not seen, and hands those back', async () => {
    const all = ids(150);
    const named = [all[120]!, all[130]!];
    const result = run({
      named,
      pages: [0, 50, 100].map((offset) =>
        page(entities(all.slice(offset, offset + 50)), offset, 150),
      ),
    });

    const own = await result.outcome;

    expect(result.pagesAsked()).toBe(1);
    expect(own).toStrictEqual(named.map(ref));
    expect(result.recorded).toStrictEqual([]);
  });

  it('goes on paging while fewer pages are left than named tasks not seen', async () => {
    const all = ids(100);
    const named = [all[60]!, all[70]!];
    const result = run({
      named,
      pages: [page(entities(all.slice(0, 50)), 0, 100), page(entities(all.slice(50)), 50, 100)],
    });

    const own = await result.outcome;

    expect(result.pagesAsked()).toBe(2);
    expect(result.recorded.map((r) => r.taskId)).toStrictEqual(named);
    expect(own).toStrictEqual([]);
  });

  it('records a task listed twice as the later page showed it', async () => {
    const [task, other, third] = ids(3);
    const result = run({
      named: [task!, other!, third!],
      pages: [
        page([exampleTask({ id: task, status: 'RUNNING' })], 0, 4),
        page([exampleTask({ id: task, status: 'PAUSED' }), ...entities([other!, third!])], 1, 4),
      ],
    });

    await result.outcome;

    expect(result.recorded).toStrictEqual([
      { taskId: task, status: 'PAUSED' },
      { taskId: other, status: 'RUNNING' },
      { taskId: third, status: 'RUNNING' },
    ]);
  });

  it('hands back a named task whose entity the task cannot be made from', async () => {
    const [whole, partial] = ids(2);
    const withoutStatus: Record<string, unknown> = exampleTask({ id: partial });
    delete withoutStatus.status;
    const result = run({
      named: [whole!, partial!],
      pages: [page([exampleTask({ id: whole }), withoutStatus], 0, 2)],
    });

    const own = await result.outcome;

    expect(result.recorded.map((r) => r.taskId)).toStrictEqual([whole]);
    expect(own).toStrictEqual([ref(partial!)]);
    expect(result.failed).toStrictEqual([]);
  });

  it('hands back a task a later page shows unusable, though an earlier page showed it whole', async () => {
    const [task, other, third] = ids(3);
    const broken: Record<string, unknown> = exampleTask({ id: task });
    delete broken.status;
    const result = run({
      named: [task!, other!, third!],
      pages: [
        page([exampleTask({ id: task })], 0, 4),
        page([broken, ...entities([other!, third!])], 1, 4),
      ],
    });

    const own = await result.outcome;

    expect(result.recorded.map((r) => r.taskId)).toStrictEqual([other, third]);
    expect(own).toStrictEqual([ref(task!)]);
  });

  it('counts a named task with an unusable entity as answered for, to stop paging', async () => {
    const all = ids(100);
    const broken: Record<string, unknown> = exampleTask({ id: all[0] });
    delete broken.status;
    const result = run({
      named: [all[0]!, all[1]!],
      pages: [
        page([broken, ...entities(all.slice(1, 50))], 0, 100),
        page(entities(all.slice(50)), 50, 100),
      ],
    });

    const own = await result.outcome;

    expect(result.pagesAsked()).toBe(1);
    expect(own).toStrictEqual([ref(all[0]!)]);
  });

  it('ignores entities of tasks nobody named, however broken', async () => {
    const [a, b] = ids(2);
    const result = run({
      named: [a!, b!],
      pages: [page([42, null, { id: 'not-named' }, ...entities([a!, b!])], 0, 5)],
    });

    const own = await result.outcome;

    expect(result.recorded.map((r) => r.taskId)).toStrictEqual([a, b]);
    expect(own).toStrictEqual([]);
    expect(result.failed).toStrictEqual([]);
  });

  it('hands back every named task of an instance Huawei says is gone, for their own 404s', async () => {
    const named = ids(2);
    const result = run({ named, listingError: new TaskNotFoundError('instance') });

    const own = await result.outcome;

    expect(own).toStrictEqual(named.map(ref));
    expect(result.failed).toStrictEqual([]);
  });

  it("leaves an outage of our own to the tasks' own requests, which report it", async () => {
    const named = ids(2);
    const result = run({
      named,
      listingError: new DependencyUnavailableError('AWS Secrets Manager'),
    });

    const own = await result.outcome;

    expect(own).toStrictEqual(named.map(ref));
    expect(result.failed).toStrictEqual([]);
  });

  it('reports a listing that failed on a bug once, and hands the tasks back', async () => {
    const named = ids(2);
    const result = run({ named, listingError: new TypeError('boom') });

    const own = await result.outcome;

    expect(own).toStrictEqual(named.map(ref));
    expect(result.failed).toStrictEqual([
      { what: `${REF.projectId}/${REF.instanceId}/*`, code: 'none', affected: [] },
    ]);
  });

  it('reports a fault of our own met reading a named entity once, and hands back the tasks not recorded', async () => {
    const [whole, faulty] = ids(2);
    failNormalizing(new TypeError('a fault of ours'), faulty);
    const result = run({
      named: [whole!, faulty!],
      pages: [page(entities([whole!, faulty!]), 0, 2)],
    });

    const own = await result.outcome;

    expect(result.failed).toStrictEqual([
      { what: `${REF.projectId}/${REF.instanceId}/*`, code: 'none', affected: [] },
    ]);
    expect(own).toStrictEqual([ref(faulty!)]);
    expect(result.recorded.map((r) => r.taskId)).toStrictEqual([whole]);
  });

  it('hands back the named tasks a refused listing did not show, keeping what its pages showed', async () => {
    const all = ids(100);
    const named = [all[10]!, all[60]!, all[70]!];
    const result = run({
      named,
      pages: [page(entities(all.slice(0, 50)), 0, 100)],
      listingError: new UpstreamUnavailableError(),
    });

    const own = await result.outcome;

    expect(result.recorded.map((r) => r.taskId)).toStrictEqual([all[10]]);
    expect(own).toStrictEqual([all[60]!, all[70]!].map(ref));
    expect(result.failed).toStrictEqual([]);
  });

  it('throws a throttled listing to be asked again whole, having recorded nothing, when it may', async () => {
    const all = ids(100);
    const throttled = new UpstreamThrottledError();
    const result = run({
      named: [all[1]!, all[60]!, all[70]!],
      pages: [page(entities(all.slice(0, 50)), 0, 100)],
      listingError: throttled,
      retryThrottled: true,
    });

    await expect(result.outcome).rejects.toBe(throttled);
    expect(result.recorded).toStrictEqual([]);
  });

  it('fails the tasks a throttled listing did not show as throttled, when it may not be asked again', async () => {
    const all = ids(100);
    const result = run({
      named: [all[1]!, all[60]!, all[70]!],
      pages: [page(entities(all.slice(0, 50)), 0, 100)],
      listingError: new UpstreamThrottledError(),
      retryThrottled: false,
    });

    const own = await result.outcome;

    expect(own).toStrictEqual([]);
    expect(result.recorded.map((r) => r.taskId)).toStrictEqual([all[1]]);
    expect(result.failed).toStrictEqual(
      [all[60]!, all[70]!].map((taskId) => ({
        what: `${REF.projectId}/${REF.instanceId}/${taskId}`,
        code: 'UPSTREAM_THROTTLED',
        affected: [taskId],
      })),
    );
  });
});
