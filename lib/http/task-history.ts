import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { InvalidRequestError, TaskNotObservedError } from '../errors';
import { lambdaHandler } from '../lambda-handler';
import type { HistoryEntry, HistoryPage } from '../status/status-history';
import { problemResponses } from './error-middleware';
import type { HttpHandler } from './get-task';
import { taskRefFromPath } from './path-parameters';
import type { HistoryReaderContainer } from './history-container';
import { jsonResponse } from './problem';
import '../zod-locale';

export const TASK_HISTORY_ROUTE =
  '/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}/history';

export const DEFAULT_HISTORY_LIMIT = 20;
export const MAX_HISTORY_LIMIT = 100;

/** A sequence number as the query string carries it: digits only, no sign, no exponent. */
const sequenceText = z.pipe(
  z.string().check(z.regex(/^[1-9]\d{0,14}$/, 'must be a positive whole number')),
  z.transform(Number),
);

/** The route's query; the OpenAPI document's query parameters are generated from this. */
export const historyQuerySchema = z.object({
  limit: z
    .optional(
      z.pipe(
        z.pipe(
          z
            .string()
            .check(z.regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`)),
          z.transform(Number),
        ),
        z
          .number()
          .check(
            z.minimum(1, `must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`),
            z.maximum(MAX_HISTORY_LIMIT, `must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`),
          ),
      ),
    )
    .check(
      z.describe(
        `How many transitions to answer, newest first (1 to ${MAX_HISTORY_LIMIT}, default ${DEFAULT_HISTORY_LIMIT}).`,
      ),
    ),
  before: z
    .optional(sequenceText)
    .check(
      z.describe('The `next` cursor of the previous page: answers the transitions before it.'),
    ),
});

export const transitionSchema = z.object({
  sequence: z
    .number()
    .check(z.int(), z.minimum(1), z.describe('The change number of the task (as in its event).')),
  previousStatus: z
    .nullable(z.string())
    .check(z.describe('null for the first observation of the task.')),
  status: z
    .string()
    .check(z.describe('The status the task changed to ("DELETED" when it disappeared).')),
  at: z.iso.datetime().check(z.describe('When this service saw the change.')),
  durationMs: z
    .nullable(z.number().check(z.int(), z.minimum(0)))
    .check(
      z.describe(
        'How long the task had been in `previousStatus`: the time since the change before this one. null for the first observation, and when that change is no longer in the history.',
      ),
    ),
  eventId: z
    .uuid()
    .check(z.describe('The `eventId` of the status-change event of this transition.')),
});

export const taskHistorySchema = z
  .object({
    transitions: z.array(transitionSchema).check(z.describe('Newest first.')),
    next: z
      .nullable(z.string())
      .check(z.describe('Pass as `before` for the older transitions; null when there are none.')),
  })
  .check(z.describe('The status transitions this service recorded for a task.'));

export type TaskHistory = z.infer<typeof taskHistorySchema>;

function historyQuery(query: Readonly<Record<string, string | undefined>> | undefined) {
  const parsed = historyQuerySchema.safeParse(query ?? {});
  if (!parsed.success) {
    throw new InvalidRequestError(
      'Invalid query parameters.',
      parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.'),
        problem: issue.message,
      })),
    );
  }
  return parsed.data;
}

/** Newest first; each transition's duration is the time since the change just before it. */
export function toTaskHistory(page: HistoryPage): TaskHistory {
  const transitions = page.entries.map((entry, index) => {
    const before = page.entries[index + 1] ?? page.older;
    return {
      sequence: entry.sequence,
      previousStatus: entry.previousStatus,
      status: entry.status,
      at: entry.at,
      durationMs: durationInPreviousStatus(entry, before),
      eventId: entry.eventId,
    };
  });
  const last = page.entries.at(-1);
  return { transitions, next: page.more && last ? String(last.sequence) : null };
}

function durationInPreviousStatus(entry: HistoryEntry, before: HistoryEntry | undefined) {
  if (entry.previousStatus === null || before?.sequence !== entry.sequence - 1) return null;
  return Math.max(0, Date.parse(entry.at) - Date.parse(before.at));
}

/** `GET .../connector/tasks/{task_id}/history`: what this service recorded, no call to Huawei. */
export function createTaskHistoryHandler(container: HistoryReaderContainer): HttpHandler {
  const { config, logger, metrics, store, history } = container;
  return lambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(container)
    .use(problemResponses(logger, metrics))
    .handler(async (event) => {
      const ref = taskRefFromPath(event.pathParameters, config.projectIds);
      const { limit = DEFAULT_HISTORY_LIMIT, before } = historyQuery(event.queryStringParameters);
      const page = await history.page(ref, limit, before);
      // Empty history: either a task never observed, or one whose changes all expired.
      if (page.entries.length === 0 && before === undefined && !(await store.get(ref))) {
        throw new TaskNotObservedError();
      }
      return jsonResponse(200, toTaskHistory(page));
    });
}
