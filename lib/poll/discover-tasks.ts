import { z } from 'zod';
import { TaskNotFoundError, UpstreamContractError } from '../errors';
import type { CallOptions, DmsClient } from '../huawei/dms-client';
import { DELETED_STATUS } from '../status/status-event';
import type { StatusStore } from '../status/status-store';
import { taskIdSchema, type TaskRef } from '../task-ref';

/** The list API's page size ceiling. */
export const LIST_PAGE_LIMIT = 50;
/** 10,000 tasks: far beyond Huawei's per-instance quota, so a runaway total cannot loop us. */
const MAX_PAGES = 200;

const listPageSchema = z.object({
  tasks: z.array(z.object({ id: taskIdSchema })),
  total_number: z.number().int().min(0),
});

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
  deps: { dms: DmsClient; store: StatusStore },
  call: CallOptions,
): Promise<Discovery> {
  const [listed, known] = await Promise.all([
    listTaskIds(instance, deps.dms, call),
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
  dms: DmsClient,
  call: CallOptions,
): Promise<string[]> {
  const ids: string[] = [];
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await dms.listConnectorTasks(
        instance,
        { offset: page * LIST_PAGE_LIMIT, limit: LIST_PAGE_LIMIT },
        call,
      );
      const parsed = listPageSchema.safeParse(response.body);
      if (!parsed.success) throw new UpstreamContractError('the task list is invalid');
      ids.push(...parsed.data.tasks.map((task) => task.id));
      const seen = (page + 1) * LIST_PAGE_LIMIT;
      if (parsed.data.tasks.length === 0 || seen >= parsed.data.total_number) break;
    }
  } catch (error) {
    // A deleted instance has no tasks: its known tasks are reported as removed.
    if (error instanceof TaskNotFoundError && error.code === 'INSTANCE_NOT_FOUND') return [];
    throw error;
  }
  return [...new Set(ids)];
}
