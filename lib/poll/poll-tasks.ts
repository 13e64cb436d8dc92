import type { Logger } from '@aws-lambda-powertools/logger';
import { mapSettled } from '../concurrency';
import { ServiceError } from '../errors';
import type { CallOptions } from '../huawei/dms-client';
import type { StatusStore } from '../status/status-store';
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

const REPORTED_FAILURES = 20;

export interface PollDependencies {
  readonly observer: TaskObserver;
  readonly store: StatusStore;
  readonly logger: Logger;
}

/**
 * Observes every task with at most `concurrency` upstream calls in flight. Stored statuses are
 * read in batches first; one failing task never blocks the others.
 */
export async function pollTasks(
  refs: readonly TaskRef[],
  deps: PollDependencies,
  options: { concurrency: number } & CallOptions,
): Promise<PollSummary> {
  const stored = await deps.store.getMany(refs);
  const call: CallOptions = {
    deadline: options.deadline,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const results = await mapSettled(refs, options.concurrency, (ref) =>
    deps.observer.check(ref, call, stored.get(partitionKey(ref)) ?? null),
  );

  let checked = 0;
  let changed = 0;
  let missing = 0;
  const failures: PollFailure[] = [];
  results.forEach((result, index) => {
    if (!result.ok) {
      const error = result.error;
      failures.push({
        task: taskKey(refs[index] as TaskRef),
        error: error instanceof ServiceError ? error.name : 'InternalError',
        code: error instanceof ServiceError ? error.code : 'INTERNAL_ERROR',
      });
      return;
    }
    checked += 1;
    if (result.value.statusChanged) changed += 1;
    if (result.value.kind === 'gone') missing += 1;
  });
  return {
    checked,
    changed,
    missing,
    failed: failures.length,
    failures: failures.slice(0, REPORTED_FAILURES),
  };
}
