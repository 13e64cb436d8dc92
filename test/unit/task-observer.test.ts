import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  ObservationInProgressError,
  TaskNotFoundError,
  UpstreamUnavailableError,
} from '../../lib/errors';
import type { CallOptions, DmsClient, UpstreamResponse } from '../../lib/huawei/dms-client';
import { createLogger } from '../../lib/logger';
import { DimensionedCounter, createMetrics } from '../../lib/metrics';
import { DELETED_STATUS } from '../../lib/status/status-event';
import type { StatusChange, StoredStatus } from '../../lib/status/status-store';
import { MAX_COMMIT_ATTEMPTS, TaskObserver, type ReadStoredStatus } from '../../lib/task-observer';
import type { TaskRef } from '../../lib/task-ref';
import type { Tracing } from '../../lib/tracing';
import { FakeClock } from '../support/fake-clock';
import { InMemoryStatusStore } from './in-memory-status-store';
import { REF, TASK_NAME, connectorTask, statusChange } from './status-fixtures';

/** How long the fake Huawei takes to answer, on the fake clock. */
const UPSTREAM_LATENCY_MS = 250;

type Upstream =
  | { kind: 'task'; body: Record<string, unknown>; attempts: number }
  | { kind: 'error'; error: Error };

/** Huawei's ShowConnectorTask as the observer sees it through DmsClient. */
function fakeDms(clock: FakeClock, log: string[]) {
  let heldBackMs = 0;
  let upstream: Upstream = {
    kind: 'task',
    body: { id: REF.taskId, status: 'RUNNING' },
    attempts: 1,
  };
  const calls: { ref: TaskRef; call: CallOptions }[] = [];
  const dms = {
    showConnectorTask(ref: TaskRef, call: CallOptions): Promise<UpstreamResponse> {
      calls.push({ ref, call });
      clock.advance(heldBackMs);
      const sentAt = clock.now();
      clock.advance(UPSTREAM_LATENCY_MS);
      log.push('upstream answered');
      if (upstream.kind === 'error') return Promise.reject(upstream.error);
      return Promise.resolve({
        body: upstream.body,
        requestId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
        attempts: upstream.attempts,
        sentAt,
      });
    },
  };
  return {
    dms: dms as unknown as DmsClient,
    calls,
    /** Huawei serves the task with this status (and name). */
    serves(status: string, attempts = 1): void {
      upstream = {
        kind: 'task',
        body: { id: REF.taskId, status, task_name: TASK_NAME },
        attempts,
      };
    },
    fails(error: Error): void {
      upstream = { kind: 'error', error };
    },
    /** The request leaves this long after the call began (retries, pacing, the signature guard). */
    holdsBack(ms: number): void {
      heldBackMs = ms;
    },
  };
}

function setup() {
  const clock = new FakeClock();
  const log: string[] = [];
  const store = new InMemoryStatusStore();
  store.onRead = () => log.push('stored status read');
  const upstream = fakeDms(clock, log);
  upstream.serves('RUNNING');
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
    dms: upstream.dms,
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
    log,
    store,
    upstream,
    traced,
    observer,
    call,
    /** The values each metric was given, by name. */
    metric: (name: string) =>
      addMetric.mock.calls.filter(([metricName]) => metricName === name).map((c) => c[2]),
    addMetric,
    outcomes: () => outcome.mock.calls.map(([value]) => value),
    check: (read?: ReadStoredStatus) => observer.check(REF, call, read),
    /** The ISO time the observer sees once Huawei has answered. */
    answeredAt: () => new Date(clock.now() + UPSTREAM_LATENCY_MS).toISOString(),
  };
}

/** Another observer commits `status` as the next version, just before our write lands. */
function otherObserverCommits(store: InMemoryStatusStore, status: string): void {
  const current = store.stored(REF);
  store.put(
    REF,
    statusChange({
      status,
      version: (current?.version ?? 0) + 1,
      previousStatus: current?.status ?? null,
    }),
  );
}

describe('TaskObserver: deciding what changed', () => {
  it('records a first observation as version 1, changed from null', async () => {
    const { check, store, answeredAt } = setup();
    const observedAt = answeredAt();

    await check();

    expect(store.stored(REF)).toEqual<StatusChange>({
      status: 'RUNNING',
      version: 1,
      taskName: TASK_NAME,
      observedAt,
      lookedAt: expect.any(Number) as number,
      previousStatus: null,
      task: connectorTask('RUNNING'),
    });
  });

  it('reports a first observation as a change from null', async () => {
    const { check } = setup();

    const result = await check();

    expect(result).toEqual({
      kind: 'present',
      task: connectorTask('RUNNING'),
      statusChanged: true,
      previousStatus: null,
      statusSince: '2026-11-23T12:00:00.250Z',
      upstreamRequestId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    });
  });

  it('commits nothing when the status is the stored one', async () => {
    const { check, store } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 3 }));

    const result = await check();

    expect(store.commits).toEqual([]);
    expect(result).toMatchObject({
      kind: 'present',
      statusChanged: false,
      previousStatus: 'RUNNING',
    });
  });

  it('commits a new status as the next version, changed from the stored status', async () => {
    const { check, store, upstream, answeredAt } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 3, taskName: 'old-name' }));
    upstream.serves('PAUSED');
    const observedAt = answeredAt();

    const result = await check();

    expect(store.stored(REF)).toEqual<StatusChange>({
      status: 'PAUSED',
      version: 4,
      taskName: TASK_NAME,
      observedAt,
      lookedAt: expect.any(Number) as number,
      previousStatus: 'RUNNING',
      task: connectorTask('PAUSED'),
    });
    expect(result).toMatchObject({ statusChanged: true, previousStatus: 'RUNNING' });
  });

  it('takes the observation time from its clock, after Huawei answered', async () => {
    const { check, clock, store } = setup();
    clock.advance(86_400_000);
    const expected = new Date(clock.now() + UPSTREAM_LATENCY_MS).toISOString();

    await check();

    expect(store.stored(REF)?.observedAt).toBe(expected);
  });

  it('reads the stored status only after Huawei answered', async () => {
    const { check, log } = setup();

    await check();

    expect(log).toEqual(['upstream answered', 'stored status read']);
  });

  it('asks Huawei for the task with the caller’s deadline', async () => {
    const { check, upstream, call } = setup();

    await check();

    expect(upstream.calls).toEqual([{ ref: REF, call }]);
  });

  it('returns the observation from observe() when the task exists', async () => {
    const { observer, call } = setup();

    const observation = await observer.observe(REF, call);

    expect(observation).toMatchObject({ task: connectorTask('RUNNING'), statusChanged: true });
  });
});

describe('TaskObserver: tasks that disappear (404)', () => {
  const notFound = () => new TaskNotFoundError('task', 'a1b2c3d4e5f60718293a4b5c6d7e8f90');

  it('records nothing for a 404 of a task it has never seen', async () => {
    const { check, store, upstream } = setup();
    const error = notFound();
    upstream.fails(error);

    const result = await check();

    expect(store.commits).toEqual([]);
    expect(result).toEqual({ kind: 'gone', error, statusChanged: false, previousStatus: null });
  });

  it('records a 404 of a known task as DELETED, without a task, keeping its name', async () => {
    const { check, store, upstream, answeredAt } = setup();
    store.put(REF, statusChange({ status: 'PAUSED', version: 2, taskName: 'known-name' }));
    upstream.fails(notFound());
    const observedAt = answeredAt();

    const result = await check();

    expect(store.stored(REF)).toEqual<StatusChange>({
      status: DELETED_STATUS,
      version: 3,
      taskName: 'known-name',
      observedAt,
      lookedAt: expect.any(Number) as number,
      previousStatus: 'PAUSED',
      task: null,
    });
    expect(result).toMatchObject({ kind: 'gone', statusChanged: true, previousStatus: 'PAUSED' });
  });

  it('keeps a null task name on deletion', async () => {
    const { check, store, upstream } = setup();
    store.put(REF, statusChange({ status: 'PAUSED', version: 2, taskName: null }));
    upstream.fails(notFound());

    await check();

    expect(store.stored(REF)).toMatchObject({ status: DELETED_STATUS, taskName: null });
  });

  it('records nothing more for a 404 of a task already recorded as DELETED', async () => {
    const { check, store, upstream } = setup();
    store.put(REF, statusChange({ status: DELETED_STATUS, version: 4, task: null }));
    upstream.fails(notFound());

    const result = await check();

    expect(store.commits).toEqual([]);
    expect(result).toMatchObject({ kind: 'gone', statusChanged: false });
  });

  it('records a task that comes back after its deletion as a change from DELETED', async () => {
    const { check, store } = setup();
    store.put(REF, statusChange({ status: DELETED_STATUS, version: 4, task: null }));

    await check();

    expect(store.stored(REF)).toMatchObject({
      status: 'RUNNING',
      version: 5,
      previousStatus: DELETED_STATUS,
      task: connectorTask('RUNNING'),
    });
  });

  it('throws the 404 from observe(), after recording the deletion', async () => {
    const { observer, call, store, upstream } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 1 }));
    const error = notFound();
    upstream.fails(error);

    await expect(observer.observe(REF, call)).rejects.toBe(error);
    expect(store.stored(REF)?.status).toBe(DELETED_STATUS);
  });
});

describe('TaskObserver: how long a task has been in its status', () => {
  it('dates an unchanged status from when the stored change saw it', async () => {
    const { check, store } = setup();
    store.put(
      REF,
      statusChange({ status: 'RUNNING', version: 3, observedAt: '2026-11-20T08:00:00.000Z' }),
    );

    const result = await check();

    expect(result).toMatchObject({ statusSince: '2026-11-20T08:00:00.000Z' });
  });

  it('dates a new status from the change this observation committed', async () => {
    const { check, store, upstream } = setup();
    store.put(
      REF,
      statusChange({ status: 'RUNNING', version: 3, observedAt: '2026-11-20T08:00:00.000Z' }),
    );
    upstream.serves('PAUSED');

    const result = await check();

    expect(result).toMatchObject({ statusSince: store.stored(REF)?.observedAt });
    expect(store.stored(REF)?.observedAt).not.toBe('2026-11-20T08:00:00.000Z');
  });

  it('gives no date for an answer older than the status on record', async () => {
    const { check, store, upstream, clock } = setup();
    const later = clock.now() + UPSTREAM_LATENCY_MS + 1;
    store.put(REF, statusChange({ status: 'PAUSED', version: 2, lookedAt: later }));
    upstream.serves('RUNNING');

    const result = await check();

    expect(result).toMatchObject({ statusSince: null });
  });
});

describe('TaskObserver: answers older than the stored one', () => {
  it('leaves the stored status alone when its observation asked Huawei after this answer came', async () => {
    const { check, store, upstream, clock } = setup();
    const later = clock.now() + UPSTREAM_LATENCY_MS + 1;
    store.put(REF, statusChange({ status: 'PAUSED', version: 2, lookedAt: later }));
    upstream.serves('RUNNING');

    const result = await check();

    expect(store.commits).toEqual([]);
    expect(result).toMatchObject({ statusChanged: false, previousStatus: 'PAUSED' });
  });

  it('commits when the stored observation asked Huawei no later than this answer came', async () => {
    const { check, store, upstream, clock } = setup();
    const sameMoment = clock.now() + UPSTREAM_LATENCY_MS;
    store.put(REF, statusChange({ status: 'PAUSED', version: 2, lookedAt: sameMoment }));
    upstream.serves('RUNNING');

    await check();

    expect(store.stored(REF)).toMatchObject({ status: 'RUNNING', version: 3 });
  });

  it('records when the answered request was sent, not when the look began', async () => {
    const { check, store, upstream, clock } = setup();
    const began = clock.now();
    upstream.holdsBack(2_000);

    await check();

    expect(store.stored(REF)?.lookedAt).toBe(began + 2_000);
  });

  it('records when it asked Huawei, before the answer', async () => {
    const { check, store, clock } = setup();
    const asked = clock.now();

    await check();

    expect(store.stored(REF)?.lookedAt).toBe(asked);
  });

  it('gives up its change when the winner of the write asked Huawei after this answer came', async () => {
    const { check, store, upstream, clock } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 1 }));
    upstream.serves('STOPPED');
    store.beforeCommit = () => {
      store.beforeCommit = undefined;
      store.put(
        REF,
        statusChange({
          status: 'PAUSED',
          version: 2,
          previousStatus: 'RUNNING',
          lookedAt: clock.now() + 1,
        }),
      );
    };

    const result = await check();

    expect(store.stored(REF)).toMatchObject({ status: 'PAUSED', version: 2 });
    expect(result).toMatchObject({ statusChanged: false, previousStatus: 'PAUSED' });
  });
});

describe('TaskObserver: losing the conditional write', () => {
  it('re-reads after a lost write and commits nothing when the winner recorded the same status', async () => {
    const { check, store, upstream } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 1 }));
    upstream.serves('PAUSED');
    store.beforeCommit = () => {
      store.beforeCommit = undefined;
      otherObserverCommits(store, 'PAUSED');
    };

    const result = await check();

    expect(store.commits).toHaveLength(1);
    expect(store.stored(REF)).toMatchObject({ status: 'PAUSED', version: 2 });
    expect(result).toMatchObject({ statusChanged: false });
  });

  it('re-decides after a lost write: a different status of the winner becomes the previous one', async () => {
    const { check, store, upstream } = setup();
    store.put(REF, statusChange({ status: 'RUNNING', version: 1 }));
    upstream.serves('PAUSED');
    store.beforeCommit = () => {
      store.beforeCommit = undefined;
      otherObserverCommits(store, 'WAITING');
    };

    const result = await check();

    expect(store.commits.map((c) => [c.version, c.previousStatus, c.status])).toEqual([
      [2, 'RUNNING', 'PAUSED'],
      [3, 'WAITING', 'PAUSED'],
    ]);
    expect(store.stored(REF)).toMatchObject({ status: 'PAUSED', version: 3 });
    expect(result).toMatchObject({ statusChanged: true, previousStatus: 'WAITING' });
  });

  it('re-decides a first observation that lost to another first observation', async () => {
    const { check, store, upstream } = setup();
    upstream.serves('PAUSED');
    store.beforeCommit = () => {
      store.beforeCommit = undefined;
      otherObserverCommits(store, 'RUNNING');
    };

    await check();

    expect(store.stored(REF)).toMatchObject({
      status: 'PAUSED',
      version: 2,
      previousStatus: 'RUNNING',
    });
  });

  it(`gives up with ObservationInProgressError after ${MAX_COMMIT_ATTEMPTS} lost writes`, async () => {
    const { check, store } = setup();
    store.beforeCommit = () => otherObserverCommits(store, 'WAITING');

    await expect(check()).rejects.toBeInstanceOf(ObservationInProgressError);
    expect(store.commits).toHaveLength(MAX_COMMIT_ATTEMPTS);
  });

  it('tells the caller to retry shortly when it gives up', async () => {
    const { check, store } = setup();
    store.beforeCommit = () => otherObserverCommits(store, 'WAITING');

    await expect(check()).rejects.toMatchObject({
      name: 'ObservationInProgressError',
      message: 'Other observers kept recording changes of this task; retry shortly.',
    });
  });

  it('commits on the last allowed attempt', async () => {
    const { check, store } = setup();
    let lost = 0;
    store.beforeCommit = () => {
      if (lost === MAX_COMMIT_ATTEMPTS - 1) return;
      lost += 1;
      otherObserverCommits(store, 'WAITING');
    };

    const result = await check();

    expect(store.commits).toHaveLength(MAX_COMMIT_ATTEMPTS);
    expect(result).toMatchObject({ statusChanged: true, previousStatus: 'WAITING' });
  });

  it('uses the given reader for the first read only, and the store for re-reads', async () => {
    const { check, store } = setup();
    store.put(REF, statusChange({ status: 'PAUSED', version: 1 }));
    const read = jest.fn<ReturnType<ReadStoredStatus>, Parameters<ReadStoredStatus>>((ref) =>
      store.getMany([ref]).then((found) => found.values().next().value as StoredStatus),
    );
    store.beforeCommit = () => {
      store.beforeCommit = undefined;
      otherObserverCommits(store, 'WAITING');
    };

    await check(read);

    expect(read).toHaveBeenCalledTimes(1);
    expect(store.gets).toEqual([REF]);
  });

  it('does not read through the store at all when the given reader suffices', async () => {
    const { check, store } = setup();
    const read: ReadStoredStatus = () => Promise.resolve(undefined);

    await check(read);

    expect(store.gets).toEqual([]);
  });

  it('reads through the store when given no reader', async () => {
    const { check, store } = setup();

    await check();

    expect(store.gets).toEqual([REF]);
  });
});

describe('TaskObserver: metrics and tracing', () => {
  it('counts a committed change', async () => {
    const { check, metric } = setup();

    await check();

    expect(metric('StatusChanges')).toEqual([1]);
  });

  it('counts no change when nothing changed', async () => {
    const { check, store, metric } = setup();
    store.put(REF, statusChange({ status: 'RUNNING' }));

    await check();

    expect(metric('StatusChanges')).toEqual([]);
  });

  it('counts each lost write it retried', async () => {
    const { check, store, metric } = setup();
    let lost = 0;
    store.beforeCommit = () => {
      if (lost === 2) return;
      lost += 1;
      otherObserverCommits(store, 'WAITING');
    };

    await check();

    expect(metric('StatusCommitConflicts')).toEqual([1, 1]);
    expect(metric('StatusChanges')).toEqual([1]);
  });

  it('records the latency, attempts and outcome of a successful upstream call', async () => {
    const { check, upstream, metric, outcomes, addMetric } = setup();
    upstream.serves('RUNNING', 2);

    await check();

    expect(metric('UpstreamLatency')).toEqual([UPSTREAM_LATENCY_MS]);
    expect(addMetric).toHaveBeenCalledWith(
      'UpstreamLatency',
      MetricUnit.Milliseconds,
      UPSTREAM_LATENCY_MS,
    );
    expect(metric('UpstreamAttempts')).toEqual([2]);
    expect(outcomes()).toEqual(['OK']);
  });

  it('records a 404 by its code, as one attempt', async () => {
    const { check, upstream, metric, outcomes } = setup();
    upstream.fails(new TaskNotFoundError('task'));

    await check();

    expect(metric('UpstreamAttempts')).toEqual([1]);
    expect(outcomes()).toEqual(['TASK_NOT_FOUND']);
  });

  it('records an upstream failure by its code and attempts, and throws it without reading', async () => {
    const { check, upstream, store, metric, outcomes } = setup();
    const error = new UpstreamUnavailableError();
    error.attempts = 3;
    upstream.fails(error);

    await expect(check()).rejects.toBe(error);
    expect(metric('UpstreamAttempts')).toEqual([3]);
    expect(metric('UpstreamLatency')).toEqual([UPSTREAM_LATENCY_MS]);
    expect(outcomes()).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(store.gets).toEqual([]);
  });

  it('records an unexpected failure as INTERNAL_ERROR, one attempt', async () => {
    const { check, upstream, metric, outcomes } = setup();
    const error = new TypeError('boom');
    upstream.fails(error);

    await expect(check()).rejects.toBe(error);
    expect(metric('UpstreamAttempts')).toEqual([1]);
    expect(outcomes()).toEqual(['INTERNAL_ERROR']);
  });

  it('traces the Huawei call as a subsegment annotated with the task id', async () => {
    const { check, traced } = setup();

    await check();

    expect(traced).toHaveBeenCalledTimes(1);
    expect(traced.mock.calls[0]?.slice(0, 2)).toEqual([
      'Huawei DMS ShowConnectorTask',
      { taskId: REF.taskId },
    ]);
  });
});
