import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Clock } from '../clock';
import { HEALTH_EVENT_METRIC, METRIC } from '../metrics';
import type { TaskRef } from '../task-ref';
import { healthKey, type DynamoDbHealthStore } from './health-store';
import {
  assessHealth,
  stuckStay,
  type HealthPolicy,
  type PollOutcome,
  type TaskHealth,
} from './task-health';

export interface PollHealthDependencies {
  readonly store: Pick<DynamoDbHealthStore, 'getMany' | 'save'>;
  readonly policy: HealthPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What a poll found of its tasks' health, for its summary and the dashboard. */
export interface HealthCounts {
  /** Tasks past their status's STUCK_AFTER threshold at this poll. */
  readonly stuck: number;
  /** Tasks with an Unobservable episode standing after this poll. */
  readonly unobservable: number;
}

/** BatchGetItem's key limit: a full batch goes out at once. */
const MAX_BATCH = 100;
/** How long a partial batch waits for other list pages' tasks to share its BatchGetItem. */
const READ_LINGER_MS = 5;

interface PendingRead {
  readonly ref: TaskRef;
  readonly key: string;
  resolve(health: TaskHealth | Error | undefined): void;
}

/**
 * One poll's view of its tasks' health, kept across polls: read once per poll (in batches, while
 * the poll's first calls are under way, or as list pages name the tasks), each outcome assessed,
 * only what changed written.
 * Health is a by-product of polling: a failure to read or write it is logged and counted, and
 * never fails the task's observation.
 */
export class PollHealth {
  readonly #deps: PollHealthDependencies;
  /** Each task's health as read at this poll, by health key; read once per task. */
  readonly #known = new Map<string, Promise<TaskHealth | Error | undefined>>();
  #pending: PendingRead[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stuck = 0;
  #unobservable = 0;

  constructor(deps: PollHealthDependencies, refs: readonly TaskRef[]) {
    this.#deps = deps;
    this.prefetch(refs);
  }

  /**
   * Starts reading the health of tasks not read yet: those known when the poll starts, then each
   * list page's tasks as the page comes in. Reads go out 100 at a time, or after a few
   * milliseconds with what has come in by then: a page holds 50 tasks, and pages of instances
   * listed side by side arrive close together.
   */
  prefetch(refs: readonly TaskRef[]): void {
    for (const ref of refs) {
      const key = healthKey(ref);
      if (this.#known.has(key)) continue;
      this.#known.set(key, new Promise((resolve) => this.#pending.push({ ref, key, resolve })));
    }
    if (this.#pending.length >= MAX_BATCH) this.#flush();
    else if (this.#pending.length > 0)
      this.#timer ??= setTimeout(() => this.#flush(), READ_LINGER_MS);
  }

  /**
   * Ends the poll's reads: a partial batch still lingering (tasks that failed before they could be
   * assessed) is dropped rather than sent after the invocation returned, when Lambda may freeze
   * it halfway and thaw it in the next one.
   */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const dropped = this.#pending;
    this.#pending = [];
    for (const pending of dropped) pending.resolve(undefined);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    const { store, logger } = this.#deps;
    store.getMany(batch.map((pending) => pending.ref)).then(
      (found) => batch.forEach((pending) => pending.resolve(found.get(pending.key))),
      (error: unknown) => {
        logger.warn('Task health not read; these tasks are not assessed', {
          tasks: batch.length,
          error: nameOf(error),
        });
        const failure = error instanceof Error ? error : new Error(String(error));
        batch.forEach((pending) => pending.resolve(failure));
      },
    );
  }

  get counts(): HealthCounts {
    return { stuck: this.#stuck, unobservable: this.#unobservable };
  }

  async record(ref: TaskRef, outcome: PollOutcome): Promise<void> {
    const { store, policy, clock, logger, metrics } = this.#deps;
    const key = healthKey(ref);
    if (!this.#known.has(key)) this.prefetch([ref]);
    const previous = await this.#known.get(key);
    if (previous === undefined || previous instanceof Error) {
      metrics.addMetric(METRIC.HealthNotAssessed, MetricUnit.Count, 1);
      return;
    }
    const now = clock.now();
    const update = assessHealth(ref, previous, outcome, policy, now);
    const health = update?.health ?? previous;
    if (health.unobservableSince !== null) this.#unobservable += 1;
    if (stuckStay(outcome, policy, now)) this.#stuck += 1;
    if (!update) return;
    try {
      // A lost race leaves the other poll's write: this task is assessed again next poll.
      if (!(await store.save(ref, update, now))) return;
      for (const fact of update.facts) {
        metrics.addMetric(HEALTH_EVENT_METRIC[fact.condition], MetricUnit.Count, 1);
      }
    } catch (error) {
      metrics.addMetric(METRIC.HealthNotAssessed, MetricUnit.Count, 1);
      logger.warn('Task health not recorded', { task: healthKey(ref), error: nameOf(error) });
    }
  }
}

function nameOf(error: unknown): string {
  return (error as { name?: string } | null)?.name ?? 'Error';
}
