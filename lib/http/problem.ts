import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  ERROR_CODES,
  InvalidRequestError,
  ServiceError,
  UpstreamThrottledError,
  type ErrorCode,
} from '../errors';

/** Headers on every response, success or problem: nothing here is cacheable or framable. */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];
const ERROR_STATUSES = [...new Set(Object.values(ERROR_CODES))] as [number, ...number[]];

/**
 * The problem+json body (RFC 9457) exactly as `toProblem` builds it; the OpenAPI document is
 * generated from this, so the descriptions are the public documentation.
 */
export const problemSchema = z
  .object({
    type: z.url().check(z.describe('Identifies the kind of problem; one URI per `code`.')),
    title: z.string().check(z.describe('Short, human-readable summary of the HTTP status.')),
    status: z.literal(ERROR_STATUSES).check(z.describe('The HTTP status code of this response.')),
    code: z
      .enum(ERROR_CODE_LIST)
      .check(z.describe('Stable, machine-readable error code: branch on this, not on `detail`.')),
    detail: z.string().check(z.describe('Human-readable explanation; wording may change.')),
    instance: z.optional(z.string()).check(z.describe('The request path the problem occurred on.')),
    requestId: z
      .optional(z.string())
      .check(z.describe('AWS request id of the invocation; quote it when reporting a problem.')),
    upstreamRequestId: z
      .optional(z.string())
      .check(
        z.describe('Huawei Cloud request id of the failed upstream call, when Huawei sent one.'),
      ),
    invalidFields: z
      .optional(
        z.array(
          z.object({
            field: z.string().check(z.describe('Name of the invalid path parameter.')),
            problem: z.string().check(z.describe('What is wrong with it.')),
          }),
        ),
      )
      .check(z.describe('For INVALID_REQUEST: each invalid input and why.')),
  })
  .check(z.describe('RFC 9457 problem details.'));

export type Problem = Readonly<z.infer<typeof problemSchema>>;

/** A URN: the problem types are documented in the README and OpenAPI, not served anywhere. */
const PROBLEM_TYPE_BASE = 'urn:huawei-dms-connector-status:problem:';

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
      ? { invalidFields: [...error.invalidFields] }
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
  const retryAfter =
    error instanceof UpstreamThrottledError ? retryAfterHeader(error.retryAfterSeconds) : undefined;
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  return {
    statusCode: problem.status,
    headers,
    body: JSON.stringify(problem),
  };
}

/** Longer than any wait worth telling a caller about; keeps the header a plain integer. */
const MAX_RETRY_AFTER_SECONDS = 3_600;

/**
 * Retry-After is an integer of seconds (RFC 9110): whatever number an error carries is rounded up
 * and clamped, so neither `1e+23` nor `2.5` can reach a caller.
 */
function retryAfterHeader(seconds: number | undefined): string | undefined {
  if (seconds === undefined || Number.isNaN(seconds)) return undefined;
  return String(Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds))));
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
