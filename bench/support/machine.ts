import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { execFileSync } from 'node:child_process';

export interface Machine {
  readonly cpuModel: string;
  readonly logicalCores: number;
  /** e.g. "2 vCPUs (cgroup quota: none)". */
  readonly cpuNote: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly moto: string;
  readonly date: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function cpuModel(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const info = readText('/proc/cpuinfo') ?? '';
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim();
  const family = field('cpu family');
  const modelNumber = field('model');
  const mhz = field('cpu MHz');
  const details = [
    family && modelNumber ? `family ${family} model ${modelNumber}` : undefined,
    mhz ? `${Math.round(Number(mhz))} MHz` : undefined,
    /\bhypervisor\b/.test(info) ? 'virtual machine' : undefined,
  ].filter(Boolean);
  return details.length > 0 ? `${model} (${details.join(', ')})` : model;
}

function cgroupCpuQuota(): string {
  const max = readText('/sys/fs/cgroup/cpu.max')?.trim();
  if (!max || max.startsWith('max')) return 'no cgroup CPU quota';
  const [quota, period] = max.split(/\s+/).map(Number);
  return quota && period ? `cgroup CPU quota ${(quota / period).toFixed(2)} cores` : max;
}

function osName(): string {
  const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readText('/etc/os-release') ?? '')?.[1];
  return `${pretty ?? type()} (kernel ${release()})`;
}

function motoVersion(): string {
  try {
    return execFileSync('python3', ['-c', 'import moto; print(moto.__version__)'], {
      encoding: 'utf8',
      timeout: 20_000,
    }).trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  return {
    cpuModel: cpuModel(),
    logicalCores: availableParallelism(),
    cpuNote: cgroupCpuQuota(),
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    os: osName(),
    moto: motoVersion(),
    date: new Date().toISOString(),
  };
}

/** Jiffies from the first line of /proc/stat: all CPUs together. */
export interface CpuSnapshot {
  readonly busy: number;
  readonly total: number;
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  const line = readText('/proc/stat')?.split('\n')[0];
  if (!line?.startsWith('cpu ')) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Share of the whole machine's CPU time that was busy between two snapshots (0–1). */
export function busyShare(from: CpuSnapshot | undefined, to: CpuSnapshot | undefined): number {
  if (!from || !to || to.total === from.total) return Number.NaN;
  return (to.busy - from.busy) / (to.total - from.total);
}
