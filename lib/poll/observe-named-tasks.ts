import { ServiceError, UpstreamContractError, UpstreamThrottledError } from '../errors';
import { LIST_PAGE_LIMIT, type TaskListPage } from '../huawei/task-list-pages';
import { mapSettled } from '../concurrency';
import { listedTask, type ListedTask } from '../task-observer';
import { instanceKey, taskKey, type InstanceRef, type TaskRef } from '../task-ref';
import { observeListed, type InstancePollContext } from './observe-instance';

/** Tasks watched one by one that share an instance. */
export interface NamedTasks extends InstanceRef {
  readonly taskIds: readonly string[];
}

/**
 * Below this many tasks watched by name in one instance, each gets its own ShowConnectorTask.
 * From two on, the instance's first list page is worth asking: it costs one call and answers for
 * up to fifty tasks; at worst (none of them on it) it is one call more than their own requests.
 */
export const MIN_NAMED_TASKS_TO_LIST = 2;

/**
 * Splits tasks watched one by one into instances worth reading from their list pages and tasks
 * that get their own ShowConnectorTask. Order is kept within each.
 */
export function groupNamedTasks(tasks: readonly TaskRef[]): {
  readonly groups: NamedTasks[];
  readonly singles: TaskRef[];
} {
  const byInstance = new Map<string, { instance: InstanceRef; taskIds: string[] }>();
  for (const ref of tasks) {
    const key = instanceKey(ref);
    let entry = byInstance.get(key);
    if (!entry) {
      entry = { instance: { projectId: ref.projectId, instanceId: ref.instanceId }, taskIds: [] };
      byInstance.set(key, entry);
    }
    entry.taskIds.push(ref.taskId);
  }
  const groups: NamedTasks[] = [];
  const singles: TaskRef[] = [];
  for (const { instance, taskIds: named } of byInstance.values()) {
    // A task named twice (a hand-made message) is still one task: one observation, one count.
    const taskIds = [...new Set(named)];
    if (taskIds.length >= MIN_NAMED_TASKS_TO_LIST) groups.push({ ...instance, taskIds });
    else for (const taskId of taskIds) singles.push({ ...instance, taskId });
  }
  return { groups, singles };
}

/**
 * Observes tasks watched by name from their instance's list pages, as long as paging is cheaper
 * than asking for them one by one: after each page, the listing goes on only while fewer pages
 * remain than named tasks not yet seen. Only the named tasks' entities are read; the rest of the
 * instance is not watched and records nothing. Like observeInstance, nothing is recorded until the
 * listing ends, and a task listed twice is recorded as the later page showed it.
 *
 * Returns the named tasks the pages did not answer for (not listed, an entity the task cannot be
 * made from, paging stopped, or a listing Huawei refused): each needs its own ShowConnectorTask,
 * which reports its own outcome, a 404 included. Throws only a throttled listing, and only when
 * `retryThrottled` (to requeue it whole); when it may not, the unanswered tasks fail as throttled,
 * as their own requests would have after their retries.
 */
export async function observeNamedTasks(
  named: NamedTasks,
  ctx: Pick<InstancePollContext, 'observer' | 'call' | 'read' | 'tally'>,
  options: { retryThrottled: boolean },
): Promise<TaskRef[]> {
  const instance = { projectId: named.projectId, instanceId: named.instanceId };
  // Of unknown, so an entity's id of any kind can be looked up without a check of its own.
  const wanted: ReadonlySet<unknown> = new Set(named.taskIds);
  const listed = new Map<string, ListedTask>();
  const unusable = new Set<string>();
  let throttled: UpstreamThrottledError | undefined;
  try {
    for await (const page of ctx.observer.listPages(instance, ctx.call)) {
      for (const [index, entity] of page.entities.entries()) {
        const id = (entity as { id?: unknown } | null | undefined)?.id;
        if (!wanted.has(id)) continue;
        const taskId = id as string;
        const task = namedEntity(instance, page, index);
        if (task) {
          listed.set(taskId, task);
          unusable.delete(taskId);
        } else {
          listed.delete(taskId);
          unusable.add(taskId);
        }
      }
      const unanswered = wanted.size - listed.size - unusable.size;
      if (pagesAfter(page) >= unanswered) break;
    }
  } catch (error) {
    if (error instanceof UpstreamThrottledError) {
      if (options.retryThrottled) throw error;
      throttled = error;
    } else if (!(error instanceof ServiceError)) {
      // A bug rather than an answer or an outage: the tasks' own requests may well succeed, so
      // this would leave no trace but here. (An outage of ours fails those requests too, and
      // each reports it.)
      await ctx.tally.failed(`${instanceKey(instance)}/*`, error, []);
    }
    // What the earlier pages showed stands, and the tasks not seen get their own requests, which
    // tell each one's story (a 404 included).
  }
  await mapSettled([...listed.values()], LIST_PAGE_LIMIT, (task) => observeListed(task, ctx));
  const unanswered = named.taskIds
    .filter((taskId) => !listed.has(taskId))
    .map((taskId): TaskRef => ({ ...instance, taskId }));
  if (!throttled) return unanswered;
  for (const ref of unanswered) await ctx.tally.failed(taskKey(ref), throttled, [ref]);
  return [];
}

/** Pages still to come after this one, by Huawei's total. */
function pagesAfter(page: TaskListPage): number {
  const remaining = page.totalNumber - (page.offset + page.entities.length);
  return page.more ? Math.ceil(remaining / LIST_PAGE_LIMIT) : 0;
}

function namedEntity(
  instance: InstanceRef,
  page: TaskListPage,
  index: number,
): ListedTask | undefined {
  try {
    return listedTask(instance, page, index);
  } catch (error) {
    if (error instanceof UpstreamContractError) return undefined;
    throw error;
  }
}
