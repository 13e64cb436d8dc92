import type middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { z } from 'zod';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { upstreamDeadline } from '../deadline';
import { InvalidRequestError, ProjectNotServedError } from '../errors';
import { instanceIdSchema, projectIdSchema, taskIdSchema, type TaskRef } from '../task-ref';
import { problemResponses } from './error-middleware';
import { jsonResponse } from './problem';

/** The route's path parameters; the OpenAPI document's parameters are generated from this. */
export const pathParametersSchema = z.object({
  project_id: projectIdSchema.describe('Huawei Cloud project ID (32 lowercase hex characters).'),
  instance_id: instanceIdSchema.describe('DMS for Kafka instance ID (a lowercase UUID).'),
  task_id: taskIdSchema.describe('Smart Connect task ID (a lowercase UUID).'),
});

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
      return jsonResponse(200, observation.task);
    });
}
