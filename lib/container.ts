import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { systemClock, type Clock, type Random } from './clock';
import { loadConfig, type Config, type Environment } from './config';
import { DEFAULT_RETRY_POLICY, DmsClient } from './huawei/dms-client';
import { createHttpTransport, type HttpTransport } from './huawei/http-transport';
import { SecretsManagerCredentials } from './huawei/secret-credentials';
import { SignatureGuard } from './huawei/signature-guard';
import { createLogger } from './logger';
import {
  DimensionedCounter,
  METRIC,
  METRIC_DIMENSIONS,
  SERVICE_NAME,
  createMetrics,
} from './metrics';
import { createTracing, type Tracing } from './tracing';
import { DynamoDbHealthStore } from './health/health-store';
import { DynamoDbStatusStore, type StatusStore } from './status/status-store';
import { AdaptiveRateLimiter } from './rate-limiter';
import { TaskObserver } from './task-observer';
import { AWS_CLIENT_CONFIG, createDynamoDb } from './aws-client-config';
import type { DynamoDbClient } from './aws/dynamodb-client';

/** Everything a handler needs, built once per cold start. */
export interface Container {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  /** Upstream outcomes by code, published once per invocation. */
  readonly upstreamOutcomes: DimensionedCounter;
  readonly dynamoDb: DynamoDbClient;
  /** The AWS SDK client for invoke's idempotency records, when a test gives one. */
  readonly idempotencyDynamoDb: DynamoDBClient | undefined;
  readonly credentials: SecretsManagerCredentials;
  /** Told when each invocation starts: a refused AK gets another chance per invocation. */
  readonly signatureGuard: SignatureGuard;
  readonly dms: DmsClient;
  readonly store: StatusStore;
  /** Polled tasks' health items, in the status table. */
  readonly healthStore: DynamoDbHealthStore;
  readonly observer: TaskObserver;
}

/** What tests (and the benchmark) may replace. */
export interface ContainerOverrides {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly transport?: HttpTransport;
  readonly secretsManager?: SecretsManagerClient;
  readonly dynamoDb?: DynamoDbClient;
  readonly idempotencyDynamoDb?: DynamoDBClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/**
 * AWS endpoints come only from the SDK's own AWS_ENDPOINT_URL(_<SERVICE>) variables, so there is
 * no custom endpoint configuration to get wrong in production.
 */
export function createContainer(
  env: Environment = process.env,
  overrides: ContainerOverrides = {},
): Container {
  const config = loadConfig(env);
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger();
  const metrics = overrides.metrics ?? createMetrics();
  const tracing = createTracing(env, SERVICE_NAME);
  const upstreamOutcomes = new DimensionedCounter(
    metrics,
    METRIC.UpstreamOutcome,
    METRIC_DIMENSIONS.UpstreamOutcome,
  );
  const credentials = new SecretsManagerCredentials(
    tracing.captureClient(overrides.secretsManager ?? new SecretsManagerClient(AWS_CLIENT_CONFIG)),
    config.huawei.secretId,
    config.secretCacheTtlMs,
    () => clock.now(),
  );
  const signatureGuard = new SignatureGuard();
  const dms = new DmsClient({
    baseUrl: config.huawei.baseUrl,
    credentials,
    transport: overrides.transport ?? createHttpTransport(),
    clock,
    random: overrides.random ?? Math.random,
    retry: {
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: config.upstream.maxAttempts,
      attemptTimeoutMs: config.upstream.attemptTimeoutMs,
    },
    maxResponseBytes: config.upstream.maxResponseBytes,
    rateLimiter: new AdaptiveRateLimiter(config.upstream.maxRequestsPerSecond, clock),
    signatureGuard,
    logger,
  });
  const dynamoDb = overrides.dynamoDb ?? createDynamoDb(tracing);
  const store = new DynamoDbStatusStore(dynamoDb, config.statusTableName);
  const healthStore = new DynamoDbHealthStore(dynamoDb, config.statusTableName);
  const observer = new TaskObserver({
    dms,
    store,
    clock,
    logger,
    metrics,
    tracing,
    upstreamOutcomes,
  });
  return {
    config,
    clock,
    logger,
    metrics,
    tracing,
    upstreamOutcomes,
    dynamoDb,
    idempotencyDynamoDb: overrides.idempotencyDynamoDb,
    credentials,
    signatureGuard,
    dms,
    store,
    healthStore,
    observer,
  };
}
