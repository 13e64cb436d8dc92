/**
 * Figure 4: the deployment zip of each function, as `npm run package` wrote it to .serverless,
 * and the node_modules packages inside it. The packages come from an esbuild metafile of the same
 * entry point with the options of serverless.yml's custom.esbuild; the rebuilt output's size is
 * compared with the handler file in the zip, so a build that differs from the packaged one shows.
 */
import { build, type BuildOptions } from 'esbuild';
import type { Bundles, FunctionBundle } from '../support/bundles';

/** Issue #11: each function's zip. */
export const BUNDLE_TARGET_BYTES = 150 * 1024;
/** No function may carry a tracer: tracing lives in an optional Lambda layer. */
export const TRACER_PACKAGE =
  /^(aws-xray-sdk(-[a-z]+)?|@aws-lambda-powertools\/tracer|cls-hooked)$/;
/** Only the stream consumer publishes events. */
export const EVENTBRIDGE_PACKAGE = '@aws-sdk/client-eventbridge';
export const EVENTBRIDGE_FUNCTION = 'statusStream';

export interface BundledPackage {
  readonly name: string;
  /** Bytes this package contributes to the (minified) handler file. */
  readonly bytes: number;
}

export interface BundleSize {
  readonly name: string;
  readonly zipBytes: number;
  /** The handler file inside the zip, uncompressed. */
  readonly entryBytes: number;
  /** The same entry rebuilt with the same options, for the metafile. */
  readonly rebuiltBytes: number;
  /** Largest first. */
  readonly packages: readonly BundledPackage[];
  /** Bytes of our own code (not under node_modules). */
  readonly ownBytes: number;
  readonly tracerPackages: readonly string[];
  readonly hasEventBridge: boolean;
  readonly targetBytes: number;
}

/** `…/node_modules/@scope/name/dist/x.js` → `@scope/name`; undefined outside node_modules. */
export function packageOf(path: string): string | undefined {
  const at = path.lastIndexOf('node_modules/');
  if (at === -1) return undefined;
  const parts = path.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : parts[0];
}

function pick(options: Readonly<Record<string, unknown>>, keys: readonly string[]): BuildOptions {
  return Object.fromEntries(keys.filter((k) => k in options).map((k) => [k, options[k]]));
}

async function packagesOf(
  bundle: FunctionBundle,
  esbuild: Readonly<Record<string, unknown>>,
): Promise<{ packages: BundledPackage[]; ownBytes: number; rebuiltBytes: number }> {
  const exclude = Array.isArray(esbuild.exclude) ? (esbuild.exclude as string[]) : [];
  const result = await build({
    ...pick(esbuild, ['bundle', 'minify', 'target', 'platform', 'format', 'mainFields']),
    // serverless-esbuild leaves `exclude` out of the bundle.
    external: exclude,
    entryPoints: [bundle.sourceFile],
    outfile: 'bundle-size.js',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = Object.values(result.metafile.outputs).filter(
    (output) => output.entryPoint !== undefined,
  );
  const bytes = new Map<string, number>();
  let ownBytes = 0;
  let rebuiltBytes = 0;
  for (const output of outputs) {
    rebuiltBytes += output.bytes;
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = packageOf(path);
      if (name === undefined) ownBytes += input.bytesInOutput;
      else bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  const packages = [...bytes]
    .map(([name, size]) => ({ name, bytes: size }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  return { packages, ownBytes, rebuiltBytes };
}

export async function measureBundleSizes(bundles: Bundles): Promise<BundleSize[]> {
  const sizes = await Promise.all(
    [...bundles.functions.values()].map(async (bundle) => {
      const { packages, ownBytes, rebuiltBytes } = await packagesOf(bundle, bundles.esbuild);
      const names = packages.map((p) => p.name);
      return {
        name: bundle.name,
        zipBytes: bundle.zipBytes,
        entryBytes: bundle.entryBytes,
        rebuiltBytes,
        packages,
        ownBytes,
        tracerPackages: names.filter((name) => TRACER_PACKAGE.test(name)),
        hasEventBridge: names.includes(EVENTBRIDGE_PACKAGE),
        targetBytes: BUNDLE_TARGET_BYTES,
      };
    }),
  );
  return sizes.sort((a, b) => a.name.localeCompare(b.name));
}
