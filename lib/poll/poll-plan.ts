import { LIST_PAGE_LIMIT } from '../huawei/task-list-pages';
import type { InstanceRef, TaskRef } from '../task-ref';

/** A watched instance: its tasks are read from its ListConnectorTasks pages. */
export interface InstanceWatch extends InstanceRef {
  /**
   * Tasks of this instance that are also watched one by one: each is still observed if the
   * listing does not show it (asked for by name, it must be reported even when gone).
   */
  readonly taskIds: readonly string[];
}

/** What one poll (or one fanned-out batch of it) observes. */
export interface PollPlan {
  /**
   * Tasks watched one by one, outside any watched instance: one ShowConnectorTask each, unless
   * several share an instance (lib/poll/observe-named-tasks.ts).
   */
  readonly tasks: readonly TaskRef[];
  readonly instances: readonly InstanceWatch[];
}

/**
 * An instance's share of a batch, counted in tasks: one list page's worth (the most one request
 * brings back) plus the tasks watched by name in it. Its real size is unknown until it is listed.
 */
export const INSTANCE_WEIGHT = LIST_PAGE_LIMIT;

/** How many tasks' worth of work a plan is, to decide whether and how to fan it out. */
export function planWeight(plan: PollPlan): number {
  return plan.tasks.length + plan.instances.reduce((sum, watch) => sum + weightOf(watch), 0);
}

export function weightOf(watch: InstanceWatch): number {
  return INSTANCE_WEIGHT + watch.taskIds.length;
}
