import type middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import * as z from 'zod/mini';
import { connectorTaskSchema } from '../connector-task';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { upstreamDeadline } from '../deadline';
import type { Observation } from '../task-observer';
import { problemResponses } from './error-middleware';
import { taskRefFromPath } from './path-parameters';
import { jsonResponse } from './problem';

/** The single-task answer: the normalized task, and how long it has been in its status. */
export const taskResponseSchema = z
  .extend(connectorTaskSchema, {
    statusSince: z
      .nullable(z.iso.datetime())
      .check(
        z.describe(
          'When this service first saw the task in its current status (Huawei Cloud does not say when a status began, so it may have begun earlier, between two observations). null in the rare answer that is older than the status on record.',
        ),
      ),
    statusDurationMs: z
      .nullable(z.number().check(z.int(), z.minimum(0)))
      .check(
        z.describe('Milliseconds from `statusSince` to this answer; null when `statusSince` is.'),
      ),
  })
  .check(z.describe('A Smart Connect task as Huawei Cloud reports it now, normalized.'));

export type TaskResponse = z.infer<typeof taskResponseSchema>;

export function taskResponse(observation: Observation, now: number): TaskResponse {
  const { statusSince } = observation;
  return {
    ...observation.task,
    statusSince,
    statusDurationMs: statusSince === null ? null : Math.max(0, now - Date.parse(statusSince)),
  };
}

export type HttpHandler = middy.MiddyfiedHandler<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  Context
>;

/** `GET /v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}`. */
export function createGetTaskHandler(container: Container): HttpHandler {
  const { config, clock, logger, metrics, observer } = container;
  return lambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(container)
    .use(problemResponses(logger, metrics))
    .handler(async (event, context, { signal }) => {
      const ref = taskRefFromPath(event.pathParameters, config.huawei.projectIds);
      const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
      const observation = await observer.observe(ref, { deadline, signal });
      logger.info('Task observed', {
        ...ref,
        status: observation.task.status,
        statusChanged: observation.statusChanged,
        upstreamRequestId: observation.upstreamRequestId,
      });
      return jsonResponse(200, taskResponse(observation, clock.now()));
    });
}
