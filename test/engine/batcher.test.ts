import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Batcher, type BatchRunner } from '../../src/engine/batcher.js';
import { ModelFailedError, OverloadedError, RequestAbortedError } from '../../src/errors.js';
import {
  batchBuffers,
  pack,
  pad,
  type BatchOutput,
  type InferenceRow,
  type PaddedBatch,
  type TokenBatch,
} from '../../src/model/token-batch.js';

/**
 * A runner that records batches and finishes them when told: the real one is tested in the
 * integration tests; here the point is the batcher's choices.
 */
class FakeRunner implements BatchRunner {
  readonly batches: PaddedBatch[] = [];
  private releases: (() => void)[] = [];
  fail: Error | undefined;
  /** Return representations too: 3 per row, each its first token id, then 1 and 2. */
  representation = false;
  constructor(readonly slots = 1) {}
  run(batch: TokenBatch): Promise<BatchOutput> {
    if (batch.kind !== 'padded') throw new Error('this fake runs padded batches');
    this.batches.push(batch);
    return new Promise((resolve, reject) => {
      this.releases.push(() => {
        if (this.fail) return reject(this.fail);
        // Logit 0 of each row = its first token id, so rows can be told apart.
        const out = new Float32Array(batch.rows * 2);
        for (let r = 0; r < batch.rows; r++) out[r * 2] = Number(batch.inputIds[r * batch.seqLen]);
        if (!this.representation) return resolve({ logits: out });
        const representation = new Float32Array(batch.rows * 3);
        for (let r = 0; r < batch.rows; r++) representation.set([out[r * 2]!, 1, 2], r * 3);
        resolve({ logits: out, representation });
      });
    });
  }
  /** Finishes the oldest unfinished batch only. */
  releaseOldest(): void {
    this.releases.shift()?.();
  }
  releaseAll(): void {
    const pending = this.releases;
    this.releases = [];
    for (const release of pending) release();
  }
  async close(): Promise<void> {}
}

const seq = (first: number, length: number): number[] => [
  first,
  ...Array<number>(length - 1).fill(7),
];
const options = {
  maxItems: 4,
  maxTokens: 64,
  maxDelayMs: 0,
  maxQueued: 100,
  maxPadding: 1,
  graph: 'padded' as const,
};
const tick = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  test('pad right-pads with id 0 and mask 0', () => {
    const { batch, realTokens } = pad([{ ids: [1, 2, 3] }, { ids: [4] }]);
    assert.deepEqual([...batch.inputIds], [1n, 2n, 3n, 4n, 0n, 0n]);
    assert.deepEqual([...batch.attentionMask], [1n, 1n, 1n, 1n, 0n, 0n]);
    assert.equal(realTokens, 4);
  });

  test('pack lists tokens in item order and lays attention out in a long and a short group', () => {
    // Lengths 4, 3, 1: two rows of 4 plus one of 1 (area 2·16 + 1) beat one row of 4 plus two
    // of 3 (16 + 2·9) and three rows of 4 (48).
    const { batch, realTokens, computedTokens } = pack([
      { ids: [101, 5, 6, 102] },
      { ids: [101, 7, 102] },
      { ids: [101] },
    ]);
    assert.deepEqual([...batch.inputIds], [101n, 5n, 6n, 102n, 101n, 7n, 102n, 101n]);
    assert.deepEqual([...batch.positionIds], [0n, 1n, 2n, 3n, 0n, 1n, 2n, 0n]);
    assert.deepEqual([...batch.clsIndex], [0n, 4n, 7n]);
    assert.equal(batch.rows, 3);
    assert.deepEqual([batch.long.rows, batch.long.seqLen], [2, 4]);
    // Row 1's padding slot repeats its first token (4) and is masked.
    assert.deepEqual([...batch.long.padIndex], [0n, 1n, 2n, 3n, 4n, 5n, 6n, 4n]);
    assert.deepEqual([...batch.long.attentionMask], [1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]);
    assert.deepEqual([batch.short.rows, batch.short.seqLen], [1, 1]);
    assert.deepEqual([...batch.short.padIndex], [7n]);
    assert.deepEqual([...batch.short.attentionMask], [1n]);
    // The short group's slots follow the long group's 8.
    assert.deepEqual([...batch.unpadIndex], [0n, 1n, 2n, 3n, 4n, 5n, 6n, 8n]);
    assert.equal(realTokens, 8);
    assert.equal(computedTokens, 8, 'a packed batch computes no padding');
  });

  test('pack puts the longest texts in the long group, wherever they are in the batch', () => {
    const { batch } = pack([
      { ids: [1, 2] },
      { ids: [3, 4, 5, 6, 7] },
      { ids: [8, 9, 10, 11, 12] },
    ]);
    assert.deepEqual(
      [batch.long.rows, batch.long.seqLen, batch.short.rows, batch.short.seqLen],
      [2, 5, 1, 2],
    );
    assert.deepEqual([...batch.long.padIndex], [2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]);
    assert.deepEqual([...batch.short.padIndex], [0n, 1n]);
    assert.deepEqual([...batch.unpadIndex], [10n, 11n, 0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
  });

  test('every buffer of a batch is listed for transfer to the worker', () => {
    const packed = pack([{ ids: [1, 2, 3] }, { ids: [4] }]).batch;
    const buffers = batchBuffers(packed);
    const expected = [
      packed.inputIds,
      packed.positionIds,
      packed.clsIndex,
      packed.unpadIndex,
      packed.long.padIndex,
      packed.long.attentionMask,
      packed.short.padIndex,
      packed.short.attentionMask,
    ].map((array) => array.buffer);
    assert.equal(buffers.length, expected.length);
    assert.deepEqual(new Set(buffers), new Set(expected));
    const padded = pad([{ ids: [1, 2] }]).batch;
    assert.deepEqual(batchBuffers(padded), [padded.inputIds.buffer, padded.attentionMask.buffer]);
  });

  test('pack of one text leaves the short group one masked slot', () => {
    const { batch } = pack([{ ids: [101, 102] }]);
    assert.deepEqual([batch.long.rows, batch.long.seqLen], [1, 2]);
    assert.deepEqual([...batch.short.attentionMask], [0n]);
    assert.deepEqual([...batch.unpadIndex], [0n, 1n]);
  });

  test('with a packed graph, batches are cut in arrival order by the token budget, whatever the lengths', async () => {
    const seen: number[][] = [];
    const runner: BatchRunner = {
      slots: 1,
      async run(batch: TokenBatch) {
        if (batch.kind !== 'packed') throw new Error('expected a packed batch');
        seen.push([...batch.clsIndex].map((start) => Number(batch.inputIds[Number(start)])));
        return { logits: new Float32Array(batch.rows * 2) };
      },
      async close() {},
    };
    const batcher = new Batcher(runner, {
      ...options,
      graph: 'packed',
      maxItems: 8,
      maxTokens: 50,
    });
    const all = batcher.submit([
      seq(1, 2),
      seq(2, 40),
      seq(3, 5),
      seq(4, 5),
      seq(5, 30),
      seq(6, 3),
    ]);
    await Promise.all(all);
    // 2+40+5 = 47 tokens; one more (5) would pass the 50-token budget. Then 5+30+3.
    assert.deepEqual(seen, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  test('each row resolves to its own logits, in order', async () => {
    const runner = new FakeRunner();
    const batcher = new Batcher(runner, options);
    const results = batcher.submit([seq(11, 3), seq(22, 5)]);
    runner.releaseAll();
    const rows = await Promise.all(results);
    assert.deepEqual(
      rows.map((r) => [...r.logits]),
      [
        [11, 0],
        [22, 0],
      ],
    );
    assert.ok(rows.every((r) => r.representation === undefined));
  });

  test('with representations, each row carries its own beside its logits', async () => {
    const runner = new FakeRunner();
    runner.representation = true;
    const batcher = new Batcher(runner, options);
    const results = batcher.submit([seq(11, 3), seq(22, 5), seq(33, 4)]);
    runner.releaseAll();
    const rows = await Promise.all(results);
    assert.deepEqual(
      rows.map((r) => [r.logits[0], ...(r.representation ?? [])]),
      [
        [11, 11, 1, 2],
        [22, 22, 1, 2],
        [33, 33, 1, 2],
      ],
    );
  });

  test('while the worker is busy, queued items are grouped by length around the oldest', async () => {
    const runner = new FakeRunner(1);
    const batcher = new Batcher(runner, { ...options, maxItems: 3, maxTokens: 200 });
    const first = batcher.submit([seq(1, 4)]); // runs alone at once
    const queued = batcher.submit([seq(2, 10), seq(3, 40), seq(4, 11), seq(5, 39), seq(6, 9)]);
    runner.releaseAll();
    await first[0];
    await tick();
    // Oldest queued is length 10: its batch takes the lengths closest to it (9, 11), not 40.
    assert.equal(runner.batches[1]?.rows, 3);
    assert.equal(runner.batches[1]?.seqLen, 11);
    runner.releaseAll();
    await tick();
    assert.equal(runner.batches[2]?.seqLen, 40);
    runner.releaseAll();
    await Promise.all(queued);
  });

  test('a batch never exceeds the token budget (rows × padded length)', async () => {
    const runner = new FakeRunner(1);
    const batcher = new Batcher(runner, { ...options, maxItems: 100, maxTokens: 100 });
    const hold = batcher.submit([seq(1, 2)]);
    const all = batcher.submit(Array.from({ length: 20 }, (_, i) => seq(i + 2, 30)));
    for (let i = 0; i < 12; i++) {
      runner.releaseAll();
      await tick();
    }
    await Promise.all([...hold, ...all]);
    for (const b of runner.batches.slice(1))
      assert.ok(b.rows * b.seqLen <= 100, `${b.rows}×${b.seqLen}`);
    assert.equal(
      runner.batches.slice(1).reduce((n, b) => n + b.rows, 0),
      20,
    );
  });

  test('a full queue refuses the whole request with OverloadedError and queues none of it', () => {
    const runner = new FakeRunner(1);
    const batcher = new Batcher(runner, { ...options, maxQueued: 5 });
    batcher.submit([seq(1, 2)]); // dispatched at once, not queued
    batcher.submit([seq(2, 2), seq(3, 2), seq(4, 2)]);
    assert.throws(() => batcher.submit([seq(5, 2), seq(6, 2), seq(7, 2)]), OverloadedError);
    assert.equal(batcher.depth, 3);
  });

  test('an aborted item is dropped before it reaches the model', async () => {
    const runner = new FakeRunner(1);
    const batcher = new Batcher(runner, options);
    const busy = batcher.submit([seq(1, 2)]);
    const controller = new AbortController();
    const [dropped] = batcher.submit([seq(2, 2)], [controller.signal]);
    const [kept] = batcher.submit([seq(3, 2)]);
    controller.abort();
    runner.releaseAll();
    await assert.rejects(dropped as Promise<InferenceRow>, RequestAbortedError);
    await tick();
    runner.releaseAll();
    assert.equal((await kept)?.logits[0], 3);
    await Promise.all(busy);
    const ran = runner.batches.flatMap((b) =>
      Array.from({ length: b.rows }, (_, r) => Number(b.inputIds[r * b.seqLen])),
    );
    assert.deepEqual(ran, [1, 3]);
  });

  test('a failed batch fails every request in it with the same error', async () => {
    const runner = new FakeRunner(1);
    const batcher = new Batcher(runner, options);
    runner.fail = new Error('kernel exploded');
    const results = batcher.submit([seq(1, 2), seq(2, 2)]);
    runner.releaseAll();
    const errors = await Promise.all(
      results.map((r) =>
        r.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    assert.ok(errors[0] instanceof ModelFailedError);
    assert.equal(errors[0], errors[1]);
  });

  test('with a max delay, an idle batcher still sends a lone item at once', async () => {
    const runner = new FakeRunner(2);
    const batcher = new Batcher(runner, { ...options, maxDelayMs: 1000 });
    const a = batcher.submit([seq(1, 2)]);
    assert.equal(runner.batches.length, 1, 'no worker busy: no reason to wait');
    runner.releaseAll();
    await Promise.all(a);
  });

  test('under load, a worker that comes free waits up to the delay for a full batch', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const runner = new FakeRunner(2);
    const batcher = new Batcher(runner, {
      ...options,
      maxItems: 3,
      maxDelayMs: 40,
      clock: () => Date.now(),
    });
    const first = batcher.submit([seq(1, 2), seq(2, 2), seq(3, 2)]); // worker 1: full
    const second = batcher.submit([seq(4, 2), seq(5, 2), seq(6, 2)]); // worker 2: full
    assert.equal(runner.batches.length, 2);
    runner.releaseOldest(); // worker 1 comes free while worker 2 is busy
    await Promise.all(first);
    const late = batcher.submit([seq(7, 2)]);
    await tick();
    assert.equal(runner.batches.length, 2, 'a free worker waits for company under load');
    const more = batcher.submit([seq(8, 2), seq(9, 2)]);
    assert.equal(runner.batches.length, 3, 'a full batch goes at once');
    assert.equal(runner.batches[2]?.rows, 3);
    runner.releaseOldest(); // worker 2 comes free while worker 1 is busy again
    await Promise.all(second);
    const last = batcher.submit([seq(10, 2)]);
    await tick();
    t.mock.timers.tick(39);
    assert.equal(runner.batches.length, 3, 'within the delay, it still waits');
    t.mock.timers.tick(1);
    assert.equal(runner.batches.length, 4, 'at the delay, a partial batch goes');
    assert.equal(runner.batches[3]?.rows, 1);
    runner.releaseAll();
    await Promise.all([...late, ...more, ...last]);
  });

  test('under load, a free worker waits only for as many texts as it answered', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const runner = new FakeRunner(2);
    const batcher = new Batcher(runner, { ...options, maxDelayMs: 40, clock: () => Date.now() });
    const first = batcher.submit([seq(1, 2), seq(2, 2)]); // worker 1: two texts
    const second = batcher.submit([seq(3, 2)]); // worker 2: one text
    assert.equal(runner.batches.length, 2);
    runner.releaseOldest(); // worker 1 answers its two clients while worker 2 is busy
    await Promise.all(first);
    const one = batcher.submit([seq(4, 2)]);
    await tick();
    assert.equal(runner.batches.length, 2, 'one of the two answered clients is back: wait');
    const two = batcher.submit([seq(5, 2)]);
    assert.equal(runner.batches.length, 3, 'both are back: it goes, not waiting for 4');
    assert.equal(runner.batches[2]?.rows, 2);
    runner.releaseAll();
    await Promise.all([...second, ...one, ...two]);
  });

  test('drain refuses new work and waits for queued work', async () => {
    const runner = new FakeRunner(1);
    const batcher = new Batcher(runner, options);
    const queued = batcher.submit([seq(1, 2)]);
    const drained = batcher.drain();
    assert.throws(() => batcher.submit([seq(2, 2)]), /shutting down/);
    runner.releaseAll();
    await Promise.all(queued);
    await drained;
  });

  test('room reserved before tokenizing counts against the bound, is given back, and holds a drain open', async () => {
    const runner = new FakeRunner(1);
    const batcher = new Batcher(runner, { ...options, maxQueued: 3 });
    const held = batcher.reserve(2);
    assert.throws(() => batcher.reserve(2), OverloadedError, 'reserved room is taken');
    held.release();
    const room = batcher.reserve(3);
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    await tick();
    assert.equal(drained, false, 'a drain waits for what was reserved');
    const results = room.submit([seq(1, 2), seq(2, 2), seq(3, 2)]);
    assert.throws(() => room.submit([seq(4, 2)]), /used once/);
    runner.releaseAll();
    await tick();
    runner.releaseAll();
    await Promise.all(results);
    await draining;
    assert.equal(drained, true);
  });
});
