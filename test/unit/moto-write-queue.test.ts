/**
 * The test clients that give moto DynamoDB's atomic conditional writes
 * (test/support/dynamodb-client.ts), against a local server that records how many requests it
 * holds at once.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { idempotencyDynamoDb, serviceDynamoDb } from '../support/dynamodb-client';
import { oneAtATime } from '../support/one-at-a-time';

/** Answers `{}` to every request 20 ms after it arrived, noting the most it held at once. */
class SlowDynamoDb {
  inFlight = 0;
  mostInFlight = 0;
  readonly targets: string[] = [];
  private readonly server = createServer((request, response) => {
    this.targets.push(String(request.headers['x-amz-target']));
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    request.resume();
    setTimeout(() => {
      this.inFlight -= 1;
      response.setHeader('content-type', 'application/x-amz-json-1.0');
      response.end('{}');
    }, 20);
  });

  static async start(): Promise<SlowDynamoDb> {
    const slow = new SlowDynamoDb();
    await new Promise<void>((resolve) => slow.server.listen(0, '127.0.0.1', resolve));
    return slow;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let server: SlowDynamoDb;
const saved = { ...process.env };

beforeEach(async () => {
  server = await SlowDynamoDb.start();
  // Where the integration globalSetup points every client at moto.
  process.env.AWS_ENDPOINT_URL = server.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
});

afterEach(async () => {
  process.env = { ...saved };
  await server.stop();
});

const put = (i: number) => ({ TableName: 't', Item: { pk: { S: `k${i}` } } });
const get = (i: number) => ({ TableName: 't', Key: { pk: { S: `k${i}` } } });

describe('the test client of the service, aimed at moto', () => {
  it('sends writes one at a time, in the order sent', async () => {
    const client = serviceDynamoDb();

    await Promise.all([
      client.putItem(put(1)),
      client.deleteItem(get(2)),
      client.batchWriteItem({ RequestItems: {} }),
    ]);

    expect(server.mostInFlight).toBe(1);
    expect(server.targets).toEqual([
      'DynamoDB_20120810.PutItem',
      'DynamoDB_20120810.DeleteItem',
      'DynamoDB_20120810.BatchWriteItem',
    ]);
  });

  it('queues the writes of every such client together', async () => {
    const [one, other] = [serviceDynamoDb(), serviceDynamoDb()];

    await Promise.all([one.putItem(put(1)), other.putItem(put(2))]);

    expect(server.mostInFlight).toBe(1);
  });

  it('lets reads run side by side', async () => {
    const client = serviceDynamoDb();

    await Promise.all([
      client.getItem(get(1)),
      client.getItem(get(2)),
      client.query({ TableName: 't' }),
    ]);

    expect(server.mostInFlight).toBe(3);
  });

  it('does not queue the writes of a client aimed elsewhere', async () => {
    const client = serviceDynamoDb({ endpoint: server.endpoint });

    await Promise.all([client.putItem(put(1)), client.putItem(put(2))]);

    expect(server.mostInFlight).toBe(2);
  });
});

describe('the SDK client of the idempotency records, aimed at moto', () => {
  it('sends its writes in the same queue as the service client', async () => {
    const sdk = idempotencyDynamoDb();

    await Promise.all([
      sdk.send(new PutItemCommand(put(1))),
      serviceDynamoDb().putItem(put(2)),
      sdk.send(new PutItemCommand(put(3))),
    ]);

    expect(server.mostInFlight).toBe(1);
  });
});

describe('oneAtATime', () => {
  it('starts each piece of work after the one queued before it settled, even a failed one', async () => {
    const queue = oneAtATime();
    const log: string[] = [];
    const piece =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };

    const results = await Promise.allSettled([
      queue(piece('a', true)),
      queue(piece('b')),
      queue(piece('c')),
    ]);

    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  });
});
