import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'HuaweiDmsConnectorStatus';

/** Also the Powertools service name (logs, metrics, traces); POWERTOOLS_SERVICE_NAME overrides. */
export const SERVICE_NAME = 'huawei-dms-connector-status';

export function createMetrics(serviceName = SERVICE_NAME): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}

/**
 * Counts occurrences per dimension value during an invocation and publishes one metric per value
 * at its end: a poll of thousands of tasks writes a handful of EMF lines, not one per call.
 */
export class DimensionedCounter {
  readonly #counts = new Map<string, number>();

  constructor(
    private readonly metrics: Metrics,
    private readonly metricName: string,
    private readonly dimension: string,
  ) {}

  add(value: string): void {
    this.#counts.set(value, (this.#counts.get(value) ?? 0) + 1);
  }

  flush(): void {
    for (const [value, count] of this.#counts) {
      const metric = this.metrics.singleMetric();
      metric.addDimension(this.dimension, value);
      metric.addMetric(this.metricName, MetricUnit.Count, count);
    }
    this.#counts.clear();
  }
}
