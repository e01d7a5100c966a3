import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** A file's trimmed text, or undefined when it cannot be read. */
function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * The CPU quota of this process's cgroup, in cores rounded up, or undefined when there is none:
 * cgroup v2's `cpu.max` ("200000 100000" is 2 cores; "max …" is no limit), else cgroup v1's
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us` (a quota of -1 is no limit).
 */
export function cgroupCpuQuota(root = '/sys/fs/cgroup'): number | undefined {
  const v2 = read(join(root, 'cpu.max'))?.split(/\s+/);
  if (v2 && v2.length === 2) {
    const [quota, period] = v2.map(Number);
    return v2[0] === 'max' || !quota || !period ? undefined : Math.ceil(quota / period);
  }
  for (const dir of ['cpu', 'cpu,cpuacct']) {
    const quota = Number(read(join(root, dir, 'cpu.cfs_quota_us')));
    const period = Number(read(join(root, dir, 'cpu.cfs_period_us')));
    if (quota > 0 && period > 0) return Math.ceil(quota / period);
  }
  return undefined;
}

/**
 * How many cores this process may use: the machine's (or its CPU affinity's), capped by a
 * container's CPU limit, which `availableParallelism()` does not see. A pod limited to 2 CPUs
 * on a 32-core node gets 2 inference workers, not 32 that the quota would throttle.
 */
export function cpuBudget(root?: string): number {
  const cores = availableParallelism();
  const quota = cgroupCpuQuota(root);
  return quota === undefined ? cores : Math.max(1, Math.min(cores, quota));
}
