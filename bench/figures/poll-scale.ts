/**
 * Figure 3: poll scale. 10,000 watched tasks (200 instances × 50, watched as whole-instance
 * entries and discovered through the list API) polled by the bundled scheduled function in a
 * fresh process, against a simulator answering after 20 ms, with every task's current status
 * already stored (a steady-state poll) except ~1% flipped just before the run.
 */
import { BatchWriteItemCommand, QueryCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DYNAMODB_CLIENT_SETTINGS } from '../../lib/aws-client-config';
import { dynamoDbClientFromEnvironment } from '../../lib/aws/dynamodb-client';
import {
  BY_INSTANCE_INDEX,
  DynamoDbStatusStore,
  partitionKey,
} from '../../lib/status/status-store';
import type { TaskRef } from '../../lib/task-ref';
import { exampleTask } from '../../test/simulator/huawei-dms-simulator';
import type { FirstInvocationInput, FirstInvocationResult } from '../children/protocol';
import type { FunctionBundle } from '../support/bundles';
import { runNode, type CompiledChildren } from '../support/children';
import type { AwsCall } from '../support/counting-proxy';
import type { BenchEnvironment } from '../support/environment';
import { busyShare, cpuSnapshot } from '../support/machine';
import { max, mean, median } from '../support/stats';

export const POLL_TARGETS = {
  wallVsIdeal: 1.15,
  peakRssMb: 150,
  getSecretValueCalls: 1,
  putEventsEntriesPerCall: 10,
};
/** What Lambda allows for all of a function's environment variables together. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;

export interface PollOptions {
  readonly instances: number;
  readonly tasksPerInstance: number;
  /** Every n-th task changes status before each measured poll. */
  readonly changeEvery: number;
  readonly concurrency: number;
  readonly maxRequestsPerSecond: number;
  readonly upstreamLatencyMs: number;
  readonly runs: number;
  readonly projectId: string;
}

export interface PollRun {
  readonly wallMs: number;
  readonly processWallMs: number;
  readonly peakRssMb: number;
  /** CPU time of the whole child process (start-up included). */
  readonly cpuMs: number;
  /** CPU time of the benchmark process (simulator and proxy) during the run. */
  readonly parentCpuMs: number;
  /** Share of the machine's CPU (all cores) busy during the run, 0–1. */
  readonly machineBusy: number;
  readonly discoveryMs: number;
  readonly pollPhaseMs: number;
  readonly awsCalls: Readonly<Record<string, number>>;
  readonly putEventsEntries: readonly number[];
  readonly queryMeanMs: number;
  readonly stdoutBytes: number;
  readonly stdoutLines: number;
}

export interface PollScaleResult {
  readonly tasks: number;
  readonly instances: number;
  readonly listCalls: number;
  readonly changesPerRun: number;
  readonly concurrency: number;
  readonly upstreamLatencyMs: number;
  readonly maxRequestsPerSecond: number;
  readonly idealMs: number;
  readonly idealDiscoveryMs: number;
  readonly idealPollPhaseMs: number;
  readonly watchedTasksBytes: number;
  /** Names and literal values of the function's other variables (Lambda counts both). */
  readonly otherVariablesBytes: number;
  /** Whole-instance entries (`<uuid>/*`) that fit in what Lambda leaves for WATCHED_TASKS. */
  readonly maxInstanceEntries: number;
  readonly runs: readonly PollRun[];
  /** Medians over runs. */
  readonly wallMs: number;
  readonly wallVsIdeal: number;
  readonly discoveryMs: number;
  readonly pollPhaseMs: number;
  readonly pollPhaseVsIdeal: number;
  /** Median over runs of each run's peak; the max beside it. */
  readonly peakRssMb: number;
  readonly peakRssMaxMb: number;
  readonly queryMeanMs: number;
  /** One GSI Query on the 10,000-item table, alone (median of a few): moto scans every item. */
  readonly isolatedQueryMs: number;
  readonly summary: Readonly<Record<string, unknown>>;
  readonly targets: typeof POLL_TARGETS;
}

const hex = (value: number, width: number) => value.toString(16).padStart(width, '0');
const instanceId = (i: number) => `a0000000-0000-4000-8000-${hex(i, 12)}`;
const taskId = (i: number, j: number) => `${hex(i, 8)}-0000-4000-8000-${hex(j, 12)}`;

/** Stores RUNNING for every task, as the poller itself would have after an earlier poll. */
async function seedStatuses(env: BenchEnvironment, refs: readonly TaskRef[]): Promise<void> {
  const observedAt = new Date().toISOString();
  const requests: WriteRequest[] = refs.map((ref) => ({
    PutRequest: {
      Item: {
        pk: { S: partitionKey(ref) },
        projectId: { S: ref.projectId },
        instanceId: { S: ref.instanceId },
        taskId: { S: ref.taskId },
        instanceKey: { S: `${ref.projectId}/${ref.instanceId}` },
        status: { S: 'RUNNING' },
        version: { N: '1' },
        taskName: { S: `task-${ref.taskId}` },
        observedAt: { S: observedAt },
      },
    },
  }));
  let next = 0;
  const writer = async () => {
    while (next < requests.length) {
      let batch = requests.slice(next, (next += 25));
      while (batch.length > 0) {
        const output = await env.clients.dynamoDb.send(
          new BatchWriteItemCommand({ RequestItems: { [env.tableName]: batch } }),
        );
        batch = output.UnprocessedItems?.[env.tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  // Read a chunk back through the function's own store: the seeded items must be what it reads.
  const store = new DynamoDbStatusStore(
    dynamoDbClientFromEnvironment(process.env, DYNAMODB_CLIENT_SETTINGS),
    env.tableName,
  );
  const sample = refs.slice(0, 100);
  const read = await store.getMany(sample);
  if (
    read.size !== sample.length ||
    [...read.values()].some((s) => s instanceof Error || s.status !== 'RUNNING')
  ) {
    throw new Error('poll scale: the seeded statuses do not read back as the function reads them');
  }
}

async function isolatedQuery(
  env: BenchEnvironment,
  projectId: string,
  instance: string,
): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await env.clients.dynamoDb.send(
      new QueryCommand({
        TableName: env.tableName,
        IndexName: BY_INSTANCE_INDEX,
        KeyConditionExpression: 'instanceKey = :instance',
        ExpressionAttributeValues: { ':instance': { S: `${projectId}/${instance}` } },
      }),
    );
    samples.push(performance.now() - started);
  }
  return median(samples);
}

function phase(times: readonly number[]): number {
  return times.length === 0 ? 0 : Math.max(...times) - Math.min(...times);
}

export async function measurePollScale(
  env: BenchEnvironment,
  scheduled: FunctionBundle,
  children: CompiledChildren,
  workDir: string,
  options: PollOptions,
): Promise<PollScaleResult> {
  const { projectId } = options;
  const instances = Array.from({ length: options.instances }, (_, i) => instanceId(i));
  const refs: TaskRef[] = [];
  instances.forEach((instance, i) => {
    for (let j = 0; j < options.tasksPerInstance; j++) {
      const ref = { projectId, instanceId: instance, taskId: taskId(i, j) };
      refs.push(ref);
      env.simulator.putTask(
        projectId,
        instance,
        exampleTask({ id: ref.taskId, task_name: `task-${ref.taskId}`, status: 'RUNNING' }),
      );
    }
  });
  await seedStatuses(env, refs);
  const changing = refs.filter((_, index) => index % options.changeEvery === 0);
  env.simulator.setLatency(options.upstreamLatencyMs);

  // Whole-instance entries; the project is implied (the deployment serves one).
  const watchedTasks = instances.map((instance) => `${instance}/*`).join(',');
  const environment = env.lambdaEnv(scheduled, {
    WATCHED_TASKS: watchedTasks,
    POLL_CONCURRENCY: String(options.concurrency),
    UPSTREAM_MAX_REQUESTS_PER_SECOND: String(options.maxRequestsPerSecond),
  });
  const input: FirstInvocationInput = {
    module: scheduled.entryFile,
    exportName: scheduled.exportName,
    kind: 'lambda',
    event: {
      version: '0',
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/huawei-dms-connector-status-poll'],
      detail: {},
    },
    remainingMs: scheduled.timeoutSeconds * 1000,
    functionName: `huawei-dms-connector-status-ci-${scheduled.name}`,
  };

  const listCalls = options.instances * Math.ceil(options.tasksPerInstance / 50);
  const runs: PollRun[] = [];
  let lastSummary: Record<string, unknown> = {};
  for (let r = 0; r < options.runs; r++) {
    const status = r % 2 === 0 ? 'PAUSED' : 'RUNNING';
    for (const ref of changing) {
      env.simulator.setTaskStatus(ref.projectId, ref.instanceId, ref.taskId, status);
    }
    env.simulator.clearRequests();
    env.proxy.reset();
    const stdoutFile = join(workDir, `poll-${r}.stdout`);
    const machineBefore = cpuSnapshot();
    const parentBefore = process.cpuUsage();
    const run = await runNode<FirstInvocationResult>([children.firstInvocation], {
      env: environment,
      input,
      resultFile: join(workDir, 'poll-result.json'),
      stderrFile: join(workDir, `poll-${r}.stderr`),
      stdoutFile,
      timeoutMs: 600_000,
    });
    const parentCpu = process.cpuUsage(parentBefore);
    const machineBusy = busyShare(machineBefore, cpuSnapshot());
    const result = run.result;
    const summary = result?.output as Record<string, number> | undefined;
    if (run.code !== 0 || !result || !summary) {
      throw new Error(`poll scale: child exited ${run.code} ${result?.error ?? ''}\n${run.stderr}`);
    }
    if (summary.checked !== refs.length || summary.failed !== 0) {
      throw new Error(`poll scale: unexpected summary ${JSON.stringify(summary)}`);
    }
    if (summary.changed !== changing.length) {
      throw new Error(`poll scale: ${summary.changed} changes recorded, ${changing.length} made`);
    }
    const requests = env.simulator.requests;
    const rejected = requests.filter((q) => q.outcome !== 'served').length;
    if (rejected > 0) throw new Error(`poll scale: the simulator rejected ${rejected} requests`);
    const isList = (path: string) => path.endsWith('/connector/tasks');
    const lists = requests.filter((q) => isList(q.path)).map((q) => q.receivedAt.getTime());
    const gets = requests.filter((q) => !isList(q.path)).map((q) => q.receivedAt.getTime());
    const calls = env.proxy.calls;
    const of = (operation: string): AwsCall[] => calls.filter((c) => c.operation === operation);
    const queries = of('DynamoDB.Query');
    const stdout = readFileSync(stdoutFile, 'utf8');
    runs.push({
      wallMs: result.respondedMs - result.loadedMs,
      processWallMs: run.wallMs,
      peakRssMb: (result.peakRssKb ?? Number.NaN) / 1024,
      cpuMs: result.cpuMs,
      parentCpuMs: (parentCpu.user + parentCpu.system) / 1000,
      machineBusy,
      discoveryMs: phase(lists),
      pollPhaseMs: phase(gets),
      awsCalls: Object.fromEntries(env.proxy.counts()),
      putEventsEntries: of('EventBridge.PutEvents').map((c) => c.entries ?? 0),
      queryMeanMs: queries.length > 0 ? mean(queries.map((c) => c.endedMs - c.startedMs)) : 0,
      stdoutBytes: statSync(stdoutFile).size,
      stdoutLines: stdout.length === 0 ? 0 : stdout.trimEnd().split('\n').length,
    });
    lastSummary = summary;
  }

  const isolatedQueryMs = await isolatedQuery(env, projectId, instances[0] ?? '');
  const otherVariablesBytes = Object.entries(scheduled.environment)
    .filter(([name]) => name !== 'WATCHED_TASKS')
    .reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
  const tasks = refs.length;
  const latency = options.upstreamLatencyMs;
  const idealMs = ((tasks + listCalls) * latency) / options.concurrency;
  const idealPollPhaseMs = (tasks * latency) / options.concurrency;
  const wallMs = median(runs.map((r) => r.wallMs));
  const pollPhaseMs = median(runs.map((r) => r.pollPhaseMs));
  return {
    tasks,
    instances: options.instances,
    listCalls,
    changesPerRun: changing.length,
    concurrency: options.concurrency,
    upstreamLatencyMs: latency,
    maxRequestsPerSecond: options.maxRequestsPerSecond,
    idealMs,
    idealDiscoveryMs: (listCalls * latency) / options.concurrency,
    idealPollPhaseMs,
    watchedTasksBytes: Buffer.byteLength(watchedTasks),
    otherVariablesBytes,
    maxInstanceEntries: Math.floor(
      (LAMBDA_ENVIRONMENT_LIMIT_BYTES - otherVariablesBytes - 'WATCHED_TASKS'.length + 1) /
        (instances[0] ?? '').concat('/*,').length,
    ),
    runs,
    wallMs,
    wallVsIdeal: wallMs / idealMs,
    discoveryMs: median(runs.map((r) => r.discoveryMs)),
    pollPhaseMs,
    pollPhaseVsIdeal: pollPhaseMs / idealPollPhaseMs,
    peakRssMb: median(runs.map((r) => r.peakRssMb)),
    peakRssMaxMb: max(runs.map((r) => r.peakRssMb)),
    queryMeanMs: median(runs.map((r) => r.queryMeanMs)),
    isolatedQueryMs,
    summary: lastSummary,
    targets: POLL_TARGETS,
  };
}
