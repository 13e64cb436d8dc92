import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { systemClock, type Clock } from '../clock';
import { parseEnvironment, type Environment } from '../config';
import { createLogger } from '../logger';
import { SERVICE_NAME, createMetrics } from '../metrics';
import { createTracing, type Tracing } from '../tracing';
import { EventBridgePublisher } from './event-publisher';
import { DynamoDbStatusHistory } from './status-history';
import { AWS_CLIENT_CONFIG, createDynamoDb } from '../aws-client-config';
import type { DynamoDbClient } from '../aws/dynamodb-client';

const streamConsumerEnvironmentSchema = z.object({
  EVENT_BUS_NAME: z
    .string()
    .check(z.trim(), z.minLength(1, 'is required (EventBridge bus name or ARN)')),
  STREAM_FAILURE_QUEUE_URL: z.pipe(
    z.string().check(z.trim()),
    z.url({ protocol: /^https?$/, error: 'must be the URL of an SQS queue' }),
  ),
  HISTORY_TABLE_NAME: z
    .string('is required (DynamoDB table name)')
    .check(z.trim(), z.minLength(3, 'is required (DynamoDB table name)')),
  HISTORY_RETENTION_DAYS: z._default(
    z.coerce
      .number()
      .check(z.int('must be a whole number of days'), z.minimum(1), z.maximum(3_650)),
    90,
  ),
});

export interface StreamConsumerConfig {
  readonly eventBusName: string;
  readonly failureQueueUrl: string;
  readonly historyTableName: string;
  readonly historyRetentionMs: number;
}

export function loadStreamConsumerConfig(env: Environment): StreamConsumerConfig {
  const settings = parseEnvironment(streamConsumerEnvironmentSchema, env);
  return {
    eventBusName: settings.EVENT_BUS_NAME,
    failureQueueUrl: settings.STREAM_FAILURE_QUEUE_URL,
    historyTableName: settings.HISTORY_TABLE_NAME,
    historyRetentionMs: settings.HISTORY_RETENTION_DAYS * 86_400_000,
  };
}

/** What the stream consumer needs, built once per cold start: no Huawei, no status table. */
export interface StreamConsumerContainer {
  readonly config: StreamConsumerConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly publisher: EventBridgePublisher;
  readonly history: Pick<DynamoDbStatusHistory, 'record'>;
  readonly sqs: SQSClient;
}

export interface StreamConsumerOverrides {
  readonly clock?: Clock;
  readonly eventBridge?: EventBridgeClient;
  readonly sqs?: SQSClient;
  readonly dynamoDb?: DynamoDbClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly retryDelayMs?: number;
}

export function createStreamConsumerContainer(
  env: Environment = process.env,
  overrides: StreamConsumerOverrides = {},
): StreamConsumerContainer {
  const config = loadStreamConsumerConfig(env);
  const tracing = createTracing(env, SERVICE_NAME);
  return {
    config,
    logger: overrides.logger ?? createLogger(),
    metrics: overrides.metrics ?? createMetrics(),
    tracing,
    publisher: new EventBridgePublisher({
      client: tracing.captureClient(
        overrides.eventBridge ?? new EventBridgeClient(AWS_CLIENT_CONFIG),
      ),
      eventBusName: config.eventBusName,
      clock: overrides.clock ?? systemClock,
      ...(overrides.retryDelayMs === undefined ? {} : { retryDelayMs: overrides.retryDelayMs }),
    }),
    history: new DynamoDbStatusHistory(
      overrides.dynamoDb ?? createDynamoDb(tracing),
      config.historyTableName,
    ),
    sqs: tracing.captureClient(overrides.sqs ?? new SQSClient(AWS_CLIENT_CONFIG)),
  };
}
