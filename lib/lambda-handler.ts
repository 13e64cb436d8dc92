import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Container } from './container';

/**
 * What every handler starts with: a trace segment, logs carrying the request id (keys reset per
 * invocation), metrics flushed at the end. middy aborts the handler's signal 50 ms before the
 * Lambda deadline as a backstop; our own deadline (lib/deadline.ts) ends the work well before.
 */
export function lambdaHandler<TEvent, TResult>(
  container: Pick<Container, 'tracing' | 'logger' | 'metrics'> &
    Partial<Pick<Container, 'upstreamOutcomes' | 'signatureGuard'>>,
): middy.MiddyfiedHandler<TEvent, TResult, Error, Context> {
  const handler = middy<TEvent, TResult, Error, Context>({ timeoutEarlyInMillis: 50 });
  if (container.tracing.middleware) handler.use(container.tracing.middleware);
  const publishCounts = () => container.upstreamOutcomes?.flush();
  return handler
    .use({ before: () => container.signatureGuard?.startInvocation() })
    .use(injectLambdaContext(container.logger, { resetKeys: true }))
    .use(logMetrics(container.metrics))
    .use({ after: publishCounts, onError: publishCounts });
}
