import { BatchedStatusReads } from '../../lib/status/batched-status-reads';
import { partitionKey, type StoredStatus } from '../../lib/status/status-store';
import type { TaskRef } from '../../lib/task-ref';
import { InMemoryStatusStore } from './in-memory-status-store';
import { REF, statusChange } from './status-fixtures';

const LINGER_MS = 10;

function refs(count: number): TaskRef[] {
  return Array.from({ length: count }, (_, i) => ({
    ...REF,
    taskId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  }));
}

function setup() {
  const store = new InMemoryStatusStore();
  const reads = new BatchedStatusReads(store, LINGER_MS);
  return { store, reads, read: reads.read };
}

/** Lets promise callbacks run without moving the fake timers. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('BatchedStatusReads', () => {
  it('shares one getMany among the reads made within the linger', async () => {
    const { store, read } = setup();
    const [a, b, c] = refs(3) as [TaskRef, TaskRef, TaskRef];

    const pending = Promise.all([read(a), read(b), read(c)]);
    jest.advanceTimersByTime(LINGER_MS);
    await pending;

    expect(store.getManyCalls).toEqual([[a, b, c]]);
  });

  it('waits the whole linger before reading', () => {
    const { store, read } = setup();

    void read(REF);
    jest.advanceTimersByTime(LINGER_MS - 1);

    expect(store.getManyCalls).toEqual([]);
  });

  it('counts the linger from the first read, not the latest', () => {
    const { store, read } = setup();
    const [a, b] = refs(2) as [TaskRef, TaskRef];

    void read(a);
    jest.advanceTimersByTime(LINGER_MS - 1);
    void read(b);
    jest.advanceTimersByTime(1);

    expect(store.getManyCalls).toEqual([[a, b]]);
  });

  it('reads at once when 100 reads are waiting', () => {
    const { store, read } = setup();
    const hundred = refs(100);

    for (const ref of hundred) void read(ref);

    expect(store.getManyCalls).toEqual([hundred]);
  });

  it('keeps waiting with 99 reads', () => {
    const { store, read } = setup();

    for (const ref of refs(99)) void read(ref);

    expect(store.getManyCalls).toEqual([]);
  });

  it('makes no empty read when the linger of a full batch ends', () => {
    const { store, read } = setup();

    for (const ref of refs(100)) void read(ref);
    jest.advanceTimersByTime(LINGER_MS);

    expect(store.getManyCalls).toHaveLength(1);
  });

  it('gives a read after a full batch a linger of its own', () => {
    const { store, read } = setup();
    const [extra] = refs(101).slice(100) as [TaskRef];

    for (const ref of refs(100)) void read(ref);
    void read(extra);
    jest.advanceTimersByTime(LINGER_MS);

    expect(store.getManyCalls.map((call) => call.length)).toEqual([100, 1]);
    expect(store.getManyCalls[1]).toEqual([extra]);
  });

  it('starts a new linger for reads made after a batch went out', () => {
    const { store, read } = setup();
    const [a, b] = refs(2) as [TaskRef, TaskRef];

    void read(a);
    jest.advanceTimersByTime(LINGER_MS);
    void read(b);
    jest.advanceTimersByTime(LINGER_MS);

    expect(store.getManyCalls).toEqual([[a], [b]]);
  });

  it("answers each read with its own task's status", async () => {
    const { store, read } = setup();
    const [a, b] = refs(2) as [TaskRef, TaskRef];
    store.put(a, statusChange({ status: 'RUNNING', version: 2 }));
    store.put(b, statusChange({ status: 'PAUSED', version: 5 }));

    const pending = Promise.all([read(a), read(b)]);
    jest.advanceTimersByTime(LINGER_MS);
    const [statusOfA, statusOfB] = await pending;

    expect(statusOfA).toMatchObject<Partial<StoredStatus>>({ status: 'RUNNING', version: 2 });
    expect(statusOfB).toMatchObject<Partial<StoredStatus>>({ status: 'PAUSED', version: 5 });
  });

  it('answers undefined for a task with no stored status', async () => {
    const { store, read } = setup();
    const [known, unknown] = refs(2) as [TaskRef, TaskRef];
    store.put(known, statusChange());

    const pending = read(unknown);
    jest.advanceTimersByTime(LINGER_MS);

    await expect(pending).resolves.toBeUndefined();
  });

  it('rejects every waiting read when the shared read fails', async () => {
    const { store, read } = setup();
    const failure = new Error('DynamoDB unavailable');
    jest.spyOn(store, 'getMany').mockRejectedValue(failure);
    const outcomes = Promise.allSettled(refs(3).map((ref) => read(ref)));

    jest.advanceTimersByTime(LINGER_MS);

    const reasons = (await outcomes).map((o) =>
      o.status === 'rejected' ? (o.reason as unknown) : 'resolved',
    );
    expect(reasons).toEqual([failure, failure, failure]);
  });

  it('does not answer a read before the shared read', async () => {
    const { read } = setup();
    let answered = false;

    void read(REF).then(() => (answered = true));
    await settle();

    expect(answered).toBe(false);
  });
});

describe('BatchedStatusReads: unreadable items', () => {
  it('fails only the read of an item that could not be read', async () => {
    const [good, bad] = refs(2) as [TaskRef, TaskRef];
    const store = new InMemoryStatusStore();
    store.put(good, statusChange({ status: 'PAUSED' }));
    const unreadable = new Error('unreadable item');
    const getMany = store.getMany.bind(store);
    store.getMany = async (asked) => {
      const found = await getMany(asked);
      found.set(partitionKey(bad), unreadable as never);
      return found;
    };
    const { read } = new BatchedStatusReads(store, LINGER_MS);

    const results = Promise.allSettled([read(good), read(bad)]);
    jest.advanceTimersByTime(LINGER_MS);

    expect(await results).toEqual([
      { status: 'fulfilled', value: expect.objectContaining({ status: 'PAUSED' }) },
      { status: 'rejected', reason: unreadable },
    ]);
  });
});
