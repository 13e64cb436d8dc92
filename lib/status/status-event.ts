import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { connectorTaskSchema } from '../connector-task';
import { taskKey, type TaskRef } from '../task-ref';

export const EVENT_SOURCE = 'huawei-dms.connector-status';
export const EVENT_DETAIL_TYPE = 'Smart Connect Task Status Changed';

/**
 * Reported when a task we knew disappears upstream (404), so consumers learn of deletions.
 * Not a Huawei status: Huawei has no status for a task that no longer exists.
 */
export const DELETED_STATUS = 'DELETED';

export const statusChangeDetailSchema = z
  .object({
    eventId: z
      .uuid()
      .check(
        z.describe('Deterministic from (task, sequence): the same change always has the same id.'),
      ),
    sequence: z
      .number()
      .check(
        z.int(),
        z.minimum(1),
        z.describe('Per-task change counter: orders the changes of one task.'),
      ),
    projectId: z.string(),
    instanceId: z.string(),
    taskId: z.string(),
    taskName: z.nullable(z.string()),
    previousStatus: z
      .nullable(z.string())
      .check(z.describe('null on the first observation of a task (no stored state).')),
    status: z
      .string()
      .check(z.describe(`The new status; "${DELETED_STATUS}" when the task disappeared.`)),
    observedAt: z.iso.datetime().check(z.describe('When this service saw the new status.')),
    task: z
      .nullable(connectorTaskSchema)
      .check(
        z.describe(`The normalized task as observed; null when status is "${DELETED_STATUS}".`),
      ),
  })
  .check(
    z.describe(
      `EventBridge detail of "${EVENT_DETAIL_TYPE}" events from source "${EVENT_SOURCE}".`,
    ),
  );

export type StatusChangeDetail = z.infer<typeof statusChangeDetailSchema>;

/** A UUID-shaped id derived from the task and its change sequence. */
export function statusEventId(ref: TaskRef, sequence: number): string {
  return nameBasedId(`${taskKey(ref)}#${sequence}`);
}

/** A UUID-shaped id derived from `name` alone (name-based, like UUIDv5): the same name, the same id. */
export function nameBasedId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The event as EventBridge delivers it to a rule's target (envelope fields we do not set pass). */
export const statusChangeEventSchema = z
  .looseObject({
    source: z.literal(EVENT_SOURCE),
    'detail-type': z.literal(EVENT_DETAIL_TYPE),
    detail: statusChangeDetailSchema,
  })
  .check(
    z.describe(
      `Emitted once per status change of a Smart Connect task (deduplicate on detail.eventId).`,
    ),
  );
