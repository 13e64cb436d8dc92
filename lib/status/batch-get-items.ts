import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDbClient } from '../aws/dynamodb-client';
import { DependencyUnavailableError } from '../errors';

const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 5;

export interface BatchGetOptions {
  readonly client: DynamoDbClient;
  readonly tableName: string;
  readonly projection: {
    ProjectionExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
  };
  /** Translates the client's errors into the caller's (a missing table names its variable). */
  readonly call: <T>(operation: () => Promise<T>) => Promise<T>;
}

/**
 * Consistent reads of the items with these partition keys, 100 per BatchGetItem, the keys
 * DynamoDB left unprocessed asked again a bounded number of rounds. Absent items are absent.
 */
export async function batchGetItems(
  pks: readonly string[],
  { client, tableName, projection, call }: BatchGetOptions,
): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  const keys = [...new Set(pks)];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let requested: Record<string, AttributeValue>[] = keys
      .slice(start, start + BATCH_GET_LIMIT)
      .map((pk) => ({ pk: { S: pk } }));
    for (let round = 0; requested.length > 0; round++) {
      if (round === MAX_UNPROCESSED_ROUNDS) {
        throw new DependencyUnavailableError('Amazon DynamoDB (unprocessed keys)');
      }
      const output = await call(() =>
        client.batchGetItem({
          RequestItems: { [tableName]: { Keys: requested, ConsistentRead: true, ...projection } },
        }),
      );
      items.push(...(output.Responses?.[tableName] ?? []));
      requested = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return items;
}
