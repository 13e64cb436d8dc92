import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { InvalidRequestError, WatchNotFoundError } from '../errors';
import { lambdaHandler } from '../lambda-handler';
import { watchKey, type WatchEntry } from '../poll/watch-list';
import type { WatchRoutesContainer } from '../watches/watch-container';
import type { StoredWatch } from '../watches/watch-store';
import { problemResponses } from './error-middleware';
import type { HttpHandler } from './get-task';
import { instanceRefFromPath, projectIdFromPath, taskRefFromPath } from './path-parameters';
import { RESPONSE_HEADERS, jsonResponse } from './problem';

export const WATCHES_ROUTE = '/watches';
export const PROJECT_WATCH_ROUTE = '/watches/{project_id}';
export const INSTANCE_WATCH_ROUTE = '/watches/{project_id}/instances/{instance_id}';
export const TASK_WATCH_ROUTE =
  '/watches/{project_id}/instances/{instance_id}/connector/tasks/{task_id}';

export const watchSchema = z
  .object({
    key: z
      .string()
      .check(
        z.describe(
          'The watch’s key: `{project_id}/*`, `{project_id}/{instance_id}/*` or `{project_id}/{instance_id}/{task_id}`.',
        ),
      ),
    scope: z
      .enum(['project', 'instance', 'task'])
      .check(
        z.describe(
          '`project`: every task of every Kafka instance of the project (instances discovered at each poll); `instance`: every task of the instance (discovered at each poll); `task`: one task.',
        ),
      ),
    projectId: z.string(),
    instanceId: z.nullable(z.string()).check(z.describe('null for a whole-project watch.')),
    taskId: z.nullable(z.string()).check(z.describe('null unless the scope is `task`.')),
    source: z
      .enum(['stored', 'environment'])
      .check(
        z.describe(
          '`stored`: put through these routes; `environment`: an entry of the deployment’s `WATCHED_TASKS`, changed only by redeploying.',
        ),
      ),
    readOnly: z
      .boolean()
      .check(z.describe('true for `environment` watches: DELETE cannot remove them.')),
    createdAt: z
      .nullable(z.iso.datetime())
      .check(z.describe('When the watch was first put; null for `environment` watches.')),
  })
  .check(z.describe('A watch: what the scheduled poller observes, from its next poll on.'));

export const watchListSchema = z
  .object({
    watches: z
      .array(watchSchema)
      .check(z.describe('The `WATCHED_TASKS` entries first, then every stored watch by key.')),
  })
  .check(z.describe('Everything the scheduled poller watches (before discovery expands it).'));

export type Watch = z.infer<typeof watchSchema>;

function toWatch(entry: WatchEntry, source: Watch['source'], createdAt: string | null): Watch {
  const ids =
    entry.kind === 'task'
      ? {
          projectId: entry.ref.projectId,
          instanceId: entry.ref.instanceId,
          taskId: entry.ref.taskId,
        }
      : {
          projectId: entry.projectId,
          instanceId: entry.kind === 'instance' ? entry.instanceId : null,
          taskId: null,
        };
  return {
    key: watchKey(entry),
    scope: entry.kind,
    ...ids,
    source,
    readOnly: source === 'environment',
    createdAt,
  };
}

type PathParameters = APIGatewayProxyEventV2['pathParameters'];

/** The watch a path names: the deepest path parameter present says the scope. */
function entryFromPath(path: PathParameters, projectIds: ReadonlySet<string>): WatchEntry {
  if (path?.task_id !== undefined) return { kind: 'task', ref: taskRefFromPath(path, projectIds) };
  if (path?.instance_id !== undefined) {
    return { kind: 'instance', ...instanceRefFromPath(path, projectIds) };
  }
  return { kind: 'project', projectId: projectIdFromPath(path, projectIds) };
}

/**
 * `GET /watches`, `PUT`/`DELETE /watches/{project_id}[/instances/{instance_id}[/connector/tasks/
 * {task_id}]]`: the watch list as data. One function behind every watch route (each its own route
 * key, so IAM can allow the GET and not the writes); nothing is sent to Huawei Cloud.
 */
export function createWatchRoutesHandler(container: WatchRoutesContainer): HttpHandler {
  const { config, clock, logger, metrics, watches } = container;
  return lambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(container)
    .use(problemResponses(logger, metrics))
    .handler(async (event) => {
      const method = event.requestContext.http.method;
      if (method === 'GET' && event.pathParameters?.project_id === undefined) {
        const stored = (await watches.list()).sort(byKey);
        return jsonResponse(200, {
          watches: [
            ...config.configuredWatches.map((entry) => toWatch(entry, 'environment', null)),
            ...stored.map((watch) => toWatch(watch.entry, 'stored', watch.createdAt)),
          ],
        });
      }
      const entry = entryFromPath(event.pathParameters, config.projectIds);
      if (method === 'PUT') {
        const { created, watch } = await watches.put(entry, new Date(clock.now()).toISOString());
        return jsonResponse(created ? 201 : 200, toWatch(watch.entry, 'stored', watch.createdAt));
      }
      if (method === 'DELETE') {
        if (!(await watches.delete(entry))) throw new WatchNotFoundError();
        return { statusCode: 204, headers: { ...RESPONSE_HEADERS } };
      }
      // Only the routes above invoke this function; anything else is a wiring mistake.
      throw new InvalidRequestError(`${method} is not a watch operation.`);
    });
}

function byKey(a: StoredWatch, b: StoredWatch): number {
  const [ka, kb] = [watchKey(a.entry), watchKey(b.entry)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
