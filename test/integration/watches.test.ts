import { exampleTask } from '../simulator/huawei-dms-simulator';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { serviceDynamoDb } from '../support/dynamodb-client';
import {
  INSTANCE_ID,
  PROJECT_ID,
  TASK_ID,
  harnessPerTest,
  watchRouteCaller,
  type Harness,
} from '../support/harness';

/*
 * The watch list as data: watches put and deleted through the watch routes (moto's DynamoDB)
 * change what the next scheduled poll observes on the signature-verifying Huawei simulator.
 */

const OTHER_INSTANCE = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER_TASK = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
const NOT_SERVED = 'aaaabbbbccccddddeeeeffff00001111';
const INSTANCE_PATH = { project_id: PROJECT_ID, instance_id: INSTANCE_ID };
const TASK_PATH = { ...INSTANCE_PATH, task_id: TASK_ID };

const setup = harnessPerTest();

/** The tasks whose first observation was published (one event each, every delivery counted). */
async function observedTaskIds(harness: Harness): Promise<string[]> {
  return (await harness.events()).map((event) => String(event.detail.taskId)).sort();
}

describe('a stored instance watch', () => {
  it('makes the next poll observe every task of the instance', async () => {
    const harness = await setup();
    harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: OTHER_TASK }));

    const put = await harness.watches('PUT', INSTANCE_PATH);
    const summary = await harness.poll('');

    expect(put.statusCode).toBe(201);
    expect(summary).toMatchObject({ watched: 2, checked: 2, failed: 0 });
    expect(await observedTaskIds(harness)).toEqual([TASK_ID, OTHER_TASK].sort());
  });

  it('is no longer polled once deleted', async () => {
    const harness = await setup();
    await harness.watches('PUT', INSTANCE_PATH);
    await harness.poll('');
    harness.simulator.clearRequests();

    const deleted = await harness.watches('DELETE', INSTANCE_PATH);
    const summary = await harness.poll('');

    expect(deleted.statusCode).toBe(204);
    expect(summary).toMatchObject({ watched: 0, checked: 0 });
    expect(harness.simulator.requests).toEqual([]);
  });
});

describe('a stored project watch', () => {
  it('discovers the project’s instances through ListInstances, page by page, and polls their tasks', async () => {
    const harness = await setup();
    harness.simulator.putTask(PROJECT_ID, OTHER_INSTANCE, exampleTask({ id: OTHER_TASK }));
    // 51 more instances without tasks: the listing takes two pages of 50.
    for (let i = 0; i < 51; i++) {
      harness.simulator.putInstance(
        PROJECT_ID,
        `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      );
    }

    await harness.watches('PUT', { project_id: PROJECT_ID });
    const summary = await harness.poll('', { remainingMs: 30_000 });

    expect(summary).toMatchObject({ watched: 2, checked: 2, failed: 0 });
    expect(await observedTaskIds(harness)).toEqual([TASK_ID, OTHER_TASK].sort());
    const listings = harness.simulator.requests.filter(
      (r) => r.path === `/v2/${PROJECT_ID}/instances`,
    );
    expect(listings.map((r) => ({ query: r.query, outcome: r.outcome, status: r.status }))).toEqual(
      [
        { query: 'engine=kafka&offset=0&limit=50', outcome: 'served', status: 200 },
        { query: 'engine=kafka&offset=50&limit=50', outcome: 'served', status: 200 },
      ],
    );
  });
});

describe('the watch routes', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await setup();
  });

  it('answers 201 to a new watch and 200 with the same entry to the same PUT again', async () => {
    const first = await harness.watches('PUT', TASK_PATH);
    const second = await harness.watches('PUT', TASK_PATH);

    expect([first.statusCode, second.statusCode]).toEqual([201, 200]);
    expect(second.json).toEqual(first.json);
    expect(first.json).toMatchObject({
      key: `${PROJECT_ID}/${INSTANCE_ID}/${TASK_ID}`,
      scope: 'task',
      source: 'stored',
      readOnly: false,
    });
  });

  it('answers 404 WATCH_NOT_FOUND to deleting a watch never put', async () => {
    const response = await harness.watches('DELETE', {
      project_id: PROJECT_ID,
      instance_id: OTHER_INSTANCE,
    });

    expect(response.statusCode).toBe(404);
    expect(response.json).toMatchObject({ code: 'WATCH_NOT_FOUND' });
  });

  it('answers 403 PROJECT_NOT_SERVED to a watch of a project the deployment does not serve', async () => {
    const response = await harness.watches('PUT', { project_id: NOT_SERVED });

    expect(response.statusCode).toBe(403);
    expect(response.json).toMatchObject({ code: 'PROJECT_NOT_SERVED' });
  });

  it('answers 400 INVALID_REQUEST naming a malformed id', async () => {
    const response = await harness.watches('PUT', { project_id: PROJECT_ID, instance_id: 'nope' });

    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({
      code: 'INVALID_REQUEST',
      invalidFields: [{ field: 'instance_id', problem: 'must be a lowercase UUID' }],
    });
  });
});

describe('listing the watches', () => {
  it('answers the WATCHED_TASKS entries as read-only beside the stored watches', async () => {
    const harness = await setup({ env: { WATCHED_TASKS: `${INSTANCE_ID}/*` } });
    await harness.watches('PUT', { project_id: PROJECT_ID });

    const response = await harness.watches('GET');

    expect(response.statusCode).toBe(200);
    expect(response.json.watches).toEqual([
      expect.objectContaining({
        key: `${PROJECT_ID}/${INSTANCE_ID}/*`,
        source: 'environment',
        readOnly: true,
        createdAt: null,
      }),
      expect.objectContaining({
        key: `${PROJECT_ID}/*`,
        scope: 'project',
        source: 'stored',
        readOnly: false,
      }),
    ]);
  });
});

describe('a PUT racing a DELETE of the same watch', () => {
  it('still stores the watch and answers 201, not a dependency failure', async () => {
    const harness = await setup();
    const key = `${PROJECT_ID}/${INSTANCE_ID}/*`;
    const tableName = harness.env.WATCHES_TABLE_NAME!;
    await harness.watches('PUT', INSTANCE_PATH);
    // The DELETE lands between the PUT's refused write and its read of the stored watch.
    let deleted = false;
    const racing = serviceDynamoDb({
      around: async (operation, work) => {
        if (operation === 'GetItem' && !deleted) {
          deleted = true;
          await harness.aws.clients.dynamoDb.send(
            new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: key } } }),
          );
        }
        return work();
      },
    });

    const put = await watchRouteCaller(harness.env, racing)('PUT', INSTANCE_PATH);
    const listed = await harness.watches('GET');

    expect(deleted).toBe(true);
    expect(put.statusCode).toBe(201);
    expect((listed.json.watches as { key: string }[]).map((w) => w.key)).toContain(key);
  });
});
