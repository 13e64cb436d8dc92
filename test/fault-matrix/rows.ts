/**
 * The fault matrix as data: for every fault, how the test produces it and what each entry point
 * answers. `test/integration/fault-matrix.test.ts` runs every row against the real handlers and
 * asserts each value; `npm run fault-matrix` renders docs/fault-matrix.md from the same rows.
 * Change a value here and the test says whether the service agrees.
 */
import { AWS_CLIENT_CONFIG } from '../../lib/aws-client-config';
import type { ErrorCode } from '../../lib/errors';
import { DEFAULT_RETRY_POLICY } from '../../lib/huawei/dms-client';
import type { Fault } from '../simulator/huawei-dms-simulator';

/** How a row's fault is produced around the real handlers (interpreted by `run-row.ts`). */
export type Arrangement =
  /** HUAWEICLOUD_SECRET_ID names a secret that does not exist. */
  | { readonly kind: 'secret-missing' }
  /** The secret holds this SecretString. */
  | { readonly kind: 'secret-contents'; readonly secretString: string }
  /**
   * The handlers' AWS client for `service` (built with the service's AWS_CLIENT_CONFIG) talks to
   * an endpoint that fails this way.
   */
  | {
      readonly kind: 'aws-endpoint-fails';
      readonly service: 'secretsManager' | 'dynamoDb';
      readonly failure: 'connection-refused' | 'server-error' | 'black-hole';
    }
  /** The Huawei simulator knows only another access key. */
  | { readonly kind: 'huawei-unknown-access-key' }
  /** The Huawei simulator answers every attempt with this fault. */
  | { readonly kind: 'huawei-fault'; readonly fault: Fault }
  /** The Huawei simulator no longer has the task, or the whole instance. */
  | { readonly kind: 'huawei-deleted'; readonly what: 'task' | 'instance' }
  /** EventBridge (the stream consumer's client) fails every PutEvents call until the row ends. */
  | { readonly kind: 'event-bridge-outage' }
  /** The Lambda context has only this much time left when the handler starts. */
  | { readonly kind: 'remaining-time'; readonly remainingMs: number }
  /** The service's clock is `offsetMs` ahead of the Huawei simulator's (negative: behind). */
  | { readonly kind: 'service-clock-offset'; readonly offsetMs: number };

/** What bounds how long a call takes; the test checks each kind by what it measured. */
export type TimeBound =
  /** No wait of ours and no attempt timed out: the first answer (or none) decides. */
  | { readonly kind: 'immediate' }
  /** Only the AWS SDK's own retries, `requests` of them: our deadline does not apply. */
  | { readonly kind: 'aws-sdk-retries'; readonly requests: number }
  /** The AWS SDK's request timeout ends each of its `requests` attempts: our deadline does not apply. */
  | { readonly kind: 'aws-request-timeout'; readonly requests: number }
  /** UPSTREAM_MAX_ATTEMPTS attempts with full-jitter backoff between them. */
  | { readonly kind: 'backoff' }
  /** UPSTREAM_MAX_ATTEMPTS attempts, waiting Huawei's Retry-After between them. */
  | { readonly kind: 'retry-after'; readonly seconds: number }
  /** Every attempt ends at UPSTREAM_ATTEMPT_TIMEOUT_MS. */
  | { readonly kind: 'attempt-timeout' }
  /** The deadline: what would not fit before it is not started (more time, more attempts). */
  | { readonly kind: 'deadline' };

/** What happens to the status-change event of the observation. */
export type EventOutcome =
  /** Nothing was committed: the stream consumer does not even try to put an event. */
  | 'none'
  /** The change is committed; the stream consumer cannot publish it and hands it back; it is
   * published once EventBridge answers again. */
  | 'held-in-stream';

export interface FaultRow {
  /** Stable and unique: names the row's tests. */
  readonly id: string;
  readonly group: FaultGroup;
  /** The fault, as an operator would name it (Markdown). */
  readonly fault: string;
  /** How the test produces it (Markdown). */
  readonly producedBy: string;
  readonly arrangement: Arrangement;
  /**
   * Lambda time left when the handler starts, when the fault needs more than
   * MATRIX_SETTINGS.remainingMs to end by its own bound (say so in `producedBy`).
   */
  readonly remainingMs?: number;
  readonly http: {
    readonly status: number;
    /** The problem+json `code`; absent for a 200. */
    readonly code?: ErrorCode;
    /** The `Retry-After` header of the answer, when it has one. */
    readonly retryAfter?: string;
  };
  /** The error `name` the direct-invoke handler throws; absent when it returns the task. */
  readonly invokeError?: string;
  /** Requests the Huawei simulator received, per entry point when they differ. */
  readonly attempts: number | { readonly http: number; readonly invoke: number };
  readonly timeBound: TimeBound;
  readonly event: EventOutcome;
  /** Why, when the values alone would surprise (Markdown, rendered under the group's table). */
  readonly note?: string;
}

export const FAULT_GROUPS = [
  'Huawei credentials (Secrets Manager)',
  'Huawei API',
  'AWS dependencies',
  'Time',
] as const;

export type FaultGroup = (typeof FAULT_GROUPS)[number];

/** The settings every row runs with, besides the defaults of lib/config.ts (rendered in the doc). */
export const MATRIX_SETTINGS = {
  /** Lambda time left when a handler starts, unless a row says otherwise. */
  remainingMs: 6_000,
  /** UPSTREAM_ATTEMPT_TIMEOUT_MS (default 3000), shorter so a black hole costs 1.5 s, not 9 s. */
  attemptTimeoutMs: 500,
  /** UPSTREAM_MAX_REQUESTS_PER_SECOND (default 50), high so pacing adds no waits of its own. */
  maxRequestsPerSecond: 10_000,
  /** The random source of the backoff jitter: half of each backoff ceiling. */
  jitter: 0.5,
} as const;

/** UPSTREAM_MAX_ATTEMPTS is left at its default. */
export const MAX_ATTEMPTS = DEFAULT_RETRY_POLICY.maxAttempts;

/** Lambda time left in the runs that show whether the deadline is what stopped a call. */
export const ROOMY_REMAINING_MS = 200_000;

/**
 * The waits between `attempts` attempts that fail with a retryable error and no Retry-After:
 * full-jitter exponential backoff, random × min(max delay, base × 2^(n−1)), with the jitter fixed.
 */
/** Requests an AWS SDK client of the service attempts per call: AWS_CLIENT_CONFIG's. */
export const AWS_ATTEMPTS = AWS_CLIENT_CONFIG.maxAttempts;

/** The longest an AWS SDK request of the service waits for an answer. */
export const AWS_REQUEST_TIMEOUT_MS = AWS_CLIENT_CONFIG.requestHandler.requestTimeout;

/** Lambda time left in the AWS black-hole rows: room for every AWS attempt to time out. */
const AWS_BLACK_HOLE_REMAINING_MS = 9_000;

export function backoffWaitsMs(attempts: number): number[] {
  const { baseDelayMs, maxDelayMs } = DEFAULT_RETRY_POLICY;
  return Array.from({ length: Math.max(0, attempts - 1) }, (_, n) =>
    Math.floor(MATRIX_SETTINGS.jitter * Math.min(maxDelayMs, baseDelayMs * 2 ** n)),
  );
}

export const FAULT_ROWS: readonly FaultRow[] = [
  {
    id: 'secret-missing',
    group: 'Huawei credentials (Secrets Manager)',
    fault: 'The secret does not exist (`ResourceNotFoundException`)',
    producedBy: '`HUAWEICLOUD_SECRET_ID` names a secret moto does not have',
    arrangement: { kind: 'secret-missing' },
    http: { status: 500, code: 'CONFIGURATION_ERROR' },
    invokeError: 'ConfigurationError',
    attempts: 0,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'secret-not-json',
    group: 'Huawei credentials (Secrets Manager)',
    fault: 'The secret is not JSON',
    producedBy: 'SecretString `ak=…, sk=…`',
    arrangement: { kind: 'secret-contents', secretString: 'ak=TESTAKNOTJSON01, sk=notjson' },
    http: { status: 500, code: 'CONFIGURATION_ERROR' },
    invokeError: 'ConfigurationError',
    attempts: 0,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'secret-without-sk',
    group: 'Huawei credentials (Secrets Manager)',
    fault: 'The secret has no `sk`',
    producedBy: 'SecretString `{"ak": "…"}`',
    arrangement: { kind: 'secret-contents', secretString: '{"ak":"TESTAKWITHOUTSK01"}' },
    http: { status: 500, code: 'CONFIGURATION_ERROR' },
    invokeError: 'ConfigurationError',
    attempts: 0,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'secret-line-break-in-ak',
    group: 'Huawei credentials (Secrets Manager)',
    fault: 'The secret’s `ak` has a line break inside',
    producedBy: '`ak` of `TESTAKLINE\\nBREAK0001` (a trailing one is trimmed and accepted)',
    arrangement: {
      kind: 'secret-contents',
      secretString: JSON.stringify({
        ak: 'TESTAKLINE\nBREAK0001',
        sk: 'lineBreakTestSecretKey000000000001',
      }),
    },
    http: { status: 500, code: 'CONFIGURATION_ERROR' },
    invokeError: 'ConfigurationError',
    attempts: 0,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'secrets-manager-unreachable',
    group: 'Huawei credentials (Secrets Manager)',
    fault: 'Secrets Manager unreachable',
    producedBy: 'the Secrets Manager client’s endpoint is a closed loopback port',
    arrangement: {
      kind: 'aws-endpoint-fails',
      service: 'secretsManager',
      failure: 'connection-refused',
    },
    http: { status: 503, code: 'DEPENDENCY_UNAVAILABLE' },
    invokeError: 'DependencyUnavailableError',
    attempts: 0,
    timeBound: { kind: 'aws-sdk-retries', requests: AWS_ATTEMPTS },
    event: 'none',
  },
  {
    id: 'secrets-manager-5xx',
    group: 'Huawei credentials (Secrets Manager)',
    fault: 'Secrets Manager answers 5xx',
    producedBy: 'the Secrets Manager client’s endpoint answers `500 InternalFailure`',
    arrangement: { kind: 'aws-endpoint-fails', service: 'secretsManager', failure: 'server-error' },
    http: { status: 503, code: 'DEPENDENCY_UNAVAILABLE' },
    invokeError: 'DependencyUnavailableError',
    attempts: 0,
    timeBound: { kind: 'aws-sdk-retries', requests: AWS_ATTEMPTS },
    event: 'none',
  },
  {
    id: 'secrets-manager-black-hole',
    group: 'Huawei credentials (Secrets Manager)',
    fault: 'Secrets Manager black hole (no answer)',
    producedBy:
      'the Secrets Manager client’s endpoint accepts the connection and never answers; ' +
      `${AWS_BLACK_HOLE_REMAINING_MS / 1000} s left`,
    arrangement: { kind: 'aws-endpoint-fails', service: 'secretsManager', failure: 'black-hole' },
    remainingMs: AWS_BLACK_HOLE_REMAINING_MS,
    http: { status: 503, code: 'DEPENDENCY_UNAVAILABLE' },
    invokeError: 'DependencyUnavailableError',
    attempts: 0,
    timeBound: { kind: 'aws-request-timeout', requests: AWS_ATTEMPTS },
    event: 'none',
  },
  {
    id: 'huawei-401',
    group: 'Huawei API',
    fault: 'Huawei 401 (credentials refused)',
    producedBy: 'the simulator knows only another access key: `401 APIGW.0301`',
    arrangement: { kind: 'huawei-unknown-access-key' },
    http: { status: 502, code: 'UPSTREAM_AUTH_FAILED' },
    invokeError: 'UpstreamRejectedError',
    attempts: 2,
    timeBound: { kind: 'immediate' },
    event: 'none',
    note:
      'the secret is re-read once, bypassing the cache, and the request signed and sent once more; ' +
      'never more, since Huawei locks an access key after five failed signatures in a row.',
  },
  {
    id: 'huawei-clock-skew',
    group: 'Huawei API',
    fault: 'Clock skew (`X-Sdk-Date` more than 15 minutes off Huawei’s clock)',
    producedBy: 'the service clock runs 20 minutes ahead of the simulator’s',
    arrangement: { kind: 'service-clock-offset', offsetMs: 20 * 60_000 },
    http: { status: 500, code: 'CLOCK_SKEW' },
    invokeError: 'ClockSkewError',
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'huawei-403',
    group: 'Huawei API',
    fault: 'Huawei 403 (permission missing)',
    producedBy: 'the simulator answers `403 APIGW.0306`',
    arrangement: {
      kind: 'huawei-fault',
      fault: { kind: 'status', status: 403, errorCode: 'APIGW.0306' },
    },
    http: { status: 502, code: 'UPSTREAM_FORBIDDEN' },
    invokeError: 'UpstreamRejectedError',
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'huawei-404-task',
    group: 'Huawei API',
    fault: 'Huawei 404, task unknown',
    producedBy: 'the simulator no longer has the task: `404 DMS.00404060`',
    arrangement: { kind: 'huawei-deleted', what: 'task' },
    http: { status: 404, code: 'TASK_NOT_FOUND' },
    invokeError: 'TaskNotFoundError',
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'huawei-404-instance',
    group: 'Huawei API',
    fault: 'Huawei 404, instance unknown',
    producedBy: 'the simulator no longer has the instance: `404 DMS.00404022`',
    arrangement: { kind: 'huawei-deleted', what: 'instance' },
    http: { status: 404, code: 'INSTANCE_NOT_FOUND' },
    invokeError: 'TaskNotFoundError',
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'huawei-429',
    group: 'Huawei API',
    fault: 'Huawei 429 without `Retry-After`',
    producedBy: 'the simulator answers `429 APIGW.0308`',
    arrangement: { kind: 'huawei-fault', fault: { kind: 'status', status: 429 } },
    http: { status: 503, code: 'UPSTREAM_THROTTLED' },
    invokeError: 'UpstreamThrottledError',
    attempts: 3,
    timeBound: { kind: 'backoff' },
    event: 'none',
  },
  {
    id: 'huawei-429-retry-after-fits',
    group: 'Huawei API',
    fault: 'Huawei 429 with a `Retry-After` that fits the deadline',
    producedBy: 'the simulator answers `429` with `Retry-After: 1`',
    arrangement: {
      kind: 'huawei-fault',
      fault: { kind: 'status', status: 429, retryAfter: '1' },
    },
    http: { status: 503, code: 'UPSTREAM_THROTTLED', retryAfter: '1' },
    invokeError: 'UpstreamThrottledError',
    attempts: 3,
    timeBound: { kind: 'retry-after', seconds: 1 },
    event: 'none',
  },
  {
    id: 'huawei-429-retry-after-too-long',
    group: 'Huawei API',
    fault: 'Huawei 429 with a `Retry-After` beyond the deadline',
    producedBy: 'the simulator answers `429` with `Retry-After: 60`',
    arrangement: {
      kind: 'huawei-fault',
      fault: { kind: 'status', status: 429, retryAfter: '60' },
    },
    http: { status: 503, code: 'UPSTREAM_THROTTLED', retryAfter: '60' },
    invokeError: 'UpstreamThrottledError',
    attempts: 1,
    timeBound: { kind: 'deadline' },
    event: 'none',
    note:
      'waiting 60 s would end after the deadline, so the first 429 is answered at once, passing ' +
      'Huawei’s `Retry-After` on.',
  },
  {
    id: 'huawei-5xx',
    group: 'Huawei API',
    fault: 'Huawei 5xx',
    producedBy: 'the simulator answers `500 APIGW.0201`',
    arrangement: { kind: 'huawei-fault', fault: { kind: 'status', status: 500 } },
    http: { status: 502, code: 'UPSTREAM_UNAVAILABLE' },
    invokeError: 'UpstreamUnavailableError',
    attempts: 3,
    timeBound: { kind: 'backoff' },
    event: 'none',
  },
  {
    id: 'huawei-connection-reset',
    group: 'Huawei API',
    fault: 'Connection reset',
    producedBy: 'the simulator resets the socket (RST) instead of answering',
    arrangement: { kind: 'huawei-fault', fault: { kind: 'reset' } },
    http: { status: 502, code: 'UPSTREAM_UNAVAILABLE' },
    invokeError: 'UpstreamUnavailableError',
    attempts: 3,
    timeBound: { kind: 'backoff' },
    event: 'none',
  },
  {
    id: 'huawei-black-hole',
    group: 'Huawei API',
    fault: 'Black hole (no answer)',
    producedBy: 'the simulator accepts the request and never answers',
    arrangement: { kind: 'huawei-fault', fault: { kind: 'hang' } },
    http: { status: 504, code: 'UPSTREAM_TIMEOUT' },
    invokeError: 'UpstreamTimeoutError',
    attempts: 3,
    timeBound: { kind: 'attempt-timeout' },
    event: 'none',
  },
  {
    id: 'huawei-oversize-body',
    group: 'Huawei API',
    fault: 'Oversize body',
    producedBy: 'the simulator answers `200` with a 2 MiB JSON body (the cap is 1 MiB)',
    arrangement: { kind: 'huawei-fault', fault: { kind: 'oversized', bytes: 2 * 1024 * 1024 } },
    http: { status: 502, code: 'UPSTREAM_CONTRACT_VIOLATION' },
    invokeError: 'UpstreamContractError',
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'huawei-html-body',
    group: 'Huawei API',
    fault: 'HTML body',
    producedBy: 'the simulator answers `200 text/html`',
    arrangement: { kind: 'huawei-fault', fault: { kind: 'html' } },
    http: { status: 502, code: 'UPSTREAM_CONTRACT_VIOLATION' },
    invokeError: 'UpstreamContractError',
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'huawei-redirect',
    group: 'Huawei API',
    fault: 'Redirect (3xx)',
    producedBy: 'the simulator answers `302` to another host',
    arrangement: {
      kind: 'huawei-fault',
      fault: { kind: 'redirect', location: 'http://127.0.0.1:9/elsewhere' },
    },
    http: { status: 502, code: 'UPSTREAM_CONTRACT_VIOLATION' },
    invokeError: 'UpstreamContractError',
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'huawei-malformed-json',
    group: 'Huawei API',
    fault: 'Malformed JSON',
    producedBy: 'the simulator answers `200 application/json` with a truncated object',
    arrangement: { kind: 'huawei-fault', fault: { kind: 'malformed-json' } },
    http: { status: 502, code: 'UPSTREAM_CONTRACT_VIOLATION' },
    invokeError: 'UpstreamContractError',
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'none',
  },
  {
    id: 'dynamodb-unreachable',
    group: 'AWS dependencies',
    fault: 'DynamoDB unreachable',
    producedBy: 'the handlers’ DynamoDB client’s endpoint is a closed loopback port',
    arrangement: { kind: 'aws-endpoint-fails', service: 'dynamoDb', failure: 'connection-refused' },
    http: { status: 503, code: 'DEPENDENCY_UNAVAILABLE' },
    invokeError: 'DependencyUnavailableError',
    attempts: { http: 1, invoke: 0 },
    timeBound: { kind: 'aws-sdk-retries', requests: AWS_ATTEMPTS },
    event: 'none',
    note:
      'in the three DynamoDB rows, HTTP reads the stored status after Huawei’s answer, so Huawei ' +
      'was asked once; direct invoke first writes its idempotency record in the same table, and ' +
      'fails before asking Huawei.',
  },
  {
    id: 'dynamodb-5xx',
    group: 'AWS dependencies',
    fault: 'DynamoDB answers 5xx',
    producedBy: 'the handlers’ DynamoDB client’s endpoint answers `500 InternalFailure`',
    arrangement: { kind: 'aws-endpoint-fails', service: 'dynamoDb', failure: 'server-error' },
    http: { status: 503, code: 'DEPENDENCY_UNAVAILABLE' },
    invokeError: 'DependencyUnavailableError',
    attempts: { http: 1, invoke: 0 },
    timeBound: { kind: 'aws-sdk-retries', requests: AWS_ATTEMPTS },
    event: 'none',
  },
  {
    id: 'dynamodb-black-hole',
    group: 'AWS dependencies',
    fault: 'DynamoDB black hole (no answer)',
    producedBy:
      'the handlers’ DynamoDB client’s endpoint accepts the connection and never answers; ' +
      `${AWS_BLACK_HOLE_REMAINING_MS / 1000} s left`,
    arrangement: { kind: 'aws-endpoint-fails', service: 'dynamoDb', failure: 'black-hole' },
    remainingMs: AWS_BLACK_HOLE_REMAINING_MS,
    http: { status: 503, code: 'DEPENDENCY_UNAVAILABLE' },
    invokeError: 'DependencyUnavailableError',
    attempts: { http: 1, invoke: 0 },
    timeBound: { kind: 'aws-request-timeout', requests: AWS_ATTEMPTS },
    event: 'none',
  },
  {
    id: 'event-bridge-down',
    group: 'AWS dependencies',
    fault: 'EventBridge down',
    producedBy: 'every `PutEvents` of the stream consumer fails until the row ends',
    arrangement: { kind: 'event-bridge-outage' },
    http: { status: 200 },
    attempts: 1,
    timeBound: { kind: 'immediate' },
    event: 'held-in-stream',
    note:
      'observers never call EventBridge: the change is committed to DynamoDB and both calls ' +
      'answer as usual. The table’s stream delivers it to `statusStream`, whose `PutEvents` ' +
      'fail: it answers `batchItemFailures` naming the record, and Lambda’s event source ' +
      'mapping retries from there, for up to 6 hours (README, “During an EventBridge outage”). ' +
      'Once EventBridge answers, the event is published, in order.',
  },
  {
    id: 'deadline-too-short',
    group: 'Time',
    fault: 'Lambda remaining time too short',
    producedBy:
      '1.5 s left when the handler starts: all of it is the reserve kept for after Huawei',
    arrangement: { kind: 'remaining-time', remainingMs: 1_500 },
    http: { status: 504, code: 'UPSTREAM_TIMEOUT' },
    invokeError: 'UpstreamTimeoutError',
    attempts: 0,
    timeBound: { kind: 'deadline' },
    event: 'none',
    note:
      'once the 1.5 s reserve is kept, no time is left for Huawei: no request is sent, and the ' +
      'answer is the timeout.',
  },
];

/** Requests the Huawei simulator received for one entry point. */
export function attemptsOf(row: FaultRow, entry: 'http' | 'invoke'): number {
  return typeof row.attempts === 'number' ? row.attempts : row.attempts[entry];
}
