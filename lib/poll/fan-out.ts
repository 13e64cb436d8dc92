import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { DependencyUnavailableError } from '../errors';
import { taskRefSchema, type TaskRef } from '../task-ref';

/** One SQS message: a slice of the watch list for one worker invocation to poll. */
export const pollBatchMessageSchema = z.object({
  version: z.literal(1),
  tasks: z.array(taskRefSchema).check(z.minLength(1), z.maxLength(2_000)),
});

export type PollBatchMessage = z.infer<typeof pollBatchMessageSchema>;

/** SendMessageBatch takes at most ten messages. */
const SQS_BATCH = 10;
const MAX_SEND_ROUNDS = 3;

/**
 * Splits `refs` into messages of `batchSize` tasks and enqueues them for the worker function.
 * SendMessageBatch can fail per entry: only those are resent, a few times, before giving up.
 * Returns the number of messages sent.
 */
export async function enqueuePollBatches(
  sqs: SQSClient,
  queueUrl: string,
  refs: readonly TaskRef[],
  batchSize: number,
): Promise<number> {
  const bodies: string[] = [];
  for (let start = 0; start < refs.length; start += batchSize) {
    const message: PollBatchMessage = { version: 1, tasks: refs.slice(start, start + batchSize) };
    bodies.push(JSON.stringify(message));
  }
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
