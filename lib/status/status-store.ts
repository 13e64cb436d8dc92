import {
  BatchGetItemCommand,
  QueryCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { ConfigurationError, DependencyUnavailableError } from '../errors';
import { parseJsonOrUndefined } from '../json';
import { taskKey, type TaskRef } from '../task-ref';
import { statusChangeDetailSchema, type StatusChangeDetail } from './status-event';

/** What we remember per task: the last status and the changes not yet known to be published. */
export interface StoredStatus {
  readonly status: string;
  /** Incremented on every change; every write is conditioned on it. */
  readonly version: number;
  readonly taskName: string | null;
  readonly observedAt: string;
  /** Events committed with their change and not yet confirmed by EventBridge, oldest first. */
  readonly pending: readonly StatusChangeDetail[];
}

export interface StatusStore {
  get(ref: TaskRef): Promise<StoredStatus | undefined>;
  getMany(refs: readonly TaskRef[]): Promise<Map<string, StoredStatus>>;
  /** Writes `next` if the stored version is still `expectedVersion`; false when someone else won. */
  commitChange(
    ref: TaskRef,
    expectedVersion: number | undefined,
    next: StoredStatus,
  ): Promise<boolean>;
  /** Replaces the pending list if the version is unchanged; false otherwise (then the next observer republishes, same ids). */
  replacePending(
    ref: TaskRef,
    version: number,
    pending: readonly StatusChangeDetail[],
  ): Promise<boolean>;
  /** Tasks of an instance this service has a status for, with that status (for discovery). */
  listByInstance(
    projectId: string,
    instanceId: string,
  ): Promise<{ taskId: string; status: string }[]>;
}

/** Global secondary index over `instanceKey`: finds the tasks we know of an instance. */
export const BY_INSTANCE_INDEX = 'byInstance';
const MAX_QUERY_PAGES = 100;
const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 5;

const itemSchema = z.object({
  status: z.object({ S: z.string().min(1) }),
  version: z.object({ N: z.string().regex(/^\d+$/) }),
  taskName: z.union([z.object({ S: z.string() }), z.object({ NULL: z.literal(true) })]).optional(),
  observedAt: z.object({ S: z.string() }),
  pending: z.object({ L: z.array(z.object({ S: z.string() })) }).optional(),
});

export function partitionKey(ref: TaskRef): string {
  return `TASK#${taskKey(ref)}`;
}

export class DynamoDbStatusStore implements StatusStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(ref: TaskRef): Promise<StoredStatus | undefined> {
    const output = await this.call(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: partitionKey(ref) } },
          ConsistentRead: true,
        }),
      ),
    );
    return output.Item ? fromItem(output.Item) : undefined;
  }

  async getMany(refs: readonly TaskRef[]): Promise<Map<string, StoredStatus>> {
    const found = new Map<string, StoredStatus>();
    const keys = [...new Set(refs.map(partitionKey))];
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let requested: Record<string, AttributeValue>[] = keys
        .slice(start, start + BATCH_GET_LIMIT)
        .map((pk) => ({ pk: { S: pk } }));
      for (let round = 0; requested.length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS) {
          throw new DependencyUnavailableError('Amazon DynamoDB (unprocessed keys)');
        }
        const output = await this.call(() =>
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: { [this.tableName]: { Keys: requested, ConsistentRead: true } },
            }),
          ),
        );
        for (const item of output.Responses?.[this.tableName] ?? []) {
          const pk = item.pk?.S;
          if (pk) found.set(pk, fromItem(item));
        }
        requested = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  async commitChange(
    ref: TaskRef,
    expectedVersion: number | undefined,
    next: StoredStatus,
  ): Promise<boolean> {
    const condition =
      expectedVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
          };
    return this.conditional(() =>
      this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: toItem(ref, next), ...condition }),
      ),
    );
  }

  async replacePending(
    ref: TaskRef,
    version: number,
    pending: readonly StatusChangeDetail[],
  ): Promise<boolean> {
    return this.conditional(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: partitionKey(ref) } },
          UpdateExpression: pending.length > 0 ? 'SET #pending = :pending' : 'REMOVE #pending',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#pending': 'pending', '#version': 'version' },
          ExpressionAttributeValues: {
            ':version': { N: String(version) },
            ...(pending.length > 0 ? { ':pending': pendingAttribute(pending) } : {}),
          },
        }),
      ),
    );
  }

  async listByInstance(
    projectId: string,
    instanceId: string,
  ): Promise<{ taskId: string; status: string }[]> {
    const tasks: { taskId: string; status: string }[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < MAX_QUERY_PAGES; page++) {
      const output = await this.call(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: BY_INSTANCE_INDEX,
            KeyConditionExpression: 'instanceKey = :instance',
            ExpressionAttributeValues: { ':instance': { S: `${projectId}/${instanceId}` } },
            ProjectionExpression: 'taskId, #status',
            ExpressionAttributeNames: { '#status': 'status' },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of output.Items ?? []) {
        const taskId = item.taskId?.S;
        const status = item.status?.S;
        if (taskId && status) tasks.push({ taskId, status });
      }
      startKey = output.LastEvaluatedKey;
      if (!startKey) break;
    }
    return tasks;
  }

  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(write);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Translates SDK exceptions into our error model; conditional failures pass through. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      if ((error as { name?: string }).name === 'ResourceNotFoundException') {
        throw new ConfigurationError(
          `The status table (STATUS_TABLE_NAME) "${this.tableName}" does not exist.`,
          error,
        );
      }
      throw new DependencyUnavailableError('Amazon DynamoDB', error);
    }
  }
}

function pendingAttribute(pending: readonly StatusChangeDetail[]): AttributeValue {
  return { L: pending.map((detail) => ({ S: JSON.stringify(detail) })) };
}

function toItem(ref: TaskRef, state: StoredStatus): Record<string, AttributeValue> {
  return {
    pk: { S: partitionKey(ref) },
    projectId: { S: ref.projectId },
    instanceId: { S: ref.instanceId },
    taskId: { S: ref.taskId },
    instanceKey: { S: `${ref.projectId}/${ref.instanceId}` },
    status: { S: state.status },
    version: { N: String(state.version) },
    taskName: state.taskName === null ? { NULL: true } : { S: state.taskName },
    observedAt: { S: state.observedAt },
    ...(state.pending.length > 0 ? { pending: pendingAttribute(state.pending) } : {}),
  };
}

function fromItem(item: Record<string, AttributeValue>): StoredStatus {
  const parsed = itemSchema.safeParse(item);
  if (!parsed.success) throw new DependencyUnavailableError('Amazon DynamoDB (unreadable item)');
  const { status, version, taskName, observedAt, pending } = parsed.data;
  return {
    status: status.S,
    version: Number(version.N),
    taskName: taskName && 'S' in taskName ? taskName.S : null,
    observedAt: observedAt.S,
    pending: (pending?.L ?? []).map((entry) => {
      const detail = statusChangeDetailSchema.safeParse(parseJsonOrUndefined(entry.S));
      if (!detail.success) {
        throw new DependencyUnavailableError('Amazon DynamoDB (unreadable pending event)');
      }
      return detail.data;
    }),
  };
}
