import { BatchingPublisher } from '../../lib/status/batching-publisher';
import type { EventPublisher, PublishOutcome } from '../../lib/status/event-publisher';
import { statusEventId, type StatusChangeDetail } from '../../lib/status/status-event';

const TASK = {
  projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  instanceId: '59f6d088-1b2c-4d5e-8f90-123456789abc',
  taskId: '194917d0-aaaa-4bbb-8ccc-0123456789ab',
};

function detail(sequence: number): StatusChangeDetail {
  return {
    eventId: statusEventId(TASK, sequence),
    sequence,
    ...TASK,
    taskName: null,
    previousStatus: null,
    status: 'RUNNING',
    observedAt: '2026-11-23T12:00:00.000Z',
    task: null,
  };
}

function setup(options: { failing?: ReadonlySet<number>; lingerMs?: number } = {}) {
  const calls: number[][] = [];
  const inner: EventPublisher = {
    publish: (details) => {
      calls.push(details.map((d) => d.sequence));
      const outcome: PublishOutcome = {
        published: details.filter((d) => !options.failing?.has(d.sequence)),
        failed: details.filter((d) => options.failing?.has(d.sequence)),
        calls: 1,
      };
      return Promise.resolve(outcome);
    },
  };
  return { calls, publisher: new BatchingPublisher(inner, options.lingerMs ?? 5) };
}

describe('BatchingPublisher', () => {
  it('sends what concurrent callers publish within the linger time in one call', async () => {
    const { calls, publisher } = setup();

    await Promise.all([publisher.publish([detail(1)]), publisher.publish([detail(2)])]);

    expect(calls).toEqual([[1, 2]]);
  });

  it('sends at once when ten entries are waiting', async () => {
    const { calls, publisher } = setup({ lingerMs: 60_000 });

    await Promise.all(Array.from({ length: 10 }, (_, i) => publisher.publish([detail(i + 1)])));

    expect(calls).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it('gives each caller the outcome of its own entries only', async () => {
    const { publisher } = setup({ failing: new Set([2]) });

    const [first, second] = await Promise.all([
      publisher.publish([detail(1)]),
      publisher.publish([detail(2)]),
    ]);

    expect(first.published.map((d) => d.sequence)).toEqual([1]);
    expect(first.failed).toEqual([]);
    expect(second.published).toEqual([]);
    expect(second.failed.map((d) => d.sequence)).toEqual([2]);
  });

  it('passes a failure of the whole call to every waiting caller', async () => {
    const publisher = new BatchingPublisher(
      { publish: () => Promise.reject(new Error('down')) },
      5,
    );

    const results = await Promise.allSettled([
      publisher.publish([detail(1)]),
      publisher.publish([detail(2)]),
    ]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
