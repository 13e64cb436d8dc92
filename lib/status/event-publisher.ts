import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { Clock } from '../clock';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE, type StatusChangeDetail } from './status-event';

export interface PublishOutcome {
  readonly published: readonly StatusChangeDetail[];
  readonly failed: readonly StatusChangeDetail[];
  /** PutEvents calls made, retries included (reported by the benchmark). */
  readonly calls: number;
}

export interface EventPublisher {
  publish(details: readonly StatusChangeDetail[]): Promise<PublishOutcome>;
}

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_BATCH = 10;

export interface EventBridgePublisherOptions {
  readonly client: EventBridgeClient;
  readonly eventBusName: string;
  readonly clock: Clock;
  /** Rounds of resending only the failed entries before giving up on them. */
  readonly maxAttempts?: number;
  readonly retryDelayMs?: number;
}

/**
 * Publishes in batches of ten. PutEvents answers 200 even when some entries failed
 * (FailedEntryCount > 0): those, and only those, are resent. Whatever still fails is returned,
 * and stays pending in the status table for the next observation to republish with the same id.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(private readonly options: EventBridgePublisherOptions) {}

  async publish(details: readonly StatusChangeDetail[]): Promise<PublishOutcome> {
    const published: StatusChangeDetail[] = [];
    const failed: StatusChangeDetail[] = [];
    let calls = 0;
    for (let start = 0; start < details.length; start += PUT_EVENTS_BATCH) {
      let batch = details.slice(start, start + PUT_EVENTS_BATCH);
      const maxAttempts = this.options.maxAttempts ?? 3;
      for (let attempt = 1; batch.length > 0; attempt++) {
        calls += 1;
        const rejected = await this.send(batch);
        published.push(...batch.filter((detail) => !rejected.has(detail)));
        batch = batch.filter((detail) => rejected.has(detail));
        if (batch.length > 0 && attempt >= maxAttempts) {
          failed.push(...batch);
          break;
        }
        if (batch.length > 0) {
          await this.options.clock.sleep((this.options.retryDelayMs ?? 100) * attempt);
        }
      }
    }
    return { published, failed, calls };
  }

  /** Returns the entries that were not accepted. */
  private async send(batch: readonly StatusChangeDetail[]): Promise<Set<StatusChangeDetail>> {
    const entries: PutEventsRequestEntry[] = batch.map((detail) => ({
      EventBusName: this.options.eventBusName,
      Source: EVENT_SOURCE,
      DetailType: EVENT_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
      Time: new Date(detail.observedAt),
      Resources: [],
    }));
    try {
      const output = await this.options.client.send(new PutEventsCommand({ Entries: entries }));
      if (!output.FailedEntryCount) return new Set();
      // Result entries are positional: the i-th answers the i-th request entry.
      return new Set(
        batch.filter(
          (_, i) => output.Entries?.[i]?.ErrorCode !== undefined || !output.Entries?.[i]?.EventId,
        ),
      );
    } catch {
      return new Set(batch);
    }
  }
}
