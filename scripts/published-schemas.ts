import * as z from 'zod/mini';
import { connectorTaskSchema } from '../lib/connector-task';
import { openApiDocument } from '../lib/http/openapi';
import {
  OBSERVABLE_AGAIN_DETAIL_TYPE,
  STUCK_DETAIL_TYPE,
  UNOBSERVABLE_DETAIL_TYPE,
  healthEventSchema,
  observableAgainDetailSchema,
  stuckDetailSchema,
  unobservableDetailSchema,
} from '../lib/health/health-events';
import { statusChangeEventSchema } from '../lib/status/status-event';

/*
 * Every JSON document this repository publishes, keyed by its repo-relative path. The generator
 * writes them and a unit test fails when a checked-in copy drifts from its source schema, so
 * adding a document is adding one entry here.
 */

/** A URN rather than a URL: the schemas are published in this repository, not served anywhere. */
const SCHEMA_ID_PREFIX = 'urn:huawei-dms-connector-status:schema:';

export function publishedSchemas(): Record<string, unknown> {
  return {
    'schemas/connector-task.schema.json': jsonSchema(connectorTaskSchema, {
      id: 'connector-task',
      title: 'ConnectorTask',
    }),
    'schemas/status-change-event.schema.json': jsonSchema(statusChangeEventSchema, {
      id: 'status-change-event',
      title: 'SmartConnectTaskStatusChanged',
    }),
    'schemas/task-stuck-event.schema.json': jsonSchema(
      healthEventSchema(STUCK_DETAIL_TYPE, stuckDetailSchema),
      { id: 'task-stuck-event', title: 'SmartConnectTaskStuck' },
    ),
    'schemas/task-unobservable-event.schema.json': jsonSchema(
      healthEventSchema(UNOBSERVABLE_DETAIL_TYPE, unobservableDetailSchema),
      { id: 'task-unobservable-event', title: 'SmartConnectTaskUnobservable' },
    ),
    'schemas/task-observable-again-event.schema.json': jsonSchema(
      healthEventSchema(OBSERVABLE_AGAIN_DETAIL_TYPE, observableAgainDetailSchema),
      { id: 'task-observable-again-event', title: 'SmartConnectTaskObservableAgain' },
    ),
    'docs/openapi.json': openApiDocument(),
  };
}

/** The one serialization, shared by the generator and the drift test so they cannot disagree. */
export function renderPublishedDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function jsonSchema(schema: z.ZodMiniType, about: { id: string; title: string }): unknown {
  const { $schema, ...body } = z.toJSONSchema(schema);
  // `$schema` and `$id` first: readers (and tools that sniff the draft) look at the top.
  return { $schema, $id: `${SCHEMA_ID_PREFIX}${about.id}`, title: about.title, ...body };
}
