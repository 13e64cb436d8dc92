import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { createDynamoDb } from '../aws-client-config';
import type { DynamoDbClient } from '../aws/dynamodb-client';
import { systemClock, type Clock } from '../clock';
import { parseEnvironment, servedProjectsSchema, type Environment } from '../config';
import { createLogger } from '../logger';
import { SERVICE_NAME, createMetrics } from '../metrics';
import { parseWatchList, type WatchEntry } from '../poll/watch-list';
import { createTracing, type Tracing } from '../tracing';
import { DynamoDbWatchStore, type WatchStore } from './watch-store';

const watchRoutesEnvironmentSchema = z.object({
  HUAWEICLOUD_PROJECT_ID: servedProjectsSchema,
  WATCHES_TABLE_NAME: z
    .string('is required (DynamoDB table name)')
    .check(z.trim(), z.minLength(3, 'is required (DynamoDB table name)')),
  WATCHED_TASKS: z._default(z.string(), ''),
});

/** What the watch routes need, built once per cold start: no Huawei, no secret. */
export interface WatchRoutesContainer {
  readonly config: {
    readonly projectIds: ReadonlySet<string>;
    /** WATCHED_TASKS, listed read-only beside the stored watches. */
    readonly configuredWatches: readonly WatchEntry[];
  };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly watches: WatchStore;
}

export interface WatchRoutesOverrides {
  readonly dynamoDb?: DynamoDbClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

export function createWatchRoutesContainer(
  env: Environment = process.env,
  overrides: WatchRoutesOverrides = {},
): WatchRoutesContainer {
  const settings = parseEnvironment(watchRoutesEnvironmentSchema, env);
  const projectIds = new Set(settings.HUAWEICLOUD_PROJECT_ID);
  const [onlyProject] = settings.HUAWEICLOUD_PROJECT_ID;
  const defaultProjectId = projectIds.size === 1 ? onlyProject : undefined;
  const tracing = createTracing(env, SERVICE_NAME);
  const dynamoDb = overrides.dynamoDb ?? createDynamoDb(tracing);
  return {
    config: {
      projectIds,
      // The same parse as the poller's, so the listing shows exactly what is polled.
      configuredWatches: parseWatchList(settings.WATCHED_TASKS, {
        projectIds,
        defaultProjectId,
      }),
    },
    clock: overrides.clock ?? systemClock,
    logger: overrides.logger ?? createLogger(),
    metrics: overrides.metrics ?? createMetrics(),
    tracing,
    watches: new DynamoDbWatchStore(dynamoDb, settings.WATCHES_TABLE_NAME),
  };
}
