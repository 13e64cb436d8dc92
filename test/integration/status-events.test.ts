import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { systemClock } from '../../lib/clock';
import { EventBridgePublisher } from '../../lib/status/event-publisher';
import {
  DELETED_STATUS,
  EVENT_DETAIL_TYPE,
  EVENT_SOURCE,
  statusChangeEventSchema,
  statusEventId,
  type StatusChangeDetail,
} from '../../lib/status/status-event';
import { partitionKey } from '../../lib/status/status-store';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { flakyEventBridge, type FlakyEventBridge } from '../support/flaky-event-bridge';
import {
  INSTANCE_ID,
  PROJECT_ID,
  TASK,
  TASK_ID,
  startHarness,
  type Harness,
  type HarnessOptions,
} from '../support/harness';

const harnesses: Harness[] = [];

async function setup(options: HarnessOptions = {}): Promise<Harness> {
  const harness = await startHarness({
    ...options,
    overrides: { random: () => 0, ...options.overrides },
  });
  harnesses.push(harness);
  return harness;
}

/** Observes the example task once (RUNNING) and drains the first-observation event. */
async function baseline(harness: Harness): Promise<void> {
  expect((await harness.http()).statusCode).toBe(200);
  await harness.events();
}

async function storedItem(harness: Harness) {
  const output = await harness.aws.clients.dynamoDb.send(
    new GetItemCommand({
      TableName: harness.aws.tableName,
      Key: { pk: { S: partitionKey(TASK) } },
      ConsistentRead: true,
    }),
  );
  return output.Item;
}

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
});

describe('status change events', () => {
  it('reports the first observation of a task as a change from null', async () => {
    const harness = await setup();

    await harness.http();

    const events = await harness.events();
    expect(events.map((e) => e.detail)).toEqual([
      expect.objectContaining({ previousStatus: null, status: 'RUNNING', sequence: 1 }),
    ]);
  });

  it('emits exactly one event with the documented detail when RUNNING becomes PAUSED', async () => {
    const harness = await setup();
    await baseline(harness);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');

    await harness.http();

    const events = await harness.events();
    expect(events).toHaveLength(1);
    const event = statusChangeEventSchema.parse(events[0]);
    expect(event.source).toBe(EVENT_SOURCE);
    expect(event['detail-type']).toBe(EVENT_DETAIL_TYPE);
    expect(event.detail).toEqual({
      eventId: statusEventId(TASK, 2),
      sequence: 2,
      projectId: PROJECT_ID,
      instanceId: INSTANCE_ID,
      taskId: TASK_ID,
      taskName: 'smart-connect-121248117',
      previousStatus: 'RUNNING',
      status: 'PAUSED',
      observedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      task: expect.objectContaining({ id: TASK_ID, status: 'PAUSED' }),
    });
  });

  it('emits nothing when the same status is observed again', async () => {
    const harness = await setup();
    await baseline(harness);

    await harness.http();
    await harness.http();

    expect(await harness.events()).toEqual([]);
  });

  it('delivers exactly one distinct eventId when 10 observers see the same change at once', async () => {
    const harness = await setup();
    await baseline(harness);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');

    const responses = await Promise.all(Array.from({ length: 10 }, () => harness.http()));

    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const ids = new Set((await harness.events()).map((e) => e.detail.eventId));
    expect([...ids]).toEqual([statusEventId(TASK, 2)]);
  });

  it('republishes the same eventId on the next observation when PutEvents failed after the state write', async () => {
    const events = flakyEventBridge();
    const harness = await setup({ overrides: { eventBridge: events.client } });
    await baseline(harness);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');
    events.failNextCalls(3); // every attempt of this observation's publish

    await harness.http();
    const lost = await harness.events();
    const markerAfterFailure = (await storedItem(harness))?.pending;
    await harness.http();

    expect(lost).toEqual([]);
    expect(markerAfterFailure?.L).toHaveLength(1);
    const delivered = await harness.events();
    expect(delivered.map((e) => e.detail.eventId)).toEqual([statusEventId(TASK, 2)]);
    expect((await storedItem(harness))?.pending).toBeUndefined();
  });

  it('keeps both transitions when the task changes again while an event is still pending', async () => {
    const events = flakyEventBridge();
    const harness = await setup({ overrides: { eventBridge: events.client } });
    await baseline(harness);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');
    events.failNextCalls(3);
    await harness.http();
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'RUNNING');

    await harness.http();

    const delivered = (await harness.events()).map((e) => e.detail);
    expect(delivered.map((d) => [d.previousStatus, d.status]).sort()).toEqual([
      ['PAUSED', 'RUNNING'],
      ['RUNNING', 'PAUSED'],
    ]);
  });

  it('emits exactly one deletion event for a deleted task, however often it is polled', async () => {
    const harness = await setup();
    await baseline(harness);
    harness.simulator.deleteTask(PROJECT_ID, INSTANCE_ID, TASK_ID);

    const summaries = [
      await harness.poll(`${INSTANCE_ID}/${TASK_ID}`),
      await harness.poll(`${INSTANCE_ID}/${TASK_ID}`),
      await harness.poll(`${INSTANCE_ID}/${TASK_ID}`),
    ];

    const events = await harness.events();
    expect(events.map((e) => [e.detail.previousStatus, e.detail.status, e.detail.task])).toEqual([
      ['RUNNING', DELETED_STATUS, null],
    ]);
    expect(summaries.map((s) => [s.missing, s.changed, s.failed])).toEqual([
      [1, 1, 0],
      [1, 0, 0],
      [1, 0, 0],
    ]);
  });

  it('records nothing for a 404 of a task it has never seen', async () => {
    const harness = await setup();
    harness.simulator.deleteTask(PROJECT_ID, INSTANCE_ID, TASK_ID);

    const response = await harness.http();

    expect(response.statusCode).toBe(404);
    expect(await harness.events()).toEqual([]);
    expect(await storedItem(harness)).toBeUndefined();
  });

  it('changes nothing and emits nothing when the upstream response violates the contract', async () => {
    const harness = await setup();
    await baseline(harness);
    const before = await storedItem(harness);
    harness.simulator.setFault({ kind: 'raw', status: 200, body: '{"id":"x","status":42}' });

    const response = await harness.http();

    expect(response.json.code).toBe('UPSTREAM_CONTRACT_VIOLATION');
    expect(await harness.events()).toEqual([]);
    expect(await storedItem(harness)).toEqual(before);
  });
});

describe('EventBridgePublisher', () => {
  function detail(n: number): StatusChangeDetail {
    return {
      eventId: statusEventId(TASK, n),
      sequence: n,
      ...TASK,
      taskName: 'task',
      previousStatus: 'RUNNING',
      status: 'PAUSED',
      observedAt: '2026-11-23T12:00:00.000Z',
      task: null,
    };
  }

  async function publisherSetup(): Promise<{
    harness: Harness;
    events: FlakyEventBridge;
    publisher: EventBridgePublisher;
  }> {
    const harness = await setup();
    const events = flakyEventBridge();
    const publisher = new EventBridgePublisher({
      client: events.client,
      eventBusName: harness.aws.sink.busName,
      clock: systemClock,
      retryDelayMs: 1,
    });
    return { harness, events, publisher };
  }

  it('resends only the entries that failed in a partial PutEvents failure', async () => {
    const { harness, events, publisher } = await publisherSetup();
    const details = [1, 2, 3].map(detail);
    events.rejectEntriesOnce([1]);

    const outcome = await publisher.publish(details);

    expect(events.calls).toEqual([details.map((d) => d.eventId), [details[1]!.eventId]]);
    expect(outcome.failed).toEqual([]);
    const delivered = (await harness.events()).map((e) => e.detail.eventId).sort();
    expect(delivered).toEqual(details.map((d) => d.eventId).sort());
  });

  it('sends at most ten entries per PutEvents call', async () => {
    const { events, publisher } = await publisherSetup();

    await publisher.publish(Array.from({ length: 23 }, (_, i) => detail(i + 1)));

    expect(events.calls.map((c) => c.length)).toEqual([10, 10, 3]);
  });

  it('returns what still fails after its retries, so it stays pending', async () => {
    const { events, publisher } = await publisherSetup();
    events.failNextCalls(3);

    const outcome = await publisher.publish([detail(1)]);

    expect(outcome.failed.map((d) => d.eventId)).toEqual([statusEventId(TASK, 1)]);
    expect(events.calls).toHaveLength(3);
  });
});

describe('scheduled poll', () => {
  const OTHER_TASK = '194917d0-bbbb-4bbb-8ccc-0123456789ab';
  const BROKEN_TASK = '194917d0-cccc-4bbb-8ccc-0123456789ab';

  it('checks the other tasks and reports the failure when one task fails upstream', async () => {
    const harness = await setup();
    harness.simulator.putTask(
      PROJECT_ID,
      INSTANCE_ID,
      exampleTask({ id: OTHER_TASK, status: 'PAUSED' }),
    );
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, { id: BROKEN_TASK, task_name: 'no status' });

    const summary = await harness.poll(
      [TASK_ID, BROKEN_TASK, OTHER_TASK].map((t) => `${INSTANCE_ID}/${t}`).join(','),
    );

    expect(summary).toEqual({
      discovered: 0,
      enqueuedBatches: 0,
      checked: 2,
      changed: 2,
      missing: 0,
      failed: 1,
      failures: [
        {
          task: `${PROJECT_ID}/${INSTANCE_ID}/${BROKEN_TASK}`,
          error: 'UpstreamContractError',
          code: 'UPSTREAM_CONTRACT_VIOLATION',
        },
      ],
    });
    const statuses = (await harness.events()).map((e) => [e.detail.taskId, e.detail.status]).sort();
    expect(statuses).toEqual(
      [
        [TASK_ID, 'RUNNING'],
        [OTHER_TASK, 'PAUSED'],
      ].sort(),
    );
  });
});

describe('direct invoke', () => {
  const INPUT = { instanceId: INSTANCE_ID, taskId: TASK_ID };

  it('returns the same output and emits one event for the same payload twice', async () => {
    const harness = await setup();

    const first = await harness.invoke(INPUT);
    const second = await harness.invoke(INPUT);

    expect(second).toEqual(first);
    expect(first).toEqual({
      task: expect.objectContaining({ id: TASK_ID, status: 'RUNNING' }),
      statusChanged: true,
      previousStatus: null,
    });
    expect(await harness.events()).toHaveLength(1);
  });

  it('reports a change and the previous status', async () => {
    const harness = await setup();
    await baseline(harness);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');

    const output = await harness.invoke({ projectId: PROJECT_ID, ...INPUT });

    expect(output).toMatchObject({
      statusChanged: true,
      previousStatus: 'RUNNING',
      task: { status: 'PAUSED' },
    });
  });

  type Row = {
    name: string;
    input?: unknown;
    arrange?: (h: Harness) => void;
    remainingMs?: number;
  };
  const failures: Row[] = [
    { name: 'InvalidRequestError', input: { instanceId: INSTANCE_ID } },
    { name: 'InvalidRequestError', input: 'not an object' },
    {
      name: 'ProjectNotServedError',
      input: { ...INPUT, projectId: 'aaaabbbbccccddddeeeeffff00001111' },
    },
    {
      name: 'TaskNotFoundError',
      arrange: (h) => h.simulator.deleteTask(PROJECT_ID, INSTANCE_ID, TASK_ID),
    },
    {
      name: 'UpstreamThrottledError',
      arrange: (h) => h.simulator.setFault({ kind: 'status', status: 429, retryAfter: '120' }),
    },
    {
      name: 'UpstreamUnavailableError',
      arrange: (h) => h.simulator.setFault({ kind: 'status', status: 503 }),
    },
    {
      name: 'UpstreamContractError',
      arrange: (h) => h.simulator.setFault({ kind: 'malformed-json' }),
    },
    {
      name: 'UpstreamTimeoutError',
      arrange: (h) => h.simulator.setFault({ kind: 'hang' }),
      remainingMs: 2_500,
    },
  ];

  it.each(failures)(
    'throws $name with a one-line stack',
    async ({ name, input, arrange, remainingMs }) => {
      const harness = await setup();
      arrange?.(harness);

      const error = (await harness
        .invoke(input ?? INPUT, remainingMs)
        .catch((e: unknown) => e)) as Error;

      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.stack).toBe(`${name}: ${error.message}`);
    },
  );
});
