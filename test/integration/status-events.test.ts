import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { systemClock } from '../../lib/clock';
import {
  createHttpTransport,
  TransportError,
  type HttpTransport,
} from '../../lib/huawei/http-transport';
import { EventBridgePublisher, PUT_EVENTS_MAX_BYTES } from '../../lib/status/event-publisher';
import {
  DELETED_STATUS,
  EVENT_DETAIL_TYPE,
  EVENT_SOURCE,
  statusChangeEventSchema,
  statusEventId,
  type StatusChangeDetail,
} from '../../lib/status/status-event';
import { partitionKey, type StatusStore } from '../../lib/status/status-store';
import { TaskObserver } from '../../lib/task-observer';
import type { TaskRef } from '../../lib/task-ref';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { createEventSink, drainEvents, uniqueName } from '../support/aws-resources';
import { flakyEventBridge, type FlakyEventBridge } from '../support/flaky-event-bridge';
import {
  INSTANCE_ID,
  PROJECT_ID,
  TASK,
  TASK_ID,
  startHarness,
  streamDelivery,
  type Harness,
  type HarnessOptions,
} from '../support/harness';
import { TASK_ITEM_ATTRIBUTES } from '../support/aws-resources';
import { serviceDynamoDb } from '../support/dynamodb-client';

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

async function storedItem(harness: Harness): Promise<Record<string, unknown>> {
  const output = await harness.aws.clients.dynamoDb.send(
    new GetItemCommand({
      TableName: harness.aws.tableName,
      Key: { pk: { S: partitionKey(TASK) } },
      ConsistentRead: true,
    }),
  );
  return output.Item ?? {};
}

const OTHER_TASK = '194917d0-dddd-4bbb-8ccc-0123456789ab';
const OTHER: TaskRef = { ...TASK, taskId: OTHER_TASK };
const FLAPS = [
  'PAUSED',
  'RUNNING',
  'WAITING',
  'RUNNING',
  'PAUSED',
  'RESTARTING',
  'RUNNING',
  'PAUSED',
  'RUNNING',
  'WAITING',
];
const LARGE_TASKS = Array.from(
  { length: 8 },
  (_, i) => `194917d0-eeee-4bbb-8ccc-0000000000${String(i).padStart(2, '0')}`,
);

/** A task whose normalized form is about 58 KB (its topic list), as the issue measured. */
function largeTask(status: string, id = TASK_ID): Record<string, unknown> {
  const topics = Array.from({ length: 2_900 }, (_, i) => `topic-${String(i).padStart(12, '0')}`);
  return exampleTask({ id, status, topics: topics.join(',') });
}

function pathOf(taskId: string): Record<string, string> {
  return { project_id: PROJECT_ID, instance_id: INSTANCE_ID, task_id: taskId };
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

  it('delivers exactly one event when 10 observers see the same change at once', async () => {
    const harness = await setup();
    await baseline(harness);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');

    const responses = await Promise.all(Array.from({ length: 10 }, () => harness.http()));

    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const delivered = (await harness.events()).map((e) => e.detail.eventId);
    expect(delivered).toEqual([statusEventId(TASK, 2)]);
  });

  it('records one commit when 10 observers see the same change at once: all answer its time', async () => {
    // Each reading of the clock is a millisecond later: every observer that committed the change
    // itself would answer its own commit time.
    let ticks = 0;
    const harness = await setup({
      overrides: { clock: { ...systemClock, now: () => systemClock.now() + ticks++ } },
    });
    await baseline(harness);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');

    const responses = await Promise.all(Array.from({ length: 10 }, () => harness.http()));

    const [event] = await harness.events();
    expect(event?.detail.sequence).toBe(2);
    expect(responses.map((r) => r.json.statusSince)).toEqual(
      Array(10).fill(event?.detail.observedAt),
    );
  });

  it('answers every read while EventBridge is down, then delivers each change once in order', async () => {
    const harness = await setup();
    await baseline(harness);
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, largeTask('PAUSED'));
    harness.eventBridge.outage(true);

    const statuses: number[] = [];
    for (const status of FLAPS) {
      harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, status);
      statuses.push((await harness.http()).statusCode!);
      expect((await harness.deliver()).blocked).toBe(true);
    }
    harness.eventBridge.outage(false);

    expect(statuses).toEqual(Array(FLAPS.length).fill(200));
    const delivered = (await harness.events()).map((e) => e.detail);
    expect(delivered.map((d) => [d.sequence, d.status])).toEqual(
      FLAPS.map((status, i) => [i + 2, status]),
    );
    expect(Object.keys(await storedItem(harness)).sort()).toEqual(TASK_ITEM_ATTRIBUTES);
  });

  it('delivers the change of a task observed once during an outage and never again', async () => {
    const harness = await setup();
    harness.eventBridge.outage(true);
    await harness.http();
    await harness.deliver();

    harness.eventBridge.outage(false);

    expect((await harness.events()).map((e) => [e.detail.sequence, e.detail.status])).toEqual([
      [1, 'RUNNING'],
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
    expect(await storedItem(harness)).toEqual({});
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

describe('races between observers', () => {
  /** A store whose next commit waits until released, after the observer decided on what it read. */
  function gatedStore(store: StatusStore) {
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gated = true;
    const wrapped: StatusStore = {
      get: (ref) => store.get(ref),
      getMany: (refs) => store.getMany(refs),
      listByInstance: (p, i) => store.listByInstance(p, i),
      async commitChange(ref, change) {
        if (gated) {
          gated = false;
          reached();
          await gate;
        }
        return store.commitChange(ref, change);
      },
    };
    return { store: wrapped, atGate, release };
  }

  function observerWith(harness: Harness, store: StatusStore, clock = systemClock): TaskObserver {
    const { dms, logger, metrics, tracing, upstreamOutcomes } = harness.container;
    return new TaskObserver({ dms, store, clock, logger, metrics, tracing, upstreamOutcomes });
  }

  const CALL = { deadline: Date.now() + 60_000 };

  it('drops an answer older than the change another observer committed meanwhile, and converges', async () => {
    const harness = await setup();
    await baseline(harness);
    const gated = gatedStore(harness.container.store);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');
    const slow = observerWith(harness, gated.store).observe(TASK, CALL);
    await gated.atGate;
    await new Promise((resolve) => setTimeout(resolve, 5));
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'WAITING');
    await harness.http();

    gated.release();
    const late = await slow;
    await harness.http();

    expect(late).toMatchObject({ statusChanged: false, previousStatus: 'WAITING' });
    const chain = (await harness.events()).map((e) => e.detail);
    expect(chain.map((d) => [d.sequence, d.previousStatus, d.status])).toEqual([
      [2, 'RUNNING', 'WAITING'],
    ]);
    expect((await storedItem(harness)).status).toEqual({ S: 'WAITING' });
  });

  it('re-decides after losing the write when the answers overlap: both statuses become events', async () => {
    const harness = await setup();
    await baseline(harness);
    const gated = gatedStore(harness.container.store);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');
    // Its answer counts as arriving after the other observer asked: the two answers overlap.
    const later = { ...systemClock, now: () => Date.now() + 60_000 };
    const slow = observerWith(harness, gated.store, later).observe(TASK, CALL);
    await gated.atGate;
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'WAITING');
    await harness.http();

    gated.release();
    const late = await slow;

    expect(late).toMatchObject({ statusChanged: true, previousStatus: 'WAITING' });
    const chain = (await harness.events()).map((e) => e.detail);
    expect(chain.map((d) => [d.sequence, d.previousStatus, d.status])).toEqual([
      [2, 'RUNNING', 'WAITING'],
      [3, 'WAITING', 'PAUSED'],
    ]);
  });

  it('records nothing more when the winner already recorded the same status', async () => {
    const harness = await setup();
    await baseline(harness);
    const gated = gatedStore(harness.container.store);
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');
    const slow = observerWith(harness, gated.store).observe(TASK, CALL);
    await gated.atGate;
    await harness.http();

    gated.release();
    const late = await slow;

    expect(late).toMatchObject({ statusChanged: false, previousStatus: 'PAUSED' });
    expect((await harness.events()).map((e) => e.detail.sequence)).toEqual([2]);
  });

  it('keeps one first observation when two observers both found no stored status', async () => {
    const harness = await setup();
    const gated = gatedStore(harness.container.store);
    const slow = observerWith(harness, gated.store).observe(TASK, CALL);
    await gated.atGate;
    await new Promise((resolve) => setTimeout(resolve, 5));
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');
    await harness.http();

    gated.release();
    await slow;

    // The older answer (RUNNING) came before the winner asked: it records nothing.
    const chain = (await harness.events()).map((e) => e.detail);
    expect(chain.map((d) => [d.sequence, d.previousStatus, d.status])).toEqual([
      [1, null, 'PAUSED'],
    ]);
  });
});

describe('stream consumer', () => {
  it('hands back only the undelivered record and redelivers from it, in order', async () => {
    const harness = await setup();
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: OTHER_TASK }));
    await harness.http();
    await harness.http(pathOf(OTHER_TASK));
    harness.eventBridge.rejectEntriesOnce([1]);
    harness.eventBridge.failNextCalls(0);

    const first = await harness.deliver();

    expect(first).toMatchObject({ blocked: false, accepted: 2 });
    expect(harness.eventBridge.calls).toEqual([
      [statusEventId(TASK, 1), statusEventId(OTHER, 1)],
      [statusEventId(OTHER, 1)],
    ]);
    expect((await harness.events()).map((e) => e.detail.taskId).sort()).toEqual(
      [TASK_ID, OTHER_TASK].sort(),
    );
  });

  it('returns the first record it could not deliver, and the next delivery resumes there', async () => {
    const harness = await setup();
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: OTHER_TASK }));
    await harness.http();
    await harness.http(pathOf(OTHER_TASK));
    harness.eventBridge.outage(true);
    const refused = await harness.deliver();
    harness.eventBridge.outage(false);

    const resumed = await harness.deliver();

    expect(refused).toMatchObject({ blocked: true, accepted: 0 });
    expect(resumed).toMatchObject({ blocked: false, accepted: 2 });
    const delivered = (await harness.events()).map((e) => e.detail.eventId);
    expect(delivered).toEqual([statusEventId(TASK, 1), statusEventId(OTHER, 1)]);
  });

  it('keeps each PutEvents request within 256 KB and one event per task', async () => {
    const harness = await setup();
    const refs = LARGE_TASKS.map((taskId) => ({ ...TASK, taskId }));
    for (const ref of refs) {
      harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, largeTask('RUNNING', ref.taskId));
      await harness.http(pathOf(ref.taskId));
    }

    await harness.deliver();

    const sizes = harness.eventBridge.requestBytes;
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
    expect((await harness.events()).map((e) => e.detail.taskId)).toEqual(LARGE_TASKS);
  });

  it('sets aside a task item that cannot become an event and delivers the others', async () => {
    const harness = await setup();
    await harness.aws.clients.dynamoDb.send(
      new PutItemCommand({
        TableName: harness.aws.tableName,
        Item: { pk: { S: partitionKey({ ...TASK, taskId: OTHER_TASK }) }, status: { N: '1' } },
      }),
    );
    await harness.http();

    const result = await harness.deliver();

    expect(result).toMatchObject({ blocked: false, accepted: 2 });
    expect((await harness.events()).map((e) => e.detail.eventId)).toEqual([statusEventId(TASK, 1)]);
    const setAside = await harness.aws.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: harness.aws.failureQueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(setAside.Messages?.map((m) => JSON.parse(m.Body!) as unknown)).toEqual([
      expect.objectContaining({
        kind: 'unpublishable-status-record',
        problem: 'the task item is malformed',
        sequenceNumber: expect.stringMatching(/^\d+$/),
      }),
    ]);
  });

  it('answers every read of a ~58 KB task flapping ten times while the bus does not exist, then delivers ten events in order', async () => {
    const harness = await setup();
    const busName = uniqueName('late-bus');
    const late = streamDelivery(harness.aws, { eventBusName: busName });
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, largeTask('RUNNING'));
    const reads: number[] = [];
    for (const status of FLAPS) {
      harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, status);
      reads.push((await harness.http()).statusCode!);
    }
    const refused = await late.pump.drain();
    const sink = await createEventSink(harness.aws.clients, {
      busName,
      queueName: uniqueName('late-events'),
      ruleName: uniqueName('late-rule'),
    });

    const resumed = await late.pump.drain();

    expect(reads).toEqual(Array(FLAPS.length).fill(200));
    expect(refused).toMatchObject({ blocked: true, accepted: 0 });
    expect(resumed).toMatchObject({ blocked: false, accepted: FLAPS.length });
    const delivered = await drainEvents(harness.aws.clients, sink);
    expect(delivered.map((e) => [e.detail.sequence, e.detail.status])).toEqual(
      FLAPS.map((status, i) => [i + 1, status]),
    );
    expect(JSON.stringify(delivered[0]!.detail.task).length).toBeGreaterThan(55_000);
  });
});

describe('EventBridgePublisher', () => {
  function detail(n: number, ref: TaskRef = TASK): StatusChangeDetail {
    return {
      eventId: statusEventId(ref, n),
      sequence: n,
      ...ref,
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

  const tasks = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      detail(1, {
        ...TASK,
        taskId: `194917d0-${String(i).padStart(4, '0')}-4bbb-8ccc-0123456789ab`,
      }),
    );

  it('resends only the entries that failed in a partial PutEvents failure', async () => {
    const { harness, events, publisher } = await publisherSetup();
    const details = tasks(3);
    events.rejectEntriesOnce([1]);

    const outcome = await publisher.publishInOrder(details);

    expect(events.calls).toEqual([details.map((d) => d.eventId), [details[1]!.eventId]]);
    expect(outcome.firstUndelivered).toBeUndefined();
    const delivered = (await harness.events()).map((e) => e.detail.eventId).sort();
    expect(delivered).toEqual(details.map((d) => d.eventId).sort());
  });

  it('sends at most ten entries per PutEvents call', async () => {
    const { events, publisher } = await publisherSetup();

    await publisher.publishInOrder(tasks(23));

    expect(events.calls.map((c) => c.length)).toEqual([10, 10, 3]);
  });

  it('sends the changes of one task one request after the other, in sequence order', async () => {
    const { events, publisher } = await publisherSetup();

    await publisher.publishInOrder([detail(1), detail(2), detail(3)]);

    expect(events.calls).toEqual([1, 2, 3].map((n) => [statusEventId(TASK, n)]));
  });

  it('stops at the first event still failing after its retries and names it', async () => {
    const { events, publisher } = await publisherSetup();
    events.failNextCalls(3);

    const outcome = await publisher.publishInOrder([detail(1), detail(2)]);

    expect(outcome.firstUndelivered).toBe(0);
    expect(events.calls).toEqual(Array(3).fill([statusEventId(TASK, 1)]));
  });
});

describe('scheduled poll', () => {
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
      watched: 3,
      instances: 0,
      enqueuedBatches: 0,
      checked: 2,
      listed: 0,
      stuck: 0,
      unobservable: 0,
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

  it('reports its own change when DynamoDB wrote it but the answer was lost', async () => {
    // The first PutItem reaches moto and is written; its answer never comes back (a timeout), so
    // the client's second attempt meets the item the first one wrote.
    const real = createHttpTransport();
    let puts = 0;
    const firstAnswerLost: HttpTransport = async (request) => {
      const response = await real(request);
      const isPut = request.headers['x-amz-target']?.endsWith('.PutItem');
      if (isPut && ++puts === 1) throw new TransportError('timeout');
      return response;
    };
    const harness = await setup({
      overrides: { dynamoDb: serviceDynamoDb({ transport: firstAnswerLost }) },
    });
    await baseline(harness);
    puts = 0;
    harness.simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, TASK_ID, 'PAUSED');

    const output = await harness.invoke({ projectId: PROJECT_ID, ...INPUT });

    expect(puts).toBe(2);
    expect(output).toMatchObject({ statusChanged: true, previousStatus: 'RUNNING' });
    expect((await harness.events()).map((e) => e.detail.sequence)).toEqual([2]);
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
