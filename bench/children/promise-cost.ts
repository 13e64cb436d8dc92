/**
 * Diagnostic child: the cost of one awaited promise before and after requiring a function bundle.
 * An async hook installed at require time (cls-hooked, loaded by the X-Ray SDK) shows up here.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { INPUT_VARIABLE, RESULT_FILE_VARIABLE } from './protocol';

export interface PromiseCostInput {
  readonly module: string;
  readonly iterations: number;
}

export interface PromiseCostResult {
  readonly beforeNs: number;
  readonly afterNs: number;
}

async function nsPerPromise(iterations: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await new Promise<void>((resolve) => resolve());
  return Number(process.hrtime.bigint() - started) / iterations;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env[INPUT_VARIABLE] ?? '') as PromiseCostInput;
  for (let i = 0; i < 3; i++) await nsPerPromise(input.iterations); // JIT warm-up
  const beforeNs = await nsPerPromise(input.iterations);
  createRequire(__filename)(input.module);
  for (let i = 0; i < 3; i++) await nsPerPromise(input.iterations);
  const afterNs = await nsPerPromise(input.iterations);
  const result: PromiseCostResult = { beforeNs, afterNs };
  writeFileSync(process.env[RESULT_FILE_VARIABLE] ?? '', JSON.stringify(result));
  process.exit(0);
}

void main();
