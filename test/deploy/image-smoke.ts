/**
 * Runs the built image as a user would, with podman, and checks what a user would notice:
 *   tsx test/deploy/image-smoke.ts <image> <model-dir-in-image> [--seed-scores]
 * The container runs as the non-root user on a read-only root filesystem, on the host network
 * with the service bound to 127.0.0.1 (runc: crun fails on this machine's cgroup setup). Checked:
 * the image's metadata (user, HEALTHCHECK, labels, offline model), /health and /ready, /predict
 * with the seed's example, the start-up log naming the baked model, the HEALTHCHECK command,
 * that nothing outside /tmp is writable, and that SIGTERM with requests in flight answers every
 * one of them and exits 0 promptly. Every wait has a deadline; the container is always removed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from '../../devkit/child-service.js';

const run = promisify(execFile);
const [imageArg, modelDirArg] = process.argv.slice(2);
const seedScores = process.argv.includes('--seed-scores');
if (!imageArg || !modelDirArg) {
  process.stderr.write('usage: image-smoke.ts <image> <model-dir-in-image> [--seed-scores]\n');
  process.exit(2);
}
const image: string = imageArg;
const modelDir: string = modelDirArg;

/** The seed's README example and, for the bundled model, the scores this README documents. */
const SEED_EXAMPLE = { text: ['I hate you.', 'I love you.'] };
const BUNDLED_SCORES = [
  [0.6964934542223155, 0.30350654577768454],
  [0.02746827678713993, 0.97253172321286],
];
/** SIGTERM to exit, with requests in flight: well inside SHUTDOWN_GRACE_MS and k8s's grace. */
const STOP_DEADLINE_MS = 15_000;

async function podman(...args: string[]): Promise<string> {
  const { stdout } = await run('podman', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

async function check(name: string, body: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await body();
  process.stdout.write(`ok - ${name} (${Math.round(performance.now() - started)} ms)\n`);
}

async function waitFor(url: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} not up within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function predict(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

async function main(): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const name = `sentiment-api-smoke-${process.pid}`;
  let passed = 0;
  const step = async (title: string, body: () => Promise<void>) => {
    await check(title, body);
    passed += 1;
  };

  await step('image metadata: non-root user, HEALTHCHECK, OCI labels, offline model', async () => {
    const [config] = JSON.parse(await podman('image', 'inspect', image)) as {
      Config: { User: string; Env: string[]; Labels: Record<string, string> };
      Healthcheck?: { Test: string[] };
    }[];
    assert.ok(config);
    assert.equal(config.Config.User, '1000:1000');
    assert.ok(config.Healthcheck?.Test?.length, 'the image has a HEALTHCHECK');
    assert.ok(config.Config.Env.includes('HF_HUB_OFFLINE=1'));
    assert.ok(config.Config.Env.includes(`MODEL_DIR=${modelDir}`));
    for (const label of [
      'org.opencontainers.image.source',
      'org.opencontainers.image.revision',
      'io.sentiment-api.model.id',
      'io.sentiment-api.model.revision',
    ]) {
      assert.ok(config.Config.Labels[label], `label ${label}`);
    }
  });

  await podman(
    'run',
    '--detach',
    '--name',
    name,
    '--runtime',
    'runc',
    '--network',
    'host',
    '--ulimit',
    'nofile=1024:1024',
    '--ulimit',
    'nproc=1024:1024',
    '--read-only',
    '--user',
    '1000:1000',
    '--env',
    'HOST=127.0.0.1',
    '--env',
    `PORT=${port}`,
    '--env',
    'INFERENCE_WORKERS=1',
    image,
  );
  try {
    await step('GET /health answers within 60 s of start', async () => {
      await waitFor(`${base}/health`, 60_000);
      const ready = await fetch(`${base}/ready`);
      assert.equal(ready.status, 200);
    });

    await step('POST /predict with the seed example', async () => {
      const response = await predict(base, SEED_EXAMPLE);
      assert.equal(response.status, 200);
      const { predictions } = (await response.json()) as {
        predictions: { label: string; score: number }[][];
      };
      assert.equal(predictions.length, 2);
      for (const [index, scores] of predictions.entries()) {
        assert.deepEqual(
          scores.map((score) => score.label),
          ['NEGATIVE', 'POSITIVE'],
        );
        const sum = scores.reduce((total, score) => total + score.score, 0);
        assert.ok(Math.abs(sum - 1) < 1e-6, `scores of text ${index} sum to 1`);
        if (seedScores) {
          for (const [label, score] of scores.entries()) {
            assert.ok(Math.abs(score.score - (BUNDLED_SCORES[index]?.[label] ?? NaN)) < 1e-4);
          }
        }
      }
    });

    await step('the start-up log names the baked model', async () => {
      const logs = await podman('logs', name);
      assert.match(
        logs,
        new RegExp(`serving MODEL_DIR ${modelDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `),
      );
    });

    await step('the HEALTHCHECK command passes', async () => {
      await podman('healthcheck', 'run', name);
    });

    await step('read-only root filesystem; /tmp is writable', async () => {
      await assert.rejects(podman('exec', name, 'touch', '/app/written'));
      await assert.rejects(podman('exec', name, 'touch', '/models/written'));
      await podman('exec', name, 'touch', '/tmp/written');
      assert.equal(await podman('exec', name, 'id', '-u'), '1000');
    });

    await step('SIGTERM with requests in flight: all answered, exit 0, promptly', async () => {
      // Six clients send back to back, each request distinct texts (no cache hit), so some are
      // always in flight however fast the model; well under QUEUE_MAX_ITEMS (no 429). Every
      // request sent before the signal must get its 200; those sent after may be refused.
      let serial = 0;
      let signalled = Infinity;
      const answeredAfterSignal: number[] = [];
      const client = async (): Promise<void> => {
        while (performance.now() < signalled) {
          const body = {
            text: Array.from({ length: 8 }, () => `review ${(serial += 1)}: the plot was superb`),
          };
          const response = await predict(base, body);
          if (performance.now() > signalled) answeredAfterSignal.push(response.status);
          assert.equal(response.status, 200, 'a request sent before SIGTERM is answered');
          const { predictions } = (await response.json()) as { predictions: unknown[] };
          assert.equal(predictions.length, body.text.length);
        }
      };
      const clients = Promise.all(Array.from({ length: 6 }, client));
      clients.catch(() => undefined); // awaited below, after the signal
      await new Promise((resolve) => setTimeout(resolve, 1000));
      signalled = performance.now();
      await podman('kill', '--signal', 'TERM', name);
      await clients;
      assert.ok(answeredAfterSignal.length > 0, 'some requests were still in flight at SIGTERM');
      const exitCode = await Promise.race([
        podman('wait', name),
        new Promise<string>((_, reject) =>
          setTimeout(
            () => reject(new Error(`still running ${STOP_DEADLINE_MS} ms after SIGTERM`)),
            STOP_DEADLINE_MS,
          ),
        ),
      ]);
      assert.equal(exitCode, '0');
      const logs = await podman('logs', name);
      assert.match(logs, /SIGTERM: draining/);
      assert.match(logs, /"msg":"stopped"/);
      process.stdout.write(
        `   ${answeredAfterSignal.length} requests in flight at SIGTERM, all answered 200 (${serial} texts sent); exited ${Math.round(performance.now() - signalled)} ms after it\n`,
      );
    });
  } catch (error) {
    process.stderr.write(`--- container log\n${await podman('logs', name).catch(() => '')}\n`);
    throw error;
  } finally {
    await podman('rm', '--force', name).catch(() => undefined);
  }
  process.stdout.write(`${passed} passed, 0 failed\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`not ok - ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
