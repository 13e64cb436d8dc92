import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import baseEvent from '../fixtures/http-api-event.json';

/** A Lambda context whose deadline is `remainingMs` from now, like the real one. */
export function lambdaContext(remainingMs = 10_000, functionName = 'test-function'): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/23/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An HTTP API (payload 2.0, IAM authorizer) event for our route with the given path parameters. */
export function httpEvent(
  pathParameters: Record<string, string | undefined>,
  options: { suffix?: string; query?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const path = `/v2/${pathParameters.project_id}/instances/${pathParameters.instance_id}/connector/tasks/${pathParameters.task_id}${options.suffix ?? ''}`;
  return {
    ...(baseEvent as unknown as APIGatewayProxyEventV2),
    rawPath: path,
    pathParameters: pathParameters,
    ...(options.query
      ? {
          queryStringParameters: options.query,
          rawQueryString: new URLSearchParams(options.query).toString(),
        }
      : {}),
  };
}

/** The same, for the list route: the instance's task collection, no task id in the path. */
export function listTasksEvent(
  pathParameters: Record<string, string | undefined>,
): APIGatewayProxyEventV2 {
  const path = `/v2/${pathParameters.project_id}/instances/${pathParameters.instance_id}/connector/tasks`;
  return {
    ...(baseEvent as unknown as APIGatewayProxyEventV2),
    routeKey: 'GET /v2/{project_id}/instances/{instance_id}/connector/tasks',
    rawPath: path,
    pathParameters: pathParameters,
  };
}

/** A watch route's event: `GET /watches`, or `PUT`/`DELETE` of the watch the parameters name. */
export function watchEvent(
  method: 'GET' | 'PUT' | 'DELETE',
  pathParameters?: Record<string, string | undefined>,
): APIGatewayProxyEventV2 {
  const p = pathParameters ?? {};
  const route =
    p.task_id !== undefined
      ? '/watches/{project_id}/instances/{instance_id}/connector/tasks/{task_id}'
      : p.instance_id !== undefined
        ? '/watches/{project_id}/instances/{instance_id}'
        : p.project_id !== undefined
          ? '/watches/{project_id}'
          : '/watches';
  const path = route.replace(/\{(\w+)\}/g, (_, name: string) => p[name] ?? '');
  const base = baseEvent as unknown as APIGatewayProxyEventV2;
  return {
    ...base,
    routeKey: `${method} ${route}`,
    rawPath: path,
    requestContext: {
      ...base.requestContext,
      routeKey: `${method} ${route}`,
      http: { ...base.requestContext.http, method, path },
    },
    ...(pathParameters ? { pathParameters } : { pathParameters: undefined }),
  };
}
