import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BY_INSTANCE_INDEX } from '../../lib/status/status-store';
import type { Interceptor, LocalAnswer } from './counting-proxy';

const KEY_CONDITION = /^\s*instanceKey\s*=\s*(:[A-Za-z0-9_]+)\s*$/;

interface QueryRequest {
  TableName?: string;
  IndexName?: string;
  KeyConditionExpression?: string;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  ExpressionAttributeNames?: Record<string, string>;
  ProjectionExpression?: string;
  FilterExpression?: string;
  ExclusiveStartKey?: unknown;
  Limit?: number;
  Select?: string;
}

/** What the byInstance index holds of an item (serverless.yml: keys, taskId, status). */
type IndexEntry = Readonly<Record<'pk' | 'instanceKey' | 'taskId' | 'status', string>>;

/**
 * Answers the poller's by-instance Query (`instanceKey = :v` on the byInstance index) from a
 * mirror of that index, kept in the proxy. moto answers a GSI Query by scanning every item of the
 * table in Python, one request at a time: on the poll figure's 10,000-item table, 200 of them
 * queue past the functions' 2 s AWS request timeout and every discovery fails on the emulator's
 * account (and the scans slow every other call of the poll). The mirror is exact as long as every
 * task item written is known to it: the benchmark registers what it seeds, and the proxy shows it
 * every PutItem that moto accepted. Any other Query (another table or index, a filter, a page, a
 * limit) goes to moto.
 */
export class ByInstanceQueries implements Interceptor {
  readonly #index = new Map<string, Map<string, IndexEntry>>();
  #served = 0;

  constructor(private readonly tableName: string) {}

  /** Queries answered from the mirror. */
  get served(): number {
    return this.#served;
  }

  register(entry: IndexEntry): void {
    let items = this.#index.get(entry.instanceKey);
    if (!items) this.#index.set(entry.instanceKey, (items = new Map()));
    items.set(entry.pk, entry);
  }

  answer(operation: string, body: string): LocalAnswer | undefined {
    if (operation !== 'DynamoDB.Query') return undefined;
    const query = JSON.parse(body) as QueryRequest;
    const value = KEY_CONDITION.exec(query.KeyConditionExpression ?? '')?.[1];
    const instanceKey = value ? query.ExpressionAttributeValues?.[value]?.S : undefined;
    if (
      query.TableName !== this.tableName ||
      query.IndexName !== BY_INSTANCE_INDEX ||
      instanceKey === undefined ||
      query.FilterExpression !== undefined ||
      query.ExclusiveStartKey !== undefined ||
      query.Limit !== undefined ||
      (query.Select !== undefined && query.Select !== 'ALL_PROJECTED_ATTRIBUTES')
    ) {
      return undefined;
    }
    const names = projection(query);
    const items = [...(this.#index.get(instanceKey)?.values() ?? [])].map((entry) =>
      Object.fromEntries(
        names.filter((name) => name in entry).map((name) => [name, { S: entry[name] }]),
      ),
    );
    this.#served += 1;
    return {
      status: 200,
      body: JSON.stringify({ Items: items, Count: items.length, ScannedCount: items.length }),
    };
  }

  answered(operation: string, body: string, status: number | undefined): void {
    if (operation !== 'DynamoDB.PutItem' || status !== 200) return;
    const request = JSON.parse(body) as {
      TableName?: string;
      Item?: Record<string, { S?: string }>;
    };
    const item = request.Item;
    const [pk, instanceKey, taskId, itemStatus] = [
      item?.pk?.S,
      item?.instanceKey?.S,
      item?.taskId?.S,
      item?.status?.S,
    ];
    // Items without the index key (health items) are not in the index.
    if (request.TableName !== this.tableName || !pk || !instanceKey || !taskId || !itemStatus) {
      return;
    }
    this.register({ pk, instanceKey, taskId, status: itemStatus });
  }
}

/** The attributes a Query returns: its ProjectionExpression's (names resolved), else all. */
function projection(query: QueryRequest): (keyof IndexEntry)[] {
  const all: (keyof IndexEntry)[] = ['pk', 'instanceKey', 'taskId', 'status'];
  if (!query.ProjectionExpression) return all;
  const wanted = query.ProjectionExpression.split(',')
    .map((name) => name.trim())
    .map((name) =>
      name.startsWith('#') ? (query.ExpressionAttributeNames?.[name] ?? name) : name,
    );
  return all.filter((name) => wanted.includes(name));
}
