import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { parseEnvironment, servedProjectsSchema, type Environment } from '../config';
import { createLogger } from '../logger';
import { SERVICE_NAME, createMetrics } from '../metrics';
import { DynamoDbStatusHistory } from '../status/status-history';
import { DynamoDbStatusStore, type StatusStore } from '../status/status-store';
import { createTracing, type Tracing } from '../tracing';
import { createDynamoDb } from '../aws-client-config';
import type { DynamoDbClient } from '../aws/dynamodb-client';

const historyReaderEnvironmentSchema = z.object({
  HUAWEICLOUD_PROJECT_ID: servedProjectsSchema,
  STATUS_TABLE_NAME: z
    .string()
    .check(z.trim(), z.minLength(3, 'is required (DynamoDB table name)')),
  HISTORY_TABLE_NAME: z
    .string('is required (DynamoDB table name)')
    .check(z.trim(), z.minLength(3, 'is required (DynamoDB table name)')),
});

export interface HistoryReaderConfig {
  readonly projectIds: ReadonlySet<string>;
}

/** What the history route needs, built once per cold start: no Huawei, no secret. */
export interface HistoryReaderContainer {
  readonly config: HistoryReaderConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly store: Pick<StatusStore, 'get'>;
  readonly history: Pick<DynamoDbStatusHistory, 'page'>;
}

export interface HistoryReaderOverrides {
  readonly dynamoDb?: DynamoDbClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

export function createHistoryReaderContainer(
  env: Environment = process.env,
  overrides: HistoryReaderOverrides = {},
): HistoryReaderContainer {
  const settings = parseEnvironment(historyReaderEnvironmentSchema, env);
  const tracing = createTracing(env, SERVICE_NAME);
  const dynamoDb = overrides.dynamoDb ?? createDynamoDb(tracing);
  return {
    config: { projectIds: new Set(settings.HUAWEICLOUD_PROJECT_ID) },
    logger: overrides.logger ?? createLogger(),
    metrics: overrides.metrics ?? createMetrics(),
    tracing,
    store: new DynamoDbStatusStore(dynamoDb, settings.STATUS_TABLE_NAME),
    history: new DynamoDbStatusHistory(dynamoDb, settings.HISTORY_TABLE_NAME),
  };
}
