/**
 * `npm run bench`: packages the service, starts moto_server, a counting proxy and the Huawei DMS
 * simulator, measures the four figures against the packaged function zips, prints a summary and
 * rewrites BENCHMARKS.md. Everything it starts is stopped at the end, on error and on Ctrl-C.
 *
 *   npm run bench                      the full run (a few minutes on 2 cores)
 *   npm run bench -- --no-package      reuse .serverless/ as it is
 *   npm run bench -- --quick           fewer repetitions; prints, does not write BENCHMARKS.md
 *
 * Method: bench/README.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureBundleSizes } from './figures/bundle-size';
import { measureColdStart } from './figures/cold-start';
import { measurePollScale } from './figures/poll-scale';
import { measureWarmOverhead } from './figures/warm-overhead';
import { consoleSummary, renderMarkdown, type BenchResults } from './report';
import { ensureBundles, requireFunction } from './support/bundles';
import { compileChildren, killChildren } from './support/children';
import { startEnvironment } from './support/environment';
import { describeMachine } from './support/machine';
import { Teardown } from './support/teardown';

const repoRoot = resolve(__dirname, '..');
const quick = process.argv.includes('--quick');
const skipPackage = process.argv.includes('--no-package');

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

    step('1/4 cold start');
    const cold = await measureColdStart(env, http, children, workDir, {
      runs: quick ? 3 : 11,
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      ...task,
    });
    step('2/4 warm overhead');
    const warm = await measureWarmOverhead(env, http, children, workDir, {
      requests: quick ? 2_000 : 10_000,
      concurrency: 32,
      blocks: 10,
      warmupRequests: 1_000,
      sequentialPairs: quick ? 100 : 1_000,
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      dynamoDbLatencyMs: 5,
      ...task,
    });
    step('3/4 poll at scale');
    const poll = await measurePollScale(env, scheduled, children, workDir, {
      instances: 200,
      tasksPerInstance: 50,
      changeEvery: 100,
      concurrency: 32,
      maxRequestsPerSecond: 5_000,
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      runs: quick ? 1 : 3,
      projectId,
    });
    step('4/4 bundle size');
    const sizes = measureBundleSizes(bundles);

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
    };
    console.log(`\n${consoleSummary(results)}\n`);
    if (quick) {
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
