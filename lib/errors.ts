/**
 * Every code a caller can see, with the HTTP status it is answered with. The one list: the error
 * classes take their status from it, and the problem+json schema and the OpenAPI document are
 * generated from it, so a new code cannot go undocumented.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: 400,
  PROJECT_NOT_SERVED: 403,
  TASK_NOT_FOUND: 404,
  INSTANCE_NOT_FOUND: 404,
  TASK_NOT_OBSERVED: 404,
  WATCH_NOT_FOUND: 404,
  OBSERVATION_IN_PROGRESS: 409,
  CONFIGURATION_ERROR: 500,
  CLOCK_SKEW: 500,
  TASK_LIST_TOO_LARGE: 500,
  INTERNAL_ERROR: 500,
  UPSTREAM_AUTH_FAILED: 502,
  UPSTREAM_FORBIDDEN: 502,
  UPSTREAM_REJECTED: 502,
  UPSTREAM_UNAVAILABLE: 502,
  UPSTREAM_CONTRACT_VIOLATION: 502,
  UPSTREAM_THROTTLED: 503,
  DEPENDENCY_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one error model. `name` is an explicit string (bundles are minified, class names are not
 * stable) because Step Functions `Retry`/`Catch` match on it; `code` is what HTTP callers see in
 * problem responses. Messages are ours: upstream text never goes into them.
 */
export abstract class ServiceError extends Error {
  abstract override readonly name: string;
  readonly code: ErrorCode;
  readonly httpStatus: number;

  protected constructor(message: string, code: ErrorCode, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.httpStatus = ERROR_CODES[code];
  }
}

export interface InvalidField {
  readonly field: string;
  readonly problem: string;
}

/** The caller's input is not acceptable; retrying the same input cannot help. */
export class InvalidRequestError extends ServiceError {
  override readonly name = 'InvalidRequestError';
  readonly invalidFields: readonly InvalidField[];

  constructor(message: string, invalidFields: readonly InvalidField[] = []) {
    super(message, 'INVALID_REQUEST');
    this.invalidFields = invalidFields;
  }
}

/** The project is not one this deployment serves (`HUAWEICLOUD_PROJECT_ID`). */
export class ProjectNotServedError extends ServiceError {
  override readonly name = 'ProjectNotServedError';
  constructor() {
    super('This deployment does not serve the requested project.', 'PROJECT_NOT_SERVED');
  }
}

export class TaskNotFoundError extends ServiceError {
  override readonly name = 'TaskNotFoundError';
  constructor(what: 'task' | 'instance', upstreamRequestId?: string) {
    super(
      what === 'instance'
        ? 'The Kafka instance does not exist.'
        : 'The Smart Connect task does not exist.',
      what === 'instance' ? 'INSTANCE_NOT_FOUND' : 'TASK_NOT_FOUND',
    );
    this.upstreamRequestId = upstreamRequestId;
  }
  readonly upstreamRequestId: string | undefined;
  /** When the request Huawei answered 404 was sent (epoch ms), once the client knows it. */
  sentAt: number | undefined;
}

/** This service has no record of the task: it was never observed (or its records expired). */
export class TaskNotObservedError extends ServiceError {
  override readonly name = 'TaskNotObservedError';
  constructor() {
    super('This service has never observed the Smart Connect task.', 'TASK_NOT_OBSERVED');
  }
}

/** No stored watch has this key (a WATCHED_TASKS entry is not a stored watch). */
export class WatchNotFoundError extends ServiceError {
  override readonly name = 'WatchNotFoundError';
  constructor() {
    super('No stored watch has this key.', 'WATCH_NOT_FOUND');
  }
}

/** Base of everything that went wrong on Huawei's side of the call. */
export abstract class UpstreamError extends ServiceError {
  upstreamRequestId: string | undefined;
  attempts = 0;
}

/** Huawei throttled us (429) and waiting longer would not fit the deadline. */
export class UpstreamThrottledError extends UpstreamError {
  override readonly name = 'UpstreamThrottledError';
  readonly retryAfterSeconds: number | undefined;
  constructor(retryAfterSeconds?: number) {
    super('Huawei Cloud is throttling requests; try again later.', 'UPSTREAM_THROTTLED');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** 5xx, connection reset or refused: transient, worth retrying later. */
export class UpstreamUnavailableError extends UpstreamError {
  override readonly name = 'UpstreamUnavailableError';
  constructor(cause?: unknown) {
    super('Huawei Cloud is unavailable.', 'UPSTREAM_UNAVAILABLE', cause);
  }
}

/** No answer within the deadline derived from the Lambda's remaining time. */
export class UpstreamTimeoutError extends UpstreamError {
  override readonly name = 'UpstreamTimeoutError';
  constructor(cause?: unknown) {
    super('Huawei Cloud did not answer in time.', 'UPSTREAM_TIMEOUT', cause);
  }
}

/** The answer is not what the API promises: not JSON, wrong shape, too large, a redirect. */
export class UpstreamContractError extends UpstreamError {
  override readonly name = 'UpstreamContractError';
  /** What broke the contract, without the message's preamble: for saying where it broke. */
  readonly reason: string;
  constructor(reason: string, cause?: unknown) {
    super(
      `Huawei Cloud answered outside its API contract: ${reason}.`,
      'UPSTREAM_CONTRACT_VIOLATION',
      cause,
    );
    this.reason = reason;
  }
}

/** Huawei refused the call itself (401, 403, 400, ...): our credentials or permissions. */
export class UpstreamRejectedError extends UpstreamError {
  override readonly name = 'UpstreamRejectedError';
  readonly upstreamStatus: number;
  constructor(upstreamStatus: number) {
    const [code, message]: [ErrorCode, string] =
      upstreamStatus === 401
        ? ['UPSTREAM_AUTH_FAILED', 'Huawei Cloud rejected this service’s credentials.']
        : upstreamStatus === 403
          ? ['UPSTREAM_FORBIDDEN', 'This service’s Huawei Cloud credentials lack permission.']
          : ['UPSTREAM_REJECTED', 'Huawei Cloud rejected the request.'];
    super(message, code);
    this.upstreamStatus = upstreamStatus;
  }
}

/**
 * Huawei's gateway refused the signature, and its `Date` shows why: our clock is more than the
 * gateway's 15 minutes off. A retry cannot help and the credentials are not at fault; the host's
 * clock is.
 */
export class ClockSkewError extends UpstreamError {
  override readonly name = 'ClockSkewError';
  constructor() {
    super(
      'This service’s clock differs from Huawei Cloud’s by more than 15 minutes, so Huawei Cloud refuses its signatures.',
      'CLOCK_SKEW',
    );
  }
}

/** Deployment problem: bad environment variable, missing or malformed secret. */
export class ConfigurationError extends ServiceError {
  override readonly name = 'ConfigurationError';
  constructor(message: string, cause?: unknown) {
    super(message, 'CONFIGURATION_ERROR', cause);
  }
}

/** DynamoDB or EventBridge failed in a way that a later attempt may not. */
export class DependencyUnavailableError extends ServiceError {
  override readonly name = 'DependencyUnavailableError';
  constructor(dependency: string, cause?: unknown) {
    super(`${dependency} is unavailable.`, 'DEPENDENCY_UNAVAILABLE', cause);
  }
}

/**
 * The instance has more tasks than one synchronous Lambda response can carry (6 MB). A 5xx: the
 * request is valid and no caller can narrow it; retrying cannot help, and an operator should know.
 */
export class TaskListTooLargeError extends ServiceError {
  override readonly name = 'TaskListTooLargeError';
  constructor() {
    super(
      'The instance has more Smart Connect tasks than one response can hold; no partial list is answered.',
      'TASK_LIST_TOO_LARGE',
    );
  }
}

/** Stands in for anything unexpected when an error crosses our boundary: no internals leave. */
export class InternalError extends ServiceError {
  override readonly name = 'InternalError';
  constructor() {
    super('An unexpected error occurred.', 'INTERNAL_ERROR');
  }
}

/**
 * The same direct invocation is already running (idempotency), or other observers kept committing
 * changes of the task while this one tried to: retry shortly.
 */
export class ObservationInProgressError extends ServiceError {
  override readonly name = 'ObservationInProgressError';
  constructor(message = 'The same observation is already in progress.') {
    super(message, 'OBSERVATION_IN_PROGRESS');
  }
}
