import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  EventBridgePublisher,
  PUT_EVENTS_MAX_BYTES,
  PUT_EVENTS_MAX_ENTRIES,
  packRequests,
  putEventsEntrySize,
} from '../../lib/status/event-publisher';
import {
  EVENT_DETAIL_TYPE,
  EVENT_SOURCE,
  type StatusChangeDetail,
} from '../../lib/status/status-event';
import type { TaskRef } from '../../lib/task-ref';
import { FakeClock } from '../support/fake-clock';
import { acceptAll, failing, fakeEventBridge, type Answer } from './fake-event-bridge';
import { OBSERVED_AT, REF, healthDetail, statusDetail } from './status-fixtures';
import {
  OBSERVABLE_AGAIN_DETAIL_TYPE,
  STUCK_DETAIL_TYPE,
  UNOBSERVABLE_DETAIL_TYPE,
} from '../../lib/health/health-events';

describe('putEventsEntrySize', () => {
  it('counts the Time field as 14 bytes', () => {
    const size = putEventsEntrySize({ Time: new Date(OBSERVED_AT) });

    expect(size).toBe(14);
  });

  it('counts nothing for an entry without fields', () => {
    expect(putEventsEntrySize({})).toBe(0);
  });

  it('counts Source, DetailType and Detail by their UTF-8 length', () => {
    const size = putEventsEntrySize({ Source: 'abc', DetailType: 'de', Detail: '{}' });

    expect(size).toBe(7);
  });

  it('counts multibyte characters by their UTF-8 bytes, not UTF-16 units', () => {
    // é: 2 bytes, €: 3 bytes, 😀: 4 bytes (two UTF-16 units).
    const size = putEventsEntrySize({ Source: 'é', DetailType: '€', Detail: '😀' });

    expect(size).toBe(9);
  });

  it('counts each resource', () => {
    const size = putEventsEntrySize({ Resources: ['arn:a', 'arn:bc'] });

    expect(size).toBe(11);
  });

  it('does not count the bus name', () => {
    const size = putEventsEntrySize({ EventBusName: 'status-events', Detail: '{}' });

    expect(size).toBe(2);
  });

  it('adds every part up', () => {
    const entry: PutEventsRequestEntry = {
      Time: new Date(OBSERVED_AT),
      Source: 'src',
      DetailType: 'type',
      Detail: '{"a":"ü"}',
      Resources: ['r'],
    };

    expect(putEventsEntrySize(entry)).toBe(14 + 3 + 4 + 10 + 1);
  });
});

interface Item {
  readonly id: string;
  readonly task: string;
  readonly size: number;
}

function items(count: number, size = 100): Item[] {
  return Array.from({ length: count }, (_, i) => ({ id: `e${i}`, task: `task-${i}`, size }));
}

/** The ids of each request. */
function ids(requests: Item[][]): string[][] {
  return requests.map((request) => request.map((item) => item.id));
}

describe('packRequests', () => {
  it('makes no request of no events', () => {
    expect(packRequests([])).toEqual([]);
  });

  it('keeps ten entries in one request', () => {
    const requests = packRequests(items(PUT_EVENTS_MAX_ENTRIES));

    expect(requests.map((r) => r.length)).toEqual([10]);
  });

  it('starts a new request at the eleventh entry', () => {
    const requests = packRequests(items(21));

    expect(requests.map((r) => r.length)).toEqual([10, 10, 1]);
  });

  it('keeps an entry that brings the request to one byte under 256 KiB', () => {
    const requests = packRequests([
      { id: 'a', task: 'a', size: PUT_EVENTS_MAX_BYTES - 1000 },
      { id: 'b', task: 'b', size: 999 },
    ]);

    expect(ids(requests)).toEqual([['a', 'b']]);
  });

  it('cuts before an entry that would bring the request to 256 KiB (it must stay below)', () => {
    const requests = packRequests([
      { id: 'a', task: 'a', size: PUT_EVENTS_MAX_BYTES - 1000 },
      { id: 'b', task: 'b', size: 1000 },
    ]);

    expect(ids(requests)).toEqual([['a'], ['b']]);
  });

  it('counts the bytes of a new request from zero', () => {
    const requests = packRequests([
      { id: 'a', task: 'a', size: 200_000 },
      { id: 'b', task: 'b', size: 100_000 },
      { id: 'c', task: 'c', size: 100_000 },
      { id: 'd', task: 'd', size: PUT_EVENTS_MAX_BYTES - 200_001 },
    ]);

    expect(ids(requests)).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('sends an entry larger than the limit alone, in a request of its own', () => {
    const requests = packRequests([
      { id: 'big', task: 'a', size: PUT_EVENTS_MAX_BYTES + 1 },
      { id: 'small', task: 'b', size: 10 },
    ]);

    expect(ids(requests)).toEqual([['big'], ['small']]);
  });

  it('cuts before a second event of a task already in the request', () => {
    const requests = packRequests([
      { id: 'a1', task: 'a', size: 10 },
      { id: 'b1', task: 'b', size: 10 },
      { id: 'a2', task: 'a', size: 10 },
    ]);

    expect(ids(requests)).toEqual([['a1', 'b1'], ['a2']]);
  });

  it('forgets the tasks of the previous request after a cut', () => {
    const requests = packRequests([
      { id: 'a1', task: 'a', size: 10 },
      { id: 'b1', task: 'b', size: 10 },
      { id: 'b2', task: 'b', size: 10 },
      { id: 'a2', task: 'a', size: 10 },
    ]);

    expect(ids(requests)).toEqual([
      ['a1', 'b1'],
      ['b2', 'a2'],
    ]);
  });

  it('keeps the events in their order across requests', () => {
    const input = items(25);

    const requests = packRequests(input);

    expect(requests.flat()).toEqual(input);
  });
});

// ---------------------------------------------------------------------------------------------

function setup(
  answers: (Answer | Error)[] = [acceptAll],
  options: { maxAttempts?: number; retryDelayMs?: number } = {},
) {
  const clock = new FakeClock();
  const eventBridge = fakeEventBridge(...answers);
  const publisher = new EventBridgePublisher({
    client: eventBridge.client,
    eventBusName: 'status-events',
    clock,
    ...options,
  });
  return { clock, eventBridge, publisher };
}

/** Distinct tasks, so all of them fit one request. */
function tasks(count: number): TaskRef[] {
  return Array.from({ length: count }, (_, i) => ({
    ...REF,
    taskId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  }));
}

function details(count: number): StatusChangeDetail[] {
  return tasks(count).map((ref) => statusDetail(ref, 1));
}

describe('EventBridgePublisher.publishInOrder', () => {
  it('sends each event as an entry of our source, detail type, bus and observation time', async () => {
    const { eventBridge, publisher } = setup();
    const detail = statusDetail(REF, 2, { status: 'PAUSED' });

    await publisher.publishInOrder([detail]);

    expect(eventBridge.requests).toEqual([
      [
        {
          EventBusName: 'status-events',
          Source: EVENT_SOURCE,
          DetailType: EVENT_DETAIL_TYPE,
          Detail: JSON.stringify(detail),
          Time: new Date(OBSERVED_AT),
          Resources: [],
        },
      ],
    ]);
  });

  it('reports every event delivered after one accepted request', async () => {
    const { eventBridge, publisher } = setup();

    const outcome = await publisher.publishInOrder(details(3));

    expect(outcome).toEqual({ firstUndelivered: undefined, calls: 1 });
    expect(eventBridge.requests).toHaveLength(1);
  });

  it('makes no call for no events', async () => {
    const { eventBridge, publisher } = setup();

    const outcome = await publisher.publishInOrder([]);

    expect(outcome).toEqual({ firstUndelivered: undefined, calls: 0 });
    expect(eventBridge.requests).toEqual([]);
  });

  it('sizes each entry so that no request exceeds 256 KiB', async () => {
    const large = tasks(3).map((ref) => statusDetail(ref, 1, { taskName: 'x'.repeat(100_000) }));
    const { eventBridge, publisher } = setup();

    const outcome = await publisher.publishInOrder(large);

    expect(eventBridge.requests.map((entries) => entries.length)).toEqual([2, 1]);
    expect(outcome).toEqual({ firstUndelivered: undefined, calls: 2 });
  });

  it('resends only the entries that failed', async () => {
    const events = details(3);
    const { eventBridge, publisher } = setup([failing([events[1]!.eventId]), acceptAll]);

    const outcome = await publisher.publishInOrder(events);

    expect(eventBridge.sent()).toEqual([events.map((e) => e.eventId), [events[1]!.eventId]]);
    expect(outcome).toEqual({ firstUndelivered: undefined, calls: 2 });
  });

  it('counts an entry answered without an event id as failed', async () => {
    const events = details(2);
    const noEventId: Answer = () => ({ FailedEntryCount: 1, Entries: [{ EventId: 'id-0' }, {}] });
    const { eventBridge, publisher } = setup([noEventId, acceptAll]);

    await publisher.publishInOrder(events);

    expect(eventBridge.sent()[1]).toEqual([events[1]!.eventId]);
  });

  it('counts an entry answered with an error code as failed, even with an event id', async () => {
    const events = details(2);
    const both: Answer = () => ({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'id-0' }, { EventId: 'id-1', ErrorCode: 'InternalFailure' }],
    });
    const { eventBridge, publisher } = setup([both, acceptAll]);

    await publisher.publishInOrder(events);

    expect(eventBridge.sent()[1]).toEqual([events[1]!.eventId]);
  });

  it('counts every entry as failed when a failed request has no result entries', async () => {
    const events = details(2);
    const { eventBridge, publisher } = setup([() => ({ FailedEntryCount: 2 }), acceptAll]);

    await publisher.publishInOrder(events);

    expect(eventBridge.sent()[1]).toEqual(events.map((e) => e.eventId));
  });

  it('trusts a failed entry count of zero', async () => {
    const { eventBridge, publisher } = setup([() => ({ FailedEntryCount: 0 })]);

    const outcome = await publisher.publishInOrder(details(2));

    expect(outcome).toEqual({ firstUndelivered: undefined, calls: 1 });
    expect(eventBridge.requests).toHaveLength(1);
  });

  it('counts every entry as failed when the call throws', async () => {
    const events = details(2);
    const { eventBridge, publisher } = setup([new Error('socket hang up'), acceptAll]);

    const outcome = await publisher.publishInOrder(events);

    expect(eventBridge.sent()).toEqual([
      events.map((e) => e.eventId),
      events.map((e) => e.eventId),
    ]);
    expect(outcome).toEqual({ firstUndelivered: undefined, calls: 2 });
  });

  it('gives up on a request after three attempts by default', async () => {
    const { eventBridge, publisher } = setup([new Error('down')]);

    const outcome = await publisher.publishInOrder(details(1));

    expect(outcome).toEqual({ firstUndelivered: 0, calls: 3, lastError: 'Error' });
    expect(eventBridge.requests).toHaveLength(3);
  });

  it('makes as many attempts as configured', async () => {
    const { eventBridge, publisher } = setup([new Error('down')], { maxAttempts: 2 });

    await publisher.publishInOrder(details(1));

    expect(eventBridge.requests).toHaveLength(2);
  });

  it('makes a single attempt when configured so, without waiting', async () => {
    const { clock, eventBridge, publisher } = setup([new Error('down')], { maxAttempts: 1 });

    await publisher.publishInOrder(details(1));

    expect(eventBridge.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('waits longer before each retry: 100 ms, then 200 ms by default', async () => {
    const { clock, publisher } = setup([new Error('down')]);

    await publisher.publishInOrder(details(1));

    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('grows the configured retry delay the same way', async () => {
    const { clock, publisher } = setup([new Error('down')], { maxAttempts: 4, retryDelayMs: 7 });

    await publisher.publishInOrder(details(1));

    expect(clock.sleeps).toEqual([7, 14, 21]);
  });

  it('does not wait once a retry succeeds', async () => {
    const { clock, publisher } = setup([new Error('down'), acceptAll]);

    await publisher.publishInOrder(details(1));

    expect(clock.sleeps).toEqual([100]);
  });

  it('names the smallest index among the entries still failing', async () => {
    const events = details(14); // two requests: 0–9, 10–13
    const stillFailing = [events[13]!.eventId, events[11]!.eventId];
    const { publisher } = setup([acceptAll, failing(stillFailing)]);

    const outcome = await publisher.publishInOrder(events);

    expect(outcome).toEqual({ firstUndelivered: 11, calls: 4, lastError: 'InternalFailure' });
  });

  it('sends no later request once a request gave up', async () => {
    const events = details(14);
    const { eventBridge, publisher } = setup([new Error('down')]);

    const outcome = await publisher.publishInOrder(events);

    expect(outcome.firstUndelivered).toBe(0);
    expect(eventBridge.sent().flat()).not.toContain(events[10]!.eventId);
  });

  it("sends a task's next event only after its previous one was accepted", async () => {
    const first = statusDetail(REF, 1);
    const second = statusDetail(REF, 2, { status: 'PAUSED' });
    const { eventBridge, publisher } = setup([failing([first.eventId]), acceptAll]);

    const outcome = await publisher.publishInOrder([first, second]);

    expect(eventBridge.sent()).toEqual([[first.eventId], [first.eventId], [second.eventId]]);
    expect(outcome).toEqual({ firstUndelivered: undefined, calls: 3 });
  });

  it("never sends a task's next event when its previous one could not be delivered", async () => {
    const first = statusDetail(REF, 1);
    const second = statusDetail(REF, 2, { status: 'PAUSED' });
    const { eventBridge, publisher } = setup([failing([first.eventId])]);

    const outcome = await publisher.publishInOrder([first, second]);

    expect(outcome.firstUndelivered).toBe(0);
    expect(eventBridge.sent().flat()).not.toContain(second.eventId);
  });
});

describe('EventBridgePublisher: health events', () => {
  it.each([
    ['STUCK', STUCK_DETAIL_TYPE],
    ['UNOBSERVABLE', UNOBSERVABLE_DETAIL_TYPE],
    ['OBSERVABLE_AGAIN', OBSERVABLE_AGAIN_DETAIL_TYPE],
  ] as const)(
    'sends a %s fact with its own detail type, at its observation time',
    async (condition, type) => {
      const { eventBridge, publisher } = setup();
      const detail = { ...healthDetail(condition), observedAt: '2026-11-23T12:34:56.000Z' };

      await publisher.publishInOrder([detail]);

      expect(eventBridge.requests[0]).toEqual([
        {
          EventBusName: 'status-events',
          Source: EVENT_SOURCE,
          DetailType: type,
          Detail: JSON.stringify(detail),
          Time: new Date('2026-11-23T12:34:56.000Z'),
          Resources: [],
        },
      ]);
    },
  );
});

describe('EventBridgePublisher: failures named for the log', () => {
  it('names a partial failure without entries FailedEntryCount', async () => {
    const { publisher } = setup([() => ({ FailedEntryCount: 1 })], { maxAttempts: 1 });

    const outcome = await publisher.publishInOrder(details(1));

    expect(outcome).toEqual({ firstUndelivered: 0, calls: 1, lastError: 'FailedEntryCount' });
  });

  it('names a failure that carries no name Error', async () => {
    const nameless = Object.assign(new Error('x'), { name: undefined }) as unknown as Error;
    const { publisher } = setup([nameless], { maxAttempts: 1 });

    const outcome = await publisher.publishInOrder(details(1));

    expect(outcome.lastError).toBe('Error');
  });
});

describe('EventBridgePublisher.accepts', () => {
  /** A detail whose PutEvents entry is exactly `size` bytes (its task name is the padding). */
  function detailOfSize(size: number): StatusChangeDetail {
    const base = statusDetail(REF, 1);
    const withName = (pad: number) => ({ ...base, taskName: 'x'.repeat(pad) });
    const unpadded = putEventsEntrySize({
      Source: EVENT_SOURCE,
      DetailType: EVENT_DETAIL_TYPE,
      Detail: JSON.stringify(withName(0)),
      Time: new Date(),
    });
    return withName(size - unpadded);
  }

  it('accepts an event one byte under 256 KiB', () => {
    const { publisher } = setup();

    expect(publisher.accepts(detailOfSize(PUT_EVENTS_MAX_BYTES - 1))).toBe(true);
  });

  it('refuses an event of exactly 256 KiB', () => {
    const { publisher } = setup();

    expect(publisher.accepts(detailOfSize(PUT_EVENTS_MAX_BYTES))).toBe(false);
  });
});
