import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { EVENT_SOURCE } from '../../lib/status/status-event';
import { BY_INSTANCE_INDEX } from '../../lib/status/status-store';
import type { HuaweiCredentials } from '../../lib/huawei/signer';
import { secretString } from './test-credentials';

/** SDK clients for the moto_server started by the integration globalSetup (AWS_ENDPOINT_URL). */
export function awsClients() {
  return {
    secretsManager: new SecretsManagerClient({}),
    dynamoDb: new DynamoDBClient({}),
    eventBridge: new EventBridgeClient({}),
    sqs: new SQSClient({}),
    streams: new DynamoDBStreamsClient({}),
  };
}

export type AwsClients = ReturnType<typeof awsClients>;

/** Unique names per test file: one moto serves all files in parallel. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createSecret(
  clients: AwsClients,
  credentials: HuaweiCredentials,
  name = uniqueName('huawei-aksk'),
): Promise<string> {
  const output = await clients.secretsManager.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: secretString(credentials),
    }),
  );
  return output.ARN!;
}

export async function rotateSecret(
  clients: AwsClients,
  secretId: string,
  credentials: HuaweiCredentials,
): Promise<void> {
  await clients.secretsManager.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: secretString(credentials) }),
  );
}

/** Every attribute a task item holds: none grows with the number of changes or an outage. */
export const TASK_ITEM_ATTRIBUTES = [
  'instanceId',
  'instanceKey',
  'lookedAt',
  'observedAt',
  'pk',
  'previousStatus',
  'projectId',
  'status',
  'task',
  'taskId',
  'taskName',
  'version',
];

export interface StatusTable {
  readonly tableName: string;
  readonly streamArn: string;
}

/** The status table as serverless.yml defines it (key, index, stream), on demand. */
export async function createStatusTable(
  clients: AwsClients,
  tableName = uniqueName('connector-status'),
): Promise<StatusTable> {
  const output = await clients.dynamoDb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'instanceKey', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: BY_INSTANCE_INDEX,
          KeySchema: [{ AttributeName: 'instanceKey', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['taskId', 'status'] },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  return { tableName, streamArn: output.TableDescription!.LatestStreamArn! };
}

/** A table shaped like serverless.yml's StatusHistoryTable; returns its name. */
export async function createHistoryTable(
  clients: AwsClients,
  tableName = uniqueName('status-history'),
): Promise<string> {
  await clients.dynamoDb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sequence', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sequence', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return tableName;
}

/** A table shaped like serverless.yml's WatchesTable; returns its name. */
export async function createWatchesTable(
  clients: AwsClients,
  tableName = uniqueName('watches'),
): Promise<string> {
  await clients.dynamoDb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return tableName;
}

/** A plain queue (the stream consumer's failure queue in tests); returns its URL. */
export async function createQueue(
  clients: AwsClients,
  name = uniqueName('queue'),
): Promise<string> {
  const output = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  return output.QueueUrl!;
}

export interface EventSink {
  readonly busName: string;
  readonly queueUrl: string;
}

/** A bus with a rule delivering our events to an SQS queue that tests read back. */
export async function createEventSink(
  clients: AwsClients,
  names: { busName: string; queueName: string; ruleName: string } = {
    busName: uniqueName('connector-events'),
    queueName: uniqueName('events'),
    ruleName: uniqueName('to-queue'),
  },
): Promise<EventSink> {
  const { busName, ruleName } = names;
  await clients.eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  const queue = await clients.sqs.send(new CreateQueueCommand({ QueueName: names.queueName }));
  const queueUrl = queue.QueueUrl!;
  const attributes = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await clients.eventBridge.send(
    new PutRuleCommand({
      Name: ruleName,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
    }),
  );
  await clients.eventBridge.send(
    new PutTargetsCommand({
      Rule: ruleName,
      EventBusName: busName,
      Targets: [{ Id: 'queue', Arn: attributes.Attributes!.QueueArn! }],
    }),
  );
  return { busName, queueUrl };
}

export interface DeliveredEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: Record<string, unknown> & { eventId: string; status: string };
}

/** Sent through the bus after the events under test: seeing it proves they went through too. */
export const MARKER_DETAIL_TYPE = 'Test Delivery Marker';

/**
 * Every event on the sink, in the order received, each delivery counted (no deduplication).
 * Ends on positive facts, never on a quiet period: a marker event sent through the same bus and
 * rule after everything else has arrived (moto delivers to the queue within PutEvents), and then
 * the queue reports no message left.
 */
export async function drainEvents(
  clients: AwsClients,
  sink: EventSink,
  { maxMs = 10_000 } = {},
): Promise<DeliveredEvent[]> {
  const marker = randomUUID();
  await clients.eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: sink.busName,
          Source: EVENT_SOURCE,
          DetailType: MARKER_DETAIL_TYPE,
          Detail: JSON.stringify({ marker }),
        },
      ],
    }),
  );
  const events: DeliveredEvent[] = [];
  let markerSeen = false;
  const started = Date.now();
  for (;;) {
    if (Date.now() - started > maxMs) {
      throw new Error(`drainEvents: the marker event did not arrive within ${maxMs} ms`);
    }
    const output = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: sink.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = output.Messages ?? [];
    for (const message of messages) {
      const event = JSON.parse(message.Body!) as DeliveredEvent;
      if (event['detail-type'] !== MARKER_DETAIL_TYPE) events.push(event);
      else if ((event.detail as { marker?: string }).marker === marker) markerSeen = true;
    }
    if (messages.length > 0) {
      await clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: sink.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
      continue;
    }
    if (markerSeen && (await queueIsEmpty(clients, sink.queueUrl))) return events;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function queueIsEmpty(clients: AwsClients, queueUrl: string): Promise<boolean> {
  const output = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const attributes = output.Attributes ?? {};
  return (
    attributes.ApproximateNumberOfMessages === '0' &&
    attributes.ApproximateNumberOfMessagesNotVisible === '0'
  );
}
