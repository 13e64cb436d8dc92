import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Clock } from './clock';
import { normalizeConnectorTask, type ConnectorTask } from './connector-task';
import { ServiceError, TaskNotFoundError, UpstreamError } from './errors';
import type { CallOptions, DmsClient } from './huawei/dms-client';
import type { EventPublisher } from './status/event-publisher';
import { DELETED_STATUS, statusEventId, type StatusChangeDetail } from './status/status-event';
import type { StatusStore, StoredStatus } from './status/status-store';
import type { TaskRef } from './task-ref';
import type { DimensionedCounter } from './metrics';
import type { Tracing } from './tracing';

export interface Observation {
  readonly task: ConnectorTask;
  /** True when this observation recorded a change (and its event); false if unchanged or another observer recorded it first. */
  readonly statusChanged: boolean;
  readonly previousStatus: string | null;
  readonly upstreamRequestId: string | undefined;
}

export interface TaskObserverDependencies {
  readonly dms: DmsClient;
  readonly store: StatusStore;
  readonly publisher: EventPublisher;
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

type Seen =
  | {
      readonly kind: 'present';
      readonly task: ConnectorTask;
      readonly requestId: string | undefined;
    }
  | { readonly kind: 'gone'; readonly error: TaskNotFoundError };

/**
 * The one path every trigger takes: read the task from Huawei, compare with the stored status,
 * commit a change together with its pending event (one conditional write), publish, then clear
 * the pending marker. A crash or a failed publish leaves the marker; the next observation of the
 * task republishes it with the same eventId. Nothing is lost, duplicates share an id.
 */
export class TaskObserver {
  constructor(private readonly deps: TaskObserverDependencies) {}

  /** Observes a task that must exist: a 404 is recorded (see `check`) and then thrown. */
  async observe(
    ref: TaskRef,
    call: CallOptions,
    known?: StoredStatus | null,
  ): Promise<Observation> {
    const checked = await this.check(ref, call, known);
    if (checked.kind === 'gone') throw checked.error;
    return checked;
  }

  /**
   * Observes a task and reports a 404 as an outcome rather than an error (the poller counts it).
   * `known` is the stored status when the caller already read it (batched), null for none.
   */
  async check(ref: TaskRef, call: CallOptions, known?: StoredStatus | null): Promise<TaskCheck> {
    const [seen, stored] = await Promise.all([
      this.look(ref, call),
      known === undefined ? this.deps.store.get(ref) : Promise.resolve(known ?? undefined),
    ]);
    const change = this.decide(ref, seen, stored);

    let pending = stored?.pending ?? [];
    let version = stored?.version;
    let statusChanged = false;
    if (change) {
      statusChanged = await this.deps.store.commitChange(ref, stored?.version, change.next);
      if (statusChanged) {
        pending = change.next.pending;
        version = change.next.version;
        this.deps.metrics.addMetric('StatusChanges', MetricUnit.Count, 1);
      } else {
        // Another observer recorded this change first; publishing it is its job.
        pending = [];
        this.deps.logger.info('Status change already recorded by a concurrent observer', {
          ...ref,
        });
      }
    }
    if (pending.length > 0 && version !== undefined) await this.flush(ref, version, pending);

    const previousStatus = stored?.status ?? null;
    return seen.kind === 'gone'
      ? { kind: 'gone', error: seen.error, statusChanged, previousStatus }
      : {
          kind: 'present',
          task: seen.task,
          statusChanged,
          previousStatus,
          upstreamRequestId: seen.requestId,
        };
  }

  private async look(ref: TaskRef, call: CallOptions): Promise<Seen> {
    const started = this.deps.clock.now();
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
      };
    } catch (error) {
      attempts = error instanceof UpstreamError ? error.attempts : 1;
      outcome = error instanceof ServiceError ? error.code : 'INTERNAL_ERROR';
      if (error instanceof TaskNotFoundError) return { kind: 'gone', error };
      throw error;
    } finally {
      this.recordUpstream(this.deps.clock.now() - started, attempts, outcome);
    }
  }

  private recordUpstream(latencyMs: number, attempts: number, outcome: string): void {
    const { metrics } = this.deps;
    metrics.addMetric('UpstreamLatency', MetricUnit.Milliseconds, latencyMs);
    metrics.addMetric('UpstreamAttempts', MetricUnit.Count, attempts);
    this.deps.upstreamOutcomes.add(outcome);
  }

  /**
   * Policies: a first observation is a change from `null`; a 404 for a known task is one change to
   * DELETED (a 404 for a task never seen records nothing, so typos create no state).
   */
  private decide(
    ref: TaskRef,
    seen: Seen,
    stored: StoredStatus | undefined,
  ): { next: StoredStatus } | undefined {
    const status = seen.kind === 'present' ? seen.task.status : DELETED_STATUS;
    if (seen.kind === 'gone' && (!stored || stored.status === DELETED_STATUS)) return undefined;
    if (stored && stored.status === status) return undefined;

    const sequence = (stored?.version ?? 0) + 1;
    const observedAt = new Date(this.deps.clock.now()).toISOString();
    const taskName = seen.kind === 'present' ? seen.task.name : (stored?.taskName ?? null);
    const detail: StatusChangeDetail = {
      eventId: statusEventId(ref, sequence),
      sequence,
      ...ref,
      taskName,
      previousStatus: stored?.status ?? null,
      status,
      observedAt,
      task: seen.kind === 'present' ? seen.task : null,
    };
    return {
      next: {
        status,
        version: sequence,
        taskName,
        observedAt,
        pending: [...(stored?.pending ?? []), detail],
      },
    };
  }

  private async flush(
    ref: TaskRef,
    version: number,
    pending: readonly StatusChangeDetail[],
  ): Promise<void> {
    const outcome = await this.deps.publisher.publish(pending);
    this.deps.metrics.addMetric('EventsPublished', MetricUnit.Count, outcome.published.length);
    if (outcome.failed.length > 0) {
      this.deps.metrics.addMetric('EventsLeftPending', MetricUnit.Count, outcome.failed.length);
      this.deps.logger.warn('Status change events left pending after publish failures', {
        ...ref,
        pendingEventIds: outcome.failed.map((d) => d.eventId),
      });
    }
    if (outcome.published.length === 0) return;
    const cleared = await this.deps.store.replacePending(ref, version, outcome.failed);
    if (!cleared) {
      this.deps.logger.info('Pending marker kept: the task changed again meanwhile', { ...ref });
    }
  }
}
