import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { countError, logError } from '../log-error';
import { problemResponse } from './problem';

/** Turns any error into a problem+json response; the only error handling an HTTP handler has. */
export function problemResponses(
  logger: Logger,
  metrics: Metrics,
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context> {
  return {
    onError: (request) => {
      logError(logger, request.error);
      countError(metrics, request.error);
      request.response = problemResponse(request.error, {
        path: request.event.rawPath,
        requestId: request.context.awsRequestId,
      });
    },
  };
}
