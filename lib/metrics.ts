import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { HealthCondition } from './health/health-events';

export const METRICS_NAMESPACE = 'HuaweiDmsConnectorStatus';

/** Also the Powertools service name (logs, metrics, traces); POWERTOOLS_SERVICE_NAME overrides. */
export const SERVICE_NAME = 'huawei-dms-connector-status';

/**
 * Every metric this service emits in METRICS_NAMESPACE, each with the `service` dimension (and, for
 * a DimensionedCounter or a single metric, one more: METRIC_DIMENSIONS). The code emits them
 * through these names only, and the dashboard and alarms in serverless.yml are tested against
 * them (test/deploy/template.test.ts), so a chart cannot show a metric nothing emits.
 */
export const METRIC = {
  UpstreamLatency: 'UpstreamLatency',
  UpstreamAttempts: 'UpstreamAttempts',
  UpstreamOutcome: 'UpstreamOutcome',
  StatusChanges: 'StatusChanges',
  StatusCommitConflicts: 'StatusCommitConflicts',
  FailedRequests: 'FailedRequests',
  FailedRequestsByCode: 'FailedRequestsByCode',
  PollTasksChecked: 'PollTasksChecked',
  PollTasksChanged: 'PollTasksChanged',
  PollTasksFailed: 'PollTasksFailed',
  PollCompleted: 'PollCompleted',
  PollTasksWatched: 'PollTasksWatched',
  TasksStuck: 'TasksStuck',
  TasksUnobservable: 'TasksUnobservable',
  HealthEventsSTUCK: 'HealthEventsSTUCK',
  HealthEventsUNOBSERVABLE: 'HealthEventsUNOBSERVABLE',
  HealthEventsOBSERVABLE_AGAIN: 'HealthEventsOBSERVABLE_AGAIN',
  HealthNotAssessed: 'HealthNotAssessed',
  EventsPublished: 'EventsPublished',
  StreamRecordsReturned: 'StreamRecordsReturned',
  StreamRecordsUnpublishable: 'StreamRecordsUnpublishable',
  StatusChangesByStatus: 'StatusChangesByStatus',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The health event committed for each condition is counted under this metric. */
export const HEALTH_EVENT_METRIC: Readonly<Record<HealthCondition, MetricName>> = {
  STUCK: METRIC.HealthEventsSTUCK,
  UNOBSERVABLE: METRIC.HealthEventsUNOBSERVABLE,
  OBSERVABLE_AGAIN: METRIC.HealthEventsOBSERVABLE_AGAIN,
};

/** The dimension, besides `service`, of the metrics that have one. */
export const METRIC_DIMENSIONS = {
  UpstreamOutcome: 'outcome',
  FailedRequestsByCode: 'code',
  StatusChangesByStatus: 'status',
} as const satisfies Partial<Record<MetricName, string>>;

export function createMetrics(serviceName = SERVICE_NAME): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}

/**
 * Counts occurrences per dimension value during an invocation and publishes one metric per value
 * at its end: a poll of thousands of tasks writes a handful of EMF lines, not one per call.
 */
export class DimensionedCounter {
  readonly #counts = new Map<string, number>();
  /**
   * One single-metric emitter per value, kept across invocations: building one (Powertools reads
   * its configuration from the environment each time) cost about a tenth of a warm HTTP request's
   * CPU. The value is a default dimension, which publishing does not clear.
   */
  readonly #emitters = new Map<string, Metrics>();

  constructor(
    private readonly metrics: Metrics,
    private readonly metricName: MetricName,
    private readonly dimension: string,
  ) {}

  add(value: string): void {
    this.#counts.set(value, (this.#counts.get(value) ?? 0) + 1);
  }

  flush(): void {
    for (const [value, count] of this.#counts) {
      this.#emitterFor(value).addMetric(this.metricName, MetricUnit.Count, count);
    }
    this.#counts.clear();
  }

  #emitterFor(value: string): Metrics {
    let emitter = this.#emitters.get(value);
    if (!emitter) {
      emitter = this.metrics.singleMetric();
      emitter.setDefaultDimensions({ [this.dimension]: value });
      this.#emitters.set(value, emitter);
    }
    return emitter;
  }
}
