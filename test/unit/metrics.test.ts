import { Metrics } from '@aws-lambda-powertools/metrics';
import { DimensionedCounter } from '../../lib/metrics';

/** What Powertools writes: the EMF lines, parsed. */
function emfLines(write: jest.SpyInstance): Record<string, unknown>[] {
  return write.mock.calls
    .map(([chunk]) => String(chunk))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Each published metric as its dimensions, name and value. */
function published(lines: Record<string, unknown>[]) {
  return lines.map((line) => {
    const directive = (
      line._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }
    ).CloudWatchMetrics[0]!;
    const name = directive.Metrics[0]!.Name;
    const dimensions = Object.fromEntries(directive.Dimensions[0]!.map((d) => [d, line[d]]));
    return { dimensions, name, value: line[name] };
  });
}

describe('DimensionedCounter', () => {
  let write: jest.SpyInstance;
  beforeEach(() => {
    write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => write.mockRestore());

  const counterOf = () =>
    new DimensionedCounter(
      new Metrics({ namespace: 'Test', serviceName: 'svc' }),
      'UpstreamOutcome',
      'outcome',
    );

  it('publishes one metric per value with its count, beside the service dimension', () => {
    const counter = counterOf();
    ['OK', 'OK', 'UPSTREAM_TIMEOUT', 'OK'].forEach((value) => counter.add(value));

    counter.flush();

    expect(published(emfLines(write))).toEqual([
      { dimensions: { service: 'svc', outcome: 'OK' }, name: 'UpstreamOutcome', value: 3 },
      {
        dimensions: { service: 'svc', outcome: 'UPSTREAM_TIMEOUT' },
        name: 'UpstreamOutcome',
        value: 1,
      },
    ]);
  });

  it('starts from zero after a flush', () => {
    const counter = counterOf();
    counter.add('OK');
    counter.flush();

    counter.flush();

    expect(emfLines(write)).toHaveLength(1);
  });

  it('keeps the dimension on later flushes, when the emitter of a value is reused', () => {
    const counter = counterOf();
    counter.add('OK');
    counter.flush();
    counter.add('OK');
    counter.add('OK');

    counter.flush();

    expect(published(emfLines(write))).toEqual([
      { dimensions: { service: 'svc', outcome: 'OK' }, name: 'UpstreamOutcome', value: 1 },
      { dimensions: { service: 'svc', outcome: 'OK' }, name: 'UpstreamOutcome', value: 2 },
    ]);
  });
});
