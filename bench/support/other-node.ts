import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A node binary of another major, or why there is none. */
export type OtherNode =
  | { readonly available: true; readonly path: string; readonly version: string }
  | { readonly available: false; readonly reason: string };

function versionOf(path: string): string | undefined {
  const result = spawnSync(path, ['-v'], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Node `major` for this platform, from the npm registry's `node-<platform>-<arch>` package (the
 * one `npx node@<major>` installs), unpacked under `cacheDir` once and reused by later runs.
 * Never throws: a machine without the registry gets the reason instead.
 */
export function obtainNode(major: number, cacheDir: string): OtherNode {
  const dir = join(cacheDir, `node${major}`);
  const binary = join(dir, 'package', 'bin', 'node');
  const cached = existsSync(binary) ? versionOf(binary) : undefined;
  if (cached?.startsWith(`v${major}.`)) return { available: true, path: binary, version: cached };
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    return { available: false, reason: `no npm package of node for ${process.platform}` };
  }
  const spec = `node-${process.platform}-${process.arch}@${major}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pack = spawnSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (pack.status !== 0 || !tarball) {
    const why = (pack.stderr || pack.error?.message || 'no tarball').trim().split('\n').at(-1);
    return { available: false, reason: `npm pack ${spec} failed: ${why}` };
  }
  const untar = spawnSync('tar', ['-xzf', join(dir, tarball), '-C', dir], { encoding: 'utf8' });
  rmSync(join(dir, tarball), { force: true });
  const version = untar.status === 0 && existsSync(binary) ? versionOf(binary) : undefined;
  if (!version?.startsWith(`v${major}.`)) {
    return { available: false, reason: `${spec} did not unpack to a working node ${major}` };
  }
  return { available: true, path: binary, version };
}
