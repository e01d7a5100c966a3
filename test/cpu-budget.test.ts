import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cgroupCpuQuota, cpuBudget } from '../src/cpu-budget.js';

/** A cgroup tree with the given files, removed when the test ends. */
function cgroup(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cgroup-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  }
  return root;
}

test("a container's CPU limit caps the default worker count (cgroup v2 and v1)", (t) => {
  assert.equal(cgroupCpuQuota(cgroup(t, { 'cpu.max': '150000 100000' })), 2);
  assert.equal(cgroupCpuQuota(cgroup(t, { 'cpu.max': 'max 100000' })), undefined);
  const v1 = cgroup(t, { 'cpu/cpu.cfs_quota_us': '100000', 'cpu/cpu.cfs_period_us': '100000' });
  assert.equal(cgroupCpuQuota(v1), 1);
  const unlimited = cgroup(t, { 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' });
  assert.equal(cgroupCpuQuota(unlimited), undefined);
  assert.equal(cpuBudget(v1), 1);
  assert.equal(cpuBudget(unlimited), availableParallelism());
  assert.equal(cpuBudget(cgroup(t, { 'cpu.max': '6400000 100000' })), availableParallelism());
});
