import * as z from 'zod/mini';
import type { Clock } from '../clock';
import { TaskNotFoundError, UpstreamContractError } from '../errors';
import type { CallOptions, DmsClient } from '../huawei/dms-client';
import { taskListPages } from '../huawei/task-list-pages';
import { DELETED_STATUS } from '../status/status-event';
import type { StatusStore } from '../status/status-store';
import { taskIdSchema, type TaskRef } from '../task-ref';

/** Discovery needs only each entity's id; the rest of the task is read by its observation. */
const listedIdsSchema = z.array(z.object({ id: taskIdSchema }));

export interface Discovery {
  /** Every task to observe: those listed now plus known ones that are no longer listed. */
  readonly refs: TaskRef[];
  /** Known (not yet DELETED) tasks missing from the listing: observing them records the deletion. */
  readonly removed: TaskRef[];
}

/**
 * Finds the tasks of a watched instance through the paginated list API, so new tasks are watched
 * without a configuration change. Tasks we know that are gone from the list are returned too:
 * the normal observation then sees the 404 and emits the one deletion event.
 */
export async function discoverInstanceTasks(
  instance: { projectId: string; instanceId: string },
  deps: { dms: DmsClient; store: StatusStore; clock: Clock },
  call: CallOptions,
): Promise<Discovery> {
  const [listed, known] = await Promise.all([
    listTaskIds(instance, deps, call),
    deps.store.listByInstance(instance.projectId, instance.instanceId),
  ]);
  const toRef = (taskId: string): TaskRef => ({ ...instance, taskId });
  const listedSet = new Set(listed);
  const removed = known
    .filter((task) => task.status !== DELETED_STATUS && !listedSet.has(task.taskId))
    .map((task) => toRef(task.taskId));
  return { refs: [...listed.map(toRef), ...removed], removed };
}

async function listTaskIds(
  instance: { projectId: string; instanceId: string },
  deps: { dms: DmsClient; clock: Clock },
  call: CallOptions,
): Promise<string[]> {
  const ids: string[] = [];
  try {
    // A listing cut off at the page ceiling still gives the poller the tasks it did see.
    const pages = taskListPages(
      (page) => deps.dms.listConnectorTasks(instance, page, call),
      deps.clock,
    );
    for await (const page of pages) {
      const parsed = listedIdsSchema.safeParse(page.entities);
      if (!parsed.success) throw new UpstreamContractError('the task list is invalid');
      ids.push(...parsed.data.map((task) => task.id));
    }
  } catch (error) {
    // A deleted instance has no tasks: its known tasks are reported as removed.
    if (error instanceof TaskNotFoundError && error.code === 'INSTANCE_NOT_FOUND') return [];
    throw error;
  }
  return [...new Set(ids)];
}
