import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { ServiceError, UpstreamThrottledError } from '../errors';
import type { CallOptions } from '../huawei/dms-client';
import type { StatusStore, StoredStatus } from '../status/status-store';
import { partitionKey } from '../status/status-store';
import type { TaskObserver } from '../task-observer';
import { taskKey, type TaskRef } from '../task-ref';

export interface PollFailure {
  readonly task: string;
  readonly error: string;
  readonly code: string;
}

export interface PollSummary {
  /** Tasks for which Huawei gave an answer (present or gone). */
  readonly checked: number;
  /** Status changes recorded (and published or left pending) by this poll. */
  readonly changed: number;
  /** Watched tasks Huawei does not know (404); a known one is reported once as DELETED. */
  readonly missing: number;
  readonly failed: number;
  /** The first failures, for the log; `failed` counts them all. */
  readonly failures: readonly PollFailure[];
}

export const REPORTED_FAILURES = 20;

/** How a failure appears in a poll summary: stable names only, never a message. */
export function pollFailure(task: string, error: unknown): PollFailure {
  return error instanceof ServiceError
    ? { task, error: error.name, code: error.code }
    : { task, error: 'InternalError', code: 'INTERNAL_ERROR' };
}
/** Stored statuses are read this many at a time (BatchGetItem's limit)… */
const STATE_CHUNK = 100;
/** …and this many chunks ahead of the workers, so reads never stall the upstream calls. */
const STATE_LOOKAHEAD = 2;
/** A throttled task goes back to the end of the queue (the pace has halved) this many times. */
const MAX_THROTTLE_REQUEUES = 2;

export interface PollDependencies {
  readonly observer: TaskObserver;
  readonly store: StatusStore;
  readonly logger: Logger;
}

export interface PollOptions extends CallOptions {
  readonly concurrency: number;
}

/**
 * Observes every task with at most `concurrency` upstream calls in flight. Stored statuses are
 * read in batches ahead of need; one failing task never blocks the others; a throttled task is
 * retried later in the same poll (the rate limiter has slowed down meanwhile).
 */
export async function pollTasks(
  refs: readonly TaskRef[],
  deps: PollDependencies,
  options: PollOptions,
): Promise<PollSummary> {
  const states = new StatePrefetcher(deps.store, refs);
  const call: CallOptions = {
    deadline: options.deadline,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const queue = refs.map((ref, index) => ({ ref, index, requeues: 0 }));
  let checked = 0;
  let changed = 0;
  let missing = 0;
  const failures: PollFailure[] = [];

  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      try {
        const result = await deps.observer.check(item.ref, call, await states.get(item.index));
        checked += 1;
        if (result.statusChanged) changed += 1;
        if (result.kind === 'gone') missing += 1;
      } catch (error) {
        if (error instanceof UpstreamThrottledError && item.requeues < MAX_THROTTLE_REQUEUES) {
          queue.push({ ...item, requeues: item.requeues + 1 });
          continue;
        }
        failures.push(pollFailure(taskKey(item.ref), error));
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, refs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return {
    checked,
    changed,
    missing,
    failed: failures.length,
    failures: failures.slice(0, REPORTED_FAILURES),
  };
}

/** Reads stored statuses in BatchGetItem-sized chunks, a couple of chunks ahead of the workers. */
class StatePrefetcher {
  readonly #chunks = new Map<number, Promise<Map<string, StoredStatus>>>();

  constructor(
    private readonly store: StatusStore,
    private readonly refs: readonly TaskRef[],
  ) {}

  async get(index: number): Promise<StoredStatus | null> {
    const chunk = Math.floor(index / STATE_CHUNK);
    for (let ahead = 1; ahead <= STATE_LOOKAHEAD; ahead++)
      void this.load(chunk + ahead).catch(() => undefined);
    const states = await this.load(chunk);
    return states.get(partitionKey(this.refs[index] as TaskRef)) ?? null;
  }

  private load(chunk: number): Promise<Map<string, StoredStatus>> {
    let loading = this.#chunks.get(chunk);
    if (!loading) {
      const start = chunk * STATE_CHUNK;
      loading =
        start < this.refs.length
          ? this.store.getMany(this.refs.slice(start, start + STATE_CHUNK))
          : Promise.resolve(new Map());
      this.#chunks.set(chunk, loading);
    }
    return loading;
  }
}

export function recordPollMetrics(metrics: Metrics, summary: PollSummary): void {
  metrics.addMetric('PollTasksChecked', MetricUnit.Count, summary.checked);
  metrics.addMetric('PollTasksChanged', MetricUnit.Count, summary.changed);
  metrics.addMetric('PollTasksFailed', MetricUnit.Count, summary.failed);
}
