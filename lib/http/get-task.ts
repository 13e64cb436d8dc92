import type middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { upstreamDeadline } from '../deadline';
import { problemResponses } from './error-middleware';
import { taskRefFromPath } from './path-parameters';
import { jsonResponse } from './problem';

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
