import type middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { z } from 'zod';
import { connectorTaskSchema } from '../connector-task';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { upstreamDeadline } from '../deadline';
import { InvalidRequestError, ProjectNotServedError } from '../errors';
import type { Observation } from '../task-observer';
import { instanceIdSchema, projectIdSchema, taskIdSchema, type TaskRef } from '../task-ref';
import { problemResponses } from './error-middleware';
import { jsonResponse } from './problem';

/** The route's path parameters; the OpenAPI document's parameters are generated from this. */
export const pathParametersSchema = z.object({
  project_id: projectIdSchema.describe('Huawei Cloud project ID (32 lowercase hex characters).'),
  instance_id: instanceIdSchema.describe('DMS for Kafka instance ID (a lowercase UUID).'),
  task_id: taskIdSchema.describe('Smart Connect task ID (a lowercase UUID).'),
});

/** The single-task answer: the normalized task, and how long it has been in its status. */
export const taskResponseSchema = connectorTaskSchema
  .extend({
    statusSince: z.iso
      .datetime()
      .nullable()
      .describe(
        'When this service first saw the task in its current status (Huawei Cloud does not say when a status began, so it may have begun earlier, between two observations). null in the rare answer that is older than the status on record.',
      ),
    statusDurationMs: z
      .number()
      .int()
      .min(0)
      .nullable()
      .describe('Milliseconds from `statusSince` to this answer; null when `statusSince` is.'),
  })
  .describe('A Smart Connect task as Huawei Cloud reports it now, normalized.');

export type TaskResponse = z.infer<typeof taskResponseSchema>;

export function taskResponse(observation: Observation, now: number): TaskResponse {
  const { statusSince } = observation;
  return {
    ...observation.task,
    statusSince,
    statusDurationMs: statusSince === null ? null : Math.max(0, now - Date.parse(statusSince)),
  };
}

/** Validates the route's path parameters before anything is sent upstream. */
export function taskRefFromPath(
  pathParameters: Readonly<Record<string, string | undefined>> | undefined,
  servedProjects: ReadonlySet<string>,
): TaskRef {
  const parsed = pathParametersSchema.safeParse(pathParameters ?? {});
  if (!parsed.success) {
    throw new InvalidRequestError(
      'Invalid path parameters.',
      parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.'),
        problem: issue.code === 'invalid_type' ? 'is required' : issue.message,
      })),
    );
  }
  const { project_id: projectId, instance_id: instanceId, task_id: taskId } = parsed.data;
  if (!servedProjects.has(projectId)) throw new ProjectNotServedError();
  return { projectId, instanceId, taskId };
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
