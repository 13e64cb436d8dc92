import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Clock } from './clock';
import { normalizeConnectorTask, type ConnectorTask } from './connector-task';
import {
  ObservationInProgressError,
  ServiceError,
  TaskNotFoundError,
  UpstreamContractError,
  UpstreamError,
} from './errors';
import type { CallOptions, DmsClient, UpstreamResponse } from './huawei/dms-client';
import { taskListPages, type TaskListPage } from './huawei/task-list-pages';
import { DELETED_STATUS } from './status/status-event';
import type { StatusChange, StatusStore, StoredStatus } from './status/status-store';
import { taskIdSchema, type InstanceRef, type TaskRef } from './task-ref';
import { METRIC, type DimensionedCounter } from './metrics';
import type { Tracing } from './tracing';

export interface Observation {
  readonly task: ConnectorTask;
  /** True when this observation committed a change; false if unchanged or already recorded. */
  readonly statusChanged: boolean;
  readonly previousStatus: string | null;
  /**
   * When this service first saw the task in its current status (it may have changed earlier:
   * Huawei does not say when); null when the answer is older than the status on record.
   */
  readonly statusSince: string | null;
  readonly upstreamRequestId: string | undefined;
}

export interface TaskObserverDependencies {
  readonly dms: DmsClient;
  readonly store: StatusStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly upstreamOutcomes: DimensionedCounter;
}

export type TaskCheck =
  | ({ readonly kind: 'present' } & Observation)
  | {
      readonly kind: 'gone';
      readonly error: TaskNotFoundError;
      readonly statusChanged: boolean;
      readonly previousStatus: string | null;
    };

/** Reads the stored status after the upstream answer; the poller passes a batching reader. */
export type ReadStoredStatus = (ref: TaskRef) => Promise<StoredStatus | undefined>;

/** A task as one page of ListConnectorTasks showed it: an observation made by that page's request. */
export interface ListedTask {
  readonly ref: TaskRef;
  readonly task: ConnectorTask;
  /** The page request's times: the entity describes the task somewhere between the two. */
  readonly lookedAt: number;
  readonly answeredAt: number;
  readonly upstreamRequestId: string | undefined;
}

/**
 * The entity at `index` of a list page, normalized with the ShowConnectorTask schema (list
 * entities carry the same fields). Its id must be one we accept, since it becomes the task's key.
 * Throws `UpstreamContractError` naming the entity's offset in the listing, with the page's
 * request id; whether one bad entity spoils the whole listing is the caller's decision.
 */
export function listedTask(instance: InstanceRef, page: TaskListPage, index: number): ListedTask {
  try {
    const task = normalizeConnectorTask(page.entities[index], 'the task');
    if (!taskIdSchema.safeParse(task.id).success) {
      throw new UpstreamContractError('the task id is not a lowercase UUID');
    }
    return {
      ref: { ...instance, taskId: task.id },
      task,
      lookedAt: page.lookedAt,
      answeredAt: page.answeredAt,
      upstreamRequestId: page.requestId,
    };
  } catch (error) {
    if (!(error instanceof UpstreamContractError)) throw error;
    const located = new UpstreamContractError(
      `task list offset ${page.offset + index}: ${error.reason}`,
      error,
    );
    located.upstreamRequestId = page.requestId;
    throw located;
  }
}

/** What Huawei answered, and when: the answer describes the task between the two times. */
type Seen = { readonly lookedAt: number; readonly answeredAt: number } & (
  | {
      readonly kind: 'present';
      readonly task: ConnectorTask;
      readonly requestId: string | undefined;
    }
  | { readonly kind: 'gone'; readonly error: TaskNotFoundError }
);

/**
 * Rounds of "lost the conditional write, re-read, decide again" before giving up: each lost round
 * means another observer committed a change of this very task meanwhile.
 */
export const MAX_COMMIT_ATTEMPTS = 5;

/**
 * The one path every trigger takes: read the task from Huawei (its ShowConnectorTask, or its entry
 * on a ListConnectorTasks page), then read the stored status
 * (after the answer, so the decision rests on the latest committed fact), and commit a change as
 * version + 1 with a conditional write. A lost write means someone else committed: re-read and
 * decide again, so a different status seen by a concurrent observer is never assumed to be ours.
 * An answer that is older than the stored one (Huawei answered us before the observation that
 * committed it even asked) changes nothing: it would record a transition back in time.
 * Publishing is not done here: the table's stream carries each committed change to the consumer
 * (lib/status/status-stream.ts), so a read never waits for, or fails because of, EventBridge.
 */
export class TaskObserver {
  constructor(private readonly deps: TaskObserverDependencies) {}

  /** Observes a task that must exist: a 404 is recorded (see `check`) and then thrown. */
  async observe(ref: TaskRef, call: CallOptions): Promise<Observation> {
    const checked = await this.check(ref, call);
    if (checked.kind === 'gone') throw checked.error;
    return checked;
  }

  /** Observes a task and reports a 404 as an outcome rather than an error (the poller counts it). */
  async check(
    ref: TaskRef,
    call: CallOptions,
    read: ReadStoredStatus = (r) => this.deps.store.get(r),
  ): Promise<TaskCheck> {
    const seen = await this.look(ref, call);
    const { statusChanged, previousStatus, statusSince } = await this.record(ref, seen, read);
    return seen.kind === 'gone'
      ? { kind: 'gone', error: seen.error, statusChanged, previousStatus }
      : {
          kind: 'present',
          task: seen.task,
          statusChanged,
          previousStatus,
          statusSince,
          upstreamRequestId: seen.requestId,
        };
  }

  /**
   * The pages of the instance's ListConnectorTasks, in order, each request measured and traced
   * like `check`'s ShowConnectorTask call. Entities are not validated here: see `listedTask`.
   */
  listPages(instance: InstanceRef, call: CallOptions): AsyncGenerator<TaskListPage, void> {
    return taskListPages((page) => this.lookAtPage(instance, page, call), this.deps.clock);
  }

  /**
   * Records what a list page showed of one task: the same read, decision and conditional commit
   * as `check`, with the page request's times in place of a ShowConnectorTask call of its own.
   */
  async observeListed(
    listed: ListedTask,
    read: ReadStoredStatus = (r) => this.deps.store.get(r),
  ): Promise<Observation> {
    const seen: Seen = {
      kind: 'present',
      task: listed.task,
      requestId: listed.upstreamRequestId,
      lookedAt: listed.lookedAt,
      answeredAt: listed.answeredAt,
    };
    return {
      task: listed.task,
      ...(await this.record(listed.ref, seen, read)),
      upstreamRequestId: listed.upstreamRequestId,
    };
  }

  /** Reads the stored status (after the answer), decides, and commits; re-decides a lost write. */
  private async record(
    ref: TaskRef,
    seen: Seen,
    read: ReadStoredStatus,
  ): Promise<Pick<Observation, 'statusChanged' | 'previousStatus' | 'statusSince'>> {
    let stored = await read(ref);
    let committed: StatusChange | undefined;
    for (let attempt = 1; ; attempt++) {
      const change = this.decide(seen, stored);
      if (!change) break;
      if (await this.deps.store.commitChange(ref, change)) {
        committed = change;
        this.deps.metrics.addMetric(METRIC.StatusChanges, MetricUnit.Count, 1);
        break;
      }
      if (attempt === MAX_COMMIT_ATTEMPTS) {
        throw new ObservationInProgressError(
          'Other observers kept recording changes of this task; retry shortly.',
        );
      }
      this.deps.metrics.addMetric(METRIC.StatusCommitConflicts, MetricUnit.Count, 1);
      stored = await this.deps.store.get(ref);
    }
    const seenStatus = seen.kind === 'present' ? seen.task.status : DELETED_STATUS;
    return {
      statusChanged: committed !== undefined,
      previousStatus: stored?.status ?? null,
      statusSince:
        committed?.observedAt ?? (stored?.status === seenStatus ? stored.observedAt : null),
    };
  }

  private async look(ref: TaskRef, call: CallOptions): Promise<Seen> {
    const started = this.deps.clock.now();
    // The answer describes the task after its own request was sent, not after this look began.
    const when = (sentAt: number | undefined) => ({
      lookedAt: sentAt ?? started,
      answeredAt: this.deps.clock.now(),
    });
    let attempts = 0;
    let outcome = 'OK';
    try {
      const response = await this.deps.tracing.traced(
        'Huawei DMS ShowConnectorTask',
        { taskId: ref.taskId },
        () => this.deps.dms.showConnectorTask(ref, call),
      );
      attempts = response.attempts;
      return {
        kind: 'present',
        task: normalizeConnectorTask(response.body),
        requestId: response.requestId,
        ...when(response.sentAt),
      };
    } catch (error) {
      // A body that breaks the contract arrives after the attempts were counted: keep that count.
      attempts ||= error instanceof UpstreamError ? error.attempts : 1;
      outcome = error instanceof ServiceError ? error.code : 'INTERNAL_ERROR';
      if (error instanceof TaskNotFoundError) return { kind: 'gone', error, ...when(error.sentAt) };
      throw error;
    } finally {
      this.recordUpstream(this.deps.clock.now() - started, attempts, outcome);
    }
  }

  private async lookAtPage(
    instance: InstanceRef,
    page: { offset: number; limit: number },
    call: CallOptions,
  ): Promise<UpstreamResponse> {
    const started = this.deps.clock.now();
    let attempts = 0;
    let outcome = 'OK';
    try {
      const response = await this.deps.tracing.traced(
        'Huawei DMS ListConnectorTasks',
        { instanceId: instance.instanceId, offset: String(page.offset) },
        () => this.deps.dms.listConnectorTasks(instance, page, call),
      );
      attempts = response.attempts;
      return response;
    } catch (error) {
      attempts = error instanceof UpstreamError ? error.attempts : 1;
      outcome = error instanceof ServiceError ? error.code : 'INTERNAL_ERROR';
      throw error;
    } finally {
      this.recordUpstream(this.deps.clock.now() - started, attempts, outcome);
    }
  }

  private recordUpstream(latencyMs: number, attempts: number, outcome: string): void {
    const { metrics } = this.deps;
    metrics.addMetric(METRIC.UpstreamLatency, MetricUnit.Milliseconds, latencyMs);
    metrics.addMetric(METRIC.UpstreamAttempts, MetricUnit.Count, attempts);
    this.deps.upstreamOutcomes.add(outcome);
  }

  /**
   * Policies: a first observation is a change from `null`; a 404 for a known task is one change to
   * DELETED (a 404 for a task never seen records nothing, so typos create no state).
   */
  private decide(seen: Seen, stored: StoredStatus | undefined): StatusChange | undefined {
    const status = seen.kind === 'present' ? seen.task.status : DELETED_STATUS;
    if (seen.kind === 'gone' && !stored) return undefined;
    if (stored && stored.status === status) return undefined;
    if (stored?.lookedAt !== undefined && stored.lookedAt > seen.answeredAt) return undefined;
    return {
      status,
      version: (stored?.version ?? 0) + 1,
      taskName: seen.kind === 'present' ? seen.task.name : (stored?.taskName ?? null),
      observedAt: new Date(this.deps.clock.now()).toISOString(),
      lookedAt: seen.lookedAt,
      previousStatus: stored?.status ?? null,
      task: seen.kind === 'present' ? seen.task : null,
    };
  }
}
