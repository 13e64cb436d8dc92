import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';
import {
  ConfigurationError,
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
  const safe = inOurModel(error) ?? new InternalError();
  safe.stack = `${safe.name}: ${safe.message}`;
  return safe;
}

export function boundaryErrors<TEvent, TResult>(
  logger: Logger,
  metrics: Metrics,
): middy.MiddlewareObj<TEvent, TResult> {
  return {
    onError: (request) => {
      // Logged and counted under the code the caller gets, but an unexpected error is logged as
      // itself (with its stack): the InternalError that hides it would tell us nothing.
      const known = inOurModel(request.error);
      logError(logger, known ?? request.error);
      countError(metrics, known ?? request.error);
      request.error = boundaryError(known ?? request.error);
    },
  };
}

/** Our errors as they are, and the third-party errors we know how to name; otherwise undefined. */
function inOurModel(error: unknown): ServiceError | undefined {
  if (error instanceof ServiceError) return error;
  switch ((error as { name?: unknown } | null | undefined)?.name) {
    case 'IdempotencyAlreadyInProgressError':
      return new ObservationInProgressError();
    case 'IdempotencyPersistenceLayerError':
      // The idempotency records live in the status table: a missing one is a deployment fault
      // that no retry fixes, unlike an unreachable DynamoDB.
      return causedBy(error, 'ResourceNotFoundException')
        ? new ConfigurationError('The status table (STATUS_TABLE_NAME) does not exist.', error)
        : new DependencyUnavailableError('Amazon DynamoDB (idempotency records)', error);
    default:
      return undefined;
  }
}

/** Whether an error named `name` is somewhere in the cause chain (bounded: chains can loop). */
function causedBy(error: unknown, name: string): boolean {
  let current = (error as { cause?: unknown }).cause;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if ((current as { name?: unknown }).name === name) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
