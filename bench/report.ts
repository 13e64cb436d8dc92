/**
 * Turns the measurements into the console summary and BENCHMARKS.md. Every target check is
 * computed here once, from numbers measured in the same run.
 */
import { EVENTBRIDGE_FUNCTION, EVENTBRIDGE_PACKAGE, type BundleSize } from './figures/bundle-size';
import {
  COLD_VARIANTS,
  type ColdStartResult,
  type ColdVariant,
  type ColdVariantSummary,
  type NodeColdStart,
} from './figures/cold-start';
import type { PollFigure, PollRun, PollScaleResult } from './figures/poll-scale';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from './figures/poll-scale';
import type { WarmOverheadResult } from './figures/warm-overhead';
import type { Machine } from './support/machine';
import { max, median } from './support/stats';

export interface BenchResults {
  readonly machine: Machine;
  readonly durationMs: number;
  /** os.loadavg() when the run started. */
  readonly loadAverage: readonly number[];
  readonly packagedInMs: number | undefined;
  readonly memorySizeMb: number | undefined;
  readonly cold: ColdStartResult;
  readonly warm: WarmOverheadResult;
  readonly poll: PollScaleResult;
  readonly sizes: readonly BundleSize[];
  readonly node24: Node24Figure;
}

/** Informational: the same http bundle under Node 24, when a Node 24 binary could be had. */
export type Node24Figure =
  | {
      readonly available: true;
      readonly version: string;
      readonly cold: NodeColdStart;
      readonly warm: WarmOverheadResult;
    }
  | { readonly available: false; readonly reason: string };

export interface Check {
  readonly figure: string;
  readonly metric: string;
  readonly result: string;
  readonly target: string;
  readonly pass: boolean;
}

const ms = (value: number, digits = 1) => `${value.toFixed(digits)} ms`;
const ratio = (value: number) => `${value.toFixed(2)}×`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mb = (value: number) => `${value.toFixed(1)} MB`;
const count = (value: number) => value.toLocaleString('en-US');
const status = (pass: boolean) => (pass ? 'PASS' : 'MISS');
const calls = (record: Readonly<Record<string, number>>, operation: string) =>
  record[operation] ?? 0;

/** The largest count of a call over a figure's runs (each run is one poll). */
function mostCalls(figure: PollFigure, operation: string): number {
  return max(figure.runs.map((run) => calls(run.awsCalls, operation)));
}

function mostPuts(figure: PollFigure, kind: string): number {
  return max(figure.runs.map((run) => run.putItemsByKind[kind] ?? 0));
}

/** The rows both poll shapes share: what the poller may and may not call on AWS. */
function pollCallChecks(figure: PollFigure, label: string, secretCalls: number): Check[] {
  const tasks = figure.tasks;
  const batchGets = mostCalls(figure, 'DynamoDB.BatchGetItem');
  const gets = mostCalls(figure, 'DynamoDB.GetItem');
  const taskPuts = mostPuts(figure, 'TASK#');
  const healthPuts = mostPuts(figure, 'HEALTH#');
  const otherPuts = mostCalls(figure, 'DynamoDB.PutItem') - taskPuts - healthPuts;
  const updates = mostCalls(figure, 'DynamoDB.UpdateItem');
  const putEvents = mostCalls(figure, 'EventBridge.PutEvents');
  const secrets = mostCalls(figure, 'SecretsManager.GetSecretValue');
  return [
    {
      figure: label,
      metric: 'Secrets Manager GetSecretValue per poll',
      result: String(secrets),
      target: `≤ ${secretCalls}`,
      pass: secrets <= secretCalls,
    },
    {
      figure: label,
      // Status and health reads share BatchGetItem calls; never a GetItem per task.
      metric: 'reads batched: BatchGetItem / GetItem calls',
      result: `${count(batchGets)} / ${count(gets)}`,
      target: `< ${count(tasks)} / 0`,
      pass: batchGets < tasks && gets === 0,
    },
    {
      figure: label,
      metric: `writes only on change: TASK# PutItem / UpdateItem (${figure.changesPerRun} changes)`,
      result: `${count(taskPuts)} / ${count(updates)}`,
      target: `≤ ${figure.changesPerRun} / 0`,
      pass: taskPuts <= figure.changesPerRun && updates === 0,
    },
    {
      figure: label,
      // Every task observed, none stuck or unobservable before or after: no health changes.
      metric: 'HEALTH# PutItem (only when health changes; none does here) / other PutItem',
      result: `${count(healthPuts)} / ${count(otherPuts)}`,
      target: '0 / 0',
      pass: healthPuts === 0 && otherPuts === 0,
    },
    {
      figure: label,
      // Events leave through the table's stream and the statusStream function, not the poller.
      metric: 'PutEvents calls by the poller',
      result: String(putEvents),
      target: '0',
      pass: putEvents === 0,
    },
  ];
}

export function checks(results: BenchResults): Check[] {
  const { cold, warm, poll, sizes } = results;
  const c = warm.concurrent;
  const s = warm.sequential;
  const t = warm.targets;
  const a = poll.instance;
  const b = poll.task;
  const up = a.upstream;
  return [
    {
      figure: '1 cold start',
      metric: 'time above bare node, ours ÷ official SDK (from node_modules)',
      result: `${ratio(cold.ratioVsSdkInstalled)} (${ms(cold.aboveBareMs.ours, 0)} ÷ ${ms(cold.aboveBareMs.sdkInstalled, 0)})`,
      target: `≤ ${cold.targets.vsSdkInstalled}×`,
      pass: cold.ratioVsSdkInstalled <= cold.targets.vsSdkInstalled,
    },
    {
      figure: '1 cold start',
      metric: 'time above bare node, ours ÷ official SDK (bundled like ours)',
      result: `${ratio(cold.ratioVsSdkBundled)} (${ms(cold.aboveBareMs.ours, 0)} ÷ ${ms(cold.aboveBareMs.sdkBundled, 0)})`,
      target: `≤ ${cold.targets.vsSdkBundled}×`,
      pass: cold.ratioVsSdkBundled <= cold.targets.vsSdkBundled,
    },
    {
      figure: '2 warm',
      metric: 'CPU per request ÷ bare signed GET, one request at a time',
      result: `${ratio(s.cpuRatio)} (${ms(s.handler.cpuMsPerRequest, 3)} ÷ ${ms(s.bare.cpuMsPerRequest, 3)})`,
      target: `≤ ${t.cpuPerRequestRatio}×`,
      pass: s.cpuRatio <= t.cpuPerRequestRatio,
    },
    {
      figure: '2 warm',
      metric: 'p50 overhead, one request at a time (as a Lambda instance serves)',
      result: ms(s.p50OverheadMs, 2),
      target: `≤ ${t.p50OverheadMs} ms`,
      pass: s.p50OverheadMs <= t.p50OverheadMs,
    },
    {
      figure: '2 warm',
      metric: 'p99 overhead, one request at a time',
      result: ms(s.p99OverheadMs, 2),
      target: `≤ ${t.p99OverheadMs} ms`,
      pass: s.p99OverheadMs <= t.p99OverheadMs,
    },
    {
      figure: '2 warm',
      metric: `throughput, handler ÷ bare, ${warm.concurrency} in flight`,
      result: `${ratio(c.throughputRatio)} (${c.handler.perSecond.toFixed(0)} ÷ ${c.bare.perSecond.toFixed(0)} req/s)`,
      target: `≥ ${t.throughputRatio}×`,
      pass: c.throughputRatio >= t.throughputRatio,
    },
    {
      figure: '2 warm',
      metric: `p50 overhead, ${warm.concurrency} in flight`,
      result: ms(c.p50OverheadMs, 2),
      target: `≤ ${t.p50OverheadMs} ms`,
      pass: c.p50OverheadMs <= t.p50OverheadMs,
    },
    {
      figure: '2 warm',
      metric: `p99 overhead, ${warm.concurrency} in flight`,
      result: ms(c.p99OverheadMs, 2),
      target: `≤ ${t.p99OverheadMs} ms`,
      pass: c.p99OverheadMs <= t.p99OverheadMs,
    },
    {
      figure: '3a poll, instances',
      metric: `upstream calls per task (list pages + task GETs), ${count(a.tasks)} tasks`,
      result: `${a.upstreamCallsPerTask.toFixed(3)} (${count(up.listTasks)} list + ${count(up.getTask)} GET${up.listInstances + up.other > 0 ? ` + ${count(up.listInstances + up.other)} other` : ''})`,
      target: `≤ ${a.targets.upstreamCallsPerTask.toFixed(2)}, 0 GET`,
      pass: a.upstreamCallsPerTask <= a.targets.upstreamCallsPerTask && up.getTask === 0,
    },
    {
      figure: '3a poll, instances',
      metric: `wall ÷ ideal (${count(a.neededListCalls)} list pages, no GET, ÷ ${poll.concurrency} in flight)`,
      result: `${ratio(a.wallVsIdeal)} (${ms(a.wallMs, 0)} ÷ ${ms(a.idealMs, 0)})`,
      target: `≤ ${a.targets.wallVsIdeal}×`,
      pass: a.wallVsIdeal <= a.targets.wallVsIdeal,
    },
    {
      figure: '3a poll, instances',
      metric: 'CPU per task (the invocation; module load excluded)',
      result: ms(a.cpuMsPerTask, 3),
      target: `≤ ${a.targets.cpuMsPerTask} ms`,
      pass: a.cpuMsPerTask <= a.targets.cpuMsPerTask,
    },
    {
      figure: '3a poll, instances',
      metric: 'peak RSS (VmHWM), median of runs',
      result: `${mb(a.peakRssMb)} (max ${mb(a.peakRssMaxMb)})`,
      target: `≤ ${a.targets.peakRssMb} MB`,
      pass: a.peakRssMb <= a.targets.peakRssMb,
    },
    ...pollCallChecks(a, '3a poll, instances', a.targets.getSecretValueCalls),
    {
      figure: '3b poll, tasks',
      metric: `CPU per task (the invocation), ${count(b.tasks)} task watches`,
      result: ms(b.cpuMsPerTask, 3),
      target: `≤ ${b.targets.cpuMsPerTask} ms`,
      pass: b.cpuMsPerTask <= b.targets.cpuMsPerTask,
    },
    ...pollCallChecks(b, '3b poll, tasks', b.targets.getSecretValueCalls),
    ...sizes.map((size) => ({
      figure: '4 bundle',
      metric: `${size.name}.zip`,
      result: kib(size.zipBytes),
      target: `≤ ${kib(size.targetBytes)}`,
      pass: size.zipBytes <= size.targetBytes,
    })),
    {
      figure: '4 bundle',
      metric: 'no X-Ray SDK / Powertools tracer in any zip',
      result: tracerResult(sizes),
      target: 'none',
      pass: sizes.every((size) => size.tracerPackages.length === 0),
    },
    {
      figure: '4 bundle',
      metric: `${EVENTBRIDGE_PACKAGE} only in ${EVENTBRIDGE_FUNCTION}`,
      result: eventBridgeResult(sizes),
      target: `${EVENTBRIDGE_FUNCTION} only`,
      pass: sizes.every((size) => !size.hasEventBridge || size.name === EVENTBRIDGE_FUNCTION),
    },
  ];
}

function tracerResult(sizes: readonly BundleSize[]): string {
  const carrying = sizes.filter((size) => size.tracerPackages.length > 0);
  if (carrying.length === 0) return 'none';
  const names = [...new Set(carrying.flatMap((size) => size.tracerPackages))].join(', ');
  return `${names} in ${carrying.length === sizes.length ? 'every zip' : carrying.map((x) => x.name).join(', ')}`;
}

function eventBridgeResult(sizes: readonly BundleSize[]): string {
  const carrying = sizes.filter((size) => size.hasEventBridge).map((size) => size.name);
  return carrying.length === 0 ? 'in none' : `in ${carrying.join(', ')}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The console summary: one line per target. */
export function consoleSummary(results: BenchResults): string {
  const rows = checks(results).map((c) => [c.figure, c.metric, c.result, c.target, status(c.pass)]);
  const header = ['figure', 'metric', 'result', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]) =>
    cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  const lines = [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)];
  const n = results.node24;
  lines.push(
    '',
    n.available
      ? `Node 24 (informational, ${n.version}): cold start above bare node ${ms(n.cold.aboveBareMs, 0)} (Node ${process.versions.node}: ${ms(results.cold.aboveBareMs.ours, 0)}); one at a time, CPU per request ${ms(n.warm.sequential.handler.cpuMsPerRequest, 3)} = ${ratio(n.warm.sequential.cpuRatio)} bare (Node ${process.versions.node}: ${ms(results.warm.sequential.handler.cpuMsPerRequest, 3)} = ${ratio(results.warm.sequential.cpuRatio)})`
      : `Node 24 (informational): not measured: ${n.reason}`,
  );
  return lines.join('\n');
}

const VARIANT_LABELS: Record<ColdVariant, string> = {
  bare: '`node -e 0`',
  ours: 'ours: bundled http function, first API Gateway request',
  sdkInstalled: 'official SDK from node_modules, first request',
  sdkBundled: 'official SDK bundled like ours (esbuild, minified), first request',
  floor: 'floor: Secrets Manager SDK, then a bare signed GET and GetItem, bundled like ours',
};

function coldRow(variant: ColdVariant, v: ColdVariantSummary, cold: ColdStartResult): string[] {
  const above = variant === 'bare' ? '—' : ms(cold.aboveBareMs[variant], 0);
  const opt = (value: number | undefined) => (value === undefined ? '—' : ms(value, 0));
  const aws = Object.entries(v.awsCalls)
    .map(([op, n]) => `${op} ×${n}`)
    .join(', ');
  return [
    VARIANT_LABELS[variant],
    `${ms(v.medianWallMs, 0)} (${v.minWallMs.toFixed(0)}–${v.maxWallMs.toFixed(0)})`,
    above,
    opt(v.medianBootstrapMs),
    opt(v.medianLoadMs),
    opt(v.medianFirstRequestMs),
    v.medianPeakRssMb === undefined ? '—' : mb(v.medianPeakRssMb),
    aws || '—',
  ];
}

/**
 * What the design's floor (the bare GET, then the bare GetItem the observer must send after the
 * answer) says of the warm targets: those it misses itself, no handler of this design can meet.
 */
/** For each missed cold-start target: does the floor (the Secrets Manager SDK kept) meet it? */
function coldFloorParagraph(
  cold: ColdStartResult,
  misses: readonly { sdk: 'sdkInstalled' | 'sdkBundled'; allowedMs: number }[],
): string {
  const floor = cold.aboveBareMs.floor;
  const ours = cold.aboveBareMs.ours;
  const v = cold.variants.floor;
  const verdicts = misses.map(({ sdk, allowedMs }) => {
    const against = sdk === 'sdkInstalled' ? 'the installed SDK' : 'the bundled SDK';
    return floor > allowedMs
      ? `against ${against} (allowance ${ms(allowedMs, 0)}) not even the floor meets it (${ratio(floor / allowedMs)} the allowance): with that client kept, no handler of this design can`
      : `against ${against} (allowance ${ms(allowedMs, 0)}) the floor meets it, and ours misses by ${ms(ours - allowedMs, 0)}`;
  });
  return `**The floor** takes ${ms(floor, 0)} above bare node (load ${ms(v.medianLoadMs ?? Number.NaN, 0)}, first request ${ms(v.medianFirstRequestMs ?? Number.NaN, 0)}). Its load is the Secrets Manager SDK's alone (the two signers are a few KiB), and its first request holds the ${cold.upstreamLatencyMs} ms upstream wait, that SDK's first call (credential chain, endpoint rules, signer) and two bare requests. So ${verdicts.join('; ')}. Ours takes ${ms(Math.abs(ours - floor), 0)} ${ours >= floor ? 'more' : 'less'} than the floor: all its own code (middy, Powertools, zod, the DynamoDB client, the container) adds to a cold start.`;
}

function floorParagraph(warm: WarmOverheadResult): string[] {
  const c = warm.concurrent;
  const s = warm.sequential;
  const t = warm.targets;
  const beyondReach = [
    s.floorCpuRatio > t.cpuPerRequestRatio &&
      `CPU per request ≤ ${t.cpuPerRequestRatio}× (the floor: ${ratio(s.floorCpuRatio)})`,
    Math.min(s.floorP50OverheadMs, c.floorP50OverheadMs) > t.p50OverheadMs &&
      `p50 overhead ≤ ${t.p50OverheadMs} ms (the floor: ${ms(s.floorP50OverheadMs, 2)} one at a time, ${ms(c.floorP50OverheadMs, 2)} at ${warm.concurrency} in flight)`,
    Math.min(s.floorP99OverheadMs, c.floorP99OverheadMs) > t.p99OverheadMs &&
      `p99 overhead ≤ ${t.p99OverheadMs} ms (the floor: ${ms(s.floorP99OverheadMs, 2)} one at a time, ${ms(c.floorP99OverheadMs, 2)} at ${warm.concurrency} in flight)`,
    c.floorThroughputRatio < t.throughputRatio &&
      `throughput ≥ ${t.throughputRatio}× (the floor: ${ratio(c.floorThroughputRatio)})`,
  ].filter((text): text is string => typeof text === 'string');
  return [
    `**The design's floor.** One at a time the floor costs ${ms(s.floor.cpuMsPerRequest, 3)} of CPU per request, ${ratio(s.floorCpuRatio)} the bare GET's, with a p50 overhead of ${ms(s.floorP50OverheadMs, 2)} (the stand-in answers its GetItem after ${warm.dynamoDbLatencyMs} ms); at ${warm.concurrency} in flight its throughput is ${ratio(c.floorThroughputRatio)} the bare requests'. ${
      beyondReach.length > 0
        ? `So these targets are beyond any handler that reads the stored status after the answer, however lean: ${beyondReach.join('; ')}. Meeting them would take that read off the critical path, which the delivery guarantee rests on.`
        : 'The floor itself meets every warm target: what misses is the handler’s own work.'
    } The handler costs ${ratio(s.handlerOverFloorCpuRatio)} its floor's CPU (${ms(s.handler.cpuMsPerRequest - s.floor.cpuMsPerRequest, 3)} more per request): that is what its own code adds over the two requests (middy, the Powertools log line and metrics, normalization, the response), and what an optimisation of this code could remove.`,
  ];
}

export function renderMarkdown(results: BenchResults): string {
  const { machine, cold, warm, poll, sizes } = results;
  const all = checks(results);
  const misses = all.filter((c) => !c.pass);
  const c = warm.concurrent;
  const s = warm.sequential;
  const lambdaVcpu = results.memorySizeMb === undefined ? undefined : results.memorySizeMb / 1769;
  const promiseRatio = warm.promiseNs.afterNs / warm.promiseNs.beforeNs;
  /** Requiring the bundle made promises markedly dearer: an async hook was installed at load. */
  const asyncHooks = promiseRatio >= 2;
  const lines: string[] = [];
  const push = (...text: string[]) => lines.push(...text);

  push(
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${machine.date.slice(0, 10)}; the run took ${(results.durationMs / 1000).toFixed(0)} s. Do not edit by hand: run it again. How it measures: [bench/README.md](bench/README.md).`,
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', machine.cpuModel],
        ['Cores', `${machine.logicalCores} logical (${machine.cpuNote})`],
        [
          'Load average at the start',
          `${results.loadAverage.map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min): other work on the machine shows up in the numbers`,
        ],
        ['RAM', `${machine.memoryGiB.toFixed(1)} GiB`],
        ['Node.js', machine.node],
        ['OS', machine.os],
        ['AWS emulator', `moto_server ${machine.moto}`],
        ['Huawei emulator', 'test/simulator/huawei-dms-simulator.ts (verifies every signature)'],
        [
          'Code measured',
          `the function zips of \`npm run package\` (serverless package --stage ci)${results.packagedInMs === undefined ? ', reused (--no-package)' : `, packaged at the start of the run (${(results.packagedInMs / 1000).toFixed(1)} s)`}`,
        ],
      ],
    ),
    '',
    'Everything runs on this one machine: the emulators share its CPU with the code under test.',
    '',
    '## Summary',
    '',
    table(
      ['Figure', 'Metric', 'Result', 'Target', ''],
      all.map((x) => [x.figure, x.metric, x.result, x.target, status(x.pass)]),
    ),
    '',
    misses.length === 0
      ? 'Every target is met.'
      : `${misses.length} of ${all.length} targets missed; each is explained in its section below.`,
    '',
  );

  push(
    '## 1. Cold start',
    '',
    `Each process is spawned fresh and timed by the parent from \`spawn()\` to its exit; the child exits as soon as the first answer is in. ${cold.runs} rounds, the five kinds interleaved in a rotating order, after one unmeasured round (file cache warm; the first observation stores the task's status, so every measured request is the steady state: a read, no write, no event). Medians; the range is min–max. The Huawei simulator answers after ${cold.upstreamLatencyMs} ms, and every measured run is checked: the simulator verified the signature and served exactly one 200, and the response is the task (normalized, for ours).`,
    '',
    table(
      [
        'Process',
        'Wall, spawn → exit',
        'Above bare node',
        'Node bootstrap',
        'Load',
        'First request',
        'Peak RSS',
        'AWS calls',
      ],
      COLD_VARIANTS.map((v) => coldRow(v, cold.variants[v], cold)),
    ),
    '',
    `*Load* is \`require()\` of the module (for ours: the whole bundle, and its container built at module scope); *first request* runs from there to the answer. Both SDK jobs read the AK/SK from Secrets Manager (moto) with \`@aws-sdk/client-secrets-manager\` first, as our handler does, then call \`KafkaClient.showConnectorTask\`. The *floor* is the least this design's first request does while \`@aws-sdk/client-secrets-manager\` stays (issue #11 keeps it): the same Secrets Manager read, then the ShowConnectorTask GET signed with lib/huawei/signer.ts and the GetItem of the stored status signed with lib/aws/sigv4.ts, over node:http, bundled like ours (bench/children/floor-show-task.ts).`,
    '',
    table(
      ['Comparison', 'Ratio', 'Target', ''],
      [
        [
          'ours ÷ official SDK from node_modules',
          ratio(cold.ratioVsSdkInstalled),
          `≤ ${cold.targets.vsSdkInstalled}×`,
          status(cold.ratioVsSdkInstalled <= cold.targets.vsSdkInstalled),
        ],
        [
          'ours ÷ official SDK bundled like ours',
          ratio(cold.ratioVsSdkBundled),
          `≤ ${cold.targets.vsSdkBundled}×`,
          status(cold.ratioVsSdkBundled <= cold.targets.vsSdkBundled),
        ],
        [
          'floor ÷ official SDK from node_modules',
          ratio(cold.floorRatioVsSdkInstalled),
          `(≤ ${cold.targets.vsSdkInstalled}× for ours)`,
          '',
        ],
        [
          'floor ÷ official SDK bundled like ours',
          ratio(cold.floorRatioVsSdkBundled),
          `(≤ ${cold.targets.vsSdkBundled}× for ours)`,
          '',
        ],
      ],
    ),
    '',
  );
  const coldMisses = (['sdkInstalled', 'sdkBundled'] as const).filter(
    (sdk) =>
      cold.aboveBareMs.ours >
      cold.aboveBareMs[sdk] *
        (sdk === 'sdkInstalled' ? cold.targets.vsSdkInstalled : cold.targets.vsSdkBundled),
  );
  if (coldMisses.length > 0) {
    const ours = cold.variants.ours;
    const allowance = (sdk: 'sdkInstalled' | 'sdkBundled') =>
      cold.aboveBareMs[sdk] *
      (sdk === 'sdkInstalled' ? cold.targets.vsSdkInstalled : cold.targets.vsSdkBundled);
    const allowed = Math.min(...coldMisses.map(allowance));
    const sdk = cold.variants.sdkInstalled;
    push(
      `**Missed** (${coldMisses.map((m) => (m === 'sdkInstalled' ? 'against the installed SDK' : 'against the bundled SDK')).join(', ')}). Ours would have to finish within ${ms(allowed, 0)} of bare node; it takes ${ms(cold.aboveBareMs.ours, 0)} (${ratio(cold.aboveBareMs.ours / allowed)} the allowance). Our load is ${ms(ours.medianLoadMs ?? Number.NaN, 0)} against the installed SDK's ${ms(sdk.medianLoadMs ?? Number.NaN, 0)}; our first request takes ${ms(ours.medianFirstRequestMs ?? Number.NaN, 0)} against its ${ms(sdk.medianFirstRequestMs ?? Number.NaN, 0)}: it contains the ${cold.upstreamLatencyMs} ms upstream wait, the Secrets Manager read both do, and the first-call set-up of the AWS clients (credential chain, endpoint rules, signer), which is not in the load figure. Loading alone (${ms(ours.medianLoadMs ?? Number.NaN, 0)}: compiling ${kib(sizes.find((x) => x.name === 'http')?.entryBytes ?? 0)} of minified JavaScript and evaluating what it bundles, figure 4) is ${ratio((ours.medianLoadMs ?? Number.NaN) / allowed)} the allowance.`,
      '',
      coldFloorParagraph(
        cold,
        coldMisses.map((sdk) => ({ sdk, allowedMs: allowance(sdk) })),
      ),
      '',
    );
  }

  push(
    '## 2. Warm overhead',
    '',
    `One child process (stdout on /dev/null, so log lines cost their formatting and a write, not a terminal) requires the bundled http function and sends the same request three ways: through the handler; as the *bare* GET, signed with lib/huawei/signer.ts and sent with node:http over a keep-alive agent configured like our transport (body parsed as JSON), the target's reference; and as the design's *floor*, that bare GET followed by a bare GetItem of the task's stored status (signed with lib/aws/sigv4.ts, sent and parsed the same way), the least any handler of this design does. The simulator answers after ${warm.upstreamLatencyMs} ms, a realistic cross-cloud round trip. The handler's GetItem is sent after that answer, not beside it: the observer reads the stored status after Huawei answered so that its decision rests on every change committed before (lib/task-observer.ts), which puts one DynamoDB round trip on each request's critical path. POWERTOOLS_LOG_LEVEL is ${warm.logLevel}, what serverless.yml deploys by default: each request writes its INFO line and its EMF metrics, as it would in production.`,
    '',
    `- **${count(warm.requests)} requests each, ${warm.concurrency} in flight**, after a warm-up, in ${warm.repetitions} adjacent handler/bare/floor block rounds (order rotating). Each round is one repetition; the table gives medians over the rounds of each block's p50, p99, throughput and CPU, and overhead is the median over the rounds of (handler − bare). Distributions are compared, not requests: with ${warm.concurrency} in flight a handler request has no bare twin.`,
    `- **${count(s.pairs)} rounds one at a time** (handler, bare and floor adjacent, order rotating): the way a Lambda instance serves, one request per instance. Overhead = quantile difference; the median of the per-round differences (handler − bare) is ${ms(s.pairedMedianOverheadMs, 2)}.`,
    `- DynamoDB for this figure is a stand-in that replays moto's own GetItem answer for the task after ${warm.dynamoDbLatencyMs} ms and refuses anything else (it served ${count(warm.dynamoDbStandInServed)} GetItems; no writes were attempted): moto sustains ${warm.motoGetItemPerSecond.toFixed(0)} GetItem/s at ${warm.concurrency} in flight (measured in this run), far below the ~${((warm.concurrency / warm.upstreamLatencyMs) * 1000).toFixed(0)}/s this test needs, so it would have set the pace. Secrets Manager is moto (the secret is cached after the first request).`,
    `- The per-instance upstream rate ceiling (UPSTREAM_MAX_REQUESTS_PER_SECOND, default 50/s, meant for one request at a time per Lambda instance) is raised to 10000 for this process.`,
    '',
    table(
      ['', 'p50', 'p99', 'Throughput', 'CPU per request'],
      [
        [
          `handler, ${warm.concurrency} in flight`,
          ms(c.handler.p50Ms, 2),
          ms(c.handler.p99Ms, 2),
          `${c.handler.perSecond.toFixed(0)} req/s`,
          ms(c.handler.cpuMsPerRequest, 3),
        ],
        [
          `bare, ${warm.concurrency} in flight`,
          ms(c.bare.p50Ms, 2),
          ms(c.bare.p99Ms, 2),
          `${c.bare.perSecond.toFixed(0)} req/s`,
          ms(c.bare.cpuMsPerRequest, 3),
        ],
        [
          '**overhead / ratio**',
          `**${ms(c.p50OverheadMs, 2)}**`,
          `**${ms(c.p99OverheadMs, 2)}**`,
          `**${ratio(c.throughputRatio)}**`,
          ratio(c.handler.cpuMsPerRequest / c.bare.cpuMsPerRequest),
        ],
        [
          `floor, ${warm.concurrency} in flight`,
          ms(c.floor.p50Ms, 2),
          ms(c.floor.p99Ms, 2),
          `${c.floor.perSecond.toFixed(0)} req/s`,
          ms(c.floor.cpuMsPerRequest, 3),
        ],
        [
          'floor: overhead / ratio',
          ms(c.floorP50OverheadMs, 2),
          ms(c.floorP99OverheadMs, 2),
          ratio(c.floorThroughputRatio),
          ratio(c.floor.cpuMsPerRequest / c.bare.cpuMsPerRequest),
        ],
        [
          'handler, one at a time',
          ms(s.handler.p50Ms, 2),
          ms(s.handler.p99Ms, 2),
          '—',
          ms(s.handler.cpuMsPerRequest, 3),
        ],
        [
          'bare, one at a time',
          ms(s.bare.p50Ms, 2),
          ms(s.bare.p99Ms, 2),
          '—',
          ms(s.bare.cpuMsPerRequest, 3),
        ],
        [
          '**overhead / ratio**',
          `**${ms(s.p50OverheadMs, 2)}**`,
          `**${ms(s.p99OverheadMs, 2)}**`,
          '—',
          ratio(s.handler.cpuMsPerRequest / s.bare.cpuMsPerRequest),
        ],
        [
          'floor, one at a time',
          ms(s.floor.p50Ms, 2),
          ms(s.floor.p99Ms, 2),
          '—',
          ms(s.floor.cpuMsPerRequest, 3),
        ],
        [
          'floor: overhead / ratio',
          ms(s.floorP50OverheadMs, 2),
          ms(s.floorP99OverheadMs, 2),
          '—',
          ratio(s.floorCpuRatio),
        ],
      ],
    ),
    '',
    `CPU per request is the child process's CPU time (all threads: GC and libuv included) divided by the requests of that kind; one at a time it also carries the idle process's own housekeeping over each ${warm.upstreamLatencyMs} ms wait. Targets: one at a time, CPU per request ≤ ${warm.targets.cpuPerRequestRatio}× the bare signed GET's (measured: ${ratio(s.cpuRatio)}); overhead p50 ≤ ${warm.targets.p50OverheadMs} ms and p99 ≤ ${warm.targets.p99OverheadMs} ms (checked for both shapes); throughput ≥ ${warm.targets.throughputRatio}× the bare requests at ${warm.concurrency} in flight.`,
    '',
  );
  const warmMisses = [
    c.p50OverheadMs > warm.targets.p50OverheadMs,
    c.p99OverheadMs > warm.targets.p99OverheadMs,
    c.throughputRatio < warm.targets.throughputRatio,
    s.p50OverheadMs > warm.targets.p50OverheadMs,
    s.p99OverheadMs > warm.targets.p99OverheadMs,
    s.cpuRatio > warm.targets.cpuPerRequestRatio,
  ].some(Boolean);
  if (warmMisses) {
    push(
      `**Missed.** One at a time the handler spends ${ms(s.handler.cpuMsPerRequest, 3)} of CPU per request against ${ms(s.bare.cpuMsPerRequest, 3)} for the bare signed GET (${ratio(s.cpuRatio)}; target ≤ ${warm.targets.cpuPerRequestRatio}×). At ${warm.concurrency} in flight it spends ${ms(c.handler.cpuMsPerRequest, 2)} against ${ms(c.bare.cpuMsPerRequest, 2)} (${ratio(c.handler.cpuMsPerRequest / c.bare.cpuMsPerRequest)}). At ${warm.concurrency} in flight that CPU is the bottleneck: one core can serve at most ~${(1000 / c.handler.cpuMsPerRequest).toFixed(0)} handler requests/s (and it shares ${machine.logicalCores} cores with the simulator and the DynamoDB stand-in), while the bare requests are bound by the upstream latency (${warm.concurrency} ÷ ${warm.upstreamLatencyMs} ms ≈ ${((warm.concurrency / warm.upstreamLatencyMs) * 1000).toFixed(0)}/s); queueing for the CPU is what the ${warm.concurrency}-in-flight latency overhead measures. One at a time, the part of that CPU which is on the request's critical path (before the upstream request leaves and after its answer arrives) is the ${ms(s.p50OverheadMs, 2)} p50 overhead. Where the CPU goes is not measured by this run: profile an unminified build of the same handler (bench/README.md, "Profiling"); figure 4 lists what the bundle carries${asyncHooks ? `. Measured here: requiring the bundle installs async hooks (X-Ray SDK), which every promise pays for: ${warm.promiseNs.beforeNs.toFixed(0)} ns per awaited promise before, ${warm.promiseNs.afterNs.toFixed(0)} ns after (${ratio(promiseRatio)})` : ''}.`,
      '',
    );
  }

  push(...floorParagraph(warm), '');
  push(...pollSection(results));
  push(...bundleSection(sizes));
  push(...node24Section(results));

  const a = poll.instance;
  const lastRun = a.runs.at(-1);
  const emfLinesPerDay = lastRun ? (lastRun.stdoutBytes * 288) / 1024 ** 2 : Number.NaN;
  push(
    '## Findings',
    '',
    'Measured in this run. Where a fix is proposed, it is for lib/, which the benchmark does not change.',
    '',
    asyncHooks
      ? `- **Something installs async hooks at load, and every promise pays.** Requiring the http bundle makes an awaited promise cost ${warm.promiseNs.beforeNs.toFixed(0)} ns before and ${warm.promiseNs.afterNs.toFixed(0)} ns after (${ratio(promiseRatio)}), although tracing is inactive here (no Lambda runtime). ${sizes.some((x) => x.tracerPackages.length > 0) ? 'The bundles carry the X-Ray SDK (figure 4), whose cls-hooked namespace does this at load.' : 'No bundle carries the X-Ray SDK (figure 4): look for another async-hook user.'}`
      : `- **No async hooks at load.** An awaited promise costs ${warm.promiseNs.beforeNs.toFixed(0)} ns before and ${warm.promiseNs.afterNs.toFixed(0)} ns after requiring the http bundle (${ratio(promiseRatio)}).`,
    !lastRun
      ? ''
      : lastRun.stdoutLines >= a.tasks / 2
        ? `- **About one log line per task.** A poll of ${count(a.tasks)} tasks writes ${count(lastRun.stdoutLines)} lines (${kib(lastRun.stdoutBytes)}) to stdout; at one poll every 5 minutes that is ≈ ${emfLinesPerDay.toFixed(0)} MiB a day of CloudWatch Logs.`
        : `- **Log volume.** A poll of ${count(a.tasks)} tasks writes ${count(lastRun.stdoutLines)} lines (${kib(lastRun.stdoutBytes)}) to stdout: ≈ ${emfLinesPerDay.toFixed(0)} MiB a day of CloudWatch Logs at one poll every 5 minutes.`,
    `- **CPU, not the upstream, bounds a large poll in Lambda.** ${ms(a.cpuMsPerTask, 3)} of CPU per task here (whole-instance watches)${lambdaVcpu === undefined ? '' : `; at ${results.memorySizeMb} MB (≈ ${lambdaVcpu.toFixed(2)} vCPU) ${count(a.tasks)} tasks need ≈ ${((a.cpuMsPerTask * a.tasks) / lambdaVcpu / 1000).toFixed(1)} s of CPU, against an upstream-bound ideal of ${ms(a.idealMs, 0)}`}. These figures poll inline (POLL_FANOUT_QUEUE_URL unset); deployed, a list longer than one batch is fanned out to poll workers, each paying the same CPU per task.`,
    `- **Watch lists this long live in the watches table.** The ${count(a.watches)} whole-instance entries would take ${count(a.watchedTasksBytes)} bytes of WATCHED_TASKS; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT_BYTES / 1024} KB for all variables together, names included, and beside the scheduled function's other variables (${count(a.otherVariablesBytes)} bytes as packaged, stack references not counted) at most ${a.maxInstanceEntries} fit. Both poll figures therefore use stored watches, as production would.`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

function callsTable(figure: PollFigure, expected: readonly (readonly [string, string])[]): string {
  const seen = new Set(figure.runs.flatMap((run) => Object.keys(run.awsCalls)));
  const rows: (readonly [string, string])[] = [...expected];
  const kinds = new Set(figure.runs.flatMap((run) => Object.keys(run.putItemsByKind)));
  for (const kind of [...kinds].sort()) {
    const name = `DynamoDB.PutItem ${kind}`;
    if (!expected.some(([listed]) => listed === name)) rows.push([name, 'not expected']);
  }
  for (const operation of [...seen].sort()) {
    // PutItem is listed by item kind; any other kind shows as its own row below.
    const listed = expected.some(
      ([name]) => name === operation || name.startsWith(`${operation} `),
    );
    if (!listed) rows.push([operation, 'not expected']);
  }
  const cell = (run: PollRun, operation: string) => {
    if (operation.startsWith('DynamoDB.PutItem ')) {
      return String(run.putItemsByKind[operation.slice('DynamoDB.PutItem '.length)] ?? 0);
    }
    return String(calls(run.awsCalls, operation));
  };
  return table(
    ['Call', ...figure.runs.map((_, i) => `run ${i + 1}`), 'Expected'],
    rows.map(([operation, note]) => [
      operation,
      ...figure.runs.map((run) => cell(run, operation)),
      note,
    ]),
  );
}

function upstreamTable(figure: PollFigure): string {
  const kinds: readonly (readonly [keyof PollRun['upstream'], string])[] = [
    ['listTasks', 'ListConnectorTasks pages'],
    ['getTask', 'ShowConnectorTask (per-task GET)'],
    ['listInstances', 'ListInstances pages'],
    ['other', 'other'],
  ];
  return table(
    ['Upstream request', ...figure.runs.map((_, i) => `run ${i + 1}`), 'per task (median run)'],
    kinds.map(([kind, label]) => [
      label,
      ...figure.runs.map((run) => count(run.upstream[kind])),
      (figure.upstream[kind] / figure.tasks).toFixed(3),
    ]),
  );
}

function commonPollRows(figure: PollFigure, logicalCores: number): string[][] {
  const runs = figure.runs;
  const lastRun = runs.at(-1);
  return [
    [
      '… first to last list page',
      figure.upstream.listTasks > 0 ? ms(figure.listPhaseMs, 0) : 'no list page',
      '',
      '',
    ],
    [
      '… first to last per-task GET',
      figure.upstream.getTask > 0 ? ms(figure.getPhaseMs, 0) : 'no GET',
      '',
      '',
    ],
    ['whole process (start-up included)', ms(median(runs.map((r) => r.processWallMs)), 0), '', ''],
    [
      'machine CPU busy during a run (all cores)',
      `${(figure.machineBusy * 100).toFixed(0)}% of ${logicalCores} cores`,
      '',
      '',
    ],
    [
      'stdout written by the poller per poll',
      lastRun ? `${count(lastRun.stdoutLines)} lines, ${kib(lastRun.stdoutBytes)}` : '—',
      '',
      '',
    ],
    [
      'WARN/ERROR lines logged (all runs)',
      warningsOf(figure),
      '0 (a steady-state poll)',
      status(runs.every((r) => r.warnings === 0)),
    ],
  ];
}

function warningsOf(figure: PollFigure): string {
  const total = figure.runs.reduce((sum, run) => sum + run.warnings, 0);
  if (total === 0) return '0';
  const messages = [...new Set(figure.runs.flatMap((run) => run.warningMessages))];
  return `${count(total)}: ${messages.slice(0, 3).join('; ')}`.replaceAll('|', '\\|');
}

function expectedCalls(figure: PollFigure, query: string): (readonly [string, string])[] {
  return [
    ['SecretsManager.GetSecretValue', '≤ 1'],
    ['DynamoDB.Scan', '1 per page of stored watches (the watches table)'],
    ['DynamoDB.Query', query],
    ['DynamoDB.BatchGetItem', 'status and health reads, shared, < 1 per task'],
    ['DynamoDB.GetItem', '0 (reads are batched)'],
    [
      'DynamoDB.PutItem TASK#',
      `≤ ${figure.changesPerRun} (one conditional write per change, none otherwise)`,
    ],
    ['DynamoDB.PutItem HEALTH#', '0 (written only when a task’s health changes; none does)'],
    ['DynamoDB.UpdateItem', '0'],
    ['EventBridge.PutEvents', '0 (the statusStream function publishes)'],
    ['SQS.SendMessageBatch', '0 (POLL_FANOUT_QUEUE_URL unset: polled inline)'],
  ];
}

/**
 * Why a poll's CPU per task misses its target, from this run's own counts: how much of it the
 * HTTP requests alone explain, at what a bare signed GET costs here (figure 2, 32 in flight).
 */
function pollCpuMiss(figure: PollFigure, target: number): string {
  const index = Math.floor(figure.runs.length / 2);
  const run = figure.runs[index];
  const requests = run ? run.floor.upstreamRequests + run.floor.awsRequests : 0;
  const floor = figure.floorCpuMsPerTask;
  const own = Math.max(0, figure.cpuMsPerTask - floor);
  const verdict =
    floor > target
      ? 'The floor alone is over the target: no poller that makes these requests can meet it.'
      : `The floor leaves ${ms(target - floor, 3)} per task for everything else; the poller spends ${ratio(own / (target - floor))} that.`;
  return `**CPU missed** (${ms(figure.cpuMsPerTask, 3)} per task against ${target} ms: ${ratio(figure.cpuMsPerTask / target)}). After each run its own ${count(requests)} requests (run ${index + 1}; list pages and AWS calls, ${(requests / figure.tasks).toFixed(3)} per task) were sent again from a fresh process, bare: signed, sent over a keep-alive agent at the same concurrency and their JSON answers parsed, nothing else (bench/children/poll-floor.ts). That floor costs ${ms(floor, 3)} per task (median run), ${((floor / figure.cpuMsPerTask) * 100).toFixed(0)}% of the poll's CPU: these requests carry whole list pages and batches of items, far more bytes than figure 2's GET. ${verdict} The poller's own ${ms(own, 3)} per task beyond the floor is its work in JavaScript (normalizing each entity, the decision, the health assessment, the batching of reads) and the garbage it leaves, plus the invocation's fixed costs (the watch list, the first calls of the AWS clients) spread over the tasks.`;
}

function pollSection(results: BenchResults): string[] {
  const { poll, machine } = results;
  const a = poll.instance;
  const b = poll.task;
  const latency = poll.upstreamLatencyMs;
  const conc = poll.concurrency;
  const lines: string[] = [
    '## 3. Polls at scale',
    '',
    `The simulator holds ${count(a.tasks)} tasks, ${a.instances} instances × ${a.tasks / a.instances}, and answers after ${latency} ms. Before the runs every task's current status is written to the status table (BatchWriteItem, in the function's own item format, read back through its store), so each poll is a steady-state poll; before each run every ${Math.round(a.tasks / Math.max(1, a.changesPerRun))}th watched task changes status in the simulator (RUNNING ↔ PAUSED). Each run is a fresh \`node\` process requiring the bundled scheduled function and invoking it once (POLL_CONCURRENCY=${conc}, UPSTREAM_MAX_REQUESTS_PER_SECOND=${poll.maxRequestsPerSecond} so the rate limit does not bind, POLL_FANOUT_QUEUE_URL unset so it polls the whole list itself). The watches are stored watches in the watches table (WATCHES_TABLE_NAME, seeded with BatchWriteItem in lib/watches/watch-store.ts's item format and read back through that store; WATCHED_TASKS empty), as production keeps lists this long. Its AWS calls go to moto through the counting proxy; its upstream requests are classified from the simulator's log (list pages, per-task GETs, instance lists), every one signature-verified and answered 200, so the figures say how the poller observed the tasks instead of assuming it. CPU per task is the invocation's CPU time (the process's, minus what it had used when the bundle was loaded) ÷ tasks.`,
    '',
    `### 3a. Whole-instance watches: ${count(a.tasks)} tasks in ${a.instances} instances`,
    '',
    `The target follows the design that observes tasks from the list pages: a steady-state poll needs one ListConnectorTasks page per ${Math.round(1 / a.targets.upstreamCallsPerTask)} tasks and no per-task GET. Ideal = (${count(a.neededListCalls)} list pages + 0 GETs) × ${latency} ms ÷ ${conc} = ${ms(a.idealMs, 0)}. For the calls this poll actually made, (${count(a.upstream.listTasks + a.upstream.getTask + a.upstream.listInstances + a.upstream.other)} requests) × ${latency} ms ÷ ${conc} = ${ms(a.idealAsMadeMs, 0)}, and the wall is ${ratio(a.wallVsIdealAsMade)} that.`,
    '',
    upstreamTable(a),
    '',
    table(
      ['', 'Result', 'Target', ''],
      [
        [
          'upstream calls per task',
          a.upstreamCallsPerTask.toFixed(3),
          `≤ ${a.targets.upstreamCallsPerTask.toFixed(2)}, no GET`,
          status(
            a.upstreamCallsPerTask <= a.targets.upstreamCallsPerTask && a.upstream.getTask === 0,
          ),
        ],
        [
          'wall (the invocation)',
          `${ms(a.wallMs, 0)} = ${ratio(a.wallVsIdeal)} ideal`,
          `≤ ${a.targets.wallVsIdeal}× (${ms(a.idealMs * a.targets.wallVsIdeal, 0)})`,
          status(a.wallVsIdeal <= a.targets.wallVsIdeal),
        ],
        ...commonPollRows(a, machine.logicalCores),
        [
          'CPU per task (the invocation)',
          `${ms(a.cpuMsPerTask, 3)} (whole process: ${ms(a.processCpuMsPerTask, 3)})`,
          `≤ ${a.targets.cpuMsPerTask} ms`,
          status(a.cpuMsPerTask <= a.targets.cpuMsPerTask),
        ],
        [
          '… of which its requests, replayed bare (the floor)',
          ms(a.floorCpuMsPerTask, 3),
          'reported',
          '',
        ],
        [
          'peak RSS (VmHWM at exit)',
          `${mb(a.peakRssMb)} median, ${mb(a.peakRssMaxMb)} max`,
          `≤ ${a.targets.peakRssMb} MB`,
          status(a.peakRssMb <= a.targets.peakRssMb),
        ],
      ],
    ),
    '',
    'AWS calls per poll (counted by the proxy; PutItem split by the kind of item written):',
    '',
    callsTable(
      a,
      expectedCalls(
        a,
        `≤ ${a.instances} (one per watched instance: by-instance discovery of known tasks)`,
      ),
    ),
    '',
  ];
  lines.push(
    `The by-instance Query is answered by a stand-in in the proxy (bench/support/by-instance-queries.ts): a mirror of the byInstance index holding the items the benchmark seeded and every PutItem moto accepted since, so its answer is the one DynamoDB would give (${count(a.queriesByStandIn)} Queries answered over the runs, ${ms(a.queryMeanMs, 1)} each on average). moto answers it by scanning every item of the table in Python, one request at a time: one Query alone takes ${ms(a.isolatedQueryMs, 0)} on this ${count(a.tasks)}-item table (measured after the runs), so ${a.instances} of them queue past the functions' 2 s AWS request timeout and every discovery would fail on the emulator's account. DynamoDB serves it from the index in milliseconds. Likewise the poller's Scan of the watches table, which it only reads, is answered with the items read back from moto after seeding (support/stored-scan.ts; ${count(a.scansByStandIn)} Scans over both figures): on a busy machine moto's consistent Scan of 2,000 watches can pass the 2 s timeout twice. These calls are still counted; every other DynamoDB call goes to moto.`,
    '',
  );
  if (a.wallVsIdeal > a.targets.wallVsIdeal) {
    const cpuMs = a.cpuMsPerTask * a.tasks;
    const allowedMs = a.idealMs * a.targets.wallVsIdeal;
    lines.push(
      `**Wall missed** (${ms(a.wallMs, 0)} against ${ms(allowedMs, 0)}). The poll made ${count(a.upstream.listTasks)} list pages and ${count(a.upstream.getTask)} per-task GETs where the target's design needs ${count(a.neededListCalls)} pages and none: that alone puts the floor at ${ms(a.idealAsMadeMs, 0)}, ${ratio(a.idealAsMadeMs / a.idealMs)} the ideal. Against the calls it made, the wall is ${ratio(a.wallVsIdealAsMade)}. The ideal counts no CPU, and the poll is bound by its own: ${count(a.tasks)} tasks × ${ms(a.cpuMsPerTask, 3)} is ${ms(cpuMs, 0)} of CPU (${ratio(cpuMs / a.wallMs)} the wall; its JavaScript runs on one core, and the machine was ${(a.machineBusy * 100).toFixed(0)}% busy during the run). In one process the target needs at most ${ms(allowedMs / a.tasks, 4)} of CPU per task, ${ratio(a.cpuMsPerTask / (allowedMs / a.tasks))} less than now; the poll's own requests, replayed bare, already take ${ms(a.floorCpuMsPerTask * a.tasks, 0)} of CPU (${ratio((a.floorCpuMsPerTask * a.tasks) / allowedMs)} the allowed wall)${a.floorCpuMsPerTask * a.tasks > allowedMs ? ', so no single process that makes them can' : ''}. Deployed, a list this long is not polled in one process: the fan-out (POLL_FANOUT_QUEUE_URL) splits it over poll workers that run side by side, each paying the CPU of its own tasks.`,
      '',
    );
  }
  if (a.cpuMsPerTask > a.targets.cpuMsPerTask) {
    lines.push(pollCpuMiss(a, a.targets.cpuMsPerTask), '');
  }
  lines.push(
    `### 3b. Task watches: ${count(b.tasks)} tasks watched one by one`,
    '',
    `Every ${Math.round(a.tasks / b.tasks)}th task of 3a (${b.instances} instances, ${count(b.tasks)} stored task watches; the whole-instance watches removed). Two ideals, for the two ways to observe them: one GET per task, ${count(b.tasks)} × ${latency} ms ÷ ${conc} = ${ms(b.idealPerTaskGetMs, 0)}; or the list pages of their instances, ${count(b.instancePages)} × ${latency} ms ÷ ${conc} = ${ms(b.idealListPagesMs, 0)}. The wall is compared with the calls actually made: ${ms(b.idealAsMadeMs, 0)}.`,
    '',
    upstreamTable(b),
    '',
    table(
      ['', 'Result', 'Target', ''],
      [
        [
          'wall (the invocation)',
          `${ms(b.wallMs, 0)} = ${ratio(b.wallVsIdealAsMade)} the calls made, ${ratio(b.wallMs / b.idealPerTaskGetMs)} one GET per task, ${ratio(b.wallMs / b.idealListPagesMs)} list pages`,
          'reported',
          '',
        ],
        ...commonPollRows(b, machine.logicalCores),
        [
          'CPU per task (the invocation)',
          `${ms(b.cpuMsPerTask, 3)} (whole process: ${ms(b.processCpuMsPerTask, 3)})`,
          `≤ ${b.targets.cpuMsPerTask} ms`,
          status(b.cpuMsPerTask <= b.targets.cpuMsPerTask),
        ],
        [
          '… of which its requests, replayed bare (the floor)',
          ms(b.floorCpuMsPerTask, 3),
          'reported',
          '',
        ],
        [
          'peak RSS (VmHWM at exit)',
          `${mb(b.peakRssMb)} median, ${mb(b.peakRssMaxMb)} max`,
          'reported',
          '',
        ],
      ],
    ),
    '',
    'AWS calls per poll:',
    '',
    callsTable(b, expectedCalls(b, '0 (no whole-instance watch)')),
    '',
  );
  if (b.cpuMsPerTask > b.targets.cpuMsPerTask) {
    lines.push(pollCpuMiss(b, b.targets.cpuMsPerTask), '');
  }
  return lines;
}

function bundleSection(sizes: readonly BundleSize[]): string[] {
  const target = sizes[0]?.targetBytes ?? 0;
  return [
    '## 4. Bundles',
    '',
    `The deployment zips of \`npm run package\` (per-function packages, esbuild-bundled and minified, no source map), every function in .serverless/. Target: ≤ ${kib(target)} per zip (issue #11; the project's test budget, test/deploy/bundle-budget.ts, is separate). The packages are read from an esbuild metafile of the same entry point built with serverless.yml's custom.esbuild options; *rebuilt* is that build's output, which should equal the handler file in the zip.`,
    '',
    table(
      ['Function', 'Zip', 'Handler file', 'Rebuilt', 'Zip ÷ target', 'Target', ''],
      sizes.map((size) => [
        size.name,
        kib(size.zipBytes),
        kib(size.entryBytes),
        size.rebuiltBytes === size.entryBytes ? 'same' : kib(size.rebuiltBytes),
        ratio(size.zipBytes / size.targetBytes),
        `≤ ${kib(size.targetBytes)}`,
        status(size.zipBytes <= size.targetBytes),
      ]),
    ),
    '',
    `Packages bundled, by bytes in the minified handler file (our own code first). Checks: no X-Ray SDK or Powertools tracer in any zip (${tracerResult(sizes)}); ${EVENTBRIDGE_PACKAGE} only in ${EVENTBRIDGE_FUNCTION} (${eventBridgeResult(sizes)}).`,
    '',
    table(
      ['Function', 'Tracer', 'EventBridge', 'Packages'],
      sizes.map((size) => [
        size.name,
        size.tracerPackages.length > 0 ? `**${size.tracerPackages.join(', ')}**` : 'none',
        size.hasEventBridge ? (size.name === EVENTBRIDGE_FUNCTION ? 'yes' : '**yes**') : 'no',
        [
          `own code ${kib(size.ownBytes)}`,
          ...size.packages.map((p) => `${p.name} ${kib(p.bytes)}`),
        ].join(', '),
      ]),
    ),
    '',
  ];
}

function node24Section(results: BenchResults): string[] {
  const n = results.node24;
  const header = ['## 5. Node 24 (informational)', ''];
  if (!n.available) {
    return [...header, `Not measured: ${n.reason}.`, ''];
  }
  const { cold, warm } = results;
  const s20 = warm.sequential;
  const s24 = n.warm.sequential;
  return [
    ...header,
    `The same http bundle (built for node20) under ${n.version}, from the npm registry's node package, cached in .bench-cache/ (gitignored). Cold start: \`node -e 0\` and ours under Node 24, ${n.cold.runs} alternating rounds after one unmeasured pair, timed like figure 1. Warm: the warm child of figure 2 under Node 24, ${count(n.warm.requests)} requests at ${n.warm.concurrency} in flight and ${count(s24.pairs)} one-at-a-time pairs. No target: this is for choosing the runtime.`,
    '',
    table(
      ['', `Node ${results.machine.node.replace(/^v/, '')} (figures 1–2)`, n.version],
      [
        [
          'cold start: bare node',
          ms(cold.variants.bare.medianWallMs, 0),
          ms(n.cold.bare.medianWallMs, 0),
        ],
        [
          'cold start: ours, above bare node',
          ms(cold.aboveBareMs.ours, 0),
          ms(n.cold.aboveBareMs, 0),
        ],
        [
          'cold start: load / first request',
          `${ms(cold.variants.ours.medianLoadMs ?? Number.NaN, 0)} / ${ms(cold.variants.ours.medianFirstRequestMs ?? Number.NaN, 0)}`,
          `${ms(n.cold.ours.medianLoadMs ?? Number.NaN, 0)} / ${ms(n.cold.ours.medianFirstRequestMs ?? Number.NaN, 0)}`,
        ],
        [
          'warm, one at a time: CPU per request, handler / bare',
          `${ms(s20.handler.cpuMsPerRequest, 3)} / ${ms(s20.bare.cpuMsPerRequest, 3)} (${ratio(s20.cpuRatio)})`,
          `${ms(s24.handler.cpuMsPerRequest, 3)} / ${ms(s24.bare.cpuMsPerRequest, 3)} (${ratio(s24.cpuRatio)})`,
        ],
        ['warm, one at a time: p50 overhead', ms(s20.p50OverheadMs, 2), ms(s24.p50OverheadMs, 2)],
        [
          `warm, ${warm.concurrency} in flight: CPU per handler request`,
          ms(warm.concurrent.handler.cpuMsPerRequest, 3),
          ms(n.warm.concurrent.handler.cpuMsPerRequest, 3),
        ],
        [
          'awaited promise after requiring the bundle',
          `${warm.promiseNs.afterNs.toFixed(0)} ns`,
          `${n.warm.promiseNs.afterNs.toFixed(0)} ns`,
        ],
      ],
    ),
    '',
  ];
}
