import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { describe, test } from 'node:test';
import { cpuSplit, threadCpuSeconds } from '../../devkit/thread-cpu.js';

describe('CPU per thread (devkit/thread-cpu.ts)', () => {
  test('splits CPU into the main thread, the busiest threads and the rest', () => {
    const before = new Map([
      [10, 1],
      [11, 5],
      [12, 5],
      [13, 0],
    ]);
    const after = new Map([
      [10, 1.5],
      [11, 6.8],
      [12, 6.9],
      [13, 0.2],
      [14, 0.1], // started during the span
    ]);
    const split = cpuSplit(10, before, after, 2, 2);
    assert.equal(split.mainThread, 0.25);
    assert.ok(Math.abs(split.workers - (1.8 + 1.9) / 2) < 1e-9);
    assert.ok(Math.abs(split.others - 0.3 / 2) < 1e-9);
  });

  test('reads a busy worker thread of this process from /proc', async (t) => {
    if (process.platform !== 'linux') return t.skip('needs /proc (Linux)');
    const before = threadCpuSeconds(process.pid);
    const spin = new Worker(
      'const end = Date.now() + 300; while (Date.now() < end); require("node:worker_threads").parentPort.postMessage(0);',
      { eval: true },
    );
    await new Promise((resolve) => spin.once('message', resolve));
    const split = cpuSplit(process.pid, before, threadCpuSeconds(process.pid), 0.3, 1);
    await spin.terminate();
    // 0.3 s of spinning on a worker thread (less if the machine is busy), in 10 ms ticks.
    assert.ok(split.workers > 0.3, `worker used ${split.workers} cores`);
    assert.ok(split.workers > split.mainThread);
  });
});
