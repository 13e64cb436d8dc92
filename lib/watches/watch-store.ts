import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDbClient } from '../aws/dynamodb-client';
import { isConditionalCheckFailed } from '../aws/dynamodb-error';
import * as z from 'zod/mini';
import { DependencyUnavailableError } from '../errors';
import { watchKey, type WatchEntry } from '../poll/watch-list';
import { callDynamoDb } from '../status/dynamodb-call';
import { instanceIdSchema, projectIdSchema, taskIdSchema } from '../task-ref';

/** Rounds of "refused as present, then found absent" a PUT rides out (a DELETE racing it). */
const MAX_PUT_ROUNDS = 3;

/** A watch kept in the watches table, and when it was first put. */
export interface StoredWatch {
  readonly entry: WatchEntry;
  readonly createdAt: string;
}

/** What the poller reads at each poll; the watch routes also change it. */
export interface WatchReader {
  list(): Promise<StoredWatch[]>;
}

export interface WatchStore extends WatchReader {
  /** Idempotent: `created` is false when the watch was already stored (it is left as it was). */
  put(entry: WatchEntry, createdAt: string): Promise<{ created: boolean; watch: StoredWatch }>;
  /** False when there was no such watch. */
  delete(entry: WatchEntry): Promise<boolean>;
}

const watchItemSchema = z.object({
  pk: z.object({ S: z.string() }),
  projectId: z.object({ S: projectIdSchema }),
  instanceId: z.optional(z.object({ S: instanceIdSchema })),
  taskId: z.optional(z.object({ S: taskIdSchema })),
  createdAt: z.object({ S: z.string() }),
});

/**
 * The watches table: one item per watch, its partition key the watch's key
 * (`project/*`, `project/instance/*`, `project/instance/task`). The poller needs every watch at
 * every poll, which is a Scan whatever the key; a table of its own (rather than items in the
 * status table) makes that Scan read watches only, and keeps its grants apart from the status
 * table's. A key per watch makes PUT and DELETE single conditional writes, with no size limit.
 */
export class DynamoDbWatchStore implements WatchStore {
  constructor(
    private readonly client: DynamoDbClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<StoredWatch[]> {
    const watches: StoredWatch[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await this.call(() =>
        this.client.scan({
          TableName: this.tableName,
          // A watch put just before the poll is seen by it.
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      watches.push(...(output.Items ?? []).map(fromItem));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return watches;
  }

  /**
   * Stores the watch unless it is stored already (then answers the stored one). A DELETE landing
   * between the refused write and the read means it is not stored any more: the write is tried
   * again, so the caller's watch ends up stored either way.
   */
  async put(
    entry: WatchEntry,
    createdAt: string,
  ): Promise<{ created: boolean; watch: StoredWatch }> {
    for (let round = 1; ; round++) {
      if (await this.putIfAbsent(entry, createdAt))
        return { created: true, watch: { entry, createdAt } };
      const existing = await this.call(() =>
        this.client.getItem({
          TableName: this.tableName,
          Key: { pk: { S: watchKey(entry) } },
          ConsistentRead: true,
        }),
      );
      if (existing.Item) return { created: false, watch: fromItem(existing.Item) };
      if (round === MAX_PUT_ROUNDS) {
        throw new DependencyUnavailableError('Amazon DynamoDB (watch kept changing)');
      }
    }
  }

  private async putIfAbsent(entry: WatchEntry, createdAt: string): Promise<boolean> {
    try {
      await this.call(() =>
        this.client.putItem({
          TableName: this.tableName,
          Item: toItem(entry, createdAt),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async delete(entry: WatchEntry): Promise<boolean> {
    try {
      await this.call(() =>
        this.client.deleteItem({
          TableName: this.tableName,
          Key: { pk: { S: watchKey(entry) } },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private call<T>(operation: () => Promise<T>): Promise<T> {
    return callDynamoDb(
      { what: 'watches table', variable: 'WATCHES_TABLE_NAME', name: this.tableName },
      operation,
    );
  }
}

/** A watch as the table stores it (exported for the benchmark, which seeds watches). */
export function toItem(entry: WatchEntry, createdAt: string): Record<string, AttributeValue> {
  const ids: Record<string, string> =
    entry.kind === 'task'
      ? {
          projectId: entry.ref.projectId,
          instanceId: entry.ref.instanceId,
          taskId: entry.ref.taskId,
        }
      : entry.kind === 'instance'
        ? { projectId: entry.projectId, instanceId: entry.instanceId }
        : { projectId: entry.projectId };
  const item: Record<string, AttributeValue> = { pk: { S: watchKey(entry) } };
  for (const [name, value] of Object.entries(ids)) item[name] = { S: value };
  item.createdAt = { S: createdAt };
  return item;
}

function fromItem(item: Record<string, AttributeValue>): StoredWatch {
  const parsed = watchItemSchema.safeParse(item);
  if (!parsed.success) {
    throw new DependencyUnavailableError('Amazon DynamoDB (a watch item is not readable)');
  }
  const { projectId, instanceId, taskId, createdAt } = parsed.data;
  const entry: WatchEntry =
    instanceId === undefined
      ? { kind: 'project', projectId: projectId.S }
      : taskId === undefined
        ? { kind: 'instance', projectId: projectId.S, instanceId: instanceId.S }
        : {
            kind: 'task',
            ref: { projectId: projectId.S, instanceId: instanceId.S, taskId: taskId.S },
          };
  return { entry, createdAt: createdAt.S };
}
