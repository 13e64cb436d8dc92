import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { boundaryErrors } from '../boundary-error';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { METRIC } from '../metrics';
import { upstreamDeadline } from '../deadline';
import { taskKey, type TaskRef } from '../task-ref';
import { mapSettled } from '../concurrency';
import { discoverInstanceTasks } from './discover-tasks';
import { enqueuePollBatches } from './fan-out';
import {
  REPORTED_FAILURES,
  pollFailure,
  pollTasks,
  recordPollMetrics,
  type PollFailure,
  type PollSummary,
} from './poll-tasks';
import type { PollConfig } from './watch-list';

export interface ScheduledPollSummary extends PollSummary {
  /** Tasks found through whole-instance entries (including removed ones being confirmed). */
  readonly discovered: number;
  /** Worker messages enqueued instead of polling inline (large watch lists). */
  readonly enqueuedBatches: number;
}

export type ScheduledPollHandler = middy.MiddyfiedHandler<
  unknown,
  ScheduledPollSummary,
  Error,
  Context
>;

/**
 * Run by an EventBridge schedule: expands whole-instance entries through the list API, then
 * polls the tasks inline, or fans them out to the worker queue when there are too many for one
 * invocation. Returns (and logs) a summary.
 */
export function createScheduledPollHandler(
  container: Container,
  pollConfig: PollConfig,
  sqs?: SQSClient,
): ScheduledPollHandler {
  const { config, clock, logger, metrics } = container;
  return lambdaHandler<unknown, ScheduledPollSummary>(container)
    .use(boundaryErrors<unknown, ScheduledPollSummary>(logger, metrics))
    .handler(async (_event, context, { signal }) => {
      const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
      const call = { deadline, signal };
      const { refs, discovered, failures } = await expandWatchList(container, pollConfig, call);

      let summary: ScheduledPollSummary;
      if (pollConfig.fanOut && sqs && refs.length > pollConfig.fanOut.batchSize) {
        const enqueuedBatches = await enqueuePollBatches(
          sqs,
          pollConfig.fanOut.queueUrl,
          refs,
          pollConfig.fanOut.batchSize,
        );
        summary = { ...emptySummary(failures), discovered, enqueuedBatches };
      } else {
        // Nothing to redeliver here: an infrastructure failure waits for the next poll.
        const { summary: polled } = await pollTasks(refs, container, {
          ...call,
          concurrency: pollConfig.concurrency,
          health: pollConfig.health,
        });
        summary = {
          ...polled,
          failed: polled.failed + failures.length,
          failures: [...failures, ...polled.failures].slice(0, REPORTED_FAILURES),
          discovered,
          enqueuedBatches: 0,
        };
      }
      logger.info('Poll finished', { ...summary });
      recordPollMetrics(metrics, summary);
      // The "poller has stopped succeeding" alarm fires when this is missing for two periods.
      metrics.addMetric(METRIC.PollCompleted, MetricUnit.Count, 1);
      return summary;
    });
}

async function expandWatchList(
  container: Container,
  pollConfig: PollConfig,
  call: { deadline: number; signal?: AbortSignal },
): Promise<{ refs: TaskRef[]; discovered: number; failures: PollFailure[] }> {
  const refs = new Map<string, TaskRef>();
  for (const entry of pollConfig.watchList) {
    if (entry.kind === 'task') refs.set(taskKey(entry.ref), entry.ref);
  }
  const instances = pollConfig.watchList.filter((entry) => entry.kind === 'instance');
  const discoveries = await mapSettled(instances, pollConfig.concurrency, (instance) =>
    discoverInstanceTasks(instance, container, call),
  );
  const failures: PollFailure[] = [];
  let discovered = 0;
  discoveries.forEach((result, index) => {
    if (result.ok) {
      discovered += result.value.refs.length;
      for (const ref of result.value.refs) refs.set(taskKey(ref), ref);
      return;
    }
    const instance = instances[index]!;
    failures.push(pollFailure(`${instance.projectId}/${instance.instanceId}/*`, result.error));
  });
  return { refs: [...refs.values()], discovered, failures };
}

function emptySummary(failures: PollFailure[]): PollSummary {
  return {
    checked: 0,
    stuck: 0,
    unobservable: 0,
    changed: 0,
    missing: 0,
    failed: failures.length,
    failures,
  };
}
