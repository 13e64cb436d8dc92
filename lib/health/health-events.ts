import * as z from 'zod/mini';
import { EVENT_SOURCE, nameBasedId } from '../status/status-event';
import { taskKey, type TaskRef } from '../task-ref';

/*
 * Facts about a watched task that Huawei's API does not give: derived by the poller from what it
 * observed over time, committed to the task's health item, and published from the table's stream
 * like status changes (same bus, same source). One event per episode: the id is derived from the
 * task, the condition and the moment the episode began.
 */

/** Health items share the status table under their own prefix (the stream filter admits both). */
export const HEALTH_KEY_PREFIX = 'HEALTH#';

export const STUCK_DETAIL_TYPE = 'Smart Connect Task Stuck';
export const UNOBSERVABLE_DETAIL_TYPE = 'Smart Connect Task Unobservable';
export const OBSERVABLE_AGAIN_DETAIL_TYPE = 'Smart Connect Task Observable Again';

const taskFields = {
  eventId: z
    .uuid()
    .check(z.describe('Deterministic from (task, condition, start of the episode).')),
  projectId: z.string(),
  instanceId: z.string(),
  taskId: z.string(),
  observedAt: z.iso.datetime().check(z.describe('When the poll that found the condition ran.')),
};

export const stuckDetailSchema = z
  .object({
    ...taskFields,
    condition: z.literal('STUCK'),
    status: z.string().check(z.describe('The transitional status the task has stayed in.')),
    statusSince: z.iso
      .datetime()
      .check(z.describe('When this service first saw the task in `status`.')),
    stuckAfterMs: z
      .number()
      .check(
        z.int(),
        z.minimum(0),
        z.describe('The threshold for `status` (STUCK_AFTER) the task has exceeded.'),
      ),
  })
  .check(
    z.describe(
      `EventBridge detail of "${STUCK_DETAIL_TYPE}" events from source "${EVENT_SOURCE}": once per stay in a transitional status past its threshold.`,
    ),
  );

export const unobservableDetailSchema = z
  .object({
    ...taskFields,
    condition: z.literal('UNOBSERVABLE'),
    since: z.iso.datetime().check(z.describe('When the first of the failed polls in a row ran.')),
    failedPolls: z
      .number()
      .check(z.int(), z.minimum(1), z.describe('Polls in a row that could not observe it.')),
    lastErrorCode: z
      .string()
      .check(z.describe('The `code` of the last failure (as in problem responses).')),
  })
  .check(
    z.describe(
      `EventBridge detail of "${UNOBSERVABLE_DETAIL_TYPE}" events from source "${EVENT_SOURCE}": once per episode of UNOBSERVABLE_AFTER or more polls in a row that could not observe a watched task.`,
    ),
  );

export const observableAgainDetailSchema = z
  .object({
    ...taskFields,
    condition: z.literal('OBSERVABLE_AGAIN'),
    unobservableSince: z.iso
      .datetime()
      .check(z.describe('The `since` of the Unobservable event this ends (same episode).')),
  })
  .check(
    z.describe(
      `EventBridge detail of "${OBSERVABLE_AGAIN_DETAIL_TYPE}" events from source "${EVENT_SOURCE}": the first successful observation after an Unobservable event.`,
    ),
  );

export const healthDetailSchema = z.discriminatedUnion('condition', [
  stuckDetailSchema,
  unobservableDetailSchema,
  observableAgainDetailSchema,
]);

export type HealthDetail = z.infer<typeof healthDetailSchema>;
export type HealthCondition = HealthDetail['condition'];

export const HEALTH_DETAIL_TYPES: Record<HealthCondition, string> = {
  STUCK: STUCK_DETAIL_TYPE,
  UNOBSERVABLE: UNOBSERVABLE_DETAIL_TYPE,
  OBSERVABLE_AGAIN: OBSERVABLE_AGAIN_DETAIL_TYPE,
};

/** The event as EventBridge delivers it to a rule's target, per condition (for the schemas). */
export function healthEventSchema<T extends z.ZodMiniType>(detailType: string, detail: T) {
  return z
    .looseObject({
      source: z.literal(EVENT_SOURCE),
      'detail-type': z.literal(detailType),
      detail,
    })
    .check(z.describe(`"${detailType}" (deduplicate on detail.eventId).`));
}

/** A UUID-shaped id from the task, the condition and the start of its episode. */
export function healthEventId(ref: TaskRef, condition: HealthCondition, since: string): string {
  return nameBasedId(`${taskKey(ref)}#${condition}#${since}`);
}
