import type { TaskRef } from '../task-ref';
import { healthEventId, type HealthDetail } from './health-events';

export interface HealthPolicy {
  /** Transitional statuses and how long a task may stay in one; other statuses are never stuck. */
  readonly stuckAfterMs: ReadonlyMap<string, number>;
  /** Failed polls in a row after which a watched task is unobservable. */
  readonly unobservableAfter: number;
}

/** What a task's health item keeps between polls: a few fields, whatever the task's history. */
export interface TaskHealth {
  /** Raised by each write; every write is conditioned on the one it read. */
  readonly revision: number;
  readonly failures: number;
  readonly failingSince: string | null;
  readonly lastErrorCode: string | null;
  /** Set while an Unobservable event stands (its `since`), until an observation succeeds. */
  readonly unobservableSince: string | null;
  /** The `statusSince` of the last stay reported as stuck: the same stay is reported once. */
  readonly stuckSince: string | null;
}

export const HEALTHY: TaskHealth = {
  revision: 0,
  failures: 0,
  failingSince: null,
  lastErrorCode: null,
  unobservableSince: null,
  stuckSince: null,
};

/** What one poll learned of a task. */
export type PollOutcome =
  /** Huawei answered: the task's status and since when (null status: it is gone). */
  | {
      readonly kind: 'observed';
      readonly status: string | null;
      readonly statusSince: string | null;
    }
  | { readonly kind: 'failed'; readonly code: string };

export interface HealthUpdate {
  readonly health: TaskHealth;
  /** The events this write stands for, published from the table's stream. */
  readonly facts: readonly HealthDetail[];
}

/**
 * The task's health after this poll, and what became true; undefined when nothing changed (a
 * healthy task observed again costs no write).
 */
export function assessHealth(
  ref: TaskRef,
  previous: TaskHealth,
  outcome: PollOutcome,
  policy: HealthPolicy,
  now: number,
): HealthUpdate | undefined {
  const observedAt = new Date(now).toISOString();
  const about = { projectId: ref.projectId, instanceId: ref.instanceId, taskId: ref.taskId };
  const facts: HealthDetail[] = [];

  if (outcome.kind === 'failed') {
    const failures = previous.failures + 1;
    const since = previous.failingSince ?? observedAt;
    const reached = failures >= policy.unobservableAfter && previous.unobservableSince === null;
    if (reached) {
      facts.push({
        eventId: healthEventId(ref, 'UNOBSERVABLE', since),
        ...about,
        observedAt,
        condition: 'UNOBSERVABLE',
        since,
        failedPolls: failures,
        lastErrorCode: outcome.code,
      });
    }
    const health: TaskHealth = {
      ...previous,
      revision: previous.revision + 1,
      failures,
      failingSince: since,
      lastErrorCode: outcome.code,
      unobservableSince: reached ? since : previous.unobservableSince,
    };
    return { health, facts };
  }

  let health = previous;
  if (previous.failures > 0) {
    if (previous.unobservableSince !== null) {
      facts.push({
        eventId: healthEventId(ref, 'OBSERVABLE_AGAIN', previous.unobservableSince),
        ...about,
        observedAt,
        condition: 'OBSERVABLE_AGAIN',
        unobservableSince: previous.unobservableSince,
      });
    }
    health = {
      ...health,
      failures: 0,
      failingSince: null,
      lastErrorCode: null,
      unobservableSince: null,
    };
  }

  const stuck = stuckStay(outcome, policy, now);
  if (stuck && previous.stuckSince !== stuck.statusSince) {
    facts.push({
      eventId: healthEventId(ref, 'STUCK', stuck.statusSince),
      ...about,
      observedAt,
      condition: 'STUCK',
      ...stuck,
    });
    health = { ...health, stuckSince: stuck.statusSince };
  }

  if (health === previous) return undefined;
  return { health: { ...health, revision: previous.revision + 1 }, facts };
}

/** The stay in a transitional status this outcome finds past its threshold, if any. */
export function stuckStay(
  outcome: PollOutcome,
  policy: HealthPolicy,
  now: number,
): { status: string; statusSince: string; stuckAfterMs: number } | undefined {
  if (outcome.kind !== 'observed' || outcome.status === null || outcome.statusSince === null) {
    return undefined;
  }
  const { status, statusSince } = outcome;
  const stuckAfterMs = policy.stuckAfterMs.get(status);
  if (stuckAfterMs === undefined || now - Date.parse(statusSince) < stuckAfterMs) return undefined;
  return { status, statusSince, stuckAfterMs };
}
