/**
 * A/B experiment behind a finding in BENCHMARKS.md: the http function built from the same source
 * with the same esbuild options, once as it is and once with the Powertools Tracer (and so the
 * X-Ray SDK and its async hooks) replaced by a no-op stand-in, measured in the same run with the
 * benchmark's own cold-start and warm figures. Not part of `npm run bench`.
 *
 *   npx tsx bench/experiments/without-xray.ts [--no-package]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { measureColdStart } from '../figures/cold-start';
import { measureWarmOverhead } from '../figures/warm-overhead';
import { ensureBundles, requireFunction, type FunctionBundle } from '../support/bundles';
import { compileChildren, killChildren } from '../support/children';
import { startEnvironment } from '../support/environment';
import { median } from '../support/stats';
import { Teardown } from '../support/teardown';

const repoRoot = resolve(__dirname, '..', '..');
const ROUNDS = 2;

const TRACER_STAND_IN = `
class Tracer {
  captureAWSv3Client(client) { return client; }
  isTracingEnabled() { return false; }
  getSegment() { return undefined; }
}
module.exports = { Tracer };
`;
const MIDDLEWARE_STAND_IN = `
module.exports = { captureLambdaHandler: () => ({ before: () => undefined }) };
`;

function withoutTracer(dir: string): Plugin {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tracer.js'), TRACER_STAND_IN);
  writeFileSync(join(dir, 'middleware.js'), MIDDLEWARE_STAND_IN);
  return {
    name: 'without-tracer',
    setup(plugin) {
      plugin.onResolve({ filter: /^@aws-lambda-powertools\/tracer$/ }, () => ({
        path: join(dir, 'tracer.js'),
      }));
      plugin.onResolve({ filter: /^@aws-lambda-powertools\/tracer\/middleware$/ }, () => ({
        path: join(dir, 'middleware.js'),
      }));
    },
  };
}

async function variant(
  http: FunctionBundle,
  options: BuildOptions,
  outfile: string,
): Promise<FunctionBundle> {
  await build({
    ...options,
    entryPoints: [join(repoRoot, 'functions', 'http.ts')],
    outfile,
    absWorkingDir: repoRoot,
    logLevel: 'error',
  });
  return { ...http, entryFile: outfile };
}

async function main(): Promise<void> {
  const teardown = new Teardown();
  teardown.stopOnSignals();
  const workDir = mkdtempSync(join(tmpdir(), 'dms-bench-xray-'));
  teardown.add('work directory', () => rmSync(workDir, { recursive: true, force: true }));
  teardown.add('child processes', killChildren);
  try {
    const bundles = await ensureBundles(repoRoot, workDir, {
      skipPackage: process.argv.includes('--no-package'),
    });
    const http = requireFunction(bundles, 'http');
    const e = bundles.esbuild;
    const options: BuildOptions = {
      bundle: true,
      minify: e.minify !== false,
      target: typeof e.target === 'string' ? e.target : 'node20',
      platform: 'node',
      format: 'cjs',
      mainFields: Array.isArray(e.mainFields) ? (e.mainFields as string[]) : ['module', 'main'],
    };
    const variants = {
      'as packaged (Tracer)': await variant(http, options, join(workDir, 'a', 'http.js')),
      'Tracer stubbed out': await variant(
        http,
        { ...options, plugins: [withoutTracer(join(workDir, 'stand-in'))] },
        join(workDir, 'b', 'http.js'),
      ),
    };
    const projectId = http.environment.HUAWEICLOUD_PROJECT_ID ?? '';
    const children = await compileChildren(repoRoot, workDir, bundles.esbuild);
    const env = await startEnvironment(teardown, projectId);
    const task = {
      projectId,
      instanceId: '59f6d088-1b2c-4d5e-8f90-123456789abc',
      taskId: '194917d0-aaaa-4bbb-8ccc-0123456789ab',
    };
    const samples = new Map<string, Record<string, number>[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const names = Object.keys(variants) as (keyof typeof variants)[];
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const bundle = variants[name];
        const cold = await measureColdStart(env, bundle, children, workDir, {
          runs: 7,
          upstreamLatencyMs: 20,
          ...task,
        });
        const warm = await measureWarmOverhead(env, bundle, children, workDir, {
          requests: 4_000,
          concurrency: 32,
          blocks: 4,
          warmupRequests: 1_000,
          sequentialPairs: 300,
          upstreamLatencyMs: 20,
          dynamoDbLatencyMs: 5,
          ...task,
        });
        const list = samples.get(name) ?? [];
        list.push({
          'cold: above bare node (ms)': cold.aboveBareMs.ours,
          'cold: load (ms)': cold.variants.ours.medianLoadMs ?? Number.NaN,
          'cold: first request (ms)': cold.variants.ours.medianFirstRequestMs ?? Number.NaN,
          'warm: CPU per request, 32 in flight (ms)': warm.concurrent.handler.cpuMsPerRequest,
          'warm: throughput ÷ bare, 32 in flight': warm.concurrent.throughputRatio,
          'warm: p50 overhead, one at a time (ms)': warm.sequential.p50OverheadMs,
          'awaited promise after load (ns)': warm.promiseNs.afterNs,
        });
        samples.set(name, list);
      }
    }
    const rows = Object.keys(samples.get('as packaged (Tracer)')![0]!);
    console.log(`\nmedian of ${ROUNDS} rounds | ${[...samples.keys()].join(' | ')}`);
    for (const row of rows) {
      const values = [...samples.values()].map((list) => median(list.map((s) => s[row]!)));
      console.log(`${row} | ${values.map((v) => v.toFixed(3)).join(' | ')}`);
    }
  } finally {
    await teardown.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
