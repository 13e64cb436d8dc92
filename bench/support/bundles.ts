import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** One function as packaged by `npm run package` (serverless package --stage ci). */
export interface FunctionBundle {
  readonly name: string;
  /** The artifact in .serverless/, as deployed. */
  readonly zipPath: string;
  readonly zipBytes: number;
  /** The handler file extracted from a copy of that zip. */
  readonly entryFile: string;
  readonly entryBytes: number;
  readonly exportName: string;
  /** The handler's source module, e.g. functions/http.ts (what serverless-esbuild bundled). */
  readonly sourceFile: string;
  readonly timeoutSeconds: number;
  /** provider.environment merged with the function's own: the literal values (see below). */
  readonly environment: Readonly<Record<string, string>>;
}

export interface Bundles {
  readonly functions: ReadonlyMap<string, FunctionBundle>;
  /** custom.esbuild from serverless.yml: the benchmark bundles the SDK comparison the same way. */
  readonly esbuild: Readonly<Record<string, unknown>>;
  readonly memorySizeMb: number | undefined;
  readonly packagedInMs: number | undefined;
}

interface ServerlessState {
  service: {
    provider: { environment?: Record<string, unknown>; memorySize?: number };
    custom?: { esbuild?: Record<string, unknown> };
    functions: Record<
      string,
      {
        handler: string;
        timeout?: number;
        environment?: Record<string, unknown>;
        package?: { artifact?: string };
      }
    >;
  };
}

async function runPackage(repoRoot: string): Promise<number> {
  const started = performance.now();
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn('npm', ['run', 'package'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', fail);
    child.once('exit', done);
  });
  if (code !== 0) {
    throw new Error(`npm run package failed (exit ${code}):\n${Buffer.concat(output).toString()}`);
  }
  return performance.now() - started;
}

function hasUnzip(): boolean {
  return spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** `unzip` when the machine has it, else Python's zipfile module (moto needs Python anyway). */
function extract(zip: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const [command, args] = hasUnzip()
    ? ['unzip', ['-q', '-o', zip, '-d', into]]
    : ['python3', ['-m', 'zipfile', '-e', zip, into]];
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`extracting ${zip} with ${command} failed: ${result.stderr || result.error}`);
  }
}

/**
 * The literal values only: null is dropped (CloudFormation drops it too), and so are references
 * to stack resources (`Ref`, `Fn::GetAtt`…), which only exist once deployed.
 */
function literalValues(values: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[key] = String(value);
    }
  }
  return out;
}

function sourceOf(repoRoot: string, module: string): string {
  const found = ['.ts', '.mts', '.js', '.mjs']
    .map((extension) => join(repoRoot, `${module}${extension}`))
    .find((path) => existsSync(path));
  if (!found) throw new Error(`no source file for handler module ${module}`);
  return found;
}

/**
 * Packages the service (unless `skipPackage`), then extracts a copy of every function zip into
 * `workDir`, so the benchmark runs exactly the code that would be deployed.
 */
export async function ensureBundles(
  repoRoot: string,
  workDir: string,
  { skipPackage = false, serverlessDir = join(repoRoot, '.serverless') } = {},
): Promise<Bundles> {
  const packagedInMs = skipPackage ? undefined : await runPackage(repoRoot);
  const stateFile = join(serverlessDir, 'serverless-state.json');
  if (!existsSync(stateFile)) {
    throw new Error(`${stateFile} is missing: run \`npm run package\` (or drop --no-package).`);
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ServerlessState;
  const { provider, custom, functions } = state.service;
  const bundles = new Map<string, FunctionBundle>();
  for (const [name, fn] of Object.entries(functions)) {
    const artifact = fn.package?.artifact;
    if (!artifact) throw new Error(`function ${name} has no packaged artifact`);
    const zipPath = resolve(serverlessDir, basename(artifact));
    const snapshot = join(workDir, 'zips', basename(zipPath));
    mkdirSync(join(workDir, 'zips'), { recursive: true });
    copyFileSync(zipPath, snapshot);
    const into = join(workDir, 'functions', name);
    extract(snapshot, into);
    const dot = fn.handler.lastIndexOf('.');
    const entryFile = join(into, `${fn.handler.slice(0, dot)}.js`);
    if (!existsSync(entryFile))
      throw new Error(`${artifact} has no ${fn.handler.slice(0, dot)}.js`);
    bundles.set(name, {
      name,
      zipPath,
      zipBytes: statSync(snapshot).size,
      entryFile,
      entryBytes: statSync(entryFile).size,
      exportName: fn.handler.slice(dot + 1),
      sourceFile: sourceOf(repoRoot, fn.handler.slice(0, dot)),
      timeoutSeconds: fn.timeout ?? 6,
      environment: {
        ...literalValues(provider.environment),
        ...literalValues(fn.environment),
      },
    });
  }
  return {
    functions: bundles,
    esbuild: custom?.esbuild ?? {},
    memorySizeMb: provider.memorySize,
    packagedInMs,
  };
}

export function requireFunction(bundles: Bundles, name: string): FunctionBundle {
  const bundle = bundles.functions.get(name);
  if (!bundle) {
    throw new Error(
      `no "${name}" function in .serverless (have: ${[...bundles.functions.keys()].join(', ')})`,
    );
  }
  return bundle;
}
