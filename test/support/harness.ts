import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createContainer, type Container, type ContainerOverrides } from '../../lib/container';
import { createGetTaskHandler } from '../../lib/http/get-task';
import { createListTasksHandler, type ListTasksOptions } from '../../lib/http/list-tasks';
import { createHistoryReaderContainer } from '../../lib/http/history-container';
import { createTaskHistoryHandler } from '../../lib/http/task-history';
import type { HuaweiCredentials } from '../../lib/huawei/signer';
import { createObserveTaskInvocationHandler } from '../../lib/invoke/observe-task-invocation';
import {
  createScheduledPollHandler,
  type ScheduledPollSummary,
} from '../../lib/poll/scheduled-poll';
import { loadPollConfig } from '../../lib/poll/watch-list';
import type { TaskRef } from '../../lib/task-ref';
import { HuaweiDmsSimulator, exampleTask } from '../simulator/huawei-dms-simulator';
import {
  awsClients,
  createEventSink,
  createSecret,
  createHistoryTable,
  createQueue,
  createStatusTable,
  createWatchesTable,
  drainEvents,
  type AwsClients,
  type EventSink,
} from './aws-resources';
import { idempotencyDynamoDb, serviceDynamoDb } from './dynamodb-client';
import { DynamoDbStreamPump, type DrainResult } from '../../scripts/dynamodb-stream-pump';
import { createStatusStreamHandler } from '../../lib/status/publish-status-changes';
import { createStreamConsumerContainer } from '../../lib/status/stream-consumer-container';
import { flakyEventBridge, type FlakyEventBridge } from './flaky-event-bridge';
import { httpEvent, lambdaContext, listTasksEvent, watchEvent } from './lambda';
import type { DynamoDbClient } from '../../lib/aws/dynamodb-client';
import { createWatchRoutesHandler } from '../../lib/http/watch-routes';
import { createWatchRoutesContainer } from '../../lib/watches/watch-container';
import { scanForSecrets } from './secret-leak-guard';
import { ROTATED_CREDENTIALS, TEMPORARY_CREDENTIALS, TEST_CREDENTIALS } from './test-credentials';

export const PROJECT_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
export const INSTANCE_ID = '59f6d088-1b2c-4d5e-8f90-123456789abc';
export const TASK_ID = '194917d0-aaaa-4bbb-8ccc-0123456789ab';
export const TASK: TaskRef = { projectId: PROJECT_ID, instanceId: INSTANCE_ID, taskId: TASK_ID };

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { json: Record<string, unknown> };

export interface HarnessOptions {
  /** What the secret holds at the start (default TEST_CREDENTIALS). */
  readonly credentials?: HuaweiCredentials;
  readonly env?: Record<string, string>;
  readonly overrides?: ContainerOverrides;
}

/** Shared AWS resources for one test file: moto is shared between files, names are not. */
export interface AwsFixture {
  readonly clients: AwsClients;
  readonly secretId: string;
  readonly tableName: string;
  readonly streamArn: string;
  /** The status history table the stream consumer writes (HISTORY_TABLE_NAME). */
  readonly historyTableName: string;
  /** The watches table (WATCHES_TABLE_NAME), empty at the start. */
  readonly watchesTableName: string;
  readonly sink: EventSink;
  /** The stream consumer's failure queue (STREAM_FAILURE_QUEUE_URL). */
  readonly failureQueueUrl: string;
}

export async function createAwsFixture(credentials = TEST_CREDENTIALS): Promise<AwsFixture> {
  const clients = awsClients();
  const [secretId, table, sink, failureQueueUrl, historyTableName, watchesTableName] =
    await Promise.all([
      createSecret(clients, credentials),
      createStatusTable(clients),
      createEventSink(clients),
      createQueue(clients),
      createHistoryTable(clients),
      createWatchesTable(clients),
    ]);
  return {
    clients,
    secretId,
    ...table,
    sink,
    failureQueueUrl,
    historyTableName,
    watchesTableName,
  };
}

export interface StreamDelivery {
  /** The consumer's EventBridge client, with outages on demand. */
  readonly eventBridge: FlakyEventBridge;
  readonly pump: DynamoDbStreamPump;
}

/**
 * The real stream consumer (handler, container, real clients against moto) fed by a pump over the
 * fixture's table stream, as Lambda's event source mapping would feed it.
 */
export function streamDelivery(
  aws: AwsFixture,
  options: { eventBusName?: string; batchSize?: number } = {},
): StreamDelivery {
  const eventBridge = flakyEventBridge();
  const consumer = createStatusStreamHandler(
    createStreamConsumerContainer(
      {
        EVENT_BUS_NAME: options.eventBusName ?? aws.sink.busName,
        STREAM_FAILURE_QUEUE_URL: aws.failureQueueUrl,
        HISTORY_TABLE_NAME: aws.historyTableName,
      },
      {
        eventBridge: eventBridge.client,
        sqs: aws.clients.sqs,
        dynamoDb: serviceDynamoDb(),
        retryDelayMs: 1,
      },
    ),
  );
  const pump = new DynamoDbStreamPump({
    client: aws.clients.streams,
    streamArn: aws.streamArn,
    consumer: async (event) => {
      const response = await consumer(event, lambdaContext(60_000, 'statusStream'));
      scanForSecrets('stream consumer response', response);
      return response;
    },
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  return { eventBridge, pump };
}

/** A Secrets Manager client that counts GetSecretValue calls. */
export function countingSecretsManager(): { client: SecretsManagerClient; fetches: () => number } {
  const client = new SecretsManagerClient({});
  let fetches = 0;
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'GetSecretValueCommand') fetches += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countSecretFetches' },
  );
  return { client, fetches: () => fetches };
}

export interface Harness {
  readonly simulator: HuaweiDmsSimulator;
  readonly aws: AwsFixture;
  readonly container: Container;
  readonly env: Record<string, string>;
  /** The stream consumer's EventBridge client, with outages on demand. */
  readonly eventBridge: FlakyEventBridge;
  secretFetches(): number;
  /** Runs the stream consumer over everything committed so far (the event source mapping). */
  deliver(): Promise<DrainResult>;
  /** Calls the HTTP handler; the response is scanned for secrets. */
  http(
    pathParameters?: Record<string, string | undefined>,
    remainingMs?: number,
  ): Promise<HttpResponse>;
  /** Calls the list route's handler (options as the handler takes them); scanned for secrets. */
  listTasks(
    pathParameters?: Record<string, string | undefined>,
    options?: { remainingMs?: number } & Partial<ListTasksOptions>,
  ): Promise<HttpResponse>;
  /** Calls the history route's handler (`.../history`) with `query`. */
  history(
    query?: Record<string, string>,
    pathParameters?: Record<string, string | undefined>,
  ): Promise<HttpResponse>;
  /** Calls the watch routes' handler (`GET /watches` without parameters). */
  watches: WatchRouteCaller;
  /** Calls the direct-invoke handler; result or thrown error, scanned for secrets. */
  invoke(input: unknown, remainingMs?: number): Promise<unknown>;
  /** Runs the scheduled poller over `watchedTasks` (the WATCHED_TASKS format). */
  poll(
    watchedTasks: string,
    options?: { remainingMs?: number; env?: Record<string, string> },
  ): Promise<ScheduledPollSummary>;
  /** Delivers the stream, then every event on the sink, each delivery counted. */
  events(): ReturnType<typeof drainEvents>;
  /** Back to the start: no faults, TEST_CREDENTIALS accepted, the example task served, no requests. */
  reset(): void;
  stop(): Promise<void>;
}

export function harnessEnv(
  aws: AwsFixture,
  simulator: HuaweiDmsSimulator,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    HUAWEICLOUD_SECRET_ID: aws.secretId,
    HUAWEICLOUD_REGION: 'cn-north-4',
    HUAWEICLOUD_ENDPOINT: simulator.url,
    HUAWEICLOUD_PROJECT_ID: PROJECT_ID,
    STATUS_TABLE_NAME: aws.tableName,
    HISTORY_TABLE_NAME: aws.historyTableName,
    WATCHES_TABLE_NAME: aws.watchesTableName,
    EVENT_BUS_NAME: aws.sink.busName,
    UPSTREAM_ATTEMPT_TIMEOUT_MS: '500',
    ...env,
  };
}

export type WatchRouteCaller = (
  method: 'GET' | 'PUT' | 'DELETE',
  pathParameters?: Record<string, string | undefined>,
) => Promise<HttpResponse>;

/** The watch routes' real handler over `env` (a function of its own: no Huawei, no secret). */
export function watchRouteCaller(
  env: Record<string, string>,
  dynamoDb: DynamoDbClient,
): WatchRouteCaller {
  const handler = createWatchRoutesHandler(createWatchRoutesContainer(env, { dynamoDb }));
  return async (method, pathParameters) => {
    const response = await handler(watchEvent(method, pathParameters), lambdaContext(6_000));
    scanForSecrets('HTTP response', response);
    return { ...response, json: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
  };
}

/**
 * For a test file that wants a fresh harness per test: each call starts one (zero backoff unless
 * the options say otherwise), and every one started is stopped after the file.
 */
export function harnessPerTest(): (options?: HarnessOptions) => Promise<Harness> {
  const started: Harness[] = [];
  afterAll(async () => {
    await Promise.all(started.map((harness) => harness.stop()));
  });
  return async (options = {}) => {
    const harness = await startHarness({
      ...options,
      overrides: { random: () => 0, ...options.overrides },
    });
    started.push(harness);
    return harness;
  };
}

/**
 * The real handlers wired to real clients (the service's DynamoDB client, SDK ones) against moto and to the Huawei simulator, with
 * one example task (RUNNING) served.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const simulator = await HuaweiDmsSimulator.start({
    credentials: [TEST_CREDENTIALS, TEMPORARY_CREDENTIALS, ROTATED_CREDENTIALS],
  });
  simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: TASK_ID }));
  const aws = await createAwsFixture(options.credentials);
  const env = harnessEnv(aws, simulator, options.env);
  const secrets = countingSecretsManager();
  const container = createContainer(env, {
    secretsManager: secrets.client,
    dynamoDb: serviceDynamoDb(),
    idempotencyDynamoDb: idempotencyDynamoDb(),
    ...options.overrides,
  });
  const httpHandler = createGetTaskHandler(container);
  const listTasksHandler = createListTasksHandler(container);
  const historyHandler = createTaskHistoryHandler(
    createHistoryReaderContainer(env, {
      dynamoDb: options.overrides?.dynamoDb ?? serviceDynamoDb(),
    }),
  );
  const invokeHandler = createObserveTaskInvocationHandler(container);
  const delivery = streamDelivery(aws);

  return {
    simulator,
    aws,
    container,
    env,
    eventBridge: delivery.eventBridge,
    secretFetches: secrets.fetches,
    watches: watchRouteCaller(env, options.overrides?.dynamoDb ?? serviceDynamoDb()),
    deliver: () => delivery.pump.drain(),
    async http(
      pathParameters = { project_id: PROJECT_ID, instance_id: INSTANCE_ID, task_id: TASK_ID },
      remainingMs = 6_000,
    ) {
      const response = await httpHandler(httpEvent(pathParameters), lambdaContext(remainingMs));
      scanForSecrets('HTTP response', response);
      return { ...response, json: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
    },
    async listTasks(
      pathParameters = { project_id: PROJECT_ID, instance_id: INSTANCE_ID },
      { remainingMs = 6_000, ...options } = {},
    ) {
      const handler =
        options.maxResponseBytes === undefined
          ? listTasksHandler
          : createListTasksHandler(container, { maxResponseBytes: options.maxResponseBytes });
      const response = await handler(listTasksEvent(pathParameters), lambdaContext(remainingMs));
      scanForSecrets('HTTP response', response);
      return { ...response, json: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
    },
    async history(
      query,
      pathParameters = { project_id: PROJECT_ID, instance_id: INSTANCE_ID, task_id: TASK_ID },
    ) {
      const response = await historyHandler(
        httpEvent(pathParameters, { suffix: '/history', ...(query ? { query } : {}) }),
        lambdaContext(6_000),
      );
      return { ...response, json: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
    },
    async invoke(input, remainingMs = 6_000) {
      try {
        const output = await invokeHandler(input, lambdaContext(remainingMs));
        scanForSecrets('invoke output', output);
        return output;
      } catch (error) {
        scanForSecrets('invoke error', error);
        throw error;
      }
    },
    async poll(watchedTasks, { remainingMs = 10_000, env: pollEnv = {} } = {}) {
      const pollConfig = loadPollConfig(
        { ...env, ...pollEnv, WATCHED_TASKS: watchedTasks },
        container.config.huawei,
      );
      const summary = await createScheduledPollHandler(
        container,
        pollConfig,
        aws.clients.sqs,
      )(
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
        lambdaContext(remainingMs),
      );
      scanForSecrets('poll summary', summary);
      return summary;
    },
    async events() {
      await delivery.pump.drain();
      return drainEvents(aws.clients, aws.sink);
    },
    reset() {
      simulator.clearFaults();
      simulator.setCredentials([TEST_CREDENTIALS]);
      simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: TASK_ID }));
      simulator.clearRequests();
      delivery.eventBridge.outage(false);
    },
    async stop() {
      await simulator.stop();
    },
  };
}
