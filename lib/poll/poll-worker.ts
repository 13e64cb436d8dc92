import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { boundaryErrors } from '../boundary-error';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { upstreamDeadline } from '../deadline';
import { DependencyUnavailableError, InvalidRequestError } from '../errors';
import { pollBatchMessageSchema } from './fan-out';
import { pollTasks, recordPollMetrics } from './poll-tasks';
import { parseJsonOrUndefined } from '../json';

export type PollWorkerHandler = middy.MiddyfiedHandler<SQSEvent, SQSBatchResponse, Error, Context>;

/** Failures worth a redelivery: our own infrastructure. Per-task upstream faults are not. */
const REDELIVER_ON = new Set(['DependencyUnavailableError', 'ConfigurationError']);

/**
 * Consumes the poll batches the scheduled poller fans out. A record whose poll could not use
 * DynamoDB/EventBridge/Secrets Manager is reported as a batch item failure and comes back; a
 * malformed record is reported too, and ends in the queue's dead-letter queue after its retries.
 */
export function createPollWorkerHandler(
  container: Container,
  options: { concurrency: number },
): PollWorkerHandler {
  const { config, clock, logger, metrics } = container;
  const processor = new BatchProcessor(EventType.SQS);

  return lambdaHandler<SQSEvent, SQSBatchResponse>(container)
    .use(boundaryErrors<SQSEvent, SQSBatchResponse>(logger, metrics))
    .handler(async (event, context, { signal }) => {
      const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
      const pollRecord = async (record: SQSRecord) => {
        const message = pollBatchMessageSchema.safeParse(parseJsonOrUndefined(record.body));
        if (!message.success) {
          throw new InvalidRequestError('Malformed poll batch message.');
        }
        const summary = await pollTasks(message.data.tasks, container, {
          concurrency: options.concurrency,
          deadline,
          signal,
        });
        logger.info('Poll batch finished', { messageId: record.messageId, ...summary });
        recordPollMetrics(metrics, summary);
        const infrastructure = summary.failures.find((f) => REDELIVER_ON.has(f.error));
        if (infrastructure) throw new DependencyUnavailableError(infrastructure.error);
      };
      return processPartialResponse(event, pollRecord, processor, { context });
    });
}
