import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { boundaryErrors } from '../boundary-error';
import type { Container } from '../container';
import { upstreamDeadline } from '../deadline';
import { DependencyUnavailableError, InvalidRequestError } from '../errors';
import { pollBatchMessageSchema } from './fan-out';
import { pollTasks } from './poll-tasks';

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
  const { config, clock, logger, metrics, tracer } = container;
  const processor = new BatchProcessor(EventType.SQS);

  return middy<SQSEvent, SQSBatchResponse, Error, Context>({ timeoutEarlyInMillis: 50 })
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(boundaryErrors<SQSEvent, SQSBatchResponse>(logger, metrics))
    .handler(async (event, context, { signal }) => {
      const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
      const pollRecord = async (record: SQSRecord) => {
        const message = pollBatchMessageSchema.safeParse(safeJson(record.body));
        if (!message.success) {
          throw new InvalidRequestError('Malformed poll batch message.');
        }
        const summary = await pollTasks(message.data.tasks, container, {
          concurrency: options.concurrency,
          deadline,
          signal,
        });
        logger.info('Poll batch finished', { messageId: record.messageId, ...summary });
        metrics.addMetric('PollTasksChecked', MetricUnit.Count, summary.checked);
        metrics.addMetric('PollTasksChanged', MetricUnit.Count, summary.changed);
        metrics.addMetric('PollTasksFailed', MetricUnit.Count, summary.failed);
        const infrastructure = summary.failures.find((f) => REDELIVER_ON.has(f.error));
        if (infrastructure) throw new DependencyUnavailableError(infrastructure.error);
      };
      return processPartialResponse(event, pollRecord, processor, { context });
    });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
