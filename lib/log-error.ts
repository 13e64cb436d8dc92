import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { ServiceError, UpstreamError } from './errors';
import { METRIC, METRIC_DIMENSIONS } from './metrics';

/** Counts a failed invocation by its code, so alarms can tell caller errors from ours. */
export function countError(metrics: Metrics, error: unknown): void {
  const code = error instanceof ServiceError ? error.code : 'INTERNAL_ERROR';
  metrics.addMetric(METRIC.FailedRequests, MetricUnit.Count, 1);
  const byCode = metrics.singleMetric();
  byCode.addDimension(METRIC_DIMENSIONS.FailedRequestsByCode, code);
  byCode.addMetric(METRIC.FailedRequestsByCode, MetricUnit.Count, 1);
}

/**
 * Logs an error once, at a level that matches who must act: the caller (4xx, info) or us (error).
 * Our errors carry only our own messages, so logging them whole is safe. `context` says which
 * item failed when one invocation handles several (never a secret: identifiers only).
 */
export function logError(
  logger: Logger,
  error: unknown,
  context: Record<string, string> = {},
): void {
  if (error instanceof ServiceError) {
    const fields = {
      ...context,
      errorName: error.name,
      code: error.code,
      ...(error instanceof UpstreamError
        ? { upstreamRequestId: error.upstreamRequestId, attempts: error.attempts }
        : {}),
    };
    if (error.httpStatus < 500) logger.info(error.message, fields);
    else logger.error(error.message, { ...fields, error });
    return;
  }
  logger.error('Unexpected error', {
    ...context,
    error: error instanceof Error ? error : String(error),
  });
}
