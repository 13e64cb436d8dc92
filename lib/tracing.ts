import type middy from '@middy/core';
import type * as TracerModuleExports from '@aws-lambda-powertools/tracer';
import type * as TracerMiddlewareExports from '@aws-lambda-powertools/tracer/middleware';
import type { Environment } from './config';

type TracerModule = typeof TracerModuleExports;
type TracerMiddlewareModule = typeof TracerMiddlewareExports;

/** What the code needs from tracing; a no-op when there is nothing to trace. */
export interface Tracing {
  readonly enabled: boolean;
  /** Opens the invocation's segment; undefined when tracing is off. */
  readonly middleware: middy.MiddlewareObj | undefined;
  /** Records an AWS SDK v3 client's calls as subsegments. */
  captureClient<T>(client: T): T;
  /**
   * Runs `work` in a subsegment (the Huawei call is not an AWS SDK call, nothing else traces
   * it). The subsegment is attached, not made current: a poll runs many at once.
   */
  traced<T>(
    name: string,
    annotations: Readonly<Record<string, string>>,
    work: () => Promise<T>,
  ): Promise<T>;
}

const NO_TRACING: Tracing = {
  enabled: false,
  middleware: undefined,
  captureClient: (client) => client,
  traced: (_name, _annotations, work) => work(),
};

/**
 * X-Ray through the Powertools Tracer when Lambda runs with active tracing (it then sets
 * AWS_XRAY_DAEMON_ADDRESS) and POWERTOOLS_TRACE_ENABLED is not "false". Otherwise the Tracer is
 * not even loaded: the X-Ray SDK installs async hooks at load that make every promise about ten
 * times dearer, traced or not (measured in BENCHMARKS.md).
 */
export function createTracing(env: Environment, serviceName: string): Tracing {
  if (!env.AWS_XRAY_DAEMON_ADDRESS || env.POWERTOOLS_TRACE_ENABLED === 'false') return NO_TRACING;
  // Loaded on demand, for the reason above; esbuild still bundles both.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { Tracer } = require('@aws-lambda-powertools/tracer') as TracerModule;
  const { captureLambdaHandler } =
    require('@aws-lambda-powertools/tracer/middleware') as TracerMiddlewareModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
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
