import type middy from '@middy/core';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Tracing } from './tracing';

/**
 * X-Ray through the Powertools Tracer. Not part of any function bundle: it is built on its own
 * into the xrayTracing layer (serverless.yml, param `tracing`), and lib/tracing.ts loads it from
 * there only when Lambda runs with active tracing. Importing it installs the X-Ray SDK's async
 * hooks, which make every promise dearer (BENCHMARKS.md), traced or not.
 */
export function createXrayTracing(serviceName: string): Tracing {
  const tracer = new Tracer({ serviceName });
  return {
    enabled: true,
    middleware: captureLambdaHandler(tracer, { captureResponse: false }) as middy.MiddlewareObj,
    captureClient: (client) => tracer.captureAWSv3Client(client),
    async traced(name, annotations, work) {
      const parent = tracer.getSegment();
      if (!parent) return work();
      const subsegment = parent.addNewSubsegment(name);
      for (const [key, value] of Object.entries(annotations)) subsegment.addAnnotation(key, value);
      try {
        return await work();
      } catch (error) {
        subsegment.addError(error as Error, true);
        throw error;
      } finally {
        subsegment.close();
      }
    },
  };
}
