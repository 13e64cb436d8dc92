import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { mapSettled } from '../concurrency';
import { connectorTaskSchema } from '../connector-task';
import type { Container } from '../container';
import { upstreamDeadline } from '../deadline';
import { TaskListTooLargeError, TaskNotFoundError, UpstreamContractError } from '../errors';
import type { CallOptions } from '../huawei/dms-client';
import { LIST_PAGE_LIMIT, MAX_LIST_PAGES, type TaskListPage } from '../huawei/task-list-pages';
import { lambdaHandler } from '../lambda-handler';
import { BatchedStatusReads } from '../status/batched-status-reads';
import type { StatusStore } from '../status/status-store';
import { listedTask, type ListedTask, type TaskObserver } from '../task-observer';
import type { InstanceRef } from '../task-ref';
import { problemResponses } from './error-middleware';
import type { HttpHandler } from './get-task';
import { instanceRefFromPath } from './path-parameters';
import { jsonResponse } from './problem';

/** The route's 200 body; the OpenAPI document's schema is generated from this. */
export const connectorTaskListSchema = z
  .object({
    tasks: z
      .array(connectorTaskSchema)
      .check(
        z.describe('Every task of the instance, each once, in the order Huawei Cloud lists them.'),
      ),
    total: z.number().check(z.int(), z.minimum(0), z.describe('How many tasks `tasks` holds.')),
  })
  .check(z.describe('Every Smart Connect task of a DMS for Kafka instance.'));

export type ConnectorTaskList = z.infer<typeof connectorTaskListSchema>;

/**
 * Lambda refuses a synchronous result above 6 MB (6,291,556 bytes) of serialized JSON, and API
 * Gateway then answers a bare 500. Measured on the result as Lambda serializes it (the body is an
 * escaped string inside it), 6 MiB leaves a hundred bytes to spare.
 */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

export interface ListTasksOptions {
  /** The largest serialized Lambda result the route answers with; tests pass a small one. */
  readonly maxResponseBytes: number;
}

/**
 * Recording runs a page's worth at once: their stored-status reads share one BatchGetItem, and the
 * writes (only on change) stay within the SDK's default of 50 sockets.
 */
const RECORD_CONCURRENCY = LIST_PAGE_LIMIT;
/** How long a stored-status read waits for others to share its BatchGetItem (as the poller). */
const READ_LINGER_MS = 5;

/**
 * `GET /v2/{project_id}/instances/{instance_id}/connector/tasks`: every task of the instance from
 * all pages of ListConnectorTasks, each entity an observation recorded through the same path as
 * the other triggers. Nothing is recorded unless the whole list was read, every entity is valid
 * and the answer fits in one response: the caller gets all of it or a problem, never part of it.
 */
export function createListTasksHandler(
  container: Container,
  options: ListTasksOptions = { maxResponseBytes: LAMBDA_RESPONSE_LIMIT_BYTES },
): HttpHandler {
  const { config, clock, logger, metrics, observer, store } = container;
  return lambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(container)
    .use(problemResponses(logger, metrics))
    .handler(async (event, context, { signal }) => {
      const instance = instanceRefFromPath(event.pathParameters, config.huawei.projectIds);
      const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
      const listed = await listEveryTask(
        instance,
        observer,
        { deadline, signal },
        options.maxResponseBytes,
      );
      const tasks = listed.map(({ task }) => task);
      const body: ConnectorTaskList = { tasks, total: tasks.length };
      const response = jsonResponse(200, body);
      if (serializedBytes(response) > options.maxResponseBytes) throw new TaskListTooLargeError();
      const statusChanges = await recordEvery(listed, observer, store);
      logger.info('Tasks listed', { ...instance, tasks: tasks.length, statusChanges });
      return response;
    });
}

/**
 * Every task on every page, each once: a task that moved to a later page while we paged (another
 * was deleted before it) is kept where it was first listed, with its later, fresher observation.
 * One invalid entity spoils the listing (UPSTREAM_CONTRACT_VIOLATION), as an invalid body does on
 * the single-task route: a list without it would be a partial list.
 */
async function listEveryTask(
  instance: InstanceRef,
  observer: TaskObserver,
  call: CallOptions,
  maxResponseBytes: number,
): Promise<ListedTask[]> {
  const byId = new Map<string, { listed: ListedTask; bytes: number }>();
  // The tasks' own JSON is a floor of the response's size (escaping only adds to it): a listing
  // past the limit ends as soon as it is, rather than after paging through the rest.
  let floorBytes = 0;
  let last: TaskListPage | undefined;
  try {
    for await (const page of observer.listPages(instance, call)) {
      for (let index = 0; index < page.entities.length; index++) {
        const listed = listedTask(instance, page, index);
        const bytes = Buffer.byteLength(JSON.stringify(listed.task));
        floorBytes += bytes - (byId.get(listed.task.id)?.bytes ?? 0);
        byId.set(listed.task.id, { listed, bytes });
      }
      if (floorBytes > maxResponseBytes) throw new TaskListTooLargeError();
      last = page;
    }
  } catch (error) {
    // Any 404 of the instance's task collection means the instance: there is no task in the path.
    if (error instanceof TaskNotFoundError && error.code === 'TASK_NOT_FOUND') {
      throw new TaskNotFoundError('instance', error.upstreamRequestId);
    }
    throw error;
  }
  if (last?.more) {
    throw new UpstreamContractError(`the task list does not end within ${MAX_LIST_PAGES} pages`);
  }
  return [...byId.values()].map(({ listed }) => listed);
}

/**
 * Records every listed task as an observation (read after the listing, decide, conditional commit).
 * A task that could not be recorded fails the request with its error, after the others were
 * recorded: each of those is a true observation, and the caller's retry records the rest.
 */
async function recordEvery(
  listed: readonly ListedTask[],
  observer: TaskObserver,
  store: StatusStore,
): Promise<number> {
  const reads = new BatchedStatusReads(store, READ_LINGER_MS);
  const results = await mapSettled(listed, RECORD_CONCURRENCY, (task) =>
    observer.observeListed(task, reads.read),
  );
  let statusChanges = 0;
  for (const result of results) {
    if (!result.ok) throw result.error;
    if (result.value.statusChanged) statusChanges += 1;
  }
  return statusChanges;
}

/** What Lambda counts against its limit: the result object as JSON. */
function serializedBytes(response: APIGatewayProxyStructuredResultV2): number {
  return Buffer.byteLength(JSON.stringify(response));
}
