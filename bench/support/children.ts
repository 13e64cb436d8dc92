import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { INPUT_VARIABLE, RESULT_FILE_VARIABLE } from '../children/protocol';

/** The child scripts, compiled to plain CommonJS so that no TypeScript loader is ever timed. */
export interface CompiledChildren {
  readonly firstInvocation: string;
  readonly warm: string;
  readonly promiseCost: string;
  /** Replays a poll's requests bare (poll-floor.ts). */
  readonly pollFloor: string;
  /** The SDK job bundled with the same esbuild options as our functions. */
  readonly sdkBundled: string;
  /** The design's cold-start floor (floor-show-task.ts), bundled like our functions. */
  readonly floorBundled: string;
  /** The SDK job requiring the SDKs from node_modules (run with NODE_PATH). */
  readonly sdkInstalled: string;
  readonly nodePath: string;
}

const live = new Set<ChildProcess>();

/** Kills the benchmark's children still running (teardown on error or signal). */
export function killChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function pick(options: Readonly<Record<string, unknown>>, keys: readonly string[]): BuildOptions {
  return Object.fromEntries(keys.filter((k) => k in options).map((k) => [k, options[k]]));
}

export async function compileChildren(
  repoRoot: string,
  workDir: string,
  functionEsbuildOptions: Readonly<Record<string, unknown>>,
): Promise<CompiledChildren> {
  const source = (name: string) => join(repoRoot, 'bench', 'children', name);
  const out = (name: string) => join(workDir, 'children', name);
  const harness: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  };
  // What serverless.yml's custom.esbuild says, minus what only the plugin understands.
  const asFunctions: BuildOptions = {
    ...harness,
    ...pick(functionEsbuildOptions, ['minify', 'target', 'platform', 'format', 'mainFields']),
  };
  const children: CompiledChildren = {
    firstInvocation: out('first-invocation.cjs'),
    warm: out('warm.cjs'),
    promiseCost: out('promise-cost.cjs'),
    pollFloor: out('poll-floor.cjs'),
    sdkBundled: out('sdk-show-task.bundled.cjs'),
    floorBundled: out('floor-show-task.bundled.cjs'),
    sdkInstalled: out('sdk-show-task.installed.cjs'),
    nodePath: join(repoRoot, 'node_modules'),
  };
  await Promise.all([
    build({
      ...harness,
      entryPoints: [source('first-invocation.ts')],
      outfile: children.firstInvocation,
    }),
    build({ ...harness, entryPoints: [source('warm.ts')], outfile: children.warm }),
    build({ ...harness, entryPoints: [source('poll-floor.ts')], outfile: children.pollFloor }),
    build({
      ...harness,
      entryPoints: [source('promise-cost.ts')],
      outfile: children.promiseCost,
    }),
    build({
      ...asFunctions,
      entryPoints: [source('sdk-show-task.ts')],
      outfile: children.sdkBundled,
    }),
    build({
      ...asFunctions,
      entryPoints: [source('floor-show-task.ts')],
      outfile: children.floorBundled,
    }),
    build({
      ...harness,
      packages: 'external',
      entryPoints: [source('sdk-show-task.ts')],
      outfile: children.sdkInstalled,
    }),
  ]);
  return children;
}

export interface TimedRun<R> {
  /** From just before spawn() to the child's exit, as the parent saw it. */
  readonly wallMs: number;
  readonly code: number | null;
  readonly stderr: string;
  readonly result: R | undefined;
}

export interface RunOptions {
  readonly env: Readonly<Record<string, string>>;
  /** Serialised into BENCH_CHILD_INPUT. */
  readonly input?: unknown;
  /** Where the child writes its result (BENCH_RESULT_FILE); removed before the run. */
  readonly resultFile?: string;
  readonly timeoutMs?: number;
  /**
   * Send stderr to this file instead of a pipe the parent reads: for children that write a lot
   * (Powertools warnings), so the parent does not pay for reading it during the measurement.
   */
  readonly stderrFile?: string;
  /** Send stdout to this file instead of /dev/null (to count what the child logs). */
  readonly stdoutFile?: string;
  /** The node binary; the benchmark's own by default (another major for the Node 24 figure). */
  readonly node?: string;
}

/**
 * Runs `node <args>` with stdout on /dev/null (Powertools logs are not measured as terminal I/O)
 * unless `stdoutFile` is given,
 * and stderr captured for diagnostics, and times it from spawn to exit.
 */
export async function runNode<R>(
  args: readonly string[],
  options: RunOptions,
): Promise<TimedRun<R>> {
  const env: Record<string, string> = { ...options.env };
  if (options.input !== undefined) env[INPUT_VARIABLE] = JSON.stringify(options.input);
  if (options.resultFile) {
    env[RESULT_FILE_VARIABLE] = options.resultFile;
    rmSync(options.resultFile, { force: true });
  }
  let stderr = '';
  const stderrFd = options.stderrFile ? openSync(options.stderrFile, 'w') : undefined;
  const stdoutFd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined;
  const started = process.hrtime.bigint();
  const child = spawn(options.node ?? process.execPath, args, {
    env,
    stdio: ['ignore', stdoutFd ?? 'ignore', stderrFd ?? 'pipe'],
  });
  for (const fd of [stderrFd, stdoutFd]) if (fd !== undefined) closeSync(fd);
  live.add(child);
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('exit', (exitCode) => done(exitCode));
  }).finally(() => {
    clearTimeout(timer);
    live.delete(child);
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (options.stderrFile) stderr = readFileSync(options.stderrFile, 'utf8').slice(-4000);
  const result =
    options.resultFile && existsSync(options.resultFile)
      ? (JSON.parse(readFileSync(options.resultFile, 'utf8')) as R)
      : undefined;
  return { wallMs, code, stderr, result };
}
