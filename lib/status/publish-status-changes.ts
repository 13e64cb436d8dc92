import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { boundaryErrors } from '../boundary-error';
import { InvalidRequestError } from '../errors';
import { lambdaHandler } from '../lambda-handler';
import { DimensionedCounter, METRIC, METRIC_DIMENSIONS } from '../metrics';
import type { PublishOutcome, PublishedDetail } from './event-publisher';
import type { StatusChangeDetail } from './status-event';
import { readStreamRecord, sequenceNumberOf } from './status-stream';
import type { StreamConsumerContainer } from './stream-consumer-container';

export type StatusStreamHandler = middy.MiddyfiedHandler<
  DynamoDBStreamEvent,
  DynamoDBBatchResponse,
  Error,
  Context
>;

/** What the failure queue receives for a record that can never become an event. */
export interface UnpublishableRecordMessage {
  readonly kind: 'unpublishable-status-record';
  readonly problem: string;
  readonly eventSourceArn: string | undefined;
  readonly sequenceNumber: string | undefined;
  readonly keys: unknown;
}

/**
 * The table's stream, delivered by Lambda's event source mapping (one shard's records in order),
 * becomes EventBridge events, also in order per task. Only undelivered records go back: the
 * response names the first one not delivered and the mapping retries from there (its bounded
 * retries end in the on-failure queue). A record that can never become an event goes to the same
 * queue with its position, instead of blocking the shard for all other tasks.
 */
export function createStatusStreamHandler(container: StreamConsumerContainer): StatusStreamHandler {
  const { logger, metrics, publisher } = container;
  return lambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(container)
    .use(boundaryErrors<DynamoDBStreamEvent, DynamoDBBatchResponse>(logger, metrics))
    .handler(async (event) => {
      if (!Array.isArray(event?.Records)) {
        throw new InvalidRequestError('Not a DynamoDB stream event: Records is missing.');
      }
      const records: readonly unknown[] = event.Records;
      const committed: { index: number; detail: StatusChangeDetail }[] = [];
      const changes: { index: number; detail: PublishedDetail; status?: string }[] = [];
      const unpublishable: { index: number; problem: string }[] = [];
      for (const [index, record] of records.entries()) {
        const meaning = readStreamRecord(record);
        if (meaning.kind === 'unpublishable') unpublishable.push({ index, ...meaning });
        if (meaning.kind === 'health') {
          for (const detail of meaning.details) changes.push({ index, detail });
        }
        if (meaning.kind !== 'change') continue;
        committed.push({ index, detail: meaning.detail });
        if (publisher.accepts(meaning.detail)) {
          changes.push({ index, detail: meaning.detail, status: meaning.detail.status });
        } else {
          unpublishable.push({ index, problem: 'the event is larger than PutEvents accepts' });
        }
      }

      // History first: whoever reacts to an event finds the change in the history already.
      const recorded = await recordHistory(container, committed);
      const outcome: PublishOutcome = recorded
        ? await publisher.publishInOrder(changes.map((change) => change.detail))
        : { firstUndelivered: 0, calls: 0, lastError: 'StatusHistoryNotRecorded' };
      // Without the history nothing is published: the batch comes back from its first record
      // that has a change to record or an event to publish.
      let stopAt = !recorded
        ? Math.min(committed[0]!.index, changes[0]?.index ?? records.length)
        : outcome.firstUndelivered === undefined
          ? records.length
          : changes[outcome.firstUndelivered]!.index;
      // Set aside only what lies before the first undelivered record: what follows comes back
      // with the retry, and would otherwise be set aside once per retry.
      for (const { index, problem } of unpublishable) {
        if (index >= stopAt) break;
        if (!(await setAside(container, records[index], problem))) {
          stopAt = index;
          break;
        }
      }
      const published = changes.filter((change) => change.index < stopAt);
      const delivered = published.length;
      metrics.addMetric(METRIC.EventsPublished, MetricUnit.Count, delivered);
      countByStatus(container, published);
      if (stopAt === records.length) return { batchItemFailures: [] };

      const itemIdentifier = sequenceNumberOf(records[stopAt]);
      metrics.addMetric(METRIC.StreamRecordsReturned, MetricUnit.Count, records.length - stopAt);
      logger.warn('Status change events not delivered; the stream will redeliver them', {
        delivered,
        returned: records.length - stopAt,
        firstReturned: itemIdentifier,
        putEventsCalls: outcome.calls,
        putEventsError: outcome.lastError,
      });
      // Without a position Lambda cannot resume part-way: failing the batch makes it retry all.
      if (itemIdentifier === undefined) {
        throw new InvalidRequestError('A stream record has no sequence number.');
      }
      return { batchItemFailures: [{ itemIdentifier }] };
    });
}

/** A status as a metric dimension value: Huawei's few statuses, anything else as OTHER. */
const STATUS_DIMENSION_VALUE = /^[A-Z_]{1,32}$/;

/**
 * StatusChangesByStatus: the status changes published in this invocation, by new status. Every
 * committed change passes through here, so this is the one place that sees each exactly once per
 * delivery; a record the stream redelivers (after a failed batch, or a redrive) counts again. An
 * unknown status string is passed through to the event, but not into the metric's dimension: its
 * values stay few (one CloudWatch metric each).
 */
function countByStatus(
  container: StreamConsumerContainer,
  published: readonly { status?: string }[],
): void {
  const byStatus = new DimensionedCounter(
    container.metrics,
    METRIC.StatusChangesByStatus,
    METRIC_DIMENSIONS.StatusChangesByStatus,
  );
  for (const { status } of published) {
    if (status === undefined) continue;
    byStatus.add(STATUS_DIMENSION_VALUE.test(status) ? status : 'OTHER');
  }
  byStatus.flush();
}

/** Keeps every committed change in the task's history; false (logged) when that failed. */
async function recordHistory(
  container: StreamConsumerContainer,
  committed: readonly { detail: StatusChangeDetail }[],
): Promise<boolean> {
  if (committed.length === 0) return true;
  try {
    await container.history.record(
      committed.map((change) => change.detail),
      container.config.historyRetentionMs,
    );
    return true;
  } catch (error) {
    container.logger.error('Could not record the status history; the stream will redeliver', {
      error: (error as { name?: string }).name ?? 'Error',
    });
    return false;
  }
}

/** Sends an unpublishable record's position to the failure queue; false if that failed too. */
async function setAside(
  container: StreamConsumerContainer,
  record: unknown,
  problem: string,
): Promise<boolean> {
  const candidate = record as {
    eventSourceARN?: unknown;
    dynamodb?: { Keys?: unknown };
  } | null;
  const message: UnpublishableRecordMessage = {
    kind: 'unpublishable-status-record',
    problem,
    eventSourceArn:
      typeof candidate?.eventSourceARN === 'string' ? candidate.eventSourceARN : undefined,
    sequenceNumber: sequenceNumberOf(record),
    keys: candidate?.dynamodb?.Keys ?? null,
  };
  container.logger.error('Stream record cannot become an event; set aside', { ...message });
  container.metrics.addMetric(METRIC.StreamRecordsUnpublishable, MetricUnit.Count, 1);
  try {
    await container.sqs.send(
      new SendMessageCommand({
        QueueUrl: container.config.failureQueueUrl,
        MessageBody: JSON.stringify(message),
      }),
    );
    return true;
  } catch (error) {
    container.logger.error('Could not set the record aside; it will be retried', {
      error: (error as { name?: string }).name ?? 'Error',
    });
    return false;
  }
}
