import {
  ConfigurationError,
  DependencyUnavailableError,
  InvalidRequestError,
  ProjectNotServedError,
  TaskNotFoundError,
  UpstreamContractError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../lib/errors';
import { problemResponse } from '../../lib/http/problem';

function problemOf(error: unknown) {
  const response = problemResponse(error, { path: '/v2/p', requestId: 'req-1' });
  return { response, body: JSON.parse(response.body!) as Record<string, unknown> };
}

describe('problemResponse', () => {
  it.each([
    [new InvalidRequestError('Invalid path parameters.'), 400, 'INVALID_REQUEST'],
    [new ProjectNotServedError(), 403, 'PROJECT_NOT_SERVED'],
    [new TaskNotFoundError('task'), 404, 'TASK_NOT_FOUND'],
    [new TaskNotFoundError('instance'), 404, 'INSTANCE_NOT_FOUND'],
    [new UpstreamRejectedError(401), 502, 'UPSTREAM_AUTH_FAILED'],
    [new UpstreamRejectedError(403), 502, 'UPSTREAM_FORBIDDEN'],
    [new UpstreamRejectedError(400), 502, 'UPSTREAM_REJECTED'],
    [new UpstreamContractError('body is not valid JSON'), 502, 'UPSTREAM_CONTRACT_VIOLATION'],
    [new UpstreamUnavailableError(), 502, 'UPSTREAM_UNAVAILABLE'],
    [new UpstreamThrottledError(5), 503, 'UPSTREAM_THROTTLED'],
    [new DependencyUnavailableError('Amazon DynamoDB'), 503, 'DEPENDENCY_UNAVAILABLE'],
    [new UpstreamTimeoutError(), 504, 'UPSTREAM_TIMEOUT'],
    [new ConfigurationError('The Huawei Cloud secret is not JSON.'), 500, 'CONFIGURATION_ERROR'],
  ])('maps %p to %i %s', (error, status, code) => {
    const { response, body } = problemOf(error);

    expect(response.statusCode).toBe(status);
    expect(body).toMatchObject({ status, code, detail: (error as Error).message });
  });

  it('answers anything unexpected with a generic 500 and no internals', () => {
    const { response, body } = problemOf(
      new TypeError('Cannot read x of undefined at /var/task/secret.js'),
    );

    expect(response.statusCode).toBe(500);
    expect(body).toEqual({
      type: expect.stringContaining('internal-error'),
      title: 'Internal Server Error',
      status: 500,
      code: 'INTERNAL_ERROR',
      detail: 'An unexpected error occurred.',
      instance: '/v2/p',
      requestId: 'req-1',
    });
  });

  it('is application/problem+json and not cacheable', () => {
    const { response } = problemOf(new TaskNotFoundError('task'));

    expect(response.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
    });
  });

  it('passes a throttling Retry-After on as a header', () => {
    expect(problemOf(new UpstreamThrottledError(7)).response.headers?.['retry-after']).toBe('7');
  });

  it('lists the invalid fields of a bad request', () => {
    const error = new InvalidRequestError('Invalid path parameters.', [
      { field: 'task_id', problem: 'must be a lowercase UUID' },
    ]);

    expect(problemOf(error).body.invalidFields).toEqual([
      { field: 'task_id', problem: 'must be a lowercase UUID' },
    ]);
  });

  it('carries the upstream request id so support can trace the call at Huawei', () => {
    const error = new UpstreamUnavailableError();
    error.upstreamRequestId = 'huawei-req-9';

    expect(problemOf(error).body.upstreamRequestId).toBe('huawei-req-9');
  });
});
