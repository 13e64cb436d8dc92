import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AWS_CLIENT_CONFIG, DYNAMODB_CLIENT_SETTINGS } from '../../lib/aws-client-config';
import {
  dynamoDbClientFromEnvironment,
  type DynamoDbClient,
  type DynamoDbClientSettings,
  type DynamoDbOperation,
} from '../../lib/aws/dynamodb-client';
import { oneAtATime } from './one-at-a-time';

const WRITES: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/**
 * moto checks a write's condition and then stores the item, with no lock between the two: of
 * several conditional writes of one item in flight at once, more than one can pass (measured:
 * 8 conditional PutItems of a new item at once, more than one winner in 3 of 200 trials).
 * DynamoDB makes each conditional write atomic, and the delivery guarantee rests on that. So the
 * writes this process sends to moto go one at a time, in the order sent; the reads before them,
 * where observers really race, stay concurrent. (It also keeps moto's table stream in order:
 * moto numbers stream records without a lock either, so concurrent writes of different items of
 * one table can share a sequence number, and a reader after it gets one of them twice.)
 */
const toMoto = oneAtATime();

/**
 * The service's own DynamoDB client as the containers create it, for the moto the integration
 * globalSetup started (its AWS_* variables); `endpoint` aims it elsewhere (a port nobody listens
 * on, a black hole) and `transport` answers in its place: neither queues writes. Unit tests get
 * dummy credentials and region.
 */
export function serviceDynamoDb(
  options: { endpoint?: string } & Partial<DynamoDbClientSettings> = {},
): DynamoDbClient {
  const { endpoint, around, ...settings } = options;
  const atMoto = endpoint === undefined && settings.transport === undefined;
  const atomic = <T>(operation: DynamoDbOperation, work: () => Promise<T>) =>
    atMoto && WRITES.has(operation) ? toMoto(work) : work();
  return dynamoDbClientFromEnvironment(
    {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      ...process.env,
      ...(endpoint ? { AWS_ENDPOINT_URL_DYNAMODB: endpoint } : {}),
    },
    {
      ...DYNAMODB_CLIENT_SETTINGS,
      ...settings,
      around: around
        ? (operation, work) => around(operation, () => atomic(operation, work))
        : atomic,
    },
  );
}

/**
 * The AWS SDK client Powertools' idempotency layer writes its records with (into the status
 * table), built as the service builds it, its writes queued with the service's own.
 */
export function idempotencyDynamoDb(): DynamoDBClient {
  const client = new DynamoDBClient(AWS_CLIENT_CONFIG);
  client.middlewareStack.add(
    (next, context) => (args) =>
      WRITES.has(String(context.commandName).replace(/Command$/, ''))
        ? toMoto(() => next(args))
        : next(args),
    { step: 'initialize', name: 'oneMotoWriteAtATime' },
  );
  return client;
}
