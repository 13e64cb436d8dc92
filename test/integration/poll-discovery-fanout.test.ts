import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createPollWorkerHandler } from '../../lib/poll/poll-worker';
import { DELETED_STATUS } from '../../lib/status/status-event';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { uniqueName } from '../support/aws-resources';
import { INSTANCE_ID, PROJECT_ID, TASK_ID, harnessPerTest, type Harness } from '../support/harness';
import { lambdaContext } from '../support/lambda';
import { TEST_CREDENTIALS } from '../support/test-credentials';

const setup = harnessPerTest();

/** Task ids in a fixed order, distinct from the harness's own example task. */
function taskIds(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
}

function putTasks(harness: Harness, ids: readonly string[], status = 'RUNNING'): void {
  for (const id of ids)
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id, status }));
}

const WHOLE_INSTANCE = `${INSTANCE_ID}/*`;

describe('watching a whole instance', () => {
  it('observes every task from the pages of the list API, with no request per task', async () => {
    const harness = await setup();
    putTasks(harness, taskIds(59)); // plus the harness's example task: 60, two pages of 50

    const summary = await harness.poll(WHOLE_INSTANCE, { remainingMs: 30_000 });

    expect(summary).toMatchObject({ listed: 60, checked: 60, changed: 60, failed: 0 });
    expect(harness.simulator.requests.map((r) => r.path.split('/').at(-1))).toEqual([
      'tasks',
      'tasks',
    ]);
    const listCalls = harness.simulator.requests.filter((r) => r.path.endsWith('/connector/tasks'));
    // Each page signed with our key, its signature verified by the simulator (or 'rejected').
    expect(
      listCalls.map((r) => ({
        query: r.query,
        signed: /^SDK-HMAC-SHA256 Access=\S+, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/.test(
          r.headers.authorization ?? '',
        ),
        // A boolean, so a failure can't print the key and trip the leak guard.
        ourKey: r.accessKeyId === TEST_CREDENTIALS.accessKeyId,
        outcome: r.outcome,
        status: r.status,
      })),
    ).toEqual([
      { query: 'offset=0&limit=50', signed: true, ourKey: true, outcome: 'served', status: 200 },
      { query: 'offset=50&limit=50', signed: true, ourKey: true, outcome: 'served', status: 200 },
    ]);
  });

  it('picks up a task that appears in the instance without a configuration change', async () => {
    const harness = await setup();
    await harness.poll(WHOLE_INSTANCE);
    await harness.events();
    const [newTask] = taskIds(1);
    putTasks(harness, [newTask!], 'WAITING');

    const summary = await harness.poll(WHOLE_INSTANCE);

    expect(summary).toMatchObject({ listed: 2, checked: 2, changed: 1 });
    const events = (await harness.events()).map((e) => e.detail);
    expect(events).toEqual([
      expect.objectContaining({ taskId: newTask, previousStatus: null, status: 'WAITING' }),
    ]);
  });

  it('reports a task removed from the instance with exactly one deletion event', async () => {
    const harness = await setup();
    await harness.poll(WHOLE_INSTANCE);
    await harness.events();
    harness.simulator.deleteTask(PROJECT_ID, INSTANCE_ID, TASK_ID);

    await harness.poll(WHOLE_INSTANCE);
    await harness.poll(WHOLE_INSTANCE);

    const events = (await harness.events()).map((e) => e.detail);
    expect(events.map((d) => [d.taskId, d.previousStatus, d.status])).toEqual([
      [TASK_ID, 'RUNNING', DELETED_STATUS],
    ]);
  });

  it('reports every known task as deleted when the whole instance is gone', async () => {
    const harness = await setup();
    await harness.poll(WHOLE_INSTANCE);
    await harness.events();
    harness.simulator.deleteInstance(PROJECT_ID, INSTANCE_ID);

    const summary = await harness.poll(WHOLE_INSTANCE);

    expect(summary).toMatchObject({ missing: 1, changed: 1, failed: 0 });
    const events = (await harness.events()).map((e) => e.detail.status);
    expect(events).toEqual([DELETED_STATUS]);
  });
});

describe('watching several tasks of one instance by name', () => {
  const byName = (ids: readonly string[]) => ids.map((id) => `${INSTANCE_ID}/${id}`).join(',');
  /** What each upstream request asked for: 'tasks' for a list page, else the task's id. */
  const asked = (harness: Harness) =>
    harness.simulator.requests.map((r) => `${r.path.split('/').at(-1)}?${r.query}`);

  it('observes them from the list page, with no request per task and nothing else recorded', async () => {
    const harness = await setup();
    const ids = taskIds(9);
    putTasks(harness, ids); // plus the harness's example task: 10, one page
    const named = ids.slice(2, 7);

    const summary = await harness.poll(byName(named));

    expect(summary).toMatchObject({ watched: 5, checked: 5, listed: 0, changed: 5, failed: 0 });
    expect(asked(harness)).toEqual(['tasks?offset=0&limit=50']);
    const events = (await harness.events()).map((e) => e.detail.taskId);
    expect(events.sort()).toEqual([...named].sort());
  });

  it('goes on paging while fewer pages remain than named tasks not yet seen', async () => {
    const harness = await setup();
    const ids = taskIds(109); // 110 with the example task: three pages
    putTasks(harness, ids);
    const named = ids.slice(60, 63); // on the second page

    const summary = await harness.poll(byName(named));

    expect(summary).toMatchObject({ checked: 3, changed: 3, failed: 0 });
    expect(asked(harness)).toEqual(['tasks?offset=0&limit=50', 'tasks?offset=50&limit=50']);
  });

  it('asks for the rest one by one once the pages left outnumber them', async () => {
    const harness = await setup();
    const ids = taskIds(159); // 160 with the example task: four pages
    putTasks(harness, ids);
    const named = ids.slice(155, 157); // on the last page

    const summary = await harness.poll(byName(named));

    expect(summary).toMatchObject({ checked: 2, changed: 2, failed: 0 });
    expect(asked(harness).sort()).toEqual(
      ['tasks?offset=0&limit=50', ...named.map((id) => `${id}?`)].sort(),
    );
  });

  it('asks on its own for a named task the listing does not show, and reports it missing', async () => {
    const harness = await setup();
    const ids = taskIds(3);
    putTasks(harness, ids.slice(0, 2));

    const summary = await harness.poll(byName(ids));

    expect(summary).toMatchObject({ checked: 3, changed: 2, missing: 1, failed: 0 });
    expect(asked(harness)).toEqual(['tasks?offset=0&limit=50', `${ids[2]}?`]);
  });
});

describe('fan-out to the worker queue', () => {
  async function fanOutSetup(taskCount: number) {
    const harness = await setup();
    const queue = await harness.aws.clients.sqs.send(
      new CreateQueueCommand({ QueueName: uniqueName('poll-batches') }),
    );
    const queueUrl = queue.QueueUrl!;
    const ids = taskIds(taskCount);
    putTasks(harness, ids);
    const watched = ids.map((id) => `${INSTANCE_ID}/${id}`).join(',');
    return { harness, queueUrl, watched, ids };
  }

  async function receiveAll(harness: Harness, queueUrl: string): Promise<SQSRecord[]> {
    const records: SQSRecord[] = [];
    for (let round = 0; round < 20; round++) {
      const output = await harness.aws.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
      );
      const messages = output.Messages ?? [];
      if (messages.length === 0) break;
      records.push(
        ...messages.map(
          (m) =>
            ({
              messageId: m.MessageId!,
              receiptHandle: m.ReceiptHandle!,
              body: m.Body!,
              attributes: {},
              messageAttributes: {},
              md5OfBody: m.MD5OfBody!,
              eventSource: 'aws:sqs',
              eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:poll-batches',
              awsRegion: 'us-east-1',
            }) as unknown as SQSRecord,
        ),
      );
    }
    return records;
  }

  it('enqueues batches instead of polling inline when the watch list is larger than one batch', async () => {
    const { harness, queueUrl, watched, ids } = await fanOutSetup(7);

    const summary = await harness.poll(watched, {
      env: { POLL_FANOUT_QUEUE_URL: queueUrl, POLL_FANOUT_BATCH_SIZE: '3' },
    });

    expect(summary).toMatchObject({ enqueuedBatches: 3, checked: 0 });
    expect(harness.simulator.requests).toHaveLength(0);
    // A standard queue does not keep order: compare the batches by content, not position.
    const batches = (await receiveAll(harness, queueUrl)).map(
      (r) => (JSON.parse(r.body) as { tasks: { taskId: string }[] }).tasks,
    );
    expect(batches.map((tasks) => tasks.length).sort()).toEqual([1, 3, 3]);
    expect(batches.flatMap((tasks) => tasks.map((t) => t.taskId)).sort()).toEqual([...ids].sort());
  });

  it('has the worker observe every task of its batches and report no failures', async () => {
    const { harness, queueUrl, watched, ids } = await fanOutSetup(7);
    await harness.poll(watched, {
      env: { POLL_FANOUT_QUEUE_URL: queueUrl, POLL_FANOUT_BATCH_SIZE: '3' },
    });
    const records = await receiveAll(harness, queueUrl);
    const worker = createPollWorkerHandler(harness.container, { concurrency: 4 });

    const response = await worker({ Records: records }, lambdaContext(20_000));

    expect(response).toEqual({ batchItemFailures: [] });
    const observed = (await harness.events()).map((e) => e.detail.taskId).sort();
    expect(observed).toEqual([...ids].sort());
  });

  it('fans a watched instance out whole, and its worker observes it from the list pages', async () => {
    const { harness, queueUrl, ids } = await fanOutSetup(4);
    await harness.poll(`${WHOLE_INSTANCE},${INSTANCE_ID}/${ids[0]}`, {
      env: { POLL_FANOUT_QUEUE_URL: queueUrl, POLL_FANOUT_BATCH_SIZE: '3' },
    });
    const records = await receiveAll(harness, queueUrl);
    const worker = createPollWorkerHandler(harness.container, { concurrency: 4 });

    const response = await worker({ Records: records }, lambdaContext(20_000));

    expect(records.map((r) => JSON.parse(r.body) as unknown)).toEqual([
      {
        version: 1,
        tasks: [],
        instances: [{ projectId: PROJECT_ID, instanceId: INSTANCE_ID, taskIds: [ids[0]] }],
      },
    ]);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(harness.simulator.requests.map((r) => r.query)).toEqual(['offset=0&limit=50']);
    expect(await harness.events()).toHaveLength(5);
  });

  it('reports a malformed message as a batch item failure without losing the others', async () => {
    const { harness, queueUrl, watched } = await fanOutSetup(2);
    await harness.poll(watched, {
      env: { POLL_FANOUT_QUEUE_URL: queueUrl, POLL_FANOUT_BATCH_SIZE: '1' },
    });
    const records = await receiveAll(harness, queueUrl);
    const malformed = {
      ...records[0]!,
      messageId: randomUUID(),
      body: '{"version":1,"tasks":"all"}',
    };
    const worker = createPollWorkerHandler(harness.container, { concurrency: 4 });

    const response = await worker({ Records: [...records, malformed] }, lambdaContext(20_000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: malformed.messageId }] });
    expect(await harness.events()).toHaveLength(2);
  });
});
