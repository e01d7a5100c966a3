/**
 * deploy/nginx/sentiment-api.conf as the topology renders it: the replicas in place of the
 * placeholders, retries of POST only where a repeat is harmless, and a config nginx accepts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NGINX_BINARY, renderNginxConfig, skipWithoutNginx } from '../../devkit/topology/nginx.js';

const conf = renderNginxConfig({ listenPort: 18080, upstreamPorts: [18001, 18002, 18003] });

/** The body of the location block whose match is `match`. */
function location(match: string): string {
  const start = conf.indexOf(`location ${match} {`);
  assert.notEqual(start, -1, `no location ${match}`);
  return conf.slice(start, conf.indexOf('}', start));
}

describe('the nginx config of the topology', () => {
  test('lists the replicas with passive health checks, and no placeholder', () => {
    for (const port of [18001, 18002, 18003])
      assert.match(conf, new RegExp(`server 127\\.0\\.0\\.1:${port} max_fails=1 fail_timeout=2s;`));
    assert.doesNotMatch(conf, /10\.0\.0\.\d/);
    assert.match(conf, /listen 127\.0\.0\.1:18080;/);
    assert.match(conf, /keepalive 32;/);
  });

  test('retries POST on the next replica for the model routes only, never /feedback', () => {
    const model = location('~ ^/(predict|explain|v2/models/[^/]+(/versions/[^/]+)?/infer)$');
    assert.match(model, /proxy_next_upstream error timeout http_502 http_503 non_idempotent;/);
    const pattern = /location ~ (\S+) \{/.exec(conf)?.[1] ?? '';
    const routes = new RegExp(pattern);
    for (const path of ['/predict', '/explain', '/v2/models/sentiment/infer'])
      assert.ok(routes.test(path), path);
    for (const path of ['/feedback', '/predict/x', '/health']) assert.ok(!routes.test(path), path);
    assert.equal(
      conf.match(/non_idempotent/g)?.length,
      2,
      'once in a comment, once in the model block',
    );
    assert.doesNotMatch(location('/'), /proxy_next_upstream/);
  });

  test('nginx -t accepts it', { skip: skipWithoutNginx() }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'nginx-conf-'));
    try {
      const main = join(dir, 'nginx.conf');
      writeFileSync(
        main,
        `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n${conf}\n}\n`,
      );
      const check = spawnSync(
        NGINX_BINARY,
        ['-p', dir, '-c', main, '-e', join(dir, 'error.log'), '-t'],
        {
          encoding: 'utf8',
          timeout: 10_000,
        },
      );
      assert.equal(check.status, 0, check.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
