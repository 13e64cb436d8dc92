import type { DynamoDbClient } from '../../lib/aws/dynamodb-client';
import { DynamoDbError } from '../../lib/aws/dynamodb-error';
import { DynamoDbHealthStore, toItem } from '../../lib/health/health-store';
import { HEALTHY, type HealthUpdate } from '../../lib/health/task-health';
import type { TaskRef } from '../../lib/task-ref';
import { refusedWrite } from './conditional-refusal';

const TABLE = 'status-table';
const REF: TaskRef = {
  projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  instanceId: '59f6d088-1b2c-4d5e-8f90-123456789abc',
  taskId: '194917d0-aaaa-4bbb-8ccc-0123456789ab',
};
const NOW = Date.UTC(2026, 11, 3, 7, 0, 0);
const UPDATE: HealthUpdate = {
  health: { ...HEALTHY, revision: 3, failures: 1, lastErrorCode: 'UPSTREAM_UNAVAILABLE' },
  facts: [],
};

/** A DynamoDB client whose PutItem records its input and then runs `answer`. */
function storeAnswering(answer: () => unknown = () => ({})) {
  const inputs: object[] = [];
  const client = {
    putItem: async (input: object) => {
      inputs.push(input);
      return await Promise.resolve().then(answer);
    },
  } as unknown as DynamoDbClient;
  return { store: new DynamoDbHealthStore(client, TABLE), inputs };
}

describe('DynamoDbHealthStore.save', () => {
  it('writes over the revision it read, asking for the stored item on refusal', async () => {
    const { store, inputs } = storeAnswering();

    await expect(store.save(REF, UPDATE, NOW)).resolves.toBe(true);

    expect(inputs).toEqual([
      {
        TableName: TABLE,
        Item: toItem(REF, UPDATE, NOW),
        ConditionExpression: '#revision = :expected',
        ExpressionAttributeNames: { '#revision': 'revision' },
        ExpressionAttributeValues: { ':expected': { N: '2' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  it('answers false when a retry meets what another poll wrote', async () => {
    const theirs = toItem(REF, UPDATE, NOW + 1);
    const { store } = storeAnswering(() => {
      throw refusedWrite(theirs);
    });

    await expect(store.save(REF, UPDATE, NOW)).resolves.toBe(false);
  });

  it('answers true when a retry meets this very update: a lost answer had written it', async () => {
    const ours = JSON.parse(JSON.stringify(toItem(REF, UPDATE, NOW))) as Record<string, never>;
    const { store } = storeAnswering(() => {
      throw refusedWrite(ours);
    });

    await expect(store.save(REF, UPDATE, NOW)).resolves.toBe(true);
  });

  it('reports any other DynamoDB failure as a dependency failure', async () => {
    const { store } = storeAnswering(() => {
      throw new DynamoDbError('InternalServerError', 'no', 500);
    });

    await expect(store.save(REF, UPDATE, NOW)).rejects.toMatchObject({
      name: 'DependencyUnavailableError',
    });
  });
});
