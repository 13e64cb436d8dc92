import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { Clock } from '../clock';
import { taskKey } from '../task-ref';
import { HEALTH_DETAIL_TYPES, type HealthDetail } from '../health/health-events';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE, type StatusChangeDetail } from './status-event';

/** What the consumer publishes: status changes, and the health facts derived from polls. */
export type PublishedDetail = StatusChangeDetail | HealthDetail;

/** PutEvents takes at most 10 entries… */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** …and less than 256 KB of entries per request, sized as `putEventsEntrySize` does. */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

export interface PublishOutcome {
  /** Index (in the input) of the first event not known to be delivered; undefined when all were. */
  readonly firstUndelivered: number | undefined;
  /** PutEvents calls made, retries included. */
  readonly calls: number;
  /** The error name or entry error code of the last failure, for the log; never its message. */
  readonly lastError?: string;
}

export interface EventBridgePublisherOptions {
  readonly client: EventBridgeClient;
  readonly eventBusName: string;
  readonly clock: Clock;
  /** Rounds of resending only the failed entries of a request before giving up on them. */
  readonly maxAttempts?: number;
  readonly retryDelayMs?: number;
}

/**
 * EventBridge's own sizing of an entry (its "Calculating PutEvents event entry size"): the Time
 * field counts 14 bytes, Source, DetailType, Detail and each Resource their UTF-8 length.
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text !== undefined) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
}

interface Pending {
  readonly index: number;
  readonly task: string;
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
}

/**
 * Publishes events in the order given, in requests within PutEvents' limits that
 * hold at most one event per task: an event is only sent once every earlier event of its task
 * has been accepted, so each task's events leave in sequence order. PutEvents answers 200 even
 * when some entries failed (FailedEntryCount > 0): those, and only those, are resent. When a
 * request still has failures after its retries, publishing stops there and the caller learns the
 * first undelivered event (the stream consumer hands it back to the event source mapping).
 */
export class EventBridgePublisher {
  constructor(private readonly options: EventBridgePublisherOptions) {}

  /** Whether the event fits a PutEvents request at all (EventBridge refuses an entry ≥ 256 KB). */
  accepts(detail: PublishedDetail): boolean {
    return this.entry(detail, 0).size < PUT_EVENTS_MAX_BYTES;
  }

  async publishInOrder(details: readonly PublishedDetail[]): Promise<PublishOutcome> {
    let calls = 0;
    let lastError: string | undefined;
    const entries = details.map((detail, index) => this.entry(detail, index));
    for (const request of packRequests(entries)) {
      let unsent = request;
      for (let attempt = 1; unsent.length > 0; attempt++) {
        calls += 1;
        const { rejected, error } = await this.send(unsent);
        unsent = unsent.filter((item) => rejected.has(item));
        if (unsent.length === 0) break;
        lastError = error;
        if (attempt >= (this.options.maxAttempts ?? 3)) {
          return {
            firstUndelivered: Math.min(...unsent.map((item) => item.index)),
            calls,
            lastError,
          };
        }
        await this.options.clock.sleep((this.options.retryDelayMs ?? 100) * attempt);
      }
    }
    return { firstUndelivered: undefined, calls };
  }

  private entry(detail: PublishedDetail, index: number): Pending {
    const entry: PutEventsRequestEntry = {
      EventBusName: this.options.eventBusName,
      Source: EVENT_SOURCE,
      DetailType: 'condition' in detail ? HEALTH_DETAIL_TYPES[detail.condition] : EVENT_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
      Time: new Date(detail.observedAt),
      Resources: [],
    };
    return { index, task: taskKey(detail), entry, size: putEventsEntrySize(entry) };
  }

  /** Returns the items whose entries were not accepted, and why (a name or code only). */
  private async send(
    items: readonly Pending[],
  ): Promise<{ rejected: Set<Pending>; error?: string }> {
    try {
      const output = await this.options.client.send(
        new PutEventsCommand({ Entries: items.map((item) => item.entry) }),
      );
      if (!output.FailedEntryCount) return { rejected: new Set() };
      // Result entries are positional: the i-th answers the i-th request entry.
      const failed = (i: number) =>
        output.Entries?.[i]?.ErrorCode !== undefined || !output.Entries?.[i]?.EventId;
      const code = output.Entries?.find((entry) => entry.ErrorCode)?.ErrorCode;
      return {
        rejected: new Set(items.filter((_, i) => failed(i))),
        error: code ?? 'FailedEntryCount',
      };
    } catch (error) {
      return { rejected: new Set(items), error: (error as { name?: string }).name ?? 'Error' };
    }
  }
}

/**
 * Cuts the events, in order, into requests: a request ends before the entry that would make it
 * exceed ten entries or 256 KB, or that belongs to a task already in it.
 */
export function packRequests<T extends { task: string; size: number }>(items: readonly T[]): T[][] {
  const requests: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  const tasks = new Set<string>();
  for (const item of items) {
    const full =
      current.length === PUT_EVENTS_MAX_ENTRIES ||
      bytes + item.size >= PUT_EVENTS_MAX_BYTES ||
      tasks.has(item.task);
    if (full && current.length > 0) {
      requests.push(current);
      current = [];
      bytes = 0;
      tasks.clear();
    }
    current.push(item);
    bytes += item.size;
    tasks.add(item.task);
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
