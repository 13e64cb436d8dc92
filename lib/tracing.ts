import type middy from '@middy/core';
import type { Environment } from './config';
import { createLogger } from './logger';
import type * as XrayTracingExports from './xray-tracing';

type XrayTracingModule = typeof XrayTracingExports;

/**
 * The package the xrayTracing layer provides (serverless.yml, param `tracing`; built from
 * lib/xray-tracing.ts into /opt/nodejs/node_modules/<this name>/index.js, which Lambda's Node
 * runtime finds through NODE_PATH). Jest maps the name to the source (jest.config.cjs).
 */
export const XRAY_TRACING_MODULE = 'dms-status-xray-tracing';

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
 * X-Ray when Lambda runs with active tracing (it then sets AWS_XRAY_DAEMON_ADDRESS) and
 * POWERTOOLS_TRACE_ENABLED is not "false". Otherwise the tracing code is not even loaded: the
 * X-Ray SDK installs async hooks at load that make every promise about ten times dearer, traced or
 * not (measured in BENCHMARKS.md). Without the layer (active tracing turned on some other way) it
 * is off too, and says so once.
 */
export function createTracing(env: Environment, serviceName: string): Tracing {
  if (!env.AWS_XRAY_DAEMON_ADDRESS || env.POWERTOOLS_TRACE_ENABLED === 'false') return NO_TRACING;
  return loadXrayTracing(serviceName)?.createXrayTracing(serviceName) ?? NO_TRACING;
}

/** Undefined until the first attempt; null when the layer could not be loaded. */
let xrayTracing: XrayTracingModule | null | undefined;

function loadXrayTracing(serviceName: string): XrayTracingModule | null {
  if (xrayTracing !== undefined) return xrayTracing;
  try {
    // The name is in a variable so that esbuild leaves this require alone: the module is the
    // layer's, and bundling it would put the X-Ray SDK back into every function zip.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    xrayTracing = require(XRAY_TRACING_MODULE) as XrayTracingModule;
  } catch (error) {
    xrayTracing = null;
    // Tracing never fails a cold start. The code only (MODULE_NOT_FOUND: the layer is not
    // attached): a message would list the paths searched and say nothing more.
    createLogger(serviceName).warn(
      'X-Ray tracing is off: Lambda runs with active tracing but the tracing layer could not be loaded',
      {
        module: XRAY_TRACING_MODULE,
        reason: (error as NodeJS.ErrnoException).code ?? (error as Error).name,
      },
    );
  }
  return xrayTracing;
}
