import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Interceptor, LocalAnswer } from './counting-proxy';

/** Below DynamoDB's 1 MB page: a bigger table would be paged, which this stand-in does not do. */
const MAX_PAGE_BYTES = 1024 * 1024;

/**
 * Answers a whole-table Scan of one table that the code under test only reads (the watches table,
 * for the poller) with the items the benchmark read back from moto after seeding it. moto scans in
 * Python one request at a time; on a busy machine a consistent Scan of 2,000 watches queued behind
 * the previous poll's writes can pass the functions' 2 s AWS timeout twice and fail the poll on
 * the emulator's account. Only a plain Scan (no filter, projection, segment, limit or start key)
 * is answered; anything else goes to moto, and a write to the table is refused (500), since it
 * would make the answer stale.
 */
export class StoredScan implements Interceptor {
  #served = 0;
  readonly #body: string;

  constructor(
    private readonly tableName: string,
    items: readonly Record<string, AttributeValue>[],
  ) {
    this.#body = JSON.stringify({ Items: items, Count: items.length, ScannedCount: items.length });
    if (Buffer.byteLength(this.#body) > MAX_PAGE_BYTES) {
      throw new Error(`${tableName}: ${items.length} items exceed one Scan page`);
    }
  }

  get served(): number {
    return this.#served;
  }

  answer(operation: string, body: string): LocalAnswer | undefined {
    if (!operation.startsWith('DynamoDB.')) return undefined;
    const request = JSON.parse(body) as Record<string, unknown>;
    if (request.TableName !== this.tableName) return undefined;
    if (operation === 'DynamoDB.Scan') {
      const plain = Object.keys(request).every((key) =>
        ['TableName', 'ConsistentRead'].includes(key),
      );
      if (!plain) return undefined;
      this.#served += 1;
      return { status: 200, body: this.#body };
    }
    if (!['DynamoDB.GetItem', 'DynamoDB.Query', 'DynamoDB.BatchGetItem'].includes(operation)) {
      return {
        status: 500,
        body: JSON.stringify({
          __type: 'BenchProxyError',
          message: `the benchmark answers Scans of ${this.tableName} itself: ${operation} would make them stale`,
        }),
      };
    }
    return undefined;
  }

  answered(): void {
    // Nothing to learn: the table is read-only for the code under test.
  }
}

/** The first answer of several interceptors; every one sees every answered call. */
export function combine(...interceptors: readonly Interceptor[]): Interceptor {
  return {
    answer: (operation, body) => {
      for (const interceptor of interceptors) {
        const answer = interceptor.answer(operation, body);
        if (answer) return answer;
      }
      return undefined;
    },
    answered: (operation, body, status) => {
      for (const interceptor of interceptors) interceptor.answered(operation, body, status);
    },
  };
}
