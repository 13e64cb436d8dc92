import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDbClient } from '../aws/dynamodb-client';
import { isConditionalCheckFailed, storesExactly } from '../aws/dynamodb-error';
import * as z from 'zod/mini';
import { DependencyUnavailableError } from '../errors';
import { batchGetItems } from '../status/batch-get-items';
import { callDynamoDb } from '../status/dynamodb-call';
import { taskKey, type TaskRef } from '../task-ref';
import { HEALTH_KEY_PREFIX } from './health-events';
import { HEALTHY, type HealthUpdate, type TaskHealth } from './task-health';

export function healthKey(ref: TaskRef): string {
  return `${HEALTH_KEY_PREFIX}${taskKey(ref)}`;
}

const HEALTH_ATTRIBUTES = {
  ProjectionExpression:
    'pk, #revision, failures, failingSince, lastErrorCode, unobservableSince, stuckSince',
  ExpressionAttributeNames: { '#revision': 'revision' },
};

const nullableText = z.union([z.object({ S: z.string() }), z.object({ NULL: z.literal(true) })]);
const count = z.object({ N: z.string().check(z.regex(/^\d{1,15}$/)) });

const healthItemSchema = z.object({
  revision: count,
  failures: count,
  failingSince: nullableText,
  lastErrorCode: nullableText,
  unobservableSince: nullableText,
  stuckSince: nullableText,
});

/**
 * Each watched task's health between polls, one small item per task, written only when it
 * changes and conditioned on the revision that was read: two polls racing on a task leave one
 * write, and the other is assessed again at the next poll.
 */
export class DynamoDbHealthStore {
  constructor(
    private readonly client: DynamoDbClient,
    private readonly tableName: string,
  ) {}

  /** Health by `healthKey`; a task without an item is healthy, an unreadable one is an error. */
  async getMany(refs: readonly TaskRef[]): Promise<Map<string, TaskHealth | Error>> {
    const items = await batchGetItems(refs.map(healthKey), {
      client: this.client,
      tableName: this.tableName,
      projection: HEALTH_ATTRIBUTES,
      call: (operation) => this.call(operation),
    });
    const found = new Map<string, TaskHealth | Error>(refs.map((ref) => [healthKey(ref), HEALTHY]));
    for (const item of items) {
      const pk = item.pk?.S;
      if (pk) found.set(pk, fromItem(item));
    }
    return found;
  }

  /**
   * Writes the update if nobody wrote since `expectedRevision` was read; false otherwise (true
   * when a retry finds exactly this update stored: the attempt whose answer was lost wrote it).
   */
  async save(ref: TaskRef, update: HealthUpdate, now: number): Promise<boolean> {
    const { health } = update;
    const condition =
      health.revision === 1
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#revision = :expected',
            ExpressionAttributeNames: { '#revision': 'revision' },
            ExpressionAttributeValues: { ':expected': { N: String(health.revision - 1) } },
          };
    const item = toItem(ref, update, now);
    try {
      await this.call(() =>
        this.client.putItem({
          TableName: this.tableName,
          Item: item,
          ...condition,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // A lost answer's retry meets its own write: the facts were recorded.
      return storesExactly(error, item);
    }
  }

  private call<T>(operation: () => Promise<T>): Promise<T> {
    return callDynamoDb(
      { what: 'status table', variable: 'STATUS_TABLE_NAME', name: this.tableName },
      operation,
    );
  }
}

function text(value: string | null): AttributeValue {
  return value === null ? { NULL: true } : { S: value };
}

/** The stream consumer publishes `facts` from this item's new image (lib/status/status-stream.ts). */
export function toItem(
  ref: TaskRef,
  { health, facts }: HealthUpdate,
  now: number,
): Record<string, AttributeValue> {
  return {
    pk: { S: healthKey(ref) },
    projectId: { S: ref.projectId },
    instanceId: { S: ref.instanceId },
    taskId: { S: ref.taskId },
    revision: { N: String(health.revision) },
    failures: { N: String(health.failures) },
    failingSince: text(health.failingSince),
    lastErrorCode: text(health.lastErrorCode),
    unobservableSince: text(health.unobservableSince),
    stuckSince: text(health.stuckSince),
    facts: { S: JSON.stringify(facts) },
    updatedAt: { S: new Date(now).toISOString() },
  };
}

function fromItem(item: Record<string, AttributeValue>): TaskHealth | Error {
  const parsed = healthItemSchema.safeParse(item);
  if (!parsed.success) return new DependencyUnavailableError('Amazon DynamoDB (unreadable item)');
  const value = (field: z.infer<typeof nullableText>) => ('S' in field ? field.S : null);
  const { revision, failures, failingSince, lastErrorCode, unobservableSince, stuckSince } =
    parsed.data;
  return {
    revision: Number(revision.N),
    failures: Number(failures.N),
    failingSince: value(failingSince),
    lastErrorCode: value(lastErrorCode),
    unobservableSince: value(unobservableSince),
    stuckSince: value(stuckSince),
  };
}
