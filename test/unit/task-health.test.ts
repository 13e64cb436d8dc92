import { healthEventId } from '../../lib/health/health-events';
import {
  HEALTHY,
  assessHealth,
  type HealthPolicy,
  type PollOutcome,
  type TaskHealth,
} from '../../lib/health/task-health';

const REF = {
  projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  instanceId: '59f6d088-1b2c-4d5e-8f90-123456789abc',
  taskId: '194917d0-aaaa-4bbb-8ccc-0123456789ab',
};
const POLICY: HealthPolicy = {
  stuckAfterMs: new Map([['RESTARTING', 15 * 60_000]]),
  unobservableAfter: 3,
};
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const failed = (code = 'UPSTREAM_AUTH_FAILED'): PollOutcome => ({ kind: 'failed', code });
const observed = (status: string | null, since: number | null = T0): PollOutcome => ({
  kind: 'observed',
  status,
  statusSince: since === null ? null : iso(since),
});

/** Runs the outcomes one poll a minute apart, keeping each update, like the poller does. */
function polls(outcomes: PollOutcome[], start: TaskHealth = HEALTHY) {
  let health = start;
  return outcomes.map((outcome, i) => {
    const update = assessHealth(REF, health, outcome, POLICY, T0 + i * MINUTE);
    if (update) health = update.health;
    return update;
  });
}

describe('assessHealth: unobservable', () => {
  it('writes nothing for a healthy task observed again', () => {
    const [update] = polls([observed('RUNNING')]);

    expect(update).toBeUndefined();
  });

  it('counts failed polls without an event until the threshold', () => {
    const updates = polls([failed(), failed()]);

    expect(updates.map((u) => u?.facts)).toEqual([[], []]);
    expect(updates[1]!.health).toMatchObject({ failures: 2, failingSince: iso(T0) });
  });

  it('reports the task unobservable at the third failed poll in a row, since the first', () => {
    const updates = polls([failed('UPSTREAM_UNAVAILABLE'), failed(), failed('UPSTREAM_TIMEOUT')]);

    expect(updates[2]!.facts).toEqual([
      {
        eventId: healthEventId(REF, 'UNOBSERVABLE', iso(T0)),
        ...REF,
        observedAt: iso(T0 + 2 * MINUTE),
        condition: 'UNOBSERVABLE',
        since: iso(T0),
        failedPolls: 3,
        lastErrorCode: 'UPSTREAM_TIMEOUT',
      },
    ]);
  });

  it('reports one episode once, however many polls fail after', () => {
    const updates = polls([failed(), failed(), failed(), failed(), failed()]);

    expect(updates.flatMap((u) => u?.facts ?? []).map((f) => f.condition)).toEqual([
      'UNOBSERVABLE',
    ]);
  });

  it('starts the count again after a successful poll', () => {
    const updates = polls([failed(), failed(), observed('RUNNING'), failed(), failed()]);

    expect(updates.flatMap((u) => u?.facts ?? [])).toEqual([]);
    expect(updates[4]!.health).toMatchObject({ failures: 2, failingSince: iso(T0 + 3 * MINUTE) });
  });

  it('reports the task observable again at the first success after the event, same episode', () => {
    const updates = polls([failed(), failed(), failed(), observed('RUNNING')]);

    expect(updates[3]!.facts).toEqual([
      {
        eventId: healthEventId(REF, 'OBSERVABLE_AGAIN', iso(T0)),
        ...REF,
        observedAt: iso(T0 + 3 * MINUTE),
        condition: 'OBSERVABLE_AGAIN',
        unobservableSince: iso(T0),
      },
    ]);
    expect(updates[3]!.health).toMatchObject({ failures: 0, unobservableSince: null });
  });

  it('counts a task that is gone (404) as observed', () => {
    const updates = polls([failed(), failed(), failed(), observed(null, null)]);

    expect(updates[3]!.facts.map((f) => f.condition)).toEqual(['OBSERVABLE_AGAIN']);
  });

  it('raises the revision with every write', () => {
    const updates = polls([failed(), failed(), observed('RUNNING')]);

    expect(updates.map((u) => u?.health.revision)).toEqual([1, 2, 3]);
  });
});

describe('assessHealth: stuck', () => {
  it('leaves a task in a transitional status alone until its threshold', () => {
    const [update] = polls([observed('RESTARTING', T0 - 15 * MINUTE + 1)]);

    expect(update).toBeUndefined();
  });

  it('reports a task in a transitional status at its threshold, with the stay it is about', () => {
    const since = T0 - 15 * MINUTE;

    const [update] = polls([observed('RESTARTING', since)]);

    expect(update!.facts).toEqual([
      {
        eventId: healthEventId(REF, 'STUCK', iso(since)),
        ...REF,
        observedAt: iso(T0),
        condition: 'STUCK',
        status: 'RESTARTING',
        statusSince: iso(since),
        stuckAfterMs: 15 * MINUTE,
      },
    ]);
  });

  it('reports one stay once, however many polls find it after', () => {
    const since = T0 - 20 * MINUTE;

    const updates = polls([observed('RESTARTING', since), observed('RESTARTING', since)]);

    expect(updates[1]).toBeUndefined();
  });

  it('reports a new stay in the same status again', () => {
    const first = T0 - 20 * MINUTE;
    const second = T0 - 16 * MINUTE;

    const updates = polls([observed('RESTARTING', first), observed('RESTARTING', second)]);

    expect(updates[1]!.facts.map((f) => f.eventId)).toEqual([
      healthEventId(REF, 'STUCK', iso(second)),
    ]);
  });

  it('never reports a stay whose start is unknown', () => {
    const [update] = polls([observed('RESTARTING', null)]);

    expect(update).toBeUndefined();
  });

  it('never reports a status without a threshold', () => {
    const [update] = polls([observed('RUNNING', T0 - 1_000 * MINUTE)]);

    expect(update).toBeUndefined();
  });

  it('reports recovery and a stuck stay found by the same poll together', () => {
    const updates = polls([failed(), failed(), failed(), observed('RESTARTING', T0 - 60 * MINUTE)]);

    expect(updates[3]!.facts.map((f) => f.condition)).toEqual(['OBSERVABLE_AGAIN', 'STUCK']);
  });
});
