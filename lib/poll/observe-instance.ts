import { TaskNotFoundError, UpstreamContractError, UpstreamThrottledError } from '../errors';
import type { PollHealth } from '../health/health-tracker';
import type { CallOptions } from '../huawei/dms-client';
import { LIST_PAGE_LIMIT, MAX_LIST_PAGES, type TaskListPage } from '../huawei/task-list-pages';
import { mapSettled } from '../concurrency';
import { DELETED_STATUS } from '../status/status-event';
import type { StatusStore } from '../status/status-store';
import {
  listedTask,
  type ListedTask,
  type ReadStoredStatus,
  type TaskCheck,
  type TaskObserver,
} from '../task-observer';
import { taskIdSchema, taskKey, type InstanceRef, type TaskRef } from '../task-ref';
import type { InstanceWatch } from './poll-plan';

/** Where an instance's observations are counted: the poll's tally. */
export interface PollOutcomes {
  observed(ref: TaskRef, result: TaskCheck): Promise<void>;
  /** Tasks seen on list pages, counted once each. */
  listed(count: number): void;
  /** `affected` are the tasks the failure kept us from seeing, for their health. */
  failed(what: string, error: unknown, affected: readonly TaskRef[]): Promise<void>;
}

export interface InstancePollContext {
  readonly observer: TaskObserver;
  readonly store: Pick<StatusStore, 'listByInstance'>;
  readonly call: CallOptions;
  readonly read: ReadStoredStatus;
  readonly health: Pick<PollHealth, 'prefetch'> | undefined;
  readonly tally: PollOutcomes;
  /** Observes one task through its own ShowConnectorTask, counting the outcome in the tally. */
  readonly check: (ref: TaskRef) => Promise<void>;
}

/**
 * Observes every task of a watched instance from its ListConnectorTasks pages: each entity is an
 * observation made by its page's request (TaskObserver.observeListed), so fifty tasks cost one
 * upstream call. A task gets a ShowConnectorTask of its own only where the list cannot speak
 * for it:
 * - an entity the normalized task cannot be made from (its id still names the task);
 * - a task we know, or that is watched by name, which the listing does not show: gone, or moved
 *   past us while we paged; its own 404 is what records the deletion.
 * Nothing is recorded until the listing ends, so a task listed twice (it moved while we paged)
 * is recorded once, as the later page showed it, and a throttled listing can be asked again
 * whole. A listing Huawei refuses marks the tasks it hid as unobservable; a 404 other than "no
 * such instance" is such a refusal, never a reason to think every task gone. Throws only what the
 * caller should act on: a throttled listing (`retryThrottled`, to requeue it) and our own
 * infrastructure failing to say which tasks we know.
 */
export async function observeInstance(
  watch: InstanceWatch,
  ctx: InstancePollContext,
  options: { retryThrottled: boolean },
): Promise<void> {
  const known = ctx.store.listByInstance(watch.projectId, watch.instanceId);
  // Awaited below, after the listing; until then its failure must not go unhandled.
  known.catch(() => undefined);
  const label = `${watch.projectId}/${watch.instanceId}/*`;
  const instance = { projectId: watch.projectId, instanceId: watch.instanceId };
  const toRef = (taskId: string): TaskRef => ({ ...instance, taskId });
  const listed = new Map<string, ListedTask>();
  const unlisted = new Set<string>(watch.taskIds);
  const unusable: unknown[] = [];
  let refused: unknown;
  let cutOff = false;
  try {
    for await (const page of ctx.observer.listPages(instance, ctx.call)) {
      const fresh: TaskRef[] = [];
      for (let index = 0; index < page.entities.length; index++) {
        const entity = listedEntity(instance, page, index);
        if (entity.kind === 'task') {
          if (!listed.has(entity.task.ref.taskId)) fresh.push(entity.task.ref);
          listed.set(entity.task.ref.taskId, entity.task);
        } else if (entity.taskId) unlisted.add(entity.taskId);
        else unusable.push(entity.error);
      }
      ctx.health?.prefetch(fresh);
      cutOff = page.more;
    }
  } catch (error) {
    if (error instanceof UpstreamThrottledError && options.retryThrottled) throw error;
    // A deleted instance lists nothing: each task we know is confirmed gone by its own 404.
    const gone = error instanceof TaskNotFoundError && error.code === 'INSTANCE_NOT_FOUND';
    if (!gone) refused = error;
    cutOff = false;
  }
  for (const error of unusable) await ctx.tally.failed(label, error, []);
  ctx.tally.listed(listed.size);
  await mapSettled([...listed.values()], LIST_PAGE_LIMIT, (task) => observeListed(task, ctx));
  if (cutOff) {
    const error = new UpstreamContractError(
      `the task list does not end within ${MAX_LIST_PAGES} pages`,
    );
    await ctx.tally.failed(label, error, []);
  }

  for (const task of await known) {
    if (task.status !== DELETED_STATUS) unlisted.add(task.taskId);
  }
  for (const taskId of listed.keys()) unlisted.delete(taskId);
  if (refused !== undefined) {
    await ctx.tally.failed(label, refused, [...unlisted].map(toRef));
    return;
  }
  // One at a time: these are rare (deletions), and each holds one of the poll's upstream slots.
  for (const taskId of unlisted) await ctx.check(toRef(taskId));
}

/** Records one listed task, counting its outcome (or its failure, as that task's) in the tally. */
export async function observeListed(
  task: ListedTask,
  ctx: Pick<InstancePollContext, 'observer' | 'read' | 'tally'>,
): Promise<void> {
  try {
    const observation = await ctx.observer.observeListed(task, ctx.read);
    await ctx.tally.observed(task.ref, { kind: 'present', ...observation });
  } catch (error) {
    await ctx.tally.failed(taskKey(task.ref), error, [task.ref]);
  }
}

type ListedEntity =
  | { readonly kind: 'task'; readonly task: ListedTask }
  | { readonly kind: 'unusable'; readonly taskId: string | undefined; readonly error: unknown };

/** An entity as a listed task, or, when it cannot be one, the task id it still names, if any. */
function listedEntity(instance: InstanceRef, page: TaskListPage, index: number): ListedEntity {
  try {
    return { kind: 'task', task: listedTask(instance, page, index) };
  } catch (error) {
    if (!(error instanceof UpstreamContractError)) throw error;
    const id = (page.entities[index] as { id?: unknown } | null)?.id;
    const taskId = taskIdSchema.safeParse(id).success ? (id as string) : undefined;
    return { kind: 'unusable', taskId, error };
  }
}
