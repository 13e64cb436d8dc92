import type { BatchGetItemInput } from '@aws-sdk/client-dynamodb';
import type { DynamoDbClient } from '../../lib/aws/dynamodb-client';
import { DynamoDbError } from '../../lib/aws/dynamodb-error';
import {
  BY_INSTANCE_INDEX,
  DynamoDbStatusStore,
  partitionKey,
  toItem,
  type StatusChange,
} from '../../lib/status/status-store';
import type { TaskRef } from '../../lib/task-ref';
import { refusedWrite } from './conditional-refusal';

const TABLE = 'status-table';
const REF: TaskRef = {
  projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  instanceId: '59f6d088-1b2c-4d5e-8f90-123456789abc',
  taskId: '194917d0-aaaa-4bbb-8ccc-0123456789ab',
};
const PK = `TASK#${REF.projectId}/${REF.instanceId}/${REF.taskId}`;

function change(version: number, overrides: Partial<StatusChange> = {}): StatusChange {
  return {
    status: 'PAUSED',
    version,
    taskName: 'orders',
    observedAt: '2026-11-23T12:00:00.000Z',
    lookedAt: 1_796_040_000_000,
    previousStatus: version === 1 ? null : 'RUNNING',
    task: null,
    ...overrides,
  };
}

/** One call the store made: the operation and its input. */
interface Command {
  readonly operation: string;
  readonly input: object;
}

type Answer = (command: Command) => unknown;

/** A DynamoDB client that records each call and answers from `answers`, in order. */
function setup(...answers: Answer[]) {
  const commands: Command[] = [];
  const operation = (name: string) => async (input: object) => {
    const command = { operation: name, input };
    commands.push(command);
    const answer = answers.shift();
    // Answers throw synchronously; awaiting turns that into a rejection, as the client's would be.
    return await Promise.resolve().then(() => (answer ? answer(command) : {}));
  };
  const client = {
    getItem: operation('GetItem'),
    putItem: operation('PutItem'),
    query: operation('Query'),
    batchGetItem: operation('BatchGetItem'),
  } as unknown as DynamoDbClient;
  return { store: new DynamoDbStatusStore(client, TABLE), commands };
}

const storedItem = (status = 'RUNNING', version = '4') => ({
  pk: { S: PK },
  status: { S: status },
  version: { N: version },
  taskName: { S: 'orders' },
  observedAt: { S: '2026-11-23T11:00:00.000Z' },
});

const failWith = (name: string) => () => {
  throw Object.assign(new Error(name), { name });
};

describe('DynamoDbStatusStore.commitChange', () => {
  it('writes the first change only where no item exists yet', async () => {
    const { store, commands } = setup();

    const committed = await store.commitChange(REF, change(1));

    expect(committed).toBe(true);
    expect(commands).toHaveLength(1);
    expect(commands[0]?.operation).toBe('PutItem');
    expect(commands[0]!.input).toEqual({
      TableName: TABLE,
      Item: toItem(REF, change(1)),
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('writes a later change only over the version it was decided on', async () => {
    const { store, commands } = setup();

    await store.commitChange(REF, change(3));

    expect(commands[0]!.input).toEqual({
      TableName: TABLE,
      Item: toItem(REF, change(3)),
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expected': { N: '2' } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('answers false when another observer committed first', async () => {
    const { store } = setup(() => {
      throw new DynamoDbError('ConditionalCheckFailedException', 'no', 400);
    });

    await expect(store.commitChange(REF, change(2))).resolves.toBe(false);
  });

  it('answers false when a retry meets another observation of the same change', async () => {
    const theirs = toItem(REF, change(2, { observedAt: '2026-11-23T12:00:00.001Z' }));
    const { store } = setup(() => {
      throw refusedWrite(theirs);
    });

    await expect(store.commitChange(REF, change(2))).resolves.toBe(false);
  });

  it('answers true when a retry meets this very change: a lost answer had written it', async () => {
    const ours = JSON.parse(JSON.stringify(toItem(REF, change(2)))) as Record<string, never>;
    const { store } = setup(() => {
      throw refusedWrite(ours);
    });

    await expect(store.commitChange(REF, change(2))).resolves.toBe(true);
  });

  it('reports any other DynamoDB failure as a dependency failure', async () => {
    const { store } = setup(failWith('ProvisionedThroughputExceededException'));

    await expect(store.commitChange(REF, change(2))).rejects.toMatchObject({
      name: 'DependencyUnavailableError',
    });
  });

  it('names STATUS_TABLE_NAME when the table does not exist', async () => {
    const { store } = setup(failWith('ResourceNotFoundException'));

    const error = (await store.commitChange(REF, change(2)).catch((e: unknown) => e)) as Error;

    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toMatch(/^The status table \(STATUS_TABLE_NAME\) ".+" does not exist\.$/);
  });
});

describe('toItem', () => {
  it('holds the current state, the previous status and the task, nothing that grows', () => {
    const task = { id: REF.taskId, status: 'PAUSED' } as unknown as StatusChange['task'];

    const item = toItem(REF, change(2, { task }));

    expect(item).toEqual({
      pk: { S: PK },
      projectId: { S: REF.projectId },
      instanceId: { S: REF.instanceId },
      taskId: { S: REF.taskId },
      instanceKey: { S: `${REF.projectId}/${REF.instanceId}` },
      status: { S: 'PAUSED' },
      version: { N: '2' },
      taskName: { S: 'orders' },
      observedAt: { S: '2026-11-23T12:00:00.000Z' },
      lookedAt: { N: '1796040000000' },
      previousStatus: { S: 'RUNNING' },
      task: { S: JSON.stringify(task) },
    });
  });

  it('stores absent names, previous statuses and tasks as NULL', () => {
    const item = toItem(REF, change(1, { taskName: null }));

    expect([item.taskName, item.previousStatus, item.task]).toEqual([
      { NULL: true },
      { NULL: true },
      { NULL: true },
    ]);
  });
});

describe('DynamoDbStatusStore.get', () => {
  it('reads consistently and only what a decision needs', async () => {
    const { store, commands } = setup(() => ({ Item: storedItem() }));

    const stored = await store.get(REF);

    expect(stored).toEqual({
      status: 'RUNNING',
      version: 4,
      taskName: 'orders',
      observedAt: '2026-11-23T11:00:00.000Z',
    });
    expect(commands[0]?.operation).toBe('GetItem');
    expect(commands[0]!.input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: partitionKey(REF) } },
      ConsistentRead: true,
      ProjectionExpression: 'pk, #status, #version, taskName, observedAt, lookedAt',
      ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
    });
  });

  it('reads when the committing observation asked Huawei', async () => {
    const { store } = setup(() => ({
      Item: { ...storedItem(), lookedAt: { N: '1796040000000' } },
    }));

    await expect(store.get(REF)).resolves.toMatchObject({ lookedAt: 1_796_040_000_000 });
  });

  it('answers undefined for a task never observed', async () => {
    const { store } = setup(() => ({}));

    await expect(store.get(REF)).resolves.toBeUndefined();
  });

  it('reads a NULL task name as null', async () => {
    const { store } = setup(() => ({ Item: { ...storedItem(), taskName: { NULL: true } } }));

    await expect(store.get(REF)).resolves.toMatchObject({ taskName: null });
  });

  it.each([
    ['a version of zero', { version: { N: '0' } }],
    ['a non-numeric version', { version: { N: 'x1' } }],
    ['an empty status', { status: { S: '' } }],
    ['no observedAt', { observedAt: undefined }],
    ['a lookedAt that is not a whole number', { lookedAt: { N: '1.5' } }],
  ])('refuses an item with %s as unreadable', async (_name, overrides) => {
    const { store } = setup(() => ({ Item: { ...storedItem(), ...overrides } }));

    await expect(store.get(REF)).rejects.toMatchObject({
      name: 'DependencyUnavailableError',
      message: expect.stringContaining('unreadable item'),
    });
  });
});

describe('DynamoDbStatusStore.getMany', () => {
  const refs = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...REF,
      taskId: `194917d0-aaaa-4bbb-8ccc-${String(i).padStart(12, '0')}`,
    }));

  it('reads at most 100 distinct keys per BatchGetItem, consistently', async () => {
    const { store, commands } = setup();
    const many = refs(150);

    await store.getMany([...many, many[0]!]);

    const inputs = commands.map((c) => (c.input as BatchGetItemInput).RequestItems![TABLE]!);
    expect(inputs.map((i) => i.Keys!.length)).toEqual([100, 50]);
    expect(inputs.every((i) => i.ConsistentRead === true)).toBe(true);
  });

  it('keys what it found by partition key', async () => {
    const { store } = setup(() => ({ Responses: { [TABLE]: [storedItem('PAUSED', '2')] } }));

    const found = await store.getMany([REF]);

    expect([...found.entries()]).toEqual([[PK, expect.objectContaining({ status: 'PAUSED' })]]);
  });

  it('answers an unreadable item with its own error, and the others with their status', async () => {
    const other = { ...REF, taskId: '194917d0-aaaa-4bbb-8ccc-000000000001' };
    const { store } = setup(() => ({
      Responses: {
        [TABLE]: [
          { ...storedItem(), pk: { S: partitionKey(other) }, version: { N: 'x' } },
          storedItem(),
        ],
      },
    }));

    const found = await store.getMany([REF, other]);

    expect(found.get(PK)).toMatchObject({ status: 'RUNNING' });
    expect(found.get(partitionKey(other))).toMatchObject({ name: 'DependencyUnavailableError' });
  });

  it('asks again for unprocessed keys', async () => {
    const unprocessed = { UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: PK } }] } } };
    const { store, commands } = setup(
      () => unprocessed,
      () => ({ Responses: { [TABLE]: [storedItem()] } }),
    );

    const found = await store.getMany([REF]);

    expect(commands).toHaveLength(2);
    expect(found.get(PK)).toMatchObject({ status: 'RUNNING' });
  });

  it('gives up after five rounds of unprocessed keys', async () => {
    const unprocessed = () => ({ UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: PK } }] } } });
    const { store, commands } = setup(...Array.from({ length: 10 }, () => unprocessed));

    await expect(store.getMany([REF])).rejects.toMatchObject({
      name: 'DependencyUnavailableError',
    });
    expect(commands).toHaveLength(5);
  });
});

describe('DynamoDbStatusStore.listByInstance', () => {
  it('follows the index pages and returns each known task with its status', async () => {
    const page = (taskId: string, last?: boolean) => () => ({
      Items: [{ taskId: { S: taskId }, status: { S: 'RUNNING' } }, { taskId: { S: 'no-status' } }],
      ...(last ? {} : { LastEvaluatedKey: { pk: { S: taskId } } }),
    });
    const { store, commands } = setup(page('a'), page('b', true));

    const tasks = await store.listByInstance(REF.projectId, REF.instanceId);

    expect(tasks).toEqual([
      { taskId: 'a', status: 'RUNNING' },
      { taskId: 'b', status: 'RUNNING' },
    ]);
    expect(commands[0]?.operation).toBe('Query');
    expect(commands[1]!.input).toMatchObject({
      IndexName: BY_INSTANCE_INDEX,
      KeyConditionExpression: 'instanceKey = :instance',
      ExpressionAttributeValues: { ':instance': { S: `${REF.projectId}/${REF.instanceId}` } },
      ExclusiveStartKey: { pk: { S: 'a' } },
    });
  });
});

describe('DynamoDbStatusStore: edges of the reads', () => {
  it('asks BatchGetItem for exactly the keys of the tasks', async () => {
    const { store, commands } = setup();

    await store.getMany([REF]);

    expect((commands[0]!.input as BatchGetItemInput).RequestItems![TABLE]!.Keys).toEqual([
      { pk: { S: PK } },
    ]);
  });

  it('ignores an answered item without a partition key', async () => {
    const keyless: Partial<ReturnType<typeof storedItem>> = storedItem();
    delete keyless.pk;
    const { store } = setup(() => ({ Responses: { [TABLE]: [keyless, storedItem()] } }));

    const found = await store.getMany([REF]);

    expect([...found.keys()]).toEqual([PK]);
  });

  it('takes unprocessed keys of other tables as none of its own', async () => {
    const { store, commands } = setup(() => ({ UnprocessedKeys: { other: { Keys: [] } } }));

    await store.getMany([REF]);

    expect(commands).toHaveLength(1);
  });

  it('says which keys it gave up on', async () => {
    const unprocessed = () => ({ UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: PK } }] } } });
    const { store } = setup(...Array.from({ length: 5 }, () => unprocessed));

    await expect(store.getMany([REF])).rejects.toThrow('Amazon DynamoDB (unprocessed keys)');
  });

  it('names DynamoDB when a read fails', async () => {
    const { store } = setup(failWith('InternalServerError'));

    await expect(store.get(REF)).rejects.toThrow(/Amazon DynamoDB/);
  });

  it('reads a version of several digits', async () => {
    const { store } = setup(() => ({ Item: storedItem('RUNNING', '42') }));

    await expect(store.get(REF)).resolves.toMatchObject({ version: 42 });
  });

  it.each([
    ['a version followed by other characters', { version: { N: '4x' } }],
    ['a task name that is a number', { taskName: { N: '7' } }],
  ])('refuses an item with %s', async (_name, overrides) => {
    const { store } = setup(() => ({ Item: { ...storedItem(), ...overrides } }));

    await expect(store.get(REF)).rejects.toMatchObject({ name: 'DependencyUnavailableError' });
  });

  it('queries the byInstance index for task ids and statuses only', async () => {
    const { store, commands } = setup(() => ({}));

    const tasks = await store.listByInstance(REF.projectId, REF.instanceId);

    expect(tasks).toEqual([]);
    expect(commands[0]!.input).toMatchObject({
      IndexName: 'byInstance',
      ProjectionExpression: 'taskId, #status',
      ExpressionAttributeNames: { '#status': 'status' },
    });
  });

  it('stops after the last page', async () => {
    const { store, commands } = setup(() => ({ Items: [{ status: { S: 'RUNNING' } }] }));

    await expect(store.listByInstance(REF.projectId, REF.instanceId)).resolves.toEqual([]);
    expect(commands).toHaveLength(1);
  });

  it('reads at most 100 pages of an index that never ends', async () => {
    const endless = () => ({ Items: [], LastEvaluatedKey: { pk: { S: 'more' } } });
    const { store, commands } = setup(...Array.from({ length: 150 }, () => endless));

    await store.listByInstance(REF.projectId, REF.instanceId);

    expect(commands).toHaveLength(100);
  });
});
