/**
 * A fresh process's first invocation, run by plain `node` (compiled by esbuild, no tsx): it
 * requires the module (a function bundle extracted from .serverless, or the SDK comparison job),
 * invokes it once, writes timings and output to the result file and exits at once: keep-alive
 * sockets and SDK timers must not hold the process open after the answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { lambdaContext } from '../../test/support/lambda';
import {
  INPUT_VARIABLE,
  RESULT_FILE_VARIABLE,
  peakRssKb,
  type FirstInvocationInput,
  type FirstInvocationResult,
} from './protocol';

const startedMs = performance.now();

async function main(): Promise<never> {
  const input = JSON.parse(process.env[INPUT_VARIABLE] ?? '') as FirstInvocationInput;
  const resultFile = process.env[RESULT_FILE_VARIABLE] ?? '';
  const load = createRequire(__filename);
  let loadedMs = startedMs;
  let loadedCpuMs = 0;
  let output: unknown;
  let error: string | undefined;
  try {
    const entry = (load(input.module) as Record<string, unknown>)[input.exportName];
    if (typeof entry !== 'function') throw new Error(`${input.exportName} is not a function`);
    loadedMs = performance.now();
    const loadedCpu = process.cpuUsage();
    loadedCpuMs = (loadedCpu.user + loadedCpu.system) / 1000;
    const invoke = entry as (...args: unknown[]) => Promise<unknown>;
    output =
      input.kind === 'lambda'
        ? await invoke(input.event, lambdaContext(input.remainingMs, input.functionName))
        : await invoke(input.event);
  } catch (caught) {
    error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
  }
  const respondedMs = performance.now();
  const cpu = process.cpuUsage();
  const result: FirstInvocationResult = {
    startedMs,
    loadedMs,
    respondedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    loadedCpuMs,
    output,
    ...(error === undefined ? {} : { error }),
    peakRssKb: peakRssKb(readFileSync('/proc/self/status', 'utf8')),
  };
  writeFileSync(resultFile, JSON.stringify(result));
  process.exit(error === undefined ? 0 : 1);
}

void main();
