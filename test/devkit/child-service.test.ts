import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { exited, spawnScript, startChildServer } from '../../devkit/child-service.js';

/** Temporary folders this file makes, removed when it ends. */
const folders: string[] = [];
after(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const folder = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'child-service-'));
  folders.push(dir);
  return dir;
};

/** A script in a temporary folder; `spawnScript` takes absolute paths too. */
function script(source: string): string {
  const path = join(folder(), 'script.ts');
  writeFileSync(path, source);
  return path;
}

/** Whether a process of this pid still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('child processes of tests and benchmarks (devkit/child-service.ts)', () => {
  test('exited gives the exit code and what the script printed', async () => {
    const child = spawnScript(script('console.log("hello"); process.exitCode = 3;'), {});
    assert.equal(await exited(child), 3);
    assert.equal(child.output(), 'hello\n');
  });

  test('a process that outlives exited()’s deadline is killed and the wait fails', async () => {
    const child = spawnScript(script('setInterval(() => {}, 1000);'), {});
    await assert.rejects(exited(child, 300), /did not exit within 300 ms \(killed\)/);
    assert.equal(child.signalCode, 'SIGKILL');
  });

  test('a server that exits at start-up fails at once, with what it printed', async () => {
    const started = Date.now();
    await assert.rejects(
      startChildServer(script('console.error("no model here"); process.exit(1);'), {}),
      /exited at start-up:\nno model here/,
    );
    assert.ok(Date.now() - started < 20_000, 'should not wait for the start-up deadline');
  });

  test('a server that never answers /health is stopped at the start-up deadline', async () => {
    const pidFile = join(folder(), 'pid');
    const path = script(
      `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`,
    );
    await assert.rejects(
      startChildServer(path, {}, { startMs: 1500, stopMs: 2000 }),
      /did not come up within 1500 ms/,
    );
    const { readFileSync } = await import('node:fs');
    assert.equal(alive(Number(readFileSync(pidFile, 'utf8'))), false, 'the child was left running');
  });
});
