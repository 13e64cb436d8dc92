import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
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

/** The status table as serverless.yml defines it (key, index), on demand. */
export async function createStatusTable(
  clients: AwsClients,
  tableName = uniqueName('connector-status'),
): Promise<string> {
  await clients.dynamoDb.send(
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
    }),
  );
  return tableName;
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

/** Drains the queue until it has been empty for `quietMs` (bounded by `maxMs`). */
export async function drainEvents(
  clients: AwsClients,
  sink: EventSink,
  { quietMs = 300, maxMs = 5_000 } = {},
): Promise<DeliveredEvent[]> {
  const events: DeliveredEvent[] = [];
  const started = Date.now();
  let lastReceived = Date.now();
  while (Date.now() - started < maxMs && Date.now() - lastReceived < quietMs) {
    const output = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: sink.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = output.Messages ?? [];
    if (messages.length === 0) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    lastReceived = Date.now();
    for (const message of messages) events.push(JSON.parse(message.Body!) as DeliveredEvent);
    await clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: sink.queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return events;
}
