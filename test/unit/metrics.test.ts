import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DimensionedCounter } from '../../lib/metrics';

function fakeMetrics() {
  const published: { dimensions: Record<string, string>; name: string; value: number }[] = [];
  const metrics = {
    singleMetric: () => {
      const dimensions: Record<string, string> = {};
      return {
        addDimension: (name: string, value: string) => {
          dimensions[name] = value;
        },
        addMetric: (name: string, _unit: string, value: number) => {
          published.push({ dimensions: { ...dimensions }, name, value });
        },
      };
    },
  } as unknown as Metrics;
  return { metrics, published };
}

describe('DimensionedCounter', () => {
  it('publishes one metric per value with its count', () => {
    const { metrics, published } = fakeMetrics();
    const counter = new DimensionedCounter(metrics, 'UpstreamOutcome', 'outcome');
    ['OK', 'OK', 'UPSTREAM_TIMEOUT', 'OK'].forEach((value) => counter.add(value));

    counter.flush();

    expect(published).toEqual([
      { dimensions: { outcome: 'OK' }, name: 'UpstreamOutcome', value: 3 },
      { dimensions: { outcome: 'UPSTREAM_TIMEOUT' }, name: 'UpstreamOutcome', value: 1 },
    ]);
  });

  it('starts from zero after a flush', () => {
    const { metrics, published } = fakeMetrics();
    const counter = new DimensionedCounter(metrics, 'UpstreamOutcome', 'outcome');
    counter.add('OK');
    counter.flush();

    counter.flush();

    expect(published).toHaveLength(1);
  });
});
