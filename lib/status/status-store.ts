import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDbClient } from '../aws/dynamodb-client';
import { isConditionalCheckFailed, storesExactly } from '../aws/dynamodb-error';
import type { ConnectorTask } from '../connector-task';
import { DependencyUnavailableError } from '../errors';
import { instanceKey, taskKey, type TaskRef } from '../task-ref';
import { batchGetItems } from './batch-get-items';
import { callDynamoDb } from './dynamodb-call';

/** What the observer needs to decide whether a status is new: small, read on every observation. */
export interface StoredStatus {
  readonly status: string;
  /** The sequence number of the last committed change; every write is conditioned on it. */
  readonly version: number;
  readonly taskName: string | null;
  readonly observedAt: string;
  /**
   * When the observation that committed it sent its upstream request (epoch ms): Huawei's answer
   * describes the task at some moment after this. Absent on items written by earlier versions.
   */
  readonly lookedAt?: number;
}

/**
 * One committed change: the whole item written for it. The table's stream carries this item to
 * the consumer, which turns it into the event, so it holds everything the event needs and
 * nothing that grows with the number of changes.
 */
export interface StatusChange extends StoredStatus {
  readonly lookedAt: number;
  readonly previousStatus: string | null;
  /** The task as observed; null when it disappeared upstream. */
  readonly task: ConnectorTask | null;
}

export interface StatusStore {
  /** Consistent read of the stored status. */
  get(ref: TaskRef): Promise<StoredStatus | undefined>;
  /**
   * Consistent reads of many tasks, keyed by `partitionKey`; an item that cannot be read is its
   * own error, so it fails only the reads of that task.
   */
  getMany(
    refs: readonly TaskRef[],
  ): Promise<Map<string, StoredStatus | DependencyUnavailableError>>;
  /**
   * Writes `change` if the stored version is still `change.version - 1` (no item for version 1);
   * false when another observer committed first. True also when a retry finds exactly this
   * change stored: the attempt whose answer was lost had written it.
   */
  commitChange(ref: TaskRef, change: StatusChange): Promise<boolean>;
  /** Tasks of an instance this service has a status for, with that status (for discovery). */
  listByInstance(
    projectId: string,
    instanceId: string,
  ): Promise<{ taskId: string; status: string }[]>;
}

/** Global secondary index over `instanceKey`: finds the tasks we know of an instance. */
export const BY_INSTANCE_INDEX = 'byInstance';
/** Every task item's partition key starts with this; other items (idempotency records) do not. */
export const TASK_KEY_PREFIX = 'TASK#';
const MAX_QUERY_PAGES = 100;
/** Reads fetch what a decision needs, never the stored task (up to 64 KiB). */
const DECISION_ATTRIBUTES = {
  ProjectionExpression: 'pk, #status, #version, taskName, observedAt, lookedAt',
  ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
};

const VERSION = /^[1-9]\d{0,14}$/;
const LOOKED_AT = /^\d{1,15}$/;

export function partitionKey(ref: TaskRef): string {
  return `${TASK_KEY_PREFIX}${taskKey(ref)}`;
}

export class DynamoDbStatusStore implements StatusStore {
  constructor(
    private readonly client: DynamoDbClient,
    private readonly tableName: string,
  ) {}

  async get(ref: TaskRef): Promise<StoredStatus | undefined> {
    const output = await this.call(() =>
      this.client.getItem({
        TableName: this.tableName,
        Key: { pk: { S: partitionKey(ref) } },
        ConsistentRead: true,
        ...DECISION_ATTRIBUTES,
      }),
    );
    return output.Item ? fromItem(output.Item) : undefined;
  }

  async getMany(
    refs: readonly TaskRef[],
  ): Promise<Map<string, StoredStatus | DependencyUnavailableError>> {
    const found = new Map<string, StoredStatus | DependencyUnavailableError>();
    const items = await batchGetItems(refs.map(partitionKey), {
      client: this.client,
      tableName: this.tableName,
      projection: DECISION_ATTRIBUTES,
      call: (operation) => this.call(operation),
    });
    for (const item of items) {
      const pk = item.pk?.S;
      if (pk) found.set(pk, readOrError(item));
    }
    return found;
  }

  async commitChange(ref: TaskRef, change: StatusChange): Promise<boolean> {
    const condition =
      change.version === 1
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(change.version - 1) } },
          };
    const item = toItem(ref, change);
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
      // A lost answer's retry meets its own write. That change is ours; calling it lost would
      // make the observer re-decide against its own commit and report no change.
      return storesExactly(error, item);
    }
  }

  async listByInstance(
    projectId: string,
    instanceId: string,
  ): Promise<{ taskId: string; status: string }[]> {
    const tasks: { taskId: string; status: string }[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < MAX_QUERY_PAGES; page++) {
      const output = await this.call(() =>
        this.client.query({
          TableName: this.tableName,
          IndexName: BY_INSTANCE_INDEX,
          KeyConditionExpression: 'instanceKey = :instance',
          ExpressionAttributeValues: { ':instance': { S: `${projectId}/${instanceId}` } },
          ProjectionExpression: 'taskId, #status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExclusiveStartKey: startKey,
        }),
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

  private call<T>(operation: () => Promise<T>): Promise<T> {
    return callDynamoDb(
      { what: 'status table', variable: 'STATUS_TABLE_NAME', name: this.tableName },
      operation,
    );
  }
}

function nullableString(value: string | null): AttributeValue {
  return value === null ? { NULL: true } : { S: value };
}

/** The item of a committed change; the stream consumer reads it back (lib/status/status-stream.ts). */
export function toItem(ref: TaskRef, change: StatusChange): Record<string, AttributeValue> {
  return {
    pk: { S: partitionKey(ref) },
    projectId: { S: ref.projectId },
    instanceId: { S: ref.instanceId },
    taskId: { S: ref.taskId },
    instanceKey: { S: instanceKey(ref) },
    status: { S: change.status },
    version: { N: String(change.version) },
    taskName: nullableString(change.taskName),
    observedAt: { S: change.observedAt },
    lookedAt: { N: String(change.lookedAt) },
    previousStatus: nullableString(change.previousStatus),
    task: nullableString(change.task === null ? null : JSON.stringify(change.task)),
  };
}

function readOrError(
  item: Record<string, AttributeValue>,
): StoredStatus | DependencyUnavailableError {
  // Written out rather than a schema: it runs once per task per poll, and a broken item is one
  // error whatever is wrong with it (an item this service did not write, or edited by hand).
  const status = stringOf(item.status);
  const version = stringOf(item.version, 'N');
  const observedAt = stringOf(item.observedAt);
  const lookedAt = stringOf(item.lookedAt, 'N');
  const taskName = item.taskName === undefined ? null : nameOf(item.taskName);
  if (
    !status ||
    !VERSION.test(version ?? '') ||
    observedAt === undefined ||
    taskName === undefined ||
    (item.lookedAt !== undefined && !LOOKED_AT.test(lookedAt ?? ''))
  ) {
    return new DependencyUnavailableError('Amazon DynamoDB (unreadable item)');
  }
  return {
    status,
    version: Number(version),
    taskName,
    observedAt,
    ...(lookedAt === undefined ? {} : { lookedAt: Number(lookedAt) }),
  };
}

/** The string of an `{ S }` (or `{ N }`) attribute value; undefined for anything else. */
function stringOf(value: unknown, type: 'S' | 'N' = 'S'): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const text = (value as Record<string, unknown>)[type];
  return typeof text === 'string' ? text : undefined;
}

/** A task name is a string or NULL; undefined when it is neither. */
function nameOf(value: unknown): string | null | undefined {
  const name = stringOf(value);
  if (name !== undefined) return name;
  return (value as { NULL?: unknown } | null)?.NULL === true ? null : undefined;
}

function fromItem(item: Record<string, AttributeValue>): StoredStatus {
  const stored = readOrError(item);
  if (stored instanceof Error) throw stored;
  return stored;
}
