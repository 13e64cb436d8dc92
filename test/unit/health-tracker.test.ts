import { PollHealth, type PollHealthDependencies } from '../../lib/health/health-tracker';
import { HEALTHY, type TaskHealth } from '../../lib/health/task-health';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { healthKey } from '../../lib/health/health-store';
import { FakeClock } from '../support/fake-clock';
import { OTHER_REF, REF } from './status-fixtures';

const POLICY = { stuckAfterMs: new Map([['RESTARTING', 60_000]]), unobservableAfter: 1 };

function setup(store: PollHealthDependencies['store']) {
  const metrics = createMetrics();
  const addMetric = jest.spyOn(metrics, 'addMetric');
  const logger = createLogger();
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const health = new PollHealth(
    { store, policy: POLICY, clock: new FakeClock(), logger, metrics },
    [REF],
  );
  const counted = (name: string) => addMetric.mock.calls.filter(([n]) => n === name).length;
  return { health, counted, warn };
}

const known = (health: TaskHealth | Error) =>
  Promise.resolve(new Map<string, TaskHealth | Error>([[healthKey(REF), health]]));

describe('PollHealth', () => {
  it('never fails the observation when the health cannot be written, and counts it', async () => {
    const { health, counted, warn } = setup({
      getMany: () => known(HEALTHY),
      save: () =>
        Promise.reject(Object.assign(new Error('down'), { name: 'DependencyUnavailableError' })),
    });

    await expect(
      health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' }),
    ).resolves.toBeUndefined();

    expect(counted('HealthNotAssessed')).toBe(1);
    expect(warn).toHaveBeenCalledWith('Task health not recorded', {
      task: healthKey(REF),
      error: 'DependencyUnavailableError',
    });
  });

  it('never fails the observation when the health cannot be read, and counts it', async () => {
    const { health, counted } = setup({
      getMany: () => Promise.reject(new Error('down')),
      save: () => Promise.resolve(true),
    });

    await expect(
      health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' }),
    ).resolves.toBeUndefined();

    expect(counted('HealthNotAssessed')).toBe(1);
  });

  it('skips a task whose health item cannot be read, and counts it', async () => {
    const save = jest.fn(() => Promise.resolve(true));
    const { health, counted } = setup({ getMany: () => known(new Error('unreadable')), save });

    await health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(save).not.toHaveBeenCalled();
    expect(counted('HealthNotAssessed')).toBe(1);
  });

  it('counts a committed fact under its condition, and not one that lost the race', async () => {
    const results = [true, false];
    const { health, counted } = setup({
      getMany: () => known(HEALTHY),
      save: () => Promise.resolve(results.shift()!),
    });

    await health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });
    await health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(counted('HealthEventsUNOBSERVABLE')).toBe(1);
  });

  it('counts a task past its threshold as stuck, and a stay with no known start or a failed poll as not', async () => {
    const { health } = setup({ getMany: () => known(HEALTHY), save: () => Promise.resolve(true) });
    const longAgo = new Date(new FakeClock().now() - 3_600_000).toISOString();

    await health.record(REF, { kind: 'observed', status: 'RESTARTING', statusSince: longAgo });
    await health.record(REF, { kind: 'observed', status: 'RESTARTING', statusSince: null });
    await health.record(REF, { kind: 'observed', status: null, statusSince: longAgo });
    await health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(health.counts.stuck).toBe(1);
  });

  it('reads the health of each task once, those announced close together in one batch', async () => {
    const getMany = jest.fn((refs: readonly (typeof REF)[]) =>
      Promise.resolve(new Map(refs.map((ref) => [healthKey(ref), HEALTHY] as const))),
    );
    const { health } = setup({ getMany, save: () => Promise.resolve(true) });

    health.prefetch([REF, OTHER_REF]);
    health.prefetch([OTHER_REF]);
    await health.record(OTHER_REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(getMany.mock.calls).toEqual([[[REF, OTHER_REF]]]);
  });

  it('sends a full batch of 100 at once, then starts the next', async () => {
    const getMany = jest.fn((refs: readonly (typeof REF)[]) =>
      Promise.resolve(new Map(refs.map((ref) => [healthKey(ref), HEALTHY] as const))),
    );
    const { health } = setup({ getMany, save: () => Promise.resolve(true) });
    const page = Array.from({ length: 99 }, (_, i) => ({ ...OTHER_REF, taskId: `task-${i}` }));

    health.prefetch(page);
    health.prefetch([OTHER_REF]);
    await health.record(OTHER_REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(getMany.mock.calls).toStrictEqual([[[REF, ...page]], [[OTHER_REF]]]);
  });

  it('reads the health of a task nobody announced when its outcome comes in', async () => {
    const getMany = jest.fn((refs: readonly (typeof REF)[]) =>
      Promise.resolve(new Map(refs.map((ref) => [healthKey(ref), HEALTHY] as const))),
    );
    const save = jest.fn(() => Promise.resolve(true));
    const { health } = setup({ getMany, save });

    await health.record(OTHER_REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(getMany.mock.calls).toEqual([[[REF, OTHER_REF]]]);
    expect(save).toHaveBeenCalledWith(OTHER_REF, expect.anything(), expect.any(Number));
  });

  it('sends no read still lingering once the poll has closed it', async () => {
    const getMany = jest.fn((refs: readonly (typeof REF)[]) =>
      Promise.resolve(new Map(refs.map((ref) => [healthKey(ref), HEALTHY] as const))),
    );
    const { health } = setup({ getMany, save: () => Promise.resolve(true) });

    health.close();
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(getMany).not.toHaveBeenCalled();
  });

  it('skips a task its health read did not answer for, and counts it', async () => {
    const save = jest.fn(() => Promise.resolve(true));
    const { health, counted } = setup({
      getMany: () => Promise.resolve(new Map<string, TaskHealth | Error>()),
      save,
    });

    await health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(save).not.toHaveBeenCalled();
    expect(counted('HealthNotAssessed')).toBe(1);
  });

  it('counts a task as unobservable while its episode stands', async () => {
    const { health } = setup({ getMany: () => known(HEALTHY), save: () => Promise.resolve(true) });
    // POLICY: one failed poll makes a task unobservable.

    await health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(health.counts).toStrictEqual({ stuck: 0, unobservable: 1 });
  });

  it('does not count a healthy task that stays healthy as unobservable', async () => {
    const { health } = setup({ getMany: () => known(HEALTHY), save: () => Promise.resolve(true) });

    await health.record(REF, { kind: 'observed', status: 'RUNNING', statusSince: null });

    expect(health.counts).toStrictEqual({ stuck: 0, unobservable: 0 });
  });

  it('writes nothing when the outcome changes nothing', async () => {
    const save = jest.fn(() => Promise.resolve(true));
    const { health } = setup({ getMany: () => known(HEALTHY), save });

    await health.record(REF, { kind: 'observed', status: 'RUNNING', statusSince: null });

    expect(save).not.toHaveBeenCalled();
  });

  it('counts no fact of a write that lost the race', async () => {
    const { health, counted } = setup({
      getMany: () => known(HEALTHY),
      save: () => Promise.resolve(false),
    });

    await health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(counted('HealthEventsUNOBSERVABLE')).toBe(0);
  });

  it('reads nothing when no task was announced', async () => {
    const getMany = jest.fn(() => Promise.resolve(new Map<string, TaskHealth | Error>()));
    const metrics = createMetrics();
    const logger = createLogger();

    new PollHealth(
      {
        store: { getMany, save: () => Promise.resolve(true) },
        policy: POLICY,
        clock: new FakeClock(),
        logger,
        metrics,
      },
      [],
    );
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(getMany).not.toHaveBeenCalled();
  });

  it('names a failure without a name as Error in the warning', async () => {
    const { health, warn } = setup({
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what a broken dependency might do
      getMany: () => Promise.reject(null),
      save: () => Promise.resolve(true),
    });

    await health.record(REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    expect(warn).toHaveBeenLastCalledWith('Task health not read; these tasks are not assessed', {
      tasks: 1,
      error: 'Error',
    });
  });

  it('names how many tasks went unassessed when a batch of health cannot be read', async () => {
    const { health, warn } = setup({
      getMany: () => Promise.reject(Object.assign(new Error('down'), { name: 'Boom' })),
      save: () => Promise.resolve(true),
    });

    health.prefetch([OTHER_REF]);
    await health.record(OTHER_REF, { kind: 'failed', code: 'UPSTREAM_TIMEOUT' });

    // The constructor's task and this one went out together.
    expect(warn).toHaveBeenLastCalledWith('Task health not read; these tasks are not assessed', {
      tasks: 2,
      error: 'Boom',
    });
  });
});
