import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { systemClock, type Clock } from '../clock';
import { describeIssues, type Environment } from '../config';
import { ConfigurationError } from '../errors';
import { createLogger } from '../logger';
import { SERVICE_NAME, createMetrics } from '../metrics';
import { createTracing, type Tracing } from '../tracing';
import { EventBridgePublisher } from './event-publisher';

const streamConsumerEnvironmentSchema = z.object({
  EVENT_BUS_NAME: z.string().trim().min(1, 'is required (EventBridge bus name or ARN)'),
  STREAM_FAILURE_QUEUE_URL: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^https?$/, error: 'must be the URL of an SQS queue' })),
});

export interface StreamConsumerConfig {
  readonly eventBusName: string;
  readonly failureQueueUrl: string;
}

export function loadStreamConsumerConfig(env: Environment): StreamConsumerConfig {
  const parsed = streamConsumerEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid configuration: ${describeIssues(parsed.error.issues)}`);
  }
  return {
    eventBusName: parsed.data.EVENT_BUS_NAME,
    failureQueueUrl: parsed.data.STREAM_FAILURE_QUEUE_URL,
  };
}

/** What the stream consumer needs, built once per cold start: no Huawei, no status table. */
export interface StreamConsumerContainer {
  readonly config: StreamConsumerConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly publisher: EventBridgePublisher;
  readonly sqs: SQSClient;
}

export interface StreamConsumerOverrides {
  readonly clock?: Clock;
  readonly eventBridge?: EventBridgeClient;
  readonly sqs?: SQSClient;
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
      client: tracing.captureClient(overrides.eventBridge ?? new EventBridgeClient({})),
      eventBusName: config.eventBusName,
      clock: overrides.clock ?? systemClock,
      ...(overrides.retryDelayMs === undefined ? {} : { retryDelayMs: overrides.retryDelayMs }),
    }),
    sqs: tracing.captureClient(overrides.sqs ?? new SQSClient({})),
  };
}
