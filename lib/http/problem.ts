import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InvalidRequestError, ServiceError, UpstreamThrottledError } from '../errors';

/** Headers on every response, success or problem: nothing here is cacheable or framable. */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly upstreamRequestId?: string;
  readonly invalidFields?: readonly { field: string; problem: string }[];
}

const PROBLEM_TYPE_BASE = 'https://github.com/huawei-dms-connector-status/problems/';

/**
 * The single mapping from errors to HTTP (RFC 9457 problem details). Only our own messages are
 * used; anything that is not a ServiceError becomes a generic 500 with no internals.
 */
export function toProblem(
  error: unknown,
  context: { path?: string; requestId?: string } = {},
): Problem {
  const known = error instanceof ServiceError ? error : undefined;
  const status = known?.httpStatus ?? 500;
  const code = known?.code ?? 'INTERNAL_ERROR';
  const upstreamRequestId = (known as { upstreamRequestId?: string } | undefined)
    ?.upstreamRequestId;
  return {
    type: `${PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`,
    title: titleFor(status),
    status,
    code,
    detail: known?.message ?? 'An unexpected error occurred.',
    ...(context.path ? { instance: context.path } : {}),
    ...(context.requestId ? { requestId: context.requestId } : {}),
    ...(upstreamRequestId ? { upstreamRequestId } : {}),
    ...(error instanceof InvalidRequestError && error.invalidFields.length > 0
      ? { invalidFields: error.invalidFields }
      : {}),
  };
}

export function problemResponse(
  error: unknown,
  context: { path?: string; requestId?: string } = {},
): APIGatewayProxyStructuredResultV2 {
  const problem = toProblem(error, context);
  const headers: Record<string, string> = {
    ...RESPONSE_HEADERS,
    'content-type': 'application/problem+json',
  };
  if (error instanceof UpstreamThrottledError && error.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(error.retryAfterSeconds);
  }
  return {
    statusCode: problem.status,
    headers,
    body: JSON.stringify(problem),
  };
}

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { ...RESPONSE_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

function titleFor(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    403: 'Forbidden',
    404: 'Not Found',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return titles[status] ?? 'Error';
}
