import { randomUUID } from 'node:crypto';
import type { ConnectorTaskList } from '../../lib/http/list-tasks';
import { partitionKey } from '../../lib/status/status-store';
import type { TaskRef } from '../../lib/task-ref';
import { exampleTask, type Fault } from '../simulator/huawei-dms-simulator';
import { PROJECT_ID, startHarness, type Harness, type HttpResponse } from '../support/harness';

/*
 * The list route end to end: real handler, SDK clients against moto, the signature-verifying
 * simulator. Each test lists an instance of its own, so what one records never shows in another's.
 * What the route records is checked in the table; moto takes about 0.3 s per event to deliver, so
 * the events are checked on a few tasks, with a table (and stream) of their own.
 */

/** The simulator answers this fault as if it were none: a page served normally. */
const SERVED: Fault = { kind: 'slow', delayMs: 0 };

let harness: Harness;

beforeAll(async () => {
  // random() = 0: zero backoff, so attempt counts are exact and the suite stays fast.
  harness = await startHarness({ overrides: { random: () => 0 } });
});

afterAll(async () => {
  await harness.stop();
});

beforeEach(() => {
  harness.reset();
});

/** A new instance holding `count` RUNNING tasks, in the order Huawei will list them. */
function instanceWith(count: number): { instanceId: string; refs: TaskRef[] } {
  const instanceId = randomUUID();
  harness.simulator.putInstance(PROJECT_ID, instanceId);
  const refs = Array.from({ length: count }, () => {
    const ref = { projectId: PROJECT_ID, instanceId, taskId: randomUUID() };
    harness.simulator.putTask(PROJECT_ID, instanceId, exampleTask({ id: ref.taskId }));
    return ref;
  });
  return { instanceId, refs };
}

function list(instanceId: string, options?: Parameters<Harness['listTasks']>[1]) {
  return harness.listTasks({ project_id: PROJECT_ID, instance_id: instanceId }, options);
}

function listRequests(instanceId: string) {
  return harness.simulator.requests.filter((r) =>
    r.path.endsWith(`/instances/${instanceId}/connector/tasks`),
  );
}

/** `status@version` of what the table holds for each of `refs`, in order ('-': nothing). */
async function stored(refs: readonly TaskRef[], from = harness): Promise<string[]> {
  const found = await from.container.store.getMany(refs);
  return refs.map((ref) => {
    const item = found.get(partitionKey(ref));
    if (item instanceof Error) return item.message;
    return item ? `${item.status}@${item.version}` : '-';
  });
}

/** The serialized Lambda result, as Lambda measures it against its 6 MB limit. */
function resultBytes({ statusCode, headers, body }: HttpResponse): number {
  return Buffer.byteLength(JSON.stringify({ statusCode, headers, body }));
}

describe('GET /v2/{project_id}/instances/{instance_id}/connector/tasks', () => {
  it('answers every task of a 120-task instance from 3 pages and records each status', async () => {
    const { instanceId, refs } = instanceWith(120);

    const response = await list(instanceId);

    expect(response.statusCode).toBe(200);
    const body = response.json as unknown as ConnectorTaskList;
    expect(body.total).toBe(120);
    expect(body.tasks.map((task) => task.id)).toEqual(refs.map((ref) => ref.taskId));
    expect(listRequests(instanceId).map((r) => [r.query, r.outcome])).toEqual([
      ['offset=0&limit=50', 'served'],
      ['offset=50&limit=50', 'served'],
      ['offset=100&limit=50', 'served'],
    ]);
    expect(await stored(refs)).toEqual(refs.map(() => 'RUNNING@1'));
  });

  it('records only the changes when the instance is listed again', async () => {
    const { instanceId, refs } = instanceWith(60);
    await list(instanceId);
    const [first, , third] = refs as [TaskRef, TaskRef, TaskRef];
    harness.simulator.setTaskStatus(PROJECT_ID, instanceId, first.taskId, 'PAUSED');
    harness.simulator.setTaskStatus(PROJECT_ID, instanceId, third.taskId, 'RESTARTING');

    const response = await list(instanceId);

    expect(response.statusCode).toBe(200);
    expect(await stored(refs)).toEqual(
      refs.map((ref) =>
        ref === first ? 'PAUSED@2' : ref === third ? 'RESTARTING@2' : 'RUNNING@1',
      ),
    );
  });

  it('answers each task exactly as the single-task route answers it', async () => {
    const { instanceId, refs } = instanceWith(3);
    const [, second] = refs as [TaskRef, TaskRef];

    const listed = (await list(instanceId)).json as unknown as ConnectorTaskList;
    const single = await harness.http({
      project_id: PROJECT_ID,
      instance_id: instanceId,
      task_id: second.taskId,
    });

    // The single-task route adds how long the task has been in its status; the task is the same.
    const { statusSince, statusDurationMs, ...task } = single.json;
    expect(listed.tasks[1]).toEqual(task);
    expect([statusSince, statusDurationMs]).not.toContain(undefined);
  });

  it('lists a task that moved onto the next page while paging once, as that page showed it', async () => {
    const { instanceId } = instanceWith(0);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const page = (tasks: Record<string, unknown>[]) =>
      ({
        kind: 'raw',
        status: 200,
        body: JSON.stringify({ tasks, total_number: 4 }),
      }) as const;
    // Another task was deleted between the two requests: b moved from page 1 onto page 2.
    harness.simulator.injectFault(page([exampleTask({ id: a }), exampleTask({ id: b })]));
    harness.simulator.injectFault(
      page([exampleTask({ id: b, status: 'PAUSED' }), exampleTask({ id: c })]),
    );

    const response = await list(instanceId);

    const body = response.json as unknown as ConnectorTaskList;
    expect(body.tasks.map((task) => [task.id, task.status])).toEqual([
      [a, 'RUNNING'],
      [b, 'PAUSED'],
      [c, 'RUNNING'],
    ]);
    expect(body.total).toBe(3);
    expect(listRequests(instanceId).map((r) => r.query)).toEqual([
      'offset=0&limit=50',
      'offset=2&limit=50',
    ]);
    expect(await stored([{ projectId: PROJECT_ID, instanceId, taskId: b }])).toEqual(['PAUSED@1']);
  });

  it('answers an empty list for an instance without tasks', async () => {
    const { instanceId } = instanceWith(0);

    const response = await list(instanceId);

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ tasks: [], total: 0 });
  });
});

describe('the list route refuses before any upstream call', () => {
  it.each([
    [{ project_id: PROJECT_ID, instance_id: '../../v1/other' }, 'instance_id'],
    [{ project_id: PROJECT_ID, instance_id: undefined }, 'instance_id'],
    [{ project_id: 'ABCDEF', instance_id: randomUUID() }, 'project_id'],
  ])('a malformed path parameter with 400 (%#)', async (path, field) => {
    const response = await harness.listTasks(path);

    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(response.json.invalidFields).toEqual([expect.objectContaining({ field })]);
    expect(harness.simulator.requests).toHaveLength(0);
  });

  it('a project this deployment does not serve with 403', async () => {
    const response = await harness.listTasks({
      project_id: 'aaaabbbbccccddddeeeeffff00001111',
      instance_id: randomUUID(),
    });

    expect(response.statusCode).toBe(403);
    expect(response.json.code).toBe('PROJECT_NOT_SERVED');
    expect(harness.simulator.requests).toHaveLength(0);
  });
});

describe('the list route fails whole, recording nothing', () => {
  it('answers 404 INSTANCE_NOT_FOUND for an instance Huawei does not know', async () => {
    const response = await list(randomUUID());

    expect(response.statusCode).toBe(404);
    expect(response.json.code).toBe('INSTANCE_NOT_FOUND');
  });

  it('answers any 404 of the instance’s task list as INSTANCE_NOT_FOUND', async () => {
    const { instanceId } = instanceWith(3);
    harness.simulator.injectFault({ kind: 'status', status: 404, errorCode: 'APIGW.0101' });

    const response = await list(instanceId);

    expect(response.statusCode).toBe(404);
    expect(response.json.code).toBe('INSTANCE_NOT_FOUND');
  });

  it('answers 502 UPSTREAM_CONTRACT_VIOLATION when Huawei’s list does not end', async () => {
    const { instanceId } = instanceWith(0);
    const ref = { projectId: PROJECT_ID, instanceId, taskId: randomUUID() };
    const task = exampleTask({ id: ref.taskId });
    // Every page says a million tasks and holds the same one: a runaway, not a list to answer.
    harness.simulator.setFault({
      kind: 'raw',
      status: 200,
      body: JSON.stringify({ tasks: [task], total_number: 1_000_000 }),
    });

    const response = await list(instanceId, { remainingMs: 20_000 });

    expect(response.statusCode).toBe(502);
    expect(response.json).toMatchObject({
      code: 'UPSTREAM_CONTRACT_VIOLATION',
      detail: expect.stringContaining('the task list does not end within 200 pages'),
    });
    expect(await stored([ref])).toEqual(['-']);
  });

  it('answers 502 UPSTREAM_AUTH_FAILED when Huawei refuses the credentials on page 2', async () => {
    const { instanceId, refs } = instanceWith(120);
    harness.simulator.injectFault(SERVED);
    harness.simulator.injectFault({ kind: 'status', status: 401 }, 2);

    const response = await list(instanceId);

    expect(response.statusCode).toBe(502);
    expect(response.json.code).toBe('UPSTREAM_AUTH_FAILED');
    expect(listRequests(instanceId).map((r) => r.query)).toEqual([
      'offset=0&limit=50',
      'offset=50&limit=50',
      'offset=50&limit=50',
    ]);
    expect(await stored(refs)).toEqual(refs.map(() => '-'));
    harness.container.credentials.clear();
  });

  it('answers 502 UPSTREAM_UNAVAILABLE when page 2 keeps failing with 5xx', async () => {
    const { instanceId, refs } = instanceWith(120);
    harness.simulator.injectFault(SERVED);
    harness.simulator.injectFault({ kind: 'status', status: 503 }, 3);

    const response = await list(instanceId);

    expect(response.statusCode).toBe(502);
    expect(response.json.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(listRequests(instanceId)).toHaveLength(4);
    expect(await stored(refs)).toEqual(refs.map(() => '-'));
  });

  it('recovers from one 5xx on page 2 by retrying that page', async () => {
    const { instanceId } = instanceWith(120);
    harness.simulator.injectFault(SERVED);
    harness.simulator.injectFault({ kind: 'status', status: 503 });

    const response = await list(instanceId);

    expect(response.statusCode).toBe(200);
    expect(response.json.total).toBe(120);
  });

  it('answers 504 UPSTREAM_TIMEOUT, never a partial list, when the pages outlast the deadline', async () => {
    const { instanceId, refs } = instanceWith(120);
    // Each page takes 450 ms, within one attempt (500 ms); 2.3 s left, 1.5 s of it reserved:
    // page 1 arrives, page 2 cannot before the deadline, 800 ms in.
    harness.simulator.setFault({ kind: 'slow', delayMs: 450 });
    const remainingMs = 2_300;
    const started = Date.now();

    const response = await list(instanceId, { remainingMs });

    expect(response.statusCode).toBe(504);
    expect(response.json.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(remainingMs);
    expect(await stored(refs)).toEqual(refs.map(() => '-'));
  });

  it('answers 502 UPSTREAM_CONTRACT_VIOLATION for one malformed task among 120', async () => {
    const { instanceId, refs } = instanceWith(120);
    const broken = refs[70]!;
    harness.simulator.putTask(
      PROJECT_ID,
      instanceId,
      exampleTask({ id: broken.taskId, status: 42 }),
    );

    const response = await list(instanceId);

    expect(response.statusCode).toBe(502);
    expect(response.json).toMatchObject({
      code: 'UPSTREAM_CONTRACT_VIOLATION',
      detail: expect.stringContaining('task list offset 70: the task is invalid (status:'),
      upstreamRequestId: expect.any(String),
    });
    expect(await stored(refs)).toEqual(refs.map(() => '-'));
  });
});

describe('an instance with more tasks than one response can hold', () => {
  /** The size of the answer for `count` tasks: instances of equal counts answer equal sizes. */
  async function answerBytes(count: number): Promise<number> {
    const response = await list(instanceWith(count).instanceId);
    expect(response.statusCode).toBe(200);
    return resultBytes(response);
  }

  it('is answered 500 TASK_LIST_TOO_LARGE one byte over the limit, recording nothing', async () => {
    const limit = (await answerBytes(120)) - 1;
    const { instanceId, refs } = instanceWith(120);

    const response = await list(instanceId, { maxResponseBytes: limit });

    expect(response.statusCode).toBe(500);
    expect(response.json.code).toBe('TASK_LIST_TOO_LARGE');
    expect(await stored(refs)).toEqual(refs.map(() => '-'));
  });

  it('is answered whole when the answer is exactly at the limit', async () => {
    const limit = await answerBytes(120);
    const { instanceId } = instanceWith(120);

    const response = await list(instanceId, { maxResponseBytes: limit });

    expect(response.statusCode).toBe(200);
    expect(resultBytes(response)).toBe(limit);
  });

  it('stops paging as soon as the tasks alone exceed the limit', async () => {
    const { instanceId } = instanceWith(120);

    const response = await list(instanceId, { maxResponseBytes: 10_000 });

    expect(response.json.code).toBe('TASK_LIST_TOO_LARGE');
    expect(listRequests(instanceId)).toHaveLength(1);
  });
});

describe('status-change events of what the list route recorded', () => {
  let own: Harness;

  beforeAll(async () => {
    own = await startHarness();
  });

  afterAll(async () => {
    await own.stop();
  });

  it('are published from the table’s stream, one per change, each task in sequence', async () => {
    const instanceId = randomUUID();
    const taskIds = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of taskIds) own.simulator.putTask(PROJECT_ID, instanceId, exampleTask({ id }));
    const path = { project_id: PROJECT_ID, instance_id: instanceId };
    await own.listTasks(path);
    own.simulator.setTaskStatus(PROJECT_ID, instanceId, taskIds[1]!, 'PAUSED');
    await own.listTasks(path);
    await own.listTasks(path);

    const events = (await own.events()).map((e) => e.detail);

    expect(events.map((e) => [e.taskId, e.sequence, e.previousStatus, e.status])).toEqual(
      expect.arrayContaining([
        [taskIds[0], 1, null, 'RUNNING'],
        [taskIds[1], 1, null, 'RUNNING'],
        [taskIds[2], 1, null, 'RUNNING'],
        [taskIds[1], 2, 'RUNNING', 'PAUSED'],
      ]),
    );
    expect(events).toHaveLength(4);
  });
});
