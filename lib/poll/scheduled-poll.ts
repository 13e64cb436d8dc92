import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { boundaryErrors } from '../boundary-error';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { METRIC } from '../metrics';
import { upstreamDeadline } from '../deadline';
import { instanceKey, taskKey, type InstanceRef, type TaskRef } from '../task-ref';
import { mapSettled } from '../concurrency';
import { DynamoDbWatchStore, type WatchReader } from '../watches/watch-store';
import { discoverProjectInstances } from './discover-instances';
import { enqueuePollBatches } from './fan-out';
import { planWeight, type PollPlan } from './poll-plan';
import {
  REPORTED_FAILURES,
  pollFailure,
  pollTasks,
  recordPollMetrics,
  type PollFailure,
  type PollSummary,
} from './poll-tasks';
import { watchKey, type PollConfig, type WatchEntry } from './watch-list';

export interface ScheduledPollSummary extends PollSummary {
  /**
   * Tasks this poll watched: WATCHED_TASKS and the stored watches, each once; a watched
   * instance's tasks are counted as listed (by the workers, when the poll was fanned out).
   */
  readonly watched: number;
  /** Instances whose tasks are read from their list pages (whole-instance and -project watches). */
  readonly instances: number;
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
 * Run by an EventBridge schedule: reads the stored watches (so a change made through the watch
 * routes takes effect at the next poll, without a redeploy), joins them to WATCHED_TASKS, expands
 * whole-project entries through ListInstances, then polls the tasks and instances inline, or fans
 * them out to the worker queue when there are too many for one invocation. Returns (and logs) a
 * summary.
 */
export function createScheduledPollHandler(
  container: Container,
  pollConfig: PollConfig,
  sqs?: SQSClient,
  watches: WatchReader = new DynamoDbWatchStore(container.dynamoDb, pollConfig.watchesTableName),
): ScheduledPollHandler {
  const { config, clock, logger, metrics } = container;
  return lambdaHandler<unknown, ScheduledPollSummary>(container)
    .use(boundaryErrors<unknown, ScheduledPollSummary>(logger, metrics))
    .handler(async (_event, context, { signal }) => {
      const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
      const call = { deadline, signal };
      // Unreadable stored watches fail the poll: polling only part of the list would look
      // complete, and the missing PollCompleted metric is what raises the alarm.
      const entries = watchedEntries(pollConfig.watchList, await watches.list(), config);
      const { plan, failures } = await expandWatchList(
        container,
        entries,
        pollConfig.concurrency,
        call,
      );
      const planned = { instances: plan.instances.length, tasks: plan.tasks.length };

      let summary: ScheduledPollSummary;
      if (pollConfig.fanOut && sqs && planWeight(plan) > pollConfig.fanOut.batchSize) {
        const enqueuedBatches = await enqueuePollBatches(
          sqs,
          pollConfig.fanOut.queueUrl,
          plan,
          pollConfig.fanOut.batchSize,
        );
        summary = {
          ...emptySummary(failures),
          watched: planned.tasks,
          instances: planned.instances,
          enqueuedBatches,
        };
      } else {
        // Nothing to redeliver here: an infrastructure failure waits for the next poll.
        const { summary: polled } = await pollTasks(plan, container, {
          ...call,
          concurrency: pollConfig.concurrency,
          health: pollConfig.health,
        });
        summary = {
          ...polled,
          failed: polled.failed + failures.length,
          failures: [...failures, ...polled.failures].slice(0, REPORTED_FAILURES),
          watched: planned.tasks + polled.listed,
          instances: planned.instances,
          enqueuedBatches: 0,
        };
      }
      logger.info('Poll finished', { ...summary });
      recordPollMetrics(metrics, summary);
      metrics.addMetric(METRIC.PollTasksWatched, MetricUnit.Count, summary.watched);
      // The "poller has stopped succeeding" alarm fires when this is missing for two periods.
      metrics.addMetric(METRIC.PollCompleted, MetricUnit.Count, 1);
      return summary;
    });
}

/**
 * WATCHED_TASKS ∪ the stored watches, each key once. A stored watch of a project no longer in
 * HUAWEICLOUD_PROJECT_ID is left out: this deployment may not call Huawei for it.
 */
function watchedEntries(
  configured: readonly WatchEntry[],
  stored: readonly { entry: WatchEntry }[],
  config: Container['config'],
): WatchEntry[] {
  const entries = new Map(configured.map((entry) => [watchKey(entry), entry]));
  for (const { entry } of stored) {
    const projectId = entry.kind === 'task' ? entry.ref.projectId : entry.projectId;
    if (config.huawei.projectIds.has(projectId)) entries.set(watchKey(entry), entry);
  }
  return [...entries.values()];
}

/**
 * The watch list as a poll plan: whole-project entries become their instances (ListInstances),
 * and a task watched by name inside a watched instance rides with that instance's listing.
 */
async function expandWatchList(
  container: Container,
  watchList: readonly WatchEntry[],
  concurrency: number,
  call: { deadline: number; signal?: AbortSignal },
): Promise<{ plan: PollPlan; failures: PollFailure[] }> {
  const instances = new Map<string, InstanceRef>();
  const failures: PollFailure[] = [];
  const projects = watchList.filter((entry) => entry.kind === 'project');
  const listings = await mapSettled(projects, concurrency, (project) =>
    discoverProjectInstances(project.projectId, container.dms, call),
  );
  listings.forEach((result, index) => {
    if (!result.ok) {
      failures.push(pollFailure(`${projects[index]!.projectId}/*`, result.error));
      return;
    }
    for (const instance of result.value) instances.set(instanceKey(instance), instance);
  });
  for (const entry of watchList) {
    if (entry.kind === 'instance') instances.set(instanceKey(entry), entry);
  }
  const byName = new Map<string, string[]>();
  const tasks = new Map<string, TaskRef>();
  for (const entry of watchList) {
    if (entry.kind !== 'task') continue;
    const key = instanceKey(entry.ref);
    if (instances.has(key)) byName.set(key, [...(byName.get(key) ?? []), entry.ref.taskId]);
    else tasks.set(taskKey(entry.ref), entry.ref);
  }
  const plan: PollPlan = {
    tasks: [...tasks.values()],
    instances: [...instances.entries()].map(([key, instance]) => ({
      projectId: instance.projectId,
      instanceId: instance.instanceId,
      taskIds: [...new Set(byName.get(key))],
    })),
  };
  return { plan, failures };
}

function emptySummary(failures: PollFailure[]): PollSummary {
  return {
    checked: 0,
    listed: 0,
    stuck: 0,
    unobservable: 0,
    changed: 0,
    missing: 0,
    failed: failures.length,
    failures,
  };
}
