import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { boundaryErrors } from '../boundary-error';
import type { Container } from '../container';
import { upstreamDeadline } from '../deadline';
import { pollTasks, type PollSummary } from './poll-tasks';
import type { PollConfig } from './watch-list';

export type ScheduledPollHandler = middy.MiddyfiedHandler<unknown, PollSummary, Error, Context>;

/** Run by an EventBridge schedule: polls the watch list and returns (and logs) a summary. */
export function createScheduledPollHandler(
  container: Container,
  pollConfig: PollConfig,
): ScheduledPollHandler {
  const { config, clock, logger, metrics, observer, store } = container;
  const refs = pollConfig.watchList.flatMap((entry) => (entry.kind === 'task' ? [entry.ref] : []));
  return middy<unknown, PollSummary, Error, Context>({ timeoutEarlyInMillis: 50 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(boundaryErrors<unknown, PollSummary>(logger, metrics))
    .handler(async (_event, context, { signal }) => {
      const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
      const summary = await pollTasks(
        refs,
        { observer, store, logger },
        { concurrency: pollConfig.concurrency, deadline, signal },
      );
      logger.info('Poll finished', { ...summary });
      metrics.addMetric('PollTasksChecked', MetricUnit.Count, summary.checked);
      metrics.addMetric('PollTasksChanged', MetricUnit.Count, summary.changed);
      metrics.addMetric('PollTasksFailed', MetricUnit.Count, summary.failed);
      // The "poller has stopped succeeding" alarm fires when this is missing for two periods.
      metrics.addMetric('PollCompleted', MetricUnit.Count, 1);
      return summary;
    });
}
