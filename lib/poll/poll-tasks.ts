import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import {
  ConfigurationError,
  DependencyUnavailableError,
  ServiceError,
  UpstreamError,
  UpstreamThrottledError,
} from '../errors';
import type { Clock } from '../clock';
import { PollHealth, type PollHealthDependencies } from '../health/health-tracker';
import type { HealthPolicy } from '../health/task-health';
import { METRIC } from '../metrics';
import type { CallOptions } from '../huawei/dms-client';
import { BatchedStatusReads } from '../status/batched-status-reads';
import type { StatusStore } from '../status/status-store';
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
  /** Tasks past their status's STUCK_AFTER threshold. */
  readonly stuck: number;
  /** Tasks that could not be observed for UNOBSERVABLE_AFTER polls or more in a row. */
  readonly unobservable: number;
  /** Status changes committed by this poll (the stream consumer publishes their events). */
  readonly changed: number;
  /** Watched tasks Huawei does not know (404); a known one is reported once as DELETED. */
  readonly missing: number;
  readonly failed: number;
  /** The first failures, for the log; `failed` counts them all. */
  readonly failures: readonly PollFailure[];
}

export const REPORTED_FAILURES = 20;

export interface PollResult {
  readonly summary: PollSummary;
  /**
   * Failures of our own infrastructure (DynamoDB, Secrets Manager, configuration), all of them:
   * `summary.failures` is a sample, and the poll worker must redeliver a batch that had any.
   */
  readonly infrastructureFailed: number;
}

/** How a failure appears in a poll summary: stable names only, never a message. */
export function pollFailure(task: string, error: unknown): PollFailure {
  return error instanceof ServiceError
    ? { task, error: error.name, code: error.code }
    : { task, error: 'InternalError', code: 'INTERNAL_ERROR' };
}
/** How long a stored-status read waits for others to share its BatchGetItem. */
const READ_LINGER_MS = 5;
/** A throttled task goes back to the end of the queue (the pace has halved) this many times. */
const MAX_THROTTLE_REQUEUES = 2;

export interface PollDependencies {
  readonly observer: TaskObserver;
  readonly store: StatusStore;
  readonly healthStore: PollHealthDependencies['store'];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface PollOptions extends CallOptions {
  readonly concurrency: number;
  /** Tracks each task's health across polls when given (scheduled polls, not ad-hoc reads). */
  readonly health?: HealthPolicy;
}

/**
 * Observes every task with at most `concurrency` upstream calls in flight. Stored statuses are
 * read after each upstream answer, in shared batches; one failing task never blocks the others; a
 * throttled task is retried later in the same poll (the rate limiter has slowed down meanwhile).
 */
export async function pollTasks(
  refs: readonly TaskRef[],
  deps: PollDependencies,
  options: PollOptions,
): Promise<PollResult> {
  const reads = new BatchedStatusReads(deps.store, READ_LINGER_MS);
  const health = options.health
    ? new PollHealth({ ...deps, store: deps.healthStore, policy: options.health }, refs)
    : undefined;
  const call: CallOptions = {
    deadline: options.deadline,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const queue = refs.map((ref) => ({ ref, requeues: 0 }));
  let checked = 0;
  let changed = 0;
  let missing = 0;
  const failures: PollFailure[] = [];
  let infrastructureFailed = 0;

  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      try {
        const result = await deps.observer.check(item.ref, call, reads.read);
        checked += 1;
        if (result.statusChanged) changed += 1;
        if (result.kind === 'gone') missing += 1;
        await health?.record(
          item.ref,
          result.kind === 'gone'
            ? { kind: 'observed', status: null, statusSince: null }
            : { kind: 'observed', status: result.task.status, statusSince: result.statusSince },
        );
      } catch (error) {
        if (error instanceof UpstreamThrottledError && item.requeues < MAX_THROTTLE_REQUEUES) {
          queue.push({ ...item, requeues: item.requeues + 1 });
          continue;
        }
        const failure = pollFailure(taskKey(item.ref), error);
        failures.push(failure);
        // Only Huawei's side makes a task unobservable: an outage of our own (Secrets Manager,
        // DynamoDB, configuration) is every task's, and has its own alarms.
        if (error instanceof UpstreamError) {
          await health?.record(item.ref, { kind: 'failed', code: failure.code });
        }
        if (error instanceof DependencyUnavailableError || error instanceof ConfigurationError) {
          infrastructureFailed += 1;
        }
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, refs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return {
    summary: {
      checked,
      stuck: health?.counts.stuck ?? 0,
      unobservable: health?.counts.unobservable ?? 0,
      changed,
      missing,
      failed: failures.length,
      failures: failures.slice(0, REPORTED_FAILURES),
    },
    infrastructureFailed,
  };
}

export function recordPollMetrics(metrics: Metrics, summary: PollSummary): void {
  metrics.addMetric(METRIC.PollTasksChecked, MetricUnit.Count, summary.checked);
  metrics.addMetric(METRIC.PollTasksChanged, MetricUnit.Count, summary.changed);
  metrics.addMetric(METRIC.PollTasksFailed, MetricUnit.Count, summary.failed);
  metrics.addMetric(METRIC.TasksStuck, MetricUnit.Count, summary.stuck);
  metrics.addMetric(METRIC.TasksUnobservable, MetricUnit.Count, summary.unobservable);
}
