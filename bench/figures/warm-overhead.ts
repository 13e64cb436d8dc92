/**
 * Figure 2: warm overhead. One child process (stdout on /dev/null) loads the bundled http handler
 * and sends the same task request through it, as a bare signed node:http request, and as the
 * design's floor (that request, then a bare signed GetItem), 10,000 each at 32 in flight in
 * rotating blocks, then one at a time in rotating rounds.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { join } from 'node:path';
import { partitionKey } from '../../lib/status/status-store';
import { httpEvent } from '../../test/support/lambda';
import type { PromiseCostInput, PromiseCostResult } from '../children/promise-cost';
import type { WarmBlock, WarmInput, WarmKind, WarmResult } from '../children/protocol';
import type { FunctionBundle } from '../support/bundles';
import { runNode, type CompiledChildren } from '../support/children';
import { DynamoDbReplay } from '../support/dynamodb-replay';
import { BENCH_CREDENTIALS, type BenchEnvironment } from '../support/environment';
import { median, quantile } from '../support/stats';

/**
 * Issue #11. The CPU ratio is for one request at a time (as a Lambda instance serves): the
 * child's CPU per handler request ÷ per bare signed GET.
 */
export const WARM_TARGETS = {
  p50OverheadMs: 0.5,
  p99OverheadMs: 3,
  throughputRatio: 0.8,
  cpuPerRequestRatio: 2,
};

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface WarmOverheadResult {
  readonly requests: number;
  /** Handler/bare/floor block rounds at `concurrency` in flight: what the medians are over. */
  readonly repetitions: number;
  readonly concurrency: number;
  readonly upstreamLatencyMs: number;
  readonly dynamoDbLatencyMs: number;
  readonly logLevel: string;
  readonly concurrent: {
    readonly handler: LatencySummary & {
      readonly perSecond: number;
      readonly cpuMsPerRequest: number;
    };
    readonly bare: LatencySummary & {
      readonly perSecond: number;
      readonly cpuMsPerRequest: number;
    };
    /** The design's least work: the bare GET, then a bare GetItem (lib/aws/sigv4.ts). */
    readonly floor: LatencySummary & {
      readonly perSecond: number;
      readonly cpuMsPerRequest: number;
    };
    readonly p50OverheadMs: number;
    readonly p99OverheadMs: number;
    readonly throughputRatio: number;
    /** The same figures for the floor against the bare GET: what no handler of this design beats. */
    readonly floorP50OverheadMs: number;
    readonly floorP99OverheadMs: number;
    readonly floorThroughputRatio: number;
  };
  readonly sequential: {
    readonly pairs: number;
    readonly handler: LatencySummary & { readonly cpuMsPerRequest: number };
    readonly bare: LatencySummary & { readonly cpuMsPerRequest: number };
    readonly floor: LatencySummary & { readonly cpuMsPerRequest: number };
    readonly p50OverheadMs: number;
    readonly p99OverheadMs: number;
    /** Median of the per-pair differences (handler − bare, adjacent in time). */
    readonly pairedMedianOverheadMs: number;
    /** CPU per handler request ÷ CPU per bare request. */
    readonly cpuRatio: number;
    readonly floorP50OverheadMs: number;
    readonly floorP99OverheadMs: number;
    /** CPU per floor request ÷ CPU per bare request. */
    readonly floorCpuRatio: number;
    /** CPU per handler request ÷ CPU per floor request: what the handler adds to its design. */
    readonly handlerOverFloorCpuRatio: number;
  };
  /** GetItem calls per second moto sustains at the same concurrency (why the stand-in). */
  readonly motoGetItemPerSecond: number;
  readonly dynamoDbStandInServed: number;
  /** One awaited promise, before and after requiring the http bundle (async hooks show here). */
  readonly promiseNs: PromiseCostResult;
  readonly targets: typeof WARM_TARGETS;
}

export interface WarmOptions {
  readonly requests: number;
  readonly concurrency: number;
  readonly blocks: number;
  readonly warmupRequests: number;
  readonly sequentialPairs: number;
  readonly upstreamLatencyMs: number;
  readonly dynamoDbLatencyMs: number;
  readonly projectId: string;
  readonly instanceId: string;
  readonly taskId: string;
  /** The node binary of the child (the Node 24 figure); the benchmark's own by default. */
  readonly node?: string;
}

type Round = Record<WarmKind, WarmBlock>;

/** The blocks in order, grouped into rounds of one block of each kind. */
function blockRounds(blocks: readonly WarmBlock[]): Round[] {
  const rounds: Round[] = [];
  for (let i = 0; i + 2 < blocks.length; i += 3) {
    const round = Object.fromEntries(blocks.slice(i, i + 3).map((b) => [b.kind, b]));
    if (!round.handler || !round.bare || !round.floor) {
      throw new Error('warm overhead: blocks are not handler/bare/floor rounds');
    }
    rounds.push(round as Round);
  }
  return rounds;
}

function summary(values: readonly number[]): LatencySummary {
  return { p50Ms: quantile(values, 0.5), p99Ms: quantile(values, 0.99) };
}

/** GetItem against moto directly, `concurrency` in flight, for `durationMs`. */
async function motoGetItemRate(
  env: BenchEnvironment,
  key: string,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() - started < durationMs) {
      await env.clients.dynamoDb.send(
        new GetItemCommand({
          TableName: env.tableName,
          Key: { pk: { S: key } },
          ConsistentRead: true,
        }),
      );
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (done / (performance.now() - started)) * 1000;
}

async function promiseCost(
  env: BenchEnvironment,
  http: FunctionBundle,
  children: CompiledChildren,
  workDir: string,
  node: string | undefined,
): Promise<PromiseCostResult> {
  const input: PromiseCostInput = { module: http.entryFile, iterations: 300_000 };
  const run = await runNode<PromiseCostResult>([children.promiseCost], {
    // Requiring the bundle builds its container, which validates this environment (Lambda's own
    // variables included: the DynamoDB client reads the region and credentials at start).
    env: env.lambdaEnv(http),
    input,
    resultFile: join(workDir, 'promise-cost.json'),
    ...(node === undefined ? {} : { node }),
  });
  if (run.code !== 0 || !run.result)
    throw new Error(`promise cost: exit ${run.code}\n${run.stderr}`);
  return run.result;
}

export async function measureWarmOverhead(
  env: BenchEnvironment,
  http: FunctionBundle,
  children: CompiledChildren,
  workDir: string,
  options: WarmOptions,
): Promise<WarmOverheadResult> {
  const { projectId, instanceId, taskId } = options;
  const key = partitionKey({ projectId, instanceId, taskId });
  const stored = await env.clients.dynamoDb.send(
    new GetItemCommand({ TableName: env.tableName, Key: { pk: { S: key } }, ConsistentRead: true }),
  );
  if (!stored.Item) throw new Error('warm overhead: the task has no stored status (seed it first)');
  const motoGetItemPerSecond = await motoGetItemRate(env, key, options.concurrency, 2_000);

  const replay = await DynamoDbReplay.start(
    JSON.stringify({ Item: stored.Item }),
    options.dynamoDbLatencyMs,
  );
  try {
    env.simulator.setLatency(options.upstreamLatencyMs);
    env.simulator.clearRequests();
    const environment = env.lambdaEnv(http, {
      AWS_ENDPOINT_URL_DYNAMODB: replay.url,
      // The per-instance ceiling (default 50/s) exists for Lambda, where an instance serves one
      // request at a time; here one process serves 32 at once.
      UPSTREAM_MAX_REQUESTS_PER_SECOND: '10000',
    });
    const input: WarmInput = {
      module: http.entryFile,
      exportName: http.exportName,
      event: httpEvent({ project_id: projectId, instance_id: instanceId, task_id: taskId }),
      upstreamUrl: env.simulator.url,
      projectId,
      instanceId,
      taskId,
      credentials: BENCH_CREDENTIALS,
      dynamoDb: {
        url: replay.url,
        region: environment.AWS_REGION ?? '',
        // The GetItem of lib/status/status-store.ts (consistent, the decision's attributes).
        requestBody: JSON.stringify({
          TableName: env.tableName,
          Key: { pk: { S: key } },
          ConsistentRead: true,
          ProjectionExpression: 'pk, #status, #version, taskName, observedAt, lookedAt',
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        }),
        credentials: {
          accessKeyId: environment.AWS_ACCESS_KEY_ID ?? '',
          secretAccessKey: environment.AWS_SECRET_ACCESS_KEY ?? '',
          ...(environment.AWS_SESSION_TOKEN ? { sessionToken: environment.AWS_SESSION_TOKEN } : {}),
        },
      },
      concurrency: options.concurrency,
      requests: options.requests,
      blocks: options.blocks,
      warmupRequests: options.warmupRequests,
      sequentialPairs: options.sequentialPairs,
    };
    const run = await runNode<WarmResult>([children.warm], {
      env: environment,
      input,
      resultFile: join(workDir, 'warm-result.json'),
      // Concurrent invocations in one process make Powertools warn on stderr (one invocation
      // flushes the metrics of all); a file keeps that from costing the parent anything.
      stderrFile: join(workDir, 'warm.stderr'),
      timeoutMs: 600_000,
      ...(options.node === undefined ? {} : { node: options.node }),
    });
    const result = run.result;
    if (run.code !== 0 || !result) {
      throw new Error(`warm overhead: child exited ${run.code}\n${run.stderr}`);
    }
    if (result.failures > 0) {
      throw new Error(`warm overhead: ${result.failures} failed requests (${result.firstFailure})`);
    }
    const rejected = env.simulator.requests.filter((r) => r.outcome !== 'served').length;
    if (rejected > 0) throw new Error(`warm overhead: the simulator rejected ${rejected} requests`);

    // Blocks run in adjacent rounds (one block of each kind); each round is one repetition and the
    // figures are medians over the repetitions, so a disturbance during one block moves one sample.
    const rounds = blockRounds(result.concurrent);
    const perBlock = (block: WarmBlock) => ({
      ...summary(block.latenciesMs),
      perSecond: (block.latenciesMs.length / block.wallMs) * 1000,
      cpuMsPerRequest: block.cpuMs / block.latenciesMs.length,
    });
    const measured = rounds.map((round) => ({
      handler: perBlock(round.handler),
      bare: perBlock(round.bare),
      floor: perBlock(round.floor),
    }));
    const medianOf = (pick: (m: (typeof measured)[number]) => number) => median(measured.map(pick));
    const side = (kind: WarmKind) => ({
      p50Ms: medianOf((m) => m[kind].p50Ms),
      p99Ms: medianOf((m) => m[kind].p99Ms),
      perSecond: medianOf((m) => m[kind].perSecond),
      cpuMsPerRequest: medianOf((m) => m[kind].cpuMsPerRequest),
    });
    const { sequential } = result;
    const oneAtATime = (latencies: number[], cpuMs: number) => ({
      ...summary(latencies),
      cpuMsPerRequest: cpuMs / latencies.length,
    });
    const seqHandler = oneAtATime(sequential.handlerMs, sequential.handlerCpuMs);
    const seqBare = oneAtATime(sequential.bareMs, sequential.bareCpuMs);
    const seqFloor = oneAtATime(sequential.floorMs, sequential.floorCpuMs);
    const paired = sequential.handlerMs.map((h, i) => h - sequential.bareMs[i]!);
    return {
      requests: rounds.reduce((sum, round) => sum + round.handler.latenciesMs.length, 0),
      repetitions: rounds.length,
      concurrency: options.concurrency,
      upstreamLatencyMs: options.upstreamLatencyMs,
      dynamoDbLatencyMs: options.dynamoDbLatencyMs,
      logLevel: environment.POWERTOOLS_LOG_LEVEL ?? 'INFO',
      concurrent: {
        handler: side('handler'),
        bare: side('bare'),
        floor: side('floor'),
        p50OverheadMs: medianOf((m) => m.handler.p50Ms - m.bare.p50Ms),
        p99OverheadMs: medianOf((m) => m.handler.p99Ms - m.bare.p99Ms),
        throughputRatio: medianOf((m) => m.handler.perSecond / m.bare.perSecond),
        floorP50OverheadMs: medianOf((m) => m.floor.p50Ms - m.bare.p50Ms),
        floorP99OverheadMs: medianOf((m) => m.floor.p99Ms - m.bare.p99Ms),
        floorThroughputRatio: medianOf((m) => m.floor.perSecond / m.bare.perSecond),
      },
      sequential: {
        pairs: paired.length,
        handler: seqHandler,
        bare: seqBare,
        floor: seqFloor,
        p50OverheadMs: seqHandler.p50Ms - seqBare.p50Ms,
        p99OverheadMs: seqHandler.p99Ms - seqBare.p99Ms,
        pairedMedianOverheadMs: quantile(paired, 0.5),
        cpuRatio: seqHandler.cpuMsPerRequest / seqBare.cpuMsPerRequest,
        floorP50OverheadMs: seqFloor.p50Ms - seqBare.p50Ms,
        floorP99OverheadMs: seqFloor.p99Ms - seqBare.p99Ms,
        floorCpuRatio: seqFloor.cpuMsPerRequest / seqBare.cpuMsPerRequest,
        handlerOverFloorCpuRatio: seqHandler.cpuMsPerRequest / seqFloor.cpuMsPerRequest,
      },
      motoGetItemPerSecond,
      dynamoDbStandInServed: replay.served,
      promiseNs: await promiseCost(env, http, children, workDir, options.node),
      targets: WARM_TARGETS,
    };
  } finally {
    await replay.stop();
  }
}
