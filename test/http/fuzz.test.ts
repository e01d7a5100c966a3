/**
 * Bad input, fuzzed (devkit/fuzz): a few hundred property-based cases against `POST /predict`
 * on a real socket, every category of `npm run fuzz` (which runs 100,000). A failure prints
 * its shrunk counterexample and the seed and path that replay it; FUZZ_SEED picks another
 * seed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runFuzz, runsFor } from '../../devkit/fuzz/fuzz-run.js';
import { sendRaw } from '../../devkit/fuzz/http-exchange.js';
import { checkAnswer } from '../../devkit/fuzz/predict-contract.js';
import type { PredictLimits } from '../../devkit/fuzz/predict-oracle.js';
import { sampleEvery } from '../../devkit/proc-memory.js';
import { startTestApp, type TestApp } from '../helper.js';

/** Small limits, so cases past them are cheap; MAX_TEXT_CHARS on, so its path is fuzzed too. */
const LIMITS: PredictLimits = { bodyLimitBytes: 256 * 1024, maxTexts: 64, maxTextChars: 200 };
const SEED = Number(process.env.FUZZ_SEED ?? 20_250_601);
/**
 * This process holds the service, its worker and the test's own bodies: about 250 MB idle,
 * a little more with bodies of 256 KiB in flight. Twice that means something keeps what it
 * was sent (the full run's bound on the service alone is in bench/fuzz.ts).
 */
const RSS_BOUND_BYTES = 600 * 2 ** 20;

describe('POST /predict under fuzzed input (real HTTP)', () => {
  let t: TestApp;
  let baseUrl: string;
  let port: number;
  before(async () => {
    t = await startTestApp({
      BODY_LIMIT_BYTES: String(LIMITS.bodyLimitBytes),
      MAX_TEXTS_PER_REQUEST: String(LIMITS.maxTexts),
      MAX_TEXT_CHARS: String(LIMITS.maxTextChars),
      CACHE_MEMORY_BYTES: String(8 * 2 ** 20),
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
    baseUrl = `http://127.0.0.1:${port}`;
  });
  after(() => t.close());

  test('every category: no 5xx, no hang, documented refusals, contract-shaped successes', async (ctx) => {
    const rss = sampleEvery(100, () => process.memoryUsage().rss);
    const results = await runFuzz(
      { baseUrl, limits: LIMITS, labels: t.model.config.labels },
      { runs: runsFor(450), seed: SEED, concurrency: 3, timeoutMs: 10_000 },
    ).finally(() => rss.stop());
    const failures = results.flatMap((r) =>
      r.failure
        ? [
            `${r.category}: ${r.failure.error}\n  ${r.failure.counterexample}\n  replay: FUZZ_SEED=${r.failure.seed}, path ${r.failure.path}`,
          ]
        : [],
    );
    assert.deepEqual(failures, []);
    ctx.diagnostic(`cases: ${results.map((r) => `${r.category} ${r.runs}`).join(', ')}`);
    const total = results.reduce((sum, r) => sum + r.runs, 0);
    assert.ok(total >= 400, `only ${total} cases ran`);
    assert.ok(rss.max() < RSS_BOUND_BYTES, `RSS reached ${rss.max() / 2 ** 20} MB`);
    const health = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(health.status, 200);
  });

  // Node would answer these itself with an empty body; app.ts answers them in the documented
  // shape (requireHostHeader off plus an onRequest refusal; a checkExpectation listener).
  const head = 'POST /predict HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n';
  const nodeAnswers: [string, string][] = [
    ['an HTTP/1.1 request without Host', `${head}\r\n{}`],
    ['an unknown Expect (Node answers 417)', `${head}Host: x\r\nExpect: foo\r\n\r\n{}`],
  ];
  for (const [what, bytes] of nodeAnswers) {
    test(`${what} is refused in the documented shape`, async () => {
      const answer = await sendRaw(port, Buffer.from(bytes), 'wait', 5_000);
      checkAnswer(answer, { any: true }, Buffer.from(bytes), t.model.config.labels);
    });
  }
});
