/**
 * Values shared by the unit tests of the status pipeline (observer → table → stream → events):
 * one task, its changes as the store writes them, and stream records built from those items.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { normalizeConnectorTask, type ConnectorTask } from '../../lib/connector-task';
import { statusEventId, type StatusChangeDetail } from '../../lib/status/status-event';
import { toItem, type StatusChange } from '../../lib/status/status-store';
import type { TaskRef } from '../../lib/task-ref';
import {
  healthEventId,
  type HealthCondition,
  type HealthDetail,
} from '../../lib/health/health-events';
import { toItem as toHealthItem } from '../../lib/health/health-store';
import { HEALTHY } from '../../lib/health/task-health';

export const REF: TaskRef = {
  projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  instanceId: '59f6d088-1b2c-4d5e-8f90-123456789abc',
  taskId: '194917d0-aaaa-4bbb-8ccc-0123456789ab',
};

export const OTHER_REF: TaskRef = { ...REF, taskId: '2a5a28e1-bbbb-4ccc-8ddd-123456789abc' };

export const TASK_NAME = 'replicate-orders';
export const OBSERVED_AT = '2026-11-23T12:00:00.000Z';

/** A task as the normalizer produces it from Huawei's answer. */
export function connectorTask(status = 'RUNNING', ref: TaskRef = REF): ConnectorTask {
  return normalizeConnectorTask({ id: ref.taskId, status, task_name: TASK_NAME });
}

/** A committed change; the task follows `status` unless given. */
export function statusChange(overrides: Partial<StatusChange> = {}): StatusChange {
  const status = overrides.status ?? 'RUNNING';
  return {
    status,
    version: 1,
    taskName: TASK_NAME,
    observedAt: OBSERVED_AT,
    lookedAt: Date.parse(OBSERVED_AT),
    previousStatus: null,
    task: connectorTask(status),
    ...overrides,
  };
}

/** The detail the stream consumer publishes for change `version` of `ref`. */
export function statusDetail(
  ref: TaskRef = REF,
  version = 1,
  overrides: Partial<StatusChangeDetail> = {},
): StatusChangeDetail {
  const status = overrides.status ?? 'RUNNING';
  return {
    eventId: statusEventId(ref, version),
    sequence: version,
    ...ref,
    taskName: TASK_NAME,
    previousStatus: version === 1 ? null : 'WAITING',
    status,
    observedAt: OBSERVED_AT,
    task: connectorTask(status, ref),
    ...overrides,
  };
}

export type Image = Record<string, AttributeValue>;

/** The item the store writes for `change` of `ref`. */
export function taskItem(change: Partial<StatusChange> = {}, ref: TaskRef = REF): Image {
  return toItem(ref, statusChange(change));
}

export const EVENT_SOURCE_ARN =
  'arn:aws:dynamodb:eu-west-1:123456789012:table/status/stream/2026-11-23T12:00:00.000';

/** A DynamoDB stream record as Lambda's event source mapping delivers it. */
export function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { newImage?: Image; oldImage?: Image },
  sequenceNumber = '100000000000000000001',
): Record<string, unknown> {
  const keySource = images.newImage ?? images.oldImage;
  return {
    eventID: `event-${sequenceNumber}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    eventSourceARN: EVENT_SOURCE_ARN,
    dynamodb: {
      ApproximateCreationDateTime: 1_795_435_200,
      Keys: keySource?.pk ? { pk: keySource.pk } : {},
      SequenceNumber: sequenceNumber,
      SizeBytes: 512,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(images.newImage ? { NewImage: images.newImage } : {}),
      ...(images.oldImage ? { OldImage: images.oldImage } : {}),
    },
  };
}

/** The record of committing `change` of `ref`: an INSERT for version 1, else a MODIFY. */
export function changeRecord(
  change: Partial<StatusChange> = {},
  ref: TaskRef = REF,
  sequenceNumber?: string,
): Record<string, unknown> {
  const next = statusChange(change);
  const newImage = toItem(ref, next);
  if (next.version === 1) return streamRecord('INSERT', { newImage }, sequenceNumber);
  const oldImage = toItem(ref, statusChange({ status: 'WAITING', version: next.version - 1 }));
  return streamRecord('MODIFY', { newImage, oldImage }, sequenceNumber);
}

/** A health fact of `ref` as the poller commits it (lib/health/task-health.ts). */
export function healthDetail(
  condition: HealthCondition,
  ref: TaskRef = REF,
  since = '2026-11-23T11:00:00.000Z',
): HealthDetail {
  const common = {
    eventId: healthEventId(ref, condition, since),
    ...ref,
    observedAt: OBSERVED_AT,
  };
  switch (condition) {
    case 'STUCK':
      return {
        ...common,
        condition,
        status: 'RESTARTING',
        statusSince: since,
        stuckAfterMs: 900_000,
      };
    case 'UNOBSERVABLE':
      return { ...common, condition, since, failedPolls: 3, lastErrorCode: 'UPSTREAM_AUTH_FAILED' };
    case 'OBSERVABLE_AGAIN':
      return { ...common, condition, unobservableSince: since };
  }
}

/** A health item's image as lib/health/health-store.ts writes it, for `facts` at `revision`. */
export function healthItem(
  facts: readonly HealthDetail[],
  revision = 1,
  ref: TaskRef = REF,
): Record<string, AttributeValue> {
  return toHealthItem(ref, { health: { ...HEALTHY, revision }, facts }, Date.parse(OBSERVED_AT));
}
