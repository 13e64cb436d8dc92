/**
 * What the parent and its child processes exchange. Inputs travel in the BENCH_CHILD_INPUT
 * environment variable (JSON), results in the file named by BENCH_RESULT_FILE: the children's
 * stdout is /dev/null, so nothing they log reaches (or slows) a terminal.
 */

export const INPUT_VARIABLE = 'BENCH_CHILD_INPUT';
export const RESULT_FILE_VARIABLE = 'BENCH_RESULT_FILE';

/** One first invocation in a fresh process: a Lambda handler, or a job module's `run()`. */
export interface FirstInvocationInput {
  /** Absolute path of the module to require. */
  readonly module: string;
  readonly exportName: string;
  readonly kind: 'lambda' | 'job';
  /** Lambda: the event and the function's remaining time; job: the argument of `run`. */
  readonly event: unknown;
  readonly remainingMs: number;
  readonly functionName: string;
}

export interface FirstInvocationResult {
  /** performance.now() when the child's own code started: node's bootstrap before it. */
  readonly startedMs: number;
  /** After the module was required (and, for a bundle, its container built). */
  readonly loadedMs: number;
  /** After the first invocation answered. */
  readonly respondedMs: number;
  readonly output: unknown;
  readonly error?: string;
  /** CPU time (user + system, all threads) of the whole process, read just before exiting. */
  readonly cpuMs: number;
  /** The same, read when the module was loaded: cpuMs minus this is the invocation's CPU. */
  readonly loadedCpuMs: number;
  /** VmHWM: the process's peak resident set, in KiB, read just before exiting. */
  readonly peakRssKb: number | undefined;
}

/** The SDK comparison job: what the official client needs to make the same call. */
export interface SdkJobInput {
  readonly secretId: string;
  readonly endpoint: string;
  readonly projectId: string;
  readonly instanceId: string;
  readonly taskId: string;
}

/** The cold-start floor job: the SDK job's input, and where the task's stored status is. */
export interface FloorJobInput extends SdkJobInput {
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
  readonly statusKey: string;
}

export interface SdkJobOutput {
  readonly httpStatusCode: number | undefined;
  readonly id: string | undefined;
  readonly status: string | undefined;
}

/** The warm child: one bundled HTTP handler in-process, against the same simulator. */
export interface WarmInput {
  readonly module: string;
  readonly exportName: string;
  readonly event: unknown;
  readonly upstreamUrl: string;
  readonly projectId: string;
  readonly instanceId: string;
  readonly taskId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The floor's status read: the GetItem the handler sends, to the same DynamoDB stand-in. */
  readonly dynamoDb: {
    readonly url: string;
    readonly region: string;
    readonly requestBody: string;
    readonly credentials: {
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
    };
  };
  readonly concurrency: number;
  readonly requests: number;
  readonly blocks: number;
  readonly warmupRequests: number;
  readonly sequentialPairs: number;
}

/**
 * `bare`: the signed upstream GET alone. `floor`: the least the handler's design needs, the same
 * GET and then (after its answer, as the observer reads) one signed DynamoDB GetItem, nothing else.
 */
export type WarmKind = 'handler' | 'bare' | 'floor';

export interface WarmBlock {
  readonly kind: WarmKind;
  readonly wallMs: number;
  /** CPU time (user + system) of the whole child process during the block. */
  readonly cpuMs: number;
  readonly latenciesMs: number[];
}

export interface WarmResult {
  readonly concurrent: WarmBlock[];
  /** One request at a time, the three kinds in rotating order: index i of each is a round. */
  readonly sequential: {
    readonly handlerMs: number[];
    readonly bareMs: number[];
    readonly floorMs: number[];
    /** CPU time of the child over all handler (bare, floor) requests. */
    readonly handlerCpuMs: number;
    readonly bareCpuMs: number;
    readonly floorCpuMs: number;
  };
  readonly failures: number;
  readonly firstFailure?: string;
}

/**
 * The poll floor: one poll's own requests sent again, bare. `upstream` are the simulator's
 * records (path and query as received), `aws` the proxy's (X-Amz-Target, content type, body).
 * Too large for the environment: the child's input names a JSON file holding it.
 */
export interface PollFloorInput {
  readonly upstreamUrl: string;
  readonly projectId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly upstream: readonly { readonly path: string; readonly query: string }[];
  readonly awsUrl: string;
  readonly region: string;
  readonly awsCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly aws: readonly {
    readonly target: string;
    readonly contentType: string;
    readonly body: string;
  }[];
  readonly concurrency: number;
}

export interface PollFloorResult {
  /** CPU time (user + system, all threads) of the replay, the process's start-up excluded. */
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly upstreamRequests: number;
  readonly awsRequests: number;
  /** Answers that were not JSON, or upstream answers other than 200. */
  readonly failures: number;
  readonly firstFailure?: string;
}

export function peakRssKb(status: string): number | undefined {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) : undefined;
}
