import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';
import {
  DependencyUnavailableError,
  InternalError,
  ObservationInProgressError,
  ServiceError,
} from './errors';
import { countError, logError } from './log-error';

/**
 * What a non-HTTP invoker (Step Functions, the scheduler) receives when we fail: our error with
 * its stable `name` (Retry/Catch match on it) and our message, the stack cut to one line because
 * Lambda returns `trace` to the caller. Anything unexpected becomes an InternalError.
 */
export function boundaryError(error: unknown): ServiceError {
  const safe = error instanceof ServiceError ? error : translate(error);
  safe.stack = `${safe.name}: ${safe.message}`;
  return safe;
}

export function boundaryErrors<TEvent, TResult>(
  logger: Logger,
  metrics: Metrics,
): middy.MiddlewareObj<TEvent, TResult> {
  return {
    onError: (request) => {
      logError(logger, request.error);
      countError(metrics, request.error);
      request.error = boundaryError(request.error);
    },
  };
}

/** Powertools Idempotency's errors, in our model. */
function translate(error: unknown): ServiceError {
  switch ((error as { name?: unknown }).name) {
    case 'IdempotencyAlreadyInProgressError':
      return new ObservationInProgressError();
    case 'IdempotencyPersistenceLayerError':
      return new DependencyUnavailableError('Amazon DynamoDB (idempotency records)', error);
    default:
      return new InternalError();
  }
}
