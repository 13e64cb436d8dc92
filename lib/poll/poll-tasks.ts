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
import type { TaskCheck, TaskObserver } from '../task-observer';
import { taskKey, type InstanceRef, type TaskRef } from '../task-ref';
import { observeInstance, type InstancePollContext, type PollOutcomes } from './observe-instance';
import { groupNamedTasks, observeNamedTasks, type NamedTasks } from './observe-named-tasks';
import type { InstanceWatch, PollPlan } from './poll-plan';

export interface PollFailure {
  readonly task: string;
  readonly error: string;
  readonly code: string;
}

export interface PollSummary {
  /** Tasks for which Huawei gave an answer (present or gone), on a list page or on their own. */
  readonly checked: number;
  /** Of those, tasks seen on the list pages of watched instances (no request of their own). */
  readonly listed: number;
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
 * Observes every watched task with at most `concurrency` upstream calls in flight: tasks watched
 * one by one through their own ShowConnectorTask (or, several in one instance, through its list
 * pages while that is cheaper: lib/poll/observe-named-tasks.ts), watched instances through their
 * ListConnectorTasks pages (lib/poll/observe-instance.ts). Stored statuses are read after each
 * upstream answer, in shared batches; one failing task or instance never blocks the others; a
 * throttled one is retried later in the same poll (the rate limiter has slowed down meanwhile).
 */
export async function pollTasks(
  plan: PollPlan,
  deps: PollDependencies,
  options: PollOptions,
): Promise<PollResult> {
  const reads = new BatchedStatusReads(deps.store, READ_LINGER_MS);
  const health = options.health
    ? new PollHealth({ ...deps, store: deps.healthStore, policy: options.health }, plan.tasks)
    : undefined;
  const call: CallOptions = {
    deadline: options.deadline,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const tally = new PollTally(health);
  const check = async (ref: TaskRef) => {
    const result = await deps.observer.check(ref, call, reads.read);
    await tally.observed(ref, result);
  };
  const instance: InstancePollContext = {
    observer: deps.observer,
    store: deps.store,
    call,
    read: reads.read,
    health,
    tally,
    check: async (ref) => {
      try {
        await check(ref);
      } catch (error) {
        await tally.failed(taskKey(ref), error, [ref]);
      }
    },
  };
  // Listings first (instances, then named groups): each may hold its worker for several pages.
  const { groups, singles } = groupNamedTasks(plan.tasks);
  const queue: WorkItem[] = [
    ...plan.instances.map((watch) => ({ kind: 'instance' as const, watch, requeues: 0 })),
    ...groups.map((named) => ({ kind: 'named' as const, named, requeues: 0 })),
    ...singles.map((ref) => ({ kind: 'task' as const, ref, requeues: 0 })),
  ];

  // A worker finding the queue empty waits while others are busy: a named group may still hand
  // back tasks that need their own requests.
  let busy = 0;
  const idle: (() => void)[] = [];
  const wakeIdle = () => idle.splice(0).forEach((wake) => wake());
  const run = async (item: WorkItem) => {
    const mayRetry = item.requeues < MAX_THROTTLE_REQUEUES;
    try {
      if (item.kind === 'task') await check(item.ref);
      else if (item.kind === 'named') {
        const own = await observeNamedTasks(item.named, instance, { retryThrottled: mayRetry });
        queue.push(...own.map((ref) => ({ kind: 'task' as const, ref, requeues: 0 })));
      } else await observeInstance(item.watch, instance, { retryThrottled: mayRetry });
    } catch (error) {
      if (error instanceof UpstreamThrottledError && mayRetry) {
        queue.push({ ...item, requeues: item.requeues + 1 });
        return;
      }
      if (item.kind === 'task') await tally.failed(taskKey(item.ref), error, [item.ref]);
      // A listing Huawei refused was already recorded by observeInstance, with its tasks' health;
      // observeNamedTasks throws nothing but a throttled listing it may still retry.
      else
        await tally.failed(
          instanceLabel(item.kind === 'named' ? item.named : item.watch),
          error,
          [],
        );
    }
  };
  const worker = async () => {
    for (;;) {
      const item = queue.shift();
      if (item) {
        busy += 1;
        await run(item).finally(() => {
          busy -= 1;
          wakeIdle();
        });
      } else if (busy > 0) await new Promise<void>((wake) => idle.push(wake));
      else return;
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, queue.length + plan.tasks.length));
  await Promise.all(Array.from({ length: workers }, worker));
  health?.close();
  return tally.result();
}

type WorkItem =
  | { readonly kind: 'task'; readonly ref: TaskRef; readonly requeues: number }
  | { readonly kind: 'named'; readonly named: NamedTasks; readonly requeues: number }
  | { readonly kind: 'instance'; readonly watch: InstanceWatch; readonly requeues: number };

/** How a failed instance appears in a poll summary. */
export function instanceLabel(instance: InstanceRef): string {
  return `${instance.projectId}/${instance.instanceId}/*`;
}

/** A poll's counts, and the health of each task it reached. */
class PollTally implements PollOutcomes {
  #checked = 0;
  #changed = 0;
  #missing = 0;
  #listed = 0;
  #infrastructureFailed = 0;
  readonly #failures: PollFailure[] = [];

  constructor(private readonly health: PollHealth | undefined) {}

  async observed(ref: TaskRef, result: TaskCheck): Promise<void> {
    this.#checked += 1;
    if (result.statusChanged) this.#changed += 1;
    if (result.kind === 'gone') this.#missing += 1;
    await this.health?.record(
      ref,
      result.kind === 'gone'
        ? { kind: 'observed', status: null, statusSince: null }
        : { kind: 'observed', status: result.task.status, statusSince: result.statusSince },
    );
  }

  listed(count: number): void {
    this.#listed += count;
  }

  /**
   * `affected` are the tasks the failure hid from us. Only Huawei's side makes them unobservable:
   * an outage of our own (Secrets Manager, DynamoDB, configuration) is every task's, and has its
   * own alarms.
   */
  async failed(what: string, error: unknown, affected: readonly TaskRef[]): Promise<void> {
    const failure = pollFailure(what, error);
    this.#failures.push(failure);
    if (error instanceof UpstreamError) {
      for (const ref of affected)
        await this.health?.record(ref, { kind: 'failed', code: failure.code });
    }
    if (error instanceof DependencyUnavailableError || error instanceof ConfigurationError) {
      this.#infrastructureFailed += 1;
    }
  }

  result(): PollResult {
    return {
      summary: {
        checked: this.#checked,
        listed: this.#listed,
        stuck: this.health?.counts.stuck ?? 0,
        unobservable: this.health?.counts.unobservable ?? 0,
        changed: this.#changed,
        missing: this.#missing,
        failed: this.#failures.length,
        failures: this.#failures.slice(0, REPORTED_FAILURES),
      },
      infrastructureFailed: this.#infrastructureFailed,
    };
  }
}

export function recordPollMetrics(metrics: Metrics, summary: PollSummary): void {
  metrics.addMetric(METRIC.PollTasksChecked, MetricUnit.Count, summary.checked);
  metrics.addMetric(METRIC.PollTasksChanged, MetricUnit.Count, summary.changed);
  metrics.addMetric(METRIC.PollTasksFailed, MetricUnit.Count, summary.failed);
  metrics.addMetric(METRIC.TasksStuck, MetricUnit.Count, summary.stuck);
  metrics.addMetric(METRIC.TasksUnobservable, MetricUnit.Count, summary.unobservable);
}
