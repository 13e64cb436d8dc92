/**
 * `npm run bench`: packages the service, starts moto_server, a counting proxy and the Huawei DMS
 * simulator, measures the figures against the packaged function zips, prints a summary and
 * rewrites BENCHMARKS.md. Everything it starts is stopped at the end, on error and on Ctrl-C.
 *
 *   npm run bench                      the full run (a few minutes on 2 cores)
 *   npm run bench -- --no-package      reuse .serverless/ as it is
 *   npm run bench -- --quick           fewer repetitions; prints, does not write BENCHMARKS.md
 *   npm run bench -- --no-node24       skip the Node 24 figure (and its download)
 *   npm run bench -- --out=FILE        write the report to FILE instead (also with --quick)
 *
 * Method: bench/README.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureBundleSizes } from './figures/bundle-size';
import { measureColdStart, measureNodeColdStart } from './figures/cold-start';
import { measurePollScale } from './figures/poll-scale';
import { measureWarmOverhead, type WarmOptions } from './figures/warm-overhead';
import { consoleSummary, renderMarkdown, type BenchResults, type Node24Figure } from './report';
import { ensureBundles, requireFunction } from './support/bundles';
import { compileChildren, killChildren } from './support/children';
import { startEnvironment } from './support/environment';
import { describeMachine } from './support/machine';
import { obtainNode } from './support/other-node';
import { Teardown } from './support/teardown';

const repoRoot = resolve(__dirname, '..');
const quick = process.argv.includes('--quick');
const skipPackage = process.argv.includes('--no-package');
const skipNode24 = process.argv.includes('--no-node24');
const outFile = process.argv.find((arg) => arg.startsWith('--out='))?.slice('--out='.length);
/** Gitignored: node binaries of other majors, kept between runs. */
const cacheDir = join(repoRoot, '.bench-cache');

/** The task of figures 1 and 2 (the example ids of Huawei's API page). */
const INSTANCE_ID = '59f6d088-1b2c-4d5e-8f90-123456789abc';
const TASK_ID = '194917d0-aaaa-4bbb-8ccc-0123456789ab';
const UPSTREAM_LATENCY_MS = 20;

function step(message: string): void {
  console.log(`bench: ${message}`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAverage = loadavg();
  const teardown = new Teardown();
  teardown.stopOnSignals();
  const workDir = mkdtempSync(join(tmpdir(), 'dms-bench-'));
  teardown.add('work directory', () => rmSync(workDir, { recursive: true, force: true }));
  teardown.add('child processes', killChildren);
  try {
    step(skipPackage ? 'reusing .serverless/ (--no-package)' : 'npm run package');
    const bundles = await ensureBundles(repoRoot, workDir, { skipPackage });
    const http = requireFunction(bundles, 'http');
    const scheduled = requireFunction(bundles, 'scheduled');
    const projectId = http.environment.HUAWEICLOUD_PROJECT_ID ?? '';
    const children = await compileChildren(repoRoot, workDir, bundles.esbuild);
    step('starting moto_server, the counting proxy and the Huawei DMS simulator');
    const env = await startEnvironment(teardown, projectId);
    const task = { projectId, instanceId: INSTANCE_ID, taskId: TASK_ID };

    const coldOptions = { runs: quick ? 3 : 11, upstreamLatencyMs: UPSTREAM_LATENCY_MS, ...task };
    step('1/5 cold start');
    const cold = await measureColdStart(env, http, children, workDir, coldOptions);
    step('2/5 warm overhead');
    const warmOptions: WarmOptions = {
      requests: quick ? 2_000 : 10_000,
      concurrency: 32,
      blocks: 10,
      warmupRequests: 1_000,
      sequentialPairs: quick ? 100 : 1_000,
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      dynamoDbLatencyMs: 5,
      ...task,
    };
    const warm = await measureWarmOverhead(env, http, children, workDir, warmOptions);
    step('3/5 polls at scale');
    const poll = await measurePollScale(
      env,
      scheduled,
      children,
      workDir,
      {
        instances: 200,
        tasksPerInstance: 50,
        taskWatchEvery: 5,
        changeEvery: 100,
        concurrency: 32,
        maxRequestsPerSecond: 5_000,
        upstreamLatencyMs: UPSTREAM_LATENCY_MS,
        runs: quick ? 1 : 3,
        projectId,
      },
      (message) => step(`    ${message}`),
    );
    step('4/5 bundle size and contents');
    const sizes = await measureBundleSizes(bundles);
    step('5/5 Node 24 (informational)');
    let node24: Node24Figure;
    const node = skipNode24
      ? ({ available: false, reason: 'skipped (--no-node24)' } as const)
      : obtainNode(24, cacheDir);
    if (node.available) {
      step(`    ${node.version} (${node.path})`);
      node24 = {
        available: true,
        version: node.version,
        cold: await measureNodeColdStart(env, http, children, workDir, node.path, coldOptions),
        // Fewer requests: it is a CPU-per-request comparison, not a latency distribution.
        warm: await measureWarmOverhead(env, http, children, workDir, {
          ...warmOptions,
          requests: 2_000,
          sequentialPairs: quick ? 100 : 500,
          node: node.path,
        }),
      };
    } else {
      step(`    Node 24 figure skipped: ${node.reason}`);
      node24 = { available: false, reason: node.reason };
    }

    const results: BenchResults = {
      machine: describeMachine(),
      durationMs: performance.now() - started,
      loadAverage,
      packagedInMs: bundles.packagedInMs,
      memorySizeMb: bundles.memorySizeMb,
      cold,
      warm,
      poll,
      sizes,
      node24,
    };
    console.log(`\n${consoleSummary(results)}\n`);
    if (outFile) {
      writeFileSync(resolve(outFile), renderMarkdown(results));
      step(`${outFile} written; BENCHMARKS.md left as it is`);
    } else if (quick) {
      step('--quick: BENCHMARKS.md left as it is');
    } else {
      writeFileSync(join(repoRoot, 'BENCHMARKS.md'), renderMarkdown(results));
      step(`BENCHMARKS.md written (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await teardown.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
