/**
 * The history of a task's status, as the stream consumer records it from the committed changes
 * and the history route answers it. Real handlers, moto's table stream through the pump, the
 * signature-verifying simulator.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Clock } from '../../lib/clock';
import { systemClock } from '../../lib/clock';
import { statusEventId } from '../../lib/status/status-event';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { DynamoDbStatusHistory } from '../../lib/status/status-history';
import { taskKey } from '../../lib/task-ref';
import { serviceDynamoDb } from '../support/dynamodb-client';
import {
  INSTANCE_ID,
  PROJECT_ID,
  TASK,
  TASK_ID,
  startHarness,
  type Harness,
} from '../support/harness';

/** A clock the test moves: each observation happens at a time the test chose. */
function steppedClock(start: number): Clock & { advance(ms: number): void } {
  let offset = start - systemClock.now();
  return {
    now: () => systemClock.now() + offset,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    advance: (ms) => {
      offset += ms;
    },
  };
}

let harness: Harness;
let clock: ReturnType<typeof steppedClock>;

beforeAll(async () => {
  clock = steppedClock(systemClock.now());
  harness = await startHarness({ overrides: { clock, random: () => 0 } });
});

afterAll(async () => {
  await harness.stop();
});

interface Transition {
  sequence: number;
  previousStatus: string | null;
  status: string;
  at: string;
  durationMs: number | null;
  eventId: string;
}

/** RUNNING, then PAUSED a minute later, then RUNNING two minutes after that; delivered. */
async function flap(): Promise<void> {
  await harness.http();
  clock.advance(60_000);
  harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');
  await harness.http();
  clock.advance(120_000);
  harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'RUNNING');
  await harness.http();
  await harness.deliver();
}

describe('the history route', () => {
  beforeAll(flap);

  it('answers the three transitions newest first, each with its event id', async () => {
    const response = await harness.history();

    expect(response.statusCode).toBe(200);
    const transitions = response.json.transitions as Transition[];
    expect(transitions.map((t) => [t.sequence, t.previousStatus, t.status])).toEqual([
      [3, 'PAUSED', 'RUNNING'],
      [2, 'RUNNING', 'PAUSED'],
      [1, null, 'RUNNING'],
    ]);
    expect(transitions.map((t) => t.eventId)).toEqual([3, 2, 1].map((n) => statusEventId(TASK, n)));
    expect(response.json.next).toBeNull();
  });

  it('gives each transition the time spent in the status before it', async () => {
    const response = await harness.history();

    const transitions = response.json.transitions as Transition[];
    expect(transitions.map((t) => t.durationMs)).toEqual([
      Date.parse(transitions[0]!.at) - Date.parse(transitions[1]!.at),
      Date.parse(transitions[1]!.at) - Date.parse(transitions[2]!.at),
      null,
    ]);
    expect(transitions[0]!.durationMs).toBeGreaterThanOrEqual(120_000);
    expect(transitions[1]!.durationMs).toBeGreaterThanOrEqual(60_000);
  });

  it('pages with limit=1, following next, to the same transitions and durations', async () => {
    const whole = (await harness.history()).json.transitions as Transition[];
    const paged: Transition[] = [];
    let next: string | null = null;

    for (let page = 0; page < 5; page += 1) {
      const response = await harness.history({ limit: '1', ...(next ? { before: next } : {}) });
      paged.push(...(response.json.transitions as Transition[]));
      next = response.json.next as string | null;
      if (next === null) break;
    }

    expect(paged).toEqual(whole);
  });

  it('answers an empty page, not 404, for a cursor before the first transition', async () => {
    const response = await harness.history({ before: '1' });

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ transitions: [], next: null });
  });

  it('tells, in the single-task answer, since when and for how long the task has been RUNNING', async () => {
    const transitions = (await harness.history()).json.transitions as Transition[];
    clock.advance(30_000);

    const response = await harness.http();

    expect(response.json.statusSince).toBe(transitions[0]!.at);
    expect(response.json.statusDurationMs).toBeGreaterThanOrEqual(30_000);
  });
});

describe('the history route refuses', () => {
  it('a task this service never observed, as TASK_NOT_OBSERVED', async () => {
    const response = await harness.history(undefined, {
      project_id: PROJECT_ID,
      instance_id: INSTANCE_ID,
      task_id: '00000000-0000-4000-8000-00000000beef',
    });

    expect(response.statusCode).toBe(404);
    expect(response.json.code).toBe('TASK_NOT_OBSERVED');
  });

  it('nothing, with 200 and no transitions, for a task observed whose changes are not (or no longer) kept', async () => {
    const taskId = '00000000-0000-4000-8000-00000000cafe';
    const path = { project_id: PROJECT_ID, instance_id: INSTANCE_ID, task_id: taskId };
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: taskId }));
    // Observed (its status is on record), its change not delivered to the history.
    await harness.http(path);

    const response = await harness.history(undefined, path);

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ transitions: [], next: null });
  });

  it.each([
    ['limit', '0'],
    ['limit', '101'],
    ['limit', '1e2'],
    ['before', '-3'],
    ['before', 'abc'],
  ])('%s=%s as INVALID_REQUEST naming the parameter', async (name, value) => {
    const response = await harness.history({ [name]: value });

    expect(response.statusCode).toBe(400);
    expect(response.json.code).toBe('INVALID_REQUEST');
    expect(response.json.invalidFields).toEqual([{ field: name, problem: expect.any(String) }]);
  });

  it('a project this deployment does not serve, without reading the tables', async () => {
    const response = await harness.history(undefined, {
      project_id: 'ffffffffffffffffffffffffffffffff',
      instance_id: INSTANCE_ID,
      task_id: TASK_ID,
    });

    expect(response.json.code).toBe('PROJECT_NOT_SERVED');
  });
});

describe('the history table', () => {
  const OTHER_TASK = { ...TASK, taskId: '00000000-0000-4000-8000-0000000000aa' };
  const change = (sequence: number, status: string, previousStatus: string | null) => ({
    ...OTHER_TASK,
    eventId: statusEventId(OTHER_TASK, sequence),
    sequence,
    taskName: null,
    previousStatus,
    status,
    observedAt: new Date(Date.UTC(2026, 10, 1, 0, sequence)).toISOString(),
    task: null,
  });

  it('keeps a change recorded twice (a redelivered batch) as one transition', async () => {
    const history = new DynamoDbStatusHistory(serviceDynamoDb(), harness.aws.historyTableName);

    await history.record([change(1, 'RUNNING', null), change(2, 'PAUSED', 'RUNNING')], 86_400_000);
    await history.record([change(2, 'PAUSED', 'RUNNING')], 86_400_000);

    const page = await history.page(OTHER_TASK, 10);
    expect(page.entries.map((e) => e.sequence)).toEqual([2, 1]);
  });

  it('expires each transition the retention after it happened (DynamoDB TTL)', async () => {
    const history = new DynamoDbStatusHistory(serviceDynamoDb(), harness.aws.historyTableName);
    const third = change(3, 'RUNNING', 'PAUSED');

    await history.record([third], 7 * 86_400_000);

    const item = await harness.aws.clients.dynamoDb.send(
      new GetItemCommand({
        TableName: harness.aws.historyTableName,
        Key: { pk: { S: taskKey(OTHER_TASK) }, sequence: { N: '3' } },
      }),
    );
    expect(Number(item.Item?.expiresAt?.N)).toBe(Date.parse(third.observedAt) / 1000 + 7 * 86_400);
  });
});
