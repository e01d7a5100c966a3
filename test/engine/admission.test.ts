import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Batcher, type BatchRunner } from '../../src/engine/batcher.js';
import { OverloadedError } from '../../src/errors.js';
import type { BatchOutput, TokenBatch } from '../../src/model/token-batch.js';

/** A runner whose batches finish when told, each after `msPerBatch` of the test's clock. */
class ClockedRunner implements BatchRunner {
  readonly slots = 1;
  private releases: (() => void)[] = [];
  constructor(
    private readonly clock: { now: number },
    private readonly msPerBatch: number,
  ) {}
  run(batch: TokenBatch): Promise<BatchOutput> {
    const rows = batch.kind === 'padded' ? batch.rows : 0;
    return new Promise((resolve) =>
      this.releases.push(() => {
        this.clock.now += this.msPerBatch;
        resolve({ logits: new Float32Array(rows * 2) });
      }),
    );
  }
  /** Finishes the running batch and lets the batcher dispatch the next one. */
  async finishOne(): Promise<void> {
    this.releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  async close(): Promise<void> {}
}

const texts = (n: number) => Array.from({ length: n }, () => [101, 7, 102]);

function overloadedBy(batcher: Batcher, count: number): OverloadedError {
  try {
    batcher.reserve(count).release();
  } catch (error) {
    assert.ok(error instanceof OverloadedError, String(error));
    return error;
  }
  assert.fail(`reserve(${count}) was admitted`);
}

describe('Batcher admission: a bound in work, hysteresis, Retry-After', () => {
  test('the queue holds what the workers finish within maxWaitMs, and Retry-After is the time to drain to half of it', async () => {
    const clock = { now: 0 };
    // 2 texts a batch, 2 s a batch: 1 text a second, so 20 s of waiting is 20 texts.
    const runner = new ClockedRunner(clock, 2_000);
    const batcher = new Batcher(runner, {
      maxItems: 2,
      maxTokens: 1024,
      maxDelayMs: 0,
      maxQueued: 1_000,
      maxWaitMs: 20_000,
      maxPadding: 1,
      graph: 'padded',
      clock: () => clock.now,
    });
    assert.equal(batcher.limit, 1_000, 'no speed measured yet: the item bound alone');
    const all = [...batcher.submit(texts(4)), ...batcher.submit(texts(20))];
    // Two batches cut from a longer queue come back 2 s apart: the drain rate.
    await runner.finishOne();
    await runner.finishOne();
    assert.equal(batcher.limit, 20);
    assert.equal(batcher.depth, 18);

    // 18 queued + 3 > 20: refused; draining to half (10) takes 8 texts at 1 a second.
    assert.equal(overloadedBy(batcher, 3).headers['retry-after'], '8');
    // Shedding: even one text that would fit is refused until the queue is down to half.
    assert.equal(batcher.refusal()?.code, 'overloaded');
    for (const depth of [16, 14, 12]) {
      await runner.finishOne();
      assert.equal(batcher.depth, depth);
      overloadedBy(batcher, 1);
    }
    await runner.finishOne(); // 10 queued: half, admitting again
    assert.equal(batcher.refusal(), undefined);
    const room = batcher.reserve(10);
    room.release();
    while (batcher.depth > 0) await runner.finishOne();
    await runner.finishOne();
    await Promise.all(all);
  });

  test('a dip in the drain rate does not tell clients to stay away past half the wait bound', async () => {
    const clock = { now: 0 };
    const runner = new ClockedRunner(clock, 2_000);
    const options = {
      maxItems: 2,
      maxTokens: 1024,
      maxDelayMs: 0,
      maxQueued: 1_000,
      maxWaitMs: 20_000,
      maxPadding: 1,
      graph: 'padded' as const,
      clock: () => clock.now,
    };
    const batcher = new Batcher(runner, options);
    const all = [...batcher.submit(texts(4)), ...batcher.submit(texts(16))];
    await runner.finishOne();
    await runner.finishOne();
    assert.equal(batcher.limit, 20, '1 text a second measured');
    // One batch takes 100 s (the machine stalled): the measured rate falls to 4 texts in
    // 102 s, the limit under what is queued, and the estimate of the drain to minutes.
    clock.now += 98_000;
    await runner.finishOne();
    assert.ok(batcher.limit < batcher.depth, `limit ${batcher.limit}, depth ${batcher.depth}`);
    // Without the wait bound's ceiling this would be 60 s; the workers would sit idle long
    // after the queue drained. With it: half of 20 s.
    assert.equal(overloadedBy(batcher, 1).headers['retry-after'], '10');
    while (batcher.depth > 0) await runner.finishOne();
    await runner.finishOne();
    await Promise.all(all);
  });
});
