import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { DynamoDbClient } from '../aws/dynamodb-client';
import * as z from 'zod/mini';
import { DependencyUnavailableError } from '../errors';
import { taskKey, type TaskRef } from '../task-ref';
import { callDynamoDb } from './dynamodb-call';
import type { StatusChangeDetail } from './status-event';

/** One committed change, as the history keeps it: small, whatever the size of the task. */
export interface HistoryEntry {
  readonly sequence: number;
  readonly previousStatus: string | null;
  readonly status: string;
  readonly at: string;
  readonly eventId: string;
}

export interface HistoryPage {
  /** Newest first. */
  readonly entries: readonly HistoryEntry[];
  /** The entry just before the page's last one, when there is one: it tells how long it lasted. */
  readonly older: HistoryEntry | undefined;
  /** Whether entries older than the page's last one exist (then `older` is the first of them). */
  readonly more: boolean;
}

const BATCH_WRITE_LIMIT = 25;
const MAX_UNPROCESSED_ROUNDS = 5;

const historyItemSchema = z.object({
  sequence: z.object({ N: z.string().check(z.regex(/^[1-9]\d{0,14}$/)) }),
  previousStatus: z.union([z.object({ S: z.string() }), z.object({ NULL: z.literal(true) })]),
  status: z.object({ S: z.string().check(z.minLength(1)) }),
  at: z.object({ S: z.string() }),
  eventId: z.object({ S: z.string() }),
});

/**
 * The status history of each task, one item per committed change (`pk` = the task, `sequence` =
 * its change number), written by the stream consumer from the committed changes and expiring
 * through DynamoDB TTL (`expiresAt`, epoch seconds). Writing the same change again rewrites the
 * same item, so a redelivered stream batch adds nothing.
 */
export class DynamoDbStatusHistory {
  constructor(
    private readonly client: DynamoDbClient,
    private readonly tableName: string,
  ) {}

  /** Keeps every change; resolves once all are stored. `retentionMs` counts from each change. */
  async record(changes: readonly StatusChangeDetail[], retentionMs: number): Promise<void> {
    for (let start = 0; start < changes.length; start += BATCH_WRITE_LIMIT) {
      let requests: WriteRequest[] = changes
        .slice(start, start + BATCH_WRITE_LIMIT)
        .map((change) => ({ PutRequest: { Item: toItem(change, retentionMs) } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS) {
          throw new DependencyUnavailableError('Amazon DynamoDB (unprocessed history writes)');
        }
        const output = await this.call(() =>
          this.client.batchWriteItem({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = output.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }

  /** Up to `limit` entries older than sequence `before` (newest first when absent). */
  async page(ref: TaskRef, limit: number, before?: number): Promise<HistoryPage> {
    const output = await this.call(() =>
      this.client.query({
        TableName: this.tableName,
        KeyConditionExpression:
          before === undefined ? 'pk = :pk' : 'pk = :pk AND #sequence < :before',
        ExpressionAttributeValues: {
          ':pk': { S: taskKey(ref) },
          ...(before === undefined ? {} : { ':before': { N: String(before) } }),
        },
        ...(before === undefined ? {} : { ExpressionAttributeNames: { '#sequence': 'sequence' } }),
        ScanIndexForward: false,
        // One more than asked: it tells whether there is more, and how long the last one lasted.
        Limit: limit + 1,
      }),
    );
    const items = (output.Items ?? []).map(fromItem);
    return { entries: items.slice(0, limit), older: items[limit], more: items.length > limit };
  }

  private call<T>(operation: () => Promise<T>): Promise<T> {
    return callDynamoDb(
      { what: 'status history table', variable: 'HISTORY_TABLE_NAME', name: this.tableName },
      operation,
    );
  }
}

function toItem(change: StatusChangeDetail, retentionMs: number): Record<string, AttributeValue> {
  const expiresAt = Math.ceil((Date.parse(change.observedAt) + retentionMs) / 1000);
  return {
    pk: { S: taskKey(change) },
    sequence: { N: String(change.sequence) },
    previousStatus: change.previousStatus === null ? { NULL: true } : { S: change.previousStatus },
    status: { S: change.status },
    at: { S: change.observedAt },
    eventId: { S: change.eventId },
    expiresAt: { N: String(expiresAt) },
  };
}

function fromItem(item: Record<string, AttributeValue>): HistoryEntry {
  const parsed = historyItemSchema.safeParse(item);
  if (!parsed.success) {
    throw new DependencyUnavailableError('Amazon DynamoDB (a history item is not readable)');
  }
  const { sequence, previousStatus, status, at, eventId } = parsed.data;
  return {
    sequence: Number(sequence.N),
    previousStatus: 'S' in previousStatus ? previousStatus.S : null,
    status: status.S,
    at: at.S,
    eventId: eventId.S,
  };
}
