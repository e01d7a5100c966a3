/**
 * The open model against a real HTTP server whose answers take a known time: arrivals keep
 * their rate however slow the answers (the point of an open model), an arrival with no free
 * connection is dropped and counted, every text is new, timing headers become trends.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { runOpenStep, sustained, UniqueTexts } from '../../src/load/open-model.js';

describe('the open model (constant arrival rate)', () => {
  let server: Server;
  let url = '';
  const seen = new Set<string>();
  let duplicates = 0;
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        for (const text of (JSON.parse(body) as { text: string[] }).text) {
          if (seen.has(text)) duplicates++;
          seen.add(text);
        }
        // Every answer takes 200 ms: ten times the interval between arrivals at 50/s.
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json', 'x-inference-time': '12.5' });
          res.end('{"predictions":[]}');
        }, 200);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  test('holds the rate whatever the latency; each text new; timing headers recorded', async () => {
    const started = performance.now();
    const step = await runOpenStep({ baseUrl: url, ratePerS: 50, durationMs: 1000 });
    const elapsed = performance.now() - started;
    // A closed loop of one client would have sent 5 in that second; the open model sends 50.
    assert.equal(step.sent, 50);
    assert.equal(step.ok, 50);
    assert.equal(step.dropped, 0);
    assert.ok(step.latency.p50Ms >= 195, `p50 ${step.latency.p50Ms}`);
    // One client sending them one after another would take 10 s.
    assert.ok(elapsed < 4000, `the step took ${elapsed.toFixed(0)} ms`);
    assert.equal(duplicates, 0);
    assert.equal(step.serverTimings['x-inference-time']?.p50Ms, 12.5);
    assert.equal(sustained(step, 500), true);
    assert.equal(sustained(step, 100), false, 'p99 over the budget is not sustained');
  });

  test('an arrival that finds every connection busy is dropped and counted', async () => {
    const step = await runOpenStep({
      baseUrl: url,
      ratePerS: 50,
      durationMs: 1000,
      maxInFlight: 4,
    });
    // 4 in flight for 200 ms each: about 4 / 0.2 = 20 served a second, the rest dropped.
    assert.equal(step.sent + step.dropped, 50);
    assert.ok(step.dropped >= 20 && step.sent <= 30, `sent ${step.sent}, dropped ${step.dropped}`);
    assert.equal(sustained(step, 10_000), false);
  });

  test('unique texts differ between runs (a second run within the TTL still misses)', () => {
    const a = new UniqueTexts();
    const b = new UniqueTexts();
    const first = Array.from({ length: 100 }, () => a.take());
    assert.equal(new Set(first).size, 100);
    assert.notEqual(b.take(), first[0]);
  });
});
