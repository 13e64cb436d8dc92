import { IdempotencyPersistenceLayerError } from '@aws-lambda-powertools/idempotency';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { boundaryError, boundaryErrors } from '../../lib/boundary-error';
import { InvalidRequestError } from '../../lib/errors';
import { createLogger } from '../../lib/logger';

function persistenceFailure(cause: unknown): IdempotencyPersistenceLayerError {
  return new IdempotencyPersistenceLayerError(
    'Failed to save in progress record to idempotency store',
    { cause },
  );
}

const missingTable = () =>
  new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });

/** A Metrics stand-in that records the `code` dimension of each FailedRequestsByCode. */
function fakeMetrics() {
  const countedCodes: string[] = [];
  const metrics = {
    addMetric: () => undefined,
    singleMetric: () => {
      let code = '';
      return {
        addDimension: (_name: string, value: string) => {
          code = value;
        },
        addMetric: (name: string) => {
          if (name === 'FailedRequestsByCode') countedCodes.push(code);
        },
      };
    },
  } as unknown as Metrics;
  return { metrics, countedCodes };
}

function runOnError(error: unknown) {
  const logger = createLogger();
  const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  const { metrics, countedCodes } = fakeMetrics();
  const request = { error } as unknown as middy.Request<unknown, unknown, Error, Context>;

  void boundaryErrors(logger, metrics).onError!(request);

  const loggedCodes = [...info.mock.calls, ...logged.mock.calls].map(
    ([, fields]) => (fields as { code?: string } | undefined)?.code,
  );
  return { thrown: request.error as Error, loggedCodes, countedCodes };
}

describe('boundaryError', () => {
  it('maps an idempotency persistence failure to DependencyUnavailableError', () => {
    const error = boundaryError(persistenceFailure(new Error('connect ECONNREFUSED')));

    expect(error.name).toBe('DependencyUnavailableError');
  });

  it('maps an idempotency persistence failure on a missing table to ConfigurationError', () => {
    const error = boundaryError(persistenceFailure(missingTable()));

    expect(error).toMatchObject({ name: 'ConfigurationError', code: 'CONFIGURATION_ERROR' });
    expect(error.message).toContain('STATUS_TABLE_NAME');
  });

  it('cuts the stack to one line', () => {
    const error = boundaryError(persistenceFailure(new Error('connect ECONNREFUSED')));

    expect(error.stack).toBe(`DependencyUnavailableError: ${error.message}`);
  });

  it('keeps our own errors as they are', () => {
    const ours = new InvalidRequestError('Invalid invocation input.');

    expect(boundaryError(ours)).toBe(ours);
  });

  it('hides anything unexpected behind InternalError', () => {
    const error = boundaryError(new TypeError('x is undefined'));

    expect(error).toMatchObject({
      name: 'InternalError',
      message: 'An unexpected error occurred.',
    });
  });
});

describe('boundaryErrors middleware', () => {
  it('logs and counts a translated error by its code in our model', () => {
    const { loggedCodes, countedCodes } = runOnError(persistenceFailure(new Error('ECONNREFUSED')));

    expect(loggedCodes).toEqual(['DEPENDENCY_UNAVAILABLE']);
    expect(countedCodes).toEqual(['DEPENDENCY_UNAVAILABLE']);
  });

  it('counts an unexpected error as INTERNAL_ERROR', () => {
    const { countedCodes } = runOnError(new TypeError('x is undefined'));

    expect(countedCodes).toEqual(['INTERNAL_ERROR']);
  });

  it('hands the caller the translated error', () => {
    const { thrown } = runOnError(persistenceFailure(missingTable()));

    expect(thrown.name).toBe('ConfigurationError');
  });
});
