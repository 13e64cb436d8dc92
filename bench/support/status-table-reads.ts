import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Interceptor, LocalAnswer } from './counting-proxy';

type Item = Record<string, AttributeValue>;

interface BatchGetRequest {
  RequestItems?: Record<
    string,
    {
      Keys?: { pk?: { S?: string } }[];
      ProjectionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
    }
  >;
}

/**
 * Answers BatchGetItem on the status table (the poller's stored-status and health reads) from a
 * mirror of its items kept in the proxy. A poll of watched instances observes 50 tasks per list
 * answer, so its reads come in bursts: 32 pages in flight ask for about 3,000 items every 20 ms,
 * which moto, answering one request at a time in Python, serves only past the functions' 2 s AWS
 * timeout (every task then fails DEPENDENCY_UNAVAILABLE on the emulator's account). DynamoDB
 * answers such a BatchGetItem in milliseconds. The mirror is exact as long as every item written
 * is known to it: the benchmark registers what it seeds, and the proxy shows it every PutItem
 * moto accepted (status changes and health items). Any other read goes to moto.
 */
export class StatusTableReads implements Interceptor {
  readonly #items = new Map<string, Item>();
  #served = 0;

  constructor(private readonly tableName: string) {}

  /** BatchGetItem calls answered from the mirror. */
  get served(): number {
    return this.#served;
  }

  register(item: Item): void {
    const pk = item.pk?.S;
    if (pk) this.#items.set(pk, item);
  }

  answer(operation: string, body: string): LocalAnswer | undefined {
    if (operation !== 'DynamoDB.BatchGetItem') return undefined;
    const tables = (JSON.parse(body) as BatchGetRequest).RequestItems ?? {};
    const request = tables[this.tableName];
    if (!request || Object.keys(tables).length !== 1) return undefined;
    const names = projection(request.ProjectionExpression, request.ExpressionAttributeNames);
    const found: Item[] = [];
    for (const key of request.Keys ?? []) {
      const item = key.pk?.S === undefined ? undefined : this.#items.get(key.pk.S);
      if (item) found.push(names ? pick(item, names) : item);
    }
    this.#served += 1;
    return {
      status: 200,
      body: JSON.stringify({ Responses: { [this.tableName]: found }, UnprocessedKeys: {} }),
    };
  }

  answered(operation: string, body: string, status: number | undefined): void {
    if (operation !== 'DynamoDB.PutItem' || status !== 200) return;
    const request = JSON.parse(body) as { TableName?: string; Item?: Item };
    if (request.TableName === this.tableName && request.Item) this.register(request.Item);
  }
}

/** The attribute names a ProjectionExpression asks for, placeholders resolved; undefined: all. */
function projection(
  expression: string | undefined,
  names: Record<string, string> | undefined,
): string[] | undefined {
  if (!expression) return undefined;
  return expression
    .split(',')
    .map((name) => name.trim())
    .map((name) => (name.startsWith('#') ? (names?.[name] ?? name) : name));
}

function pick(item: Item, names: readonly string[]): Item {
  return Object.fromEntries(
    names.filter((name) => name in item).map((name) => [name, item[name]!]),
  );
}
