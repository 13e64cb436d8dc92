/**
 * Health events a poll derives over time: a task held in a transitional status past its
 * threshold (Stuck), a watched task that could not be observed for several polls in a row
 * (Unobservable, then Observable Again). The real poller against the signature-verifying
 * simulator and moto, the real stream consumer fed by the pump; every delivered event counted.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../lib/clock';
import { systemClock } from '../../lib/clock';
import {
  OBSERVABLE_AGAIN_DETAIL_TYPE,
  STUCK_DETAIL_TYPE,
  UNOBSERVABLE_DETAIL_TYPE,
} from '../../lib/health/health-events';
import { EVENT_DETAIL_TYPE } from '../../lib/status/status-event';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { INSTANCE_ID, PROJECT_ID, harnessPerTest } from '../support/harness';
import { ROTATED_CREDENTIALS, TEST_CREDENTIALS } from '../support/test-credentials';

const MINUTE = 60_000;
// Polls a minute apart on a clock this test moves; the whole test stays within the gateway's
// 15-minute window, which the simulator checks against the real clock.
const HEALTH_ENV = { STUCK_AFTER: 'RESTARTING=5m', UNOBSERVABLE_AFTER: '3' };

function steppedClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => systemClock.now() + offset,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    advance: (ms) => {
      offset += ms;
    },
  };
}

const startHarness = harnessPerTest();

async function setup(taskId: string, status = 'RUNNING', watch = `${INSTANCE_ID}/${taskId}`) {
  const clock = steppedClock();
  const harness = await startHarness({ overrides: { clock } });
  harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: taskId, status }));
  /** One scheduled poll of the task, a minute after the previous one. */
  const poll = async () => {
    const summary = await harness.poll(watch, { env: HEALTH_ENV });
    clock.advance(MINUTE);
    return summary;
  };
  /** The events delivered so far, by detail type, each delivery counted. */
  const delivered = async () => {
    const events = await harness.events();
    return events.map((event) => event['detail-type']);
  };
  return { harness, clock, poll, delivered };
}

describe('a task held in RESTARTING', () => {
  const TASK = '00000000-0000-4000-8000-00000000a001';

  it('yields one Stuck event once past the threshold, however many polls follow', async () => {
    const { poll, delivered, harness } = await setup(TASK, 'RESTARTING');
    const summaries = [];

    for (let i = 0; i < 10; i += 1) summaries.push(await poll());
    const events = await delivered();

    expect(events.filter((type) => type === STUCK_DETAIL_TYPE)).toHaveLength(1);
    expect(events.filter((type) => type === EVENT_DETAIL_TYPE)).toHaveLength(1);
    expect(summaries.map((s) => s.stuck)).toEqual([...Array(5).fill(0), ...Array(5).fill(1)]);
    expect(harness.simulator.requests.length).toBe(10);
  });

  it('yields a second Stuck event for a second stay in RESTARTING', async () => {
    const { poll, delivered, harness } = await setup(TASK, 'RESTARTING');
    for (let i = 0; i < 6; i += 1) await poll();
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK, 'RUNNING');
    await poll();
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK, 'RESTARTING');

    for (let i = 0; i < 7; i += 1) await poll();
    const events = await delivered();

    expect(events.filter((type) => type === STUCK_DETAIL_TYPE)).toHaveLength(2);
  });
});

describe('a watched task that cannot be observed', () => {
  const TASK = '00000000-0000-4000-8000-00000000a002';

  it.each([
    ['401', () => ({ credentials: [ROTATED_CREDENTIALS] })],
    ['5xx', () => ({ fault: { kind: 'status', status: 503 } as const })],
  ])(
    'answering %s for 3 polls yields one Unobservable event, then one Observable Again',
    async (_what, arrange) => {
      const { poll, delivered, harness } = await setup(TASK);
      await poll();
      const fault = arrange();
      if ('credentials' in fault) harness.simulator.setCredentials(fault.credentials);
      else harness.simulator.setFault(fault.fault);

      const failing = [];
      for (let i = 0; i < 5; i += 1) failing.push(await poll());
      const whileFailing = await delivered();
      harness.simulator.setCredentials([TEST_CREDENTIALS]);
      harness.simulator.setFault(undefined);
      await poll();
      await poll();
      const afterwards = await delivered();

      expect(failing.map((s) => s.unobservable)).toEqual([0, 0, 1, 1, 1]);
      expect(whileFailing.filter((type) => type !== EVENT_DETAIL_TYPE)).toEqual([
        UNOBSERVABLE_DETAIL_TYPE,
      ]);
      expect(afterwards).toEqual([OBSERVABLE_AGAIN_DETAIL_TYPE]);
    },
  );

  it('names the last error code and since when in the Unobservable event', async () => {
    const { poll, harness } = await setup(TASK);
    harness.simulator.setFault({ kind: 'status', status: 403 });

    for (let i = 0; i < 3; i += 1) await poll();
    const events = await harness.events();

    const unobservable = events.find((e) => e['detail-type'] === UNOBSERVABLE_DETAIL_TYPE);
    expect(unobservable?.detail).toMatchObject({
      condition: 'UNOBSERVABLE',
      failedPolls: 3,
      lastErrorCode: 'UPSTREAM_FORBIDDEN',
      taskId: TASK,
    });
  });
});

describe('an outage of our own', () => {
  it('does not make a watched task unobservable (Secrets Manager refusing every call)', async () => {
    const clock = steppedClock();
    // Nothing listens on port 9: every GetSecretValue is refused at once.
    const secretsManager = new SecretsManagerClient({
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    const harness = await startHarness({ overrides: { clock, secretsManager } });
    const task = '00000000-0000-4000-8000-00000000a003';
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: task }));
    const summaries = [];

    for (let i = 0; i < 4; i += 1) {
      summaries.push(await harness.poll(`${INSTANCE_ID}/${task}`, { env: HEALTH_ENV }));
      clock.advance(MINUTE);
    }
    const events = await harness.events();

    expect(summaries.map((s) => [s.failed, s.unobservable])).toEqual(Array(4).fill([1, 0]));
    expect(events.map((e) => e['detail-type'])).toEqual([]);
  });
});

describe('a task of a watched instance, seen on its list pages', () => {
  const TASK = '00000000-0000-4000-8000-00000000a003';
  const WHOLE_INSTANCE = `${INSTANCE_ID}/*`;

  it('yields one Stuck event once past the threshold, with no request of its own', async () => {
    const { poll, delivered, harness } = await setup(TASK, 'RESTARTING', WHOLE_INSTANCE);

    for (let i = 0; i < 7; i += 1) await poll();
    const events = await delivered();

    expect(events.filter((type) => type === STUCK_DETAIL_TYPE)).toHaveLength(1);
    expect(harness.simulator.requests.every((r) => r.path.endsWith('/connector/tasks'))).toBe(true);
  });

  it('yields one Unobservable event per known task when the listing answers 5xx for 3 polls, then one Observable Again', async () => {
    const { poll, delivered, harness } = await setup(TASK, 'RUNNING', WHOLE_INSTANCE);
    await poll();
    harness.simulator.setFault({ kind: 'status', status: 503 });

    const failing = [];
    for (let i = 0; i < 4; i += 1) failing.push(await poll());
    const whileFailing = await delivered();
    harness.simulator.setFault(undefined);
    await poll();
    const afterwards = await delivered();

    // The instance holds the harness's own task beside TASK: both are known, both hidden.
    expect(failing.map((s) => [s.failed, s.unobservable])).toEqual([
      [1, 0],
      [1, 0],
      [1, 2],
      [1, 2],
    ]);
    expect(whileFailing.filter((type) => type !== EVENT_DETAIL_TYPE)).toEqual([
      UNOBSERVABLE_DETAIL_TYPE,
      UNOBSERVABLE_DETAIL_TYPE,
    ]);
    expect(afterwards).toEqual([OBSERVABLE_AGAIN_DETAIL_TYPE, OBSERVABLE_AGAIN_DETAIL_TYPE]);
  });
});
