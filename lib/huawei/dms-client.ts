import type { IncomingHttpHeaders } from 'node:http';
import type { Clock, Random } from '../clock';
import type { AdaptiveRateLimiter } from '../rate-limiter';
import type { UpstreamError } from '../errors';
import {
  ClockSkewError,
  TaskNotFoundError,
  UpstreamContractError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../errors';
import type { Logger } from '@aws-lambda-powertools/logger';
import { encodeRfc3986, signRequest, type HuaweiCredentials, type QueryParams } from './signer';
import type { CredentialsSource } from './secret-credentials';
import type { Admission, SignatureGuard } from './signature-guard';
import { TransportError, type HttpTransport, type TransportResponse } from './http-transport';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly attemptTimeoutMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface DmsClientOptions {
  readonly baseUrl: URL;
  readonly credentials: CredentialsSource;
  readonly transport: HttpTransport;
  readonly clock: Clock;
  readonly random: Random;
  readonly retry: RetryPolicy;
  readonly maxResponseBytes: number;
  /** Paces attempts; told about 429s and successes so it can adapt. */
  readonly rateLimiter?: AdaptiveRateLimiter;
  /** Keeps a rejected AK from being signed with until Huawei locks it. */
  readonly signatureGuard: SignatureGuard;
  readonly logger?: Pick<Logger, 'warn'>;
}

export interface CallOptions {
  /** Epoch ms by which the whole call, retries included, must be over. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

export interface UpstreamResponse {
  readonly body: unknown;
  readonly requestId: string | undefined;
  readonly attempts: number;
  /**
   * When the answered attempt was signed and sent (epoch ms): the answer describes the upstream
   * at some moment after this. Not when the call began: retries, pacing and the signature guard
   * may have held it back.
   */
  readonly sentAt: number;
}

/** Attempts shorter than this are not worth starting: they could only time out. */
const MIN_ATTEMPT_MS = 50;
/** The gateway refuses an `X-Sdk-Date` further than this from its own clock. */
const SDK_DATE_WINDOW_MS = 15 * 60_000;
/** What the `Date` header cannot tell: its whole-second resolution and the time in transit. */
const DATE_HEADER_UNCERTAINTY_MS = 5_000;

export const CLOCK_SKEW_WARNING =
  'This host’s clock differs from Huawei Cloud’s by more than 15 minutes: Huawei refuses every signature until the clock is fixed.';

/** Huawei's code for "the instance does not exist"; any other 404 is about the task. */
const INSTANCE_NOT_FOUND_CODE = 'DMS.00404022';

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 3_000,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
};

/**
 * Signed GETs to the DMS API. Each attempt is signed just before it is sent, so a retry after a
 * wait (or after a frozen Lambda thaws) carries a fresh X-Sdk-Date inside the gateway's window.
 */
export class DmsClient {
  /** Set once the skew has been logged, until Huawei accepts a signature again. */
  #clockSkewLogged = false;

  constructor(private readonly options: DmsClientOptions) {}

  showConnectorTask(
    ref: { projectId: string; instanceId: string; taskId: string },
    call: CallOptions,
  ): Promise<UpstreamResponse> {
    return this.get(
      ref.projectId,
      ['v2', ref.projectId, 'instances', ref.instanceId, 'connector', 'tasks', ref.taskId],
      {},
      call,
    );
  }

  listConnectorTasks(
    ref: { projectId: string; instanceId: string },
    page: { offset: number; limit: number },
    call: CallOptions,
  ): Promise<UpstreamResponse> {
    return this.get(
      ref.projectId,
      ['v2', ref.projectId, 'instances', ref.instanceId, 'connector', 'tasks'],
      { offset: String(page.offset), limit: String(page.limit) },
      call,
    );
  }

  /** ListInstances of the Kafka engine (`engine` is required by the API). */
  listInstances(
    projectId: string,
    page: { offset: number; limit: number },
    call: CallOptions,
  ): Promise<UpstreamResponse> {
    return this.get(
      projectId,
      ['v2', projectId, 'instances'],
      { engine: 'kafka', offset: String(page.offset), limit: String(page.limit) },
      call,
    );
  }

  private async get(
    projectId: string,
    segments: readonly string[],
    query: QueryParams,
    call: CallOptions,
  ): Promise<UpstreamResponse> {
    const { clock, retry } = this.options;
    const path = `/${segments.join('/')}`;
    const url = new URL(this.options.baseUrl);
    url.pathname = `/${segments.map(encodeRfc3986).join('/')}`;
    for (const [key, value] of Object.entries(query)) url.searchParams.append(key, String(value));

    let attempts = 0;
    let authRefreshed = false;
    // Created only when needed: capturing a stack is not free on the hot path.
    let lastError: UpstreamError | undefined;
    while (attempts < retry.maxAttempts + (authRefreshed ? 1 : 0)) {
      // Credentials first: while Secrets Manager is down, no slot of the pace goes to waste.
      const { credentials, admission } = await this.admitted(attempts);
      try {
        const latest = call.deadline - MIN_ATTEMPT_MS;
        const tooSoon = await this.options.rateLimiter?.acquire(latest, call.signal);
        if (tooSoon) {
          // Only a pace that Huawei's 429s slowed down is throttling; out of time (the deadline
          // passed, or a queue at full pace) ends like any other lack of time below.
          if (tooSoon.slowedByThrottling && clock.now() <= latest) {
            throw annotate(new UpstreamThrottledError(Math.ceil(tooSoon.waitMs / 1000)), attempts);
          }
          break;
        }
        const remaining = call.deadline - clock.now();
        if (remaining < MIN_ATTEMPT_MS) break;
        attempts += 1;
        const signedAt = clock.now();
        const headers = signRequest(
          {
            method: 'GET',
            path,
            query,
            headers: {
              host: url.host,
              'content-type': 'application/json',
              'x-project-id': projectId,
            },
          },
          credentials,
          new Date(signedAt),
        );

        let response: TransportResponse;
        try {
          response = await this.options.transport({
            url,
            method: 'GET',
            headers,
            timeoutMs: Math.min(retry.attemptTimeoutMs, remaining),
            maxResponseBytes: this.options.maxResponseBytes,
            ...(call.signal ? { signal: call.signal } : {}),
          });
        } catch (error) {
          admission.inconclusive();
          // Nothing was sent and the same request cannot be built next time: a defect of ours,
          // answered as an internal error at the boundary, not as Huawei being unavailable.
          if (!(error instanceof TransportError) || error.kind === 'invalid-request') throw error;
          if (error.kind === 'too-large') {
            throw annotate(new UpstreamContractError('response body too large', error), attempts);
          }
          if (error.kind === 'aborted') throw annotate(new UpstreamTimeoutError(error), attempts);
          lastError =
            error.kind === 'timeout'
              ? new UpstreamTimeoutError(error)
              : new UpstreamUnavailableError(error);
          await this.backoff(attempts, undefined, call, lastError);
          continue;
        }

        const requestId = upstreamRequestId(response.headers);
        if (response.status === 401) {
          const skewMs = clockSkew(response, signedAt);
          if (skewMs !== undefined) {
            admission.rejected(() => new ClockSkewError(), true);
            this.logClockSkew(skewMs);
            throw annotate(new ClockSkewError(), attempts, requestId);
          }
          admission.rejected(() => new UpstreamRejectedError(401));
        } else if (signatureAuthenticated(response)) {
          admission.accepted();
          this.#clockSkewLogged = false;
        }
        const outcome = classify(response, clock.now(), requestId);
        if (response.status === 429) this.options.rateLimiter?.throttled();
        if (outcome.ok) {
          this.options.rateLimiter?.succeeded();
          return { body: outcome.body, requestId, attempts, sentAt: signedAt };
        }
        if (outcome.error instanceof TaskNotFoundError) {
          outcome.error.sentAt = signedAt;
          throw outcome.error;
        }

        const error = annotate(outcome.error, attempts, requestId);
        if (response.status === 401 && !authRefreshed) {
          // Re-read the secret once (it may have been rotated); never loop: Huawei locks an AK
          // after five failed signatures in a row.
          authRefreshed = true;
          await this.options.credentials.refreshAfterRejection(credentials);
          lastError = error;
          continue;
        }
        if (!outcome.retryable) throw error;
        lastError = error;
        await this.backoff(attempts, outcome.retryAfterMs, call, lastError);
      } finally {
        // Every way out of an attempt that did not hear Huawei's verdict on the signature.
        admission.inconclusive();
      }
    }
    throw annotate(lastError ?? new UpstreamTimeoutError(), attempts);
  }

  /**
   * The credentials to sign with, once the guard lets them out. Tasks that read the credentials
   * before another one's 401 made the secret be re-read still hold the refused ones: they take
   * what the secret holds now.
   */
  private async admitted(
    attempts: number,
  ): Promise<{ credentials: HuaweiCredentials; admission: Admission }> {
    const { credentials: source, signatureGuard } = this.options;
    let credentials = await source.get();
    let verdict = await signatureGuard.admit(credentials.accessKeyId);
    if ('refusal' in verdict) {
      const current = await source.get();
      if (current.accessKeyId !== credentials.accessKeyId) {
        credentials = current;
        verdict = await signatureGuard.admit(credentials.accessKeyId);
      }
    }
    if ('refusal' in verdict) throw annotate(verdict.refusal(), attempts);
    return { credentials, admission: verdict };
  }

  private logClockSkew(skewMs: number): void {
    if (this.#clockSkewLogged) return;
    this.#clockSkewLogged = true;
    this.options.logger?.warn(CLOCK_SKEW_WARNING, { skewSeconds: Math.round(skewMs / 1000) });
  }

  /** Full-jitter exponential backoff, or Retry-After; throws when the wait cannot fit the deadline. */
  private async backoff(
    attempt: number,
    retryAfterMs: number | undefined,
    call: CallOptions,
    lastError: UpstreamError,
  ): Promise<void> {
    const { retry, clock, random } = this.options;
    if (attempt >= retry.maxAttempts) throw annotate(lastError, attempt);
    const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
    const delay = retryAfterMs ?? Math.floor(random() * ceiling);
    if (clock.now() + delay + MIN_ATTEMPT_MS > call.deadline) throw annotate(lastError, attempt);
    try {
      await clock.sleep(delay, call.signal);
    } catch {
      throw annotate(new UpstreamTimeoutError(), attempt);
    }
  }
}

type Outcome =
  | { ok: true; body: unknown }
  | {
      ok: false;
      error: UpstreamError | TaskNotFoundError;
      retryable: boolean;
      retryAfterMs?: number;
    };

function classify(response: TransportResponse, now: number, requestId?: string): Outcome {
  const { status } = response;
  if (status === 200) {
    const contentType = header(response.headers, 'content-type') ?? '';
    if (!/^application\/(.+\+)?json\s*(;|$)/i.test(contentType)) {
      return contractViolation('content type is not JSON');
    }
    try {
      return { ok: true, body: JSON.parse(response.body.toString('utf8')) as unknown };
    } catch {
      return contractViolation('body is not valid JSON');
    }
  }
  if (status === 404) {
    const what = errorCode(response.body) === INSTANCE_NOT_FOUND_CODE ? 'instance' : 'task';
    return { ok: false, error: new TaskNotFoundError(what, requestId), retryable: false };
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(header(response.headers, 'retry-after'), now);
    const throttled = new UpstreamThrottledError(
      retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
    );
    return {
      ok: false,
      error: throttled,
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (status >= 500) return { ok: false, error: new UpstreamUnavailableError(), retryable: true };
  if (status >= 300 && status < 400) return contractViolation(`unexpected redirect (${status})`);
  if (status >= 200 && status < 300) return contractViolation(`unexpected status ${status}`);
  return { ok: false, error: new UpstreamRejectedError(status), retryable: false };
}

/**
 * Whether the answer shows that Huawei authenticated the signature: a success, a refusal of
 * permission (authorization comes after authentication), or an answer of the DMS service behind
 * the gateway. A 5xx, a 429 or a gateway error can be answered before the signature is checked:
 * they say nothing about the AK, which stays as trusted as it was.
 */
function signatureAuthenticated(response: TransportResponse): boolean {
  if ((response.status >= 200 && response.status < 300) || response.status === 403) return true;
  return errorCode(response.body)?.startsWith('DMS.') ?? false;
}

/**
 * How far ahead of Huawei's clock ours was when it signed (negative: behind), by the 401's `Date`
 * header; undefined unless that is far enough to explain the 401 by itself.
 */
function clockSkew(response: TransportResponse, signedAt: number): number | undefined {
  const date = Date.parse(header(response.headers, 'date') ?? '');
  if (Number.isNaN(date)) return undefined;
  const skew = signedAt - date;
  return Math.abs(skew) > SDK_DATE_WINDOW_MS - DATE_HEADER_UNCERTAINTY_MS ? skew : undefined;
}

function contractViolation(reason: string): Outcome {
  return { ok: false, error: new UpstreamContractError(reason), retryable: false };
}

function annotate<E extends UpstreamError>(error: E, attempts: number, requestId?: string): E {
  error.attempts = attempts;
  if (requestId !== undefined) error.upstreamRequestId = requestId;
  return error;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A request id is worth quoting to Huawei support only as a short token; anything else in the
 * header is dropped, since it would reach callers (problem bodies) and log lines verbatim, at a
 * length of the sender's choosing.
 */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

function upstreamRequestId(headers: IncomingHttpHeaders): string | undefined {
  const value = header(headers, 'x-request-id');
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : undefined;
}

/** Reads only Huawei's error code (a short token); the message may contain the AK and is dropped. */
export function errorCode(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      error_code?: unknown;
      error?: { code?: unknown };
    };
    const code = parsed.error_code ?? parsed.error?.code;
    return typeof code === 'string' && /^[A-Za-z]+\.\d+$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Huawei suggests 2-5 s; an hour is beyond any deadline here, so a larger value only has to stay
 * a number that renders as an integer (10^23 would render as `1e+23`).
 */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** Retry-After as delta-seconds or an HTTP date, at most an hour; undefined when unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(MAX_RETRY_AFTER_MS, Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}
