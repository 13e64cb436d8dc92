import { Metrics } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'HuaweiDmsConnectorStatus';

export function createMetrics(serviceName = 'huawei-dms-connector-status'): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}
