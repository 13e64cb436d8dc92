import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod/mini';
import { parseJsonOrUndefined } from '../json';
import { instanceIdSchema, projectIdSchema, taskIdSchema } from '../task-ref';
import { statusChangeDetailSchema, statusEventId, type StatusChangeDetail } from './status-event';
import { TASK_KEY_PREFIX } from './status-store';
import { HEALTH_KEY_PREFIX, healthDetailSchema, type HealthDetail } from '../health/health-events';

/** The part of a DynamoDB stream record (as Lambda delivers it) this consumer relies on. */
const streamRecordSchema = z.object({
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  dynamodb: z.object({
    SequenceNumber: z.string().check(z.minLength(1)),
    NewImage: z.optional(z.record(z.string(), z.unknown())),
    OldImage: z.optional(z.record(z.string(), z.unknown())),
  }),
});

/** A task item as lib/status/status-store.ts `toItem` writes it for a committed change. */
const taskItemSchema = z.object({
  pk: z.string().check(z.startsWith(TASK_KEY_PREFIX)),
  projectId: projectIdSchema,
  instanceId: instanceIdSchema,
  taskId: taskIdSchema,
  status: z.string().check(z.minLength(1)),
  version: z.number().check(z.int(), z.minimum(1)),
  taskName: z.nullable(z.string()),
  observedAt: z.string(),
  previousStatus: z.nullable(z.string()),
  task: z.nullable(z.string()),
});

export type StreamRecordMeaning =
  /** Not a committed status change (another kind of item, a removal, a write of the same version). */
  | { readonly kind: 'skip' }
  | { readonly kind: 'change'; readonly detail: StatusChangeDetail }
  /** A health item's write: the events it stands for (often none: a failed poll counted). */
  | { readonly kind: 'health'; readonly details: readonly HealthDetail[] }
  /** A task item that cannot become an event: retrying cannot help. */
  | { readonly kind: 'unpublishable'; readonly problem: string };

/** The stream's position of a record, when it has one (what batch item failures name). */
export function sequenceNumberOf(record: unknown): string | undefined {
  const parsed = streamRecordSchema.shape.dynamodb.shape.SequenceNumber.safeParse(
    (record as { dynamodb?: { SequenceNumber?: unknown } } | null)?.dynamodb?.SequenceNumber,
  );
  return parsed.success ? parsed.data : undefined;
}

const UNREADABLE = Symbol('unreadable image');

function image(
  value: Record<string, unknown> | undefined,
): Record<string, unknown> | typeof UNREADABLE | undefined {
  if (value === undefined) return undefined;
  try {
    return unmarshall(value as Record<string, AttributeValue>);
  } catch {
    return UNREADABLE;
  }
}

/**
 * What one stream record means. Every committed change is an INSERT or MODIFY whose new image
 * carries a higher version than the old one; the event is built from the new image alone, so the
 * same record always gives the same event (same eventId), however often it is delivered.
 */
export function readStreamRecord(record: unknown): StreamRecordMeaning {
  const parsed = streamRecordSchema.safeParse(record);
  if (!parsed.success) return { kind: 'unpublishable', problem: 'not a DynamoDB stream record' };
  const { eventName, dynamodb } = parsed.data;
  const next = image(dynamodb.NewImage);
  if (eventName === 'REMOVE' || !next) return { kind: 'skip' };
  if (next === UNREADABLE) return { kind: 'unpublishable', problem: 'the new image is unreadable' };
  const previous = image(dynamodb.OldImage);
  if (typeof next.pk === 'string' && next.pk.startsWith(HEALTH_KEY_PREFIX)) {
    return readHealthItem(next, previous);
  }
  if (typeof next.pk !== 'string' || !next.pk.startsWith(TASK_KEY_PREFIX)) return { kind: 'skip' };
  // A write that did not raise the version committed no change, whatever the item's shape (an
  // earlier version's marker updates included).
  const previousVersion = previous === UNREADABLE ? undefined : previous?.version;
  if (
    typeof previousVersion === 'number' &&
    typeof next.version === 'number' &&
    previousVersion >= next.version
  ) {
    return { kind: 'skip' };
  }

  const item = taskItemSchema.safeParse(next);
  if (!item.success) return { kind: 'unpublishable', problem: 'the task item is malformed' };

  const { projectId, instanceId, taskId, version } = item.data;
  const ref = { projectId, instanceId, taskId };
  const detail = statusChangeDetailSchema.safeParse({
    eventId: statusEventId(ref, version),
    sequence: version,
    ...ref,
    taskName: item.data.taskName,
    previousStatus: item.data.previousStatus,
    status: item.data.status,
    observedAt: item.data.observedAt,
    task: item.data.task === null ? null : parseJsonOrUndefined(item.data.task),
  });
  if (!detail.success) return { kind: 'unpublishable', problem: 'the stored change is malformed' };
  return { kind: 'change', detail: detail.data };
}

const healthItemSchema = z.object({
  revision: z.number().check(z.int(), z.minimum(1)),
  facts: z.string(),
});

/** The events a health item's write stands for, from its new image alone (like a change's). */
function readHealthItem(
  next: Record<string, unknown>,
  previous: Record<string, unknown> | typeof UNREADABLE | undefined,
): StreamRecordMeaning {
  const item = healthItemSchema.safeParse(next);
  if (!item.success) return { kind: 'unpublishable', problem: 'the health item is malformed' };
  const previousRevision = previous === UNREADABLE ? undefined : previous?.revision;
  if (typeof previousRevision === 'number' && previousRevision >= item.data.revision) {
    return { kind: 'skip' };
  }
  const details = z.array(healthDetailSchema).safeParse(parseJsonOrUndefined(item.data.facts));
  if (!details.success) return { kind: 'unpublishable', problem: 'the health facts are malformed' };
  return { kind: 'health', details: details.data };
}
