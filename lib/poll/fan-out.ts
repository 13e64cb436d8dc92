import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { DependencyUnavailableError } from '../errors';
import { MAX_LIST_PAGES, LIST_PAGE_LIMIT } from '../huawei/task-list-pages';
import {
  instanceIdSchema,
  instanceKey,
  projectIdSchema,
  taskIdSchema,
  taskRefSchema,
  type TaskRef,
} from '../task-ref';
import { weightOf, type InstanceWatch, type PollPlan } from './poll-plan';

const instanceWatchSchema = z.strictObject({
  projectId: projectIdSchema,
  instanceId: instanceIdSchema,
  taskIds: z.array(taskIdSchema).check(z.maxLength(MAX_LIST_PAGES * LIST_PAGE_LIMIT)),
});

/**
 * One SQS message: a slice of the watch list for one worker invocation to poll. `instances` came
 * with list-page polling; a message without it (enqueued before) is still a valid batch.
 */
export const pollBatchMessageSchema = z
  .object({
    version: z.literal(1),
    tasks: z.array(taskRefSchema).check(z.maxLength(2_000)),
    instances: z._default(z.array(instanceWatchSchema).check(z.maxLength(2_000)), []),
  })
  .check(
    z.refine((message) => message.tasks.length + message.instances.length > 0, {
      message: 'a poll batch names at least one task or instance',
    }),
  );

/** SendMessageBatch takes at most ten messages. */
const SQS_BATCH = 10;
const MAX_SEND_ROUNDS = 3;

/**
 * Splits a plan into batches of about `batchSize` tasks' worth (an instance counts as one list
 * page's worth, see `weightOf`; one heavier than a batch goes alone), instances first, then the
 * tasks, those of one instance together.
 */
export function splitPlan(plan: PollPlan, batchSize: number): PollPlan[] {
  const batches: { tasks: TaskRef[]; instances: InstanceWatch[] }[] = [];
  let weight = batchSize;
  const room = (needed: number) => {
    if (weight > 0 && weight + needed > batchSize) {
      batches.push({ tasks: [], instances: [] });
      weight = 0;
    }
    weight += needed;
    return batches[batches.length - 1]!;
  };
  for (const watch of plan.instances) room(weightOf(watch)).instances.push(watch);
  for (const ref of instanceOrder(plan.tasks)) room(1).tasks.push(ref);
  return batches;
}

/**
 * The tasks of each instance next to each other, instances in order of first appearance: a
 * worker reads several tasks of one instance from its list pages (observe-named-tasks.ts).
 */
function instanceOrder(tasks: readonly TaskRef[]): TaskRef[] {
  const byInstance = new Map<string, TaskRef[]>();
  for (const ref of tasks) {
    const key = instanceKey(ref);
    const same = byInstance.get(key);
    if (same) same.push(ref);
    else byInstance.set(key, [ref]);
  }
  return [...byInstance.values()].flat();
}

/**
 * Splits a plan into messages (`splitPlan`) and enqueues them for the worker function.
 * SendMessageBatch can fail per entry: only those are resent, a few times, before giving up.
 * Returns the number of messages sent.
 */
export async function enqueuePollBatches(
  sqs: SQSClient,
  queueUrl: string,
  plan: PollPlan,
  batchSize: number,
): Promise<number> {
  const bodies = splitPlan(plan, batchSize).map((batch) =>
    JSON.stringify({ version: 1, ...batch }),
  );
  for (let start = 0; start < bodies.length; start += SQS_BATCH) {
    let entries = bodies
      .slice(start, start + SQS_BATCH)
      .map((body, i) => ({ Id: String(start + i), MessageBody: body }));
    for (let round = 1; entries.length > 0; round++) {
      if (round > MAX_SEND_ROUNDS) {
        throw new DependencyUnavailableError('Amazon SQS (poll batches not enqueued)');
      }
      let failedIds: Set<string>;
      try {
        const output = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
        );
        failedIds = new Set((output.Failed ?? []).map((f) => f.Id ?? ''));
      } catch (error) {
        if (round === MAX_SEND_ROUNDS) throw new DependencyUnavailableError('Amazon SQS', error);
        failedIds = new Set(entries.map((e) => e.Id));
      }
      entries = entries.filter((entry) => failedIds.has(entry.Id));
    }
  }
  return bodies.length;
}
