import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { boundaryErrors } from '../boundary-error';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { upstreamDeadline } from '../deadline';
import { DependencyUnavailableError, InvalidRequestError } from '../errors';
import type { HealthPolicy } from '../health/task-health';
import { pollBatchMessageSchema } from './fan-out';
import { pollTasks, recordPollMetrics } from './poll-tasks';
import { parseJsonOrUndefined } from '../json';
import { logError } from '../log-error';

export type PollWorkerHandler = middy.MiddyfiedHandler<SQSEvent, SQSBatchResponse, Error, Context>;

/**
 * Consumes the poll batches the scheduled poller fans out. A record whose poll could not use
 * DynamoDB/EventBridge/Secrets Manager is reported as a batch item failure and comes back; a
 * malformed record is reported too, and ends in the queue's dead-letter queue after its retries.
 * Per-task upstream faults are not redelivered: the next poll sees those tasks again.
 */
export function createPollWorkerHandler(
  container: Container,
  options: { concurrency: number; health?: HealthPolicy },
): PollWorkerHandler {
  const { config, clock, logger, metrics } = container;
  const processor = new BatchProcessor(EventType.SQS);

  return lambdaHandler<SQSEvent, SQSBatchResponse>(container)
    .use(boundaryErrors<SQSEvent, SQSBatchResponse>(logger, metrics))
    .handler(async (event, context, { signal }) => {
      const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
      const pollBatch = async (record: SQSRecord) => {
        const message = pollBatchMessageSchema.safeParse(parseJsonOrUndefined(record.body));
        if (!message.success) {
          throw new InvalidRequestError('Malformed poll batch message.');
        }
        const { tasks, instances } = message.data;
        const { summary, infrastructureFailed } = await pollTasks({ tasks, instances }, container, {
          concurrency: options.concurrency,
          deadline,
          signal,
          ...(options.health ? { health: options.health } : {}),
        });
        logger.info('Poll batch finished', {
          messageId: record.messageId,
          ...summary,
          infrastructureFailed,
        });
        recordPollMetrics(metrics, summary);
        if (infrastructureFailed > 0) {
          throw new DependencyUnavailableError(
            `Infrastructure for ${infrastructureFailed} of the batch's ${tasks.length} tasks and ${instances.length} instances`,
          );
        }
      };
      const pollRecord = async (record: SQSRecord) => {
        try {
          await pollBatch(record);
        } catch (error) {
          // Powertools keeps a record's error to itself: without this, a redelivery leaves no trace.
          logError(logger, error, { messageId: record.messageId });
          throw error;
        }
      };
      // Every record failing is still a batch response, not a failed invocation: Powertools'
      // FullBatchFailureError would reach the Errors alarm as an INTERNAL_ERROR.
      return processPartialResponse(event, pollRecord, processor, {
        context,
        throwOnFullBatchFailure: false,
      });
    });
}
