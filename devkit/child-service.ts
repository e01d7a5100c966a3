/**
 * Child processes for tests and benchmarks: the service (`node --import tsx src/main.ts`, as
 * `npm run dev` runs it) or any other script of the repository, such as the bench's no-op
 * server. Every wait here has a deadline, and a child that outlives its deadline is killed:
 * a regression fails fast and leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { REPO_ROOT } from './shared-data.js';

/** The service's entry point, relative to the repository root. */
export const SERVICE_SCRIPT = 'src/main.ts';

/** A child process that keeps everything it printed (stdout and stderr interleaved). */
export type ScriptProcess = ChildProcess & { output: () => string };

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Runs `script` (a TypeScript file, absolute or relative to the repository root) through tsx in a child
 * process with `env` on top of ours. The one spawner of this repository's long-running dev
 * code: the service for tests and benchmarks alike, and the bench's no-op server (`runCli`
 * below runs one command to its end).
 */
export function spawnScript(
  script: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): ScriptProcess {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', resolve(REPO_ROOT, script)],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('error', (error) => (output += `${error.message}\n`));
  // Should this process end first (a failed assertion, an uncaught error), the child goes too.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  return Object.assign(child, { output: () => output });
}

/**
 * The service as a test starts it: on 127.0.0.1 with one inference worker (the suite runs on
 * two shared cores), with `env` on top. Its caller picks the port and waits for it.
 */
export function startService(env: Record<string, string>): ScriptProcess {
  return spawnScript(SERVICE_SCRIPT, { HOST: '127.0.0.1', INFERENCE_WORKERS: '1', ...env });
}

/** What one command printed on each stream, and its exit code (null when it was killed). */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What `runCli` feeds the command, and how long it may take. */
export interface CliRunOptions {
  /** On top of ours and of the defaults (one inference worker, LOG_LEVEL=silent). */
  readonly env?: Record<string, string>;
  /** Written to its stdin, which is then closed. */
  readonly stdin?: string;
  /** Past this it is killed (SIGKILL): a hang fails the test, with what it printed, not waits. */
  readonly timeoutMs?: number;
}

/**
 * Runs the `sentiment-api` command line with `args` through the real process (`node --import
 * tsx src/main.ts`, as the bin runs it) and resolves once it ends: exit code, stdout and stderr
 * apart, as a shell user sees them. One inference worker by default: the suite runs on two
 * shared cores.
 */
export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const { env = {}, stdin = '', timeoutMs = 60_000 } = options;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(REPO_ROOT, SERVICE_SCRIPT), ...args],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', INFERENCE_WORKERS: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    }),
  );
}

/**
 * Resolves with the exit code once the process ends. Past `timeoutMs` it kills the process
 * (SIGKILL) and rejects.
 */
export async function exited(child: ChildProcess, timeoutMs = 60_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  let timer: NodeJS.Timeout | undefined;
  const code = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)),
  );
  const first = await Promise.race([code, late]);
  clearTimeout(timer);
  if (first !== 'late') return first;
  child.kill('SIGKILL');
  await code;
  throw new Error(`process ${child.pid} did not exit within ${timeoutMs} ms (killed)`);
}

/** Polls `url` until it answers 200, or fails after `timeoutMs` (a hung answer included). */
export async function waitUntilUp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, {
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet, or no answer before the deadline
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

/** A server running as a child process, and how to stop it. */
export interface ChildServer {
  readonly baseUrl: string;
  readonly pid: number;
  /** Everything it printed (for an error report). */
  output(): string;
  /** SIGTERM, then waits for the exit (the service drains first); SIGKILL past `stopMs`. */
  stop(): Promise<void>;
}

/** Deadlines of `startChildServer`. */
export interface ChildServerOptions {
  /** Until GET /health answers 200 (a large model loads for a while). */
  readonly startMs?: number;
  /** From SIGTERM until the exit, before SIGKILL. */
  readonly stopMs?: number;
  /** Node's own flags for the child (e.g. `--inspect=127.0.0.1:0`, devkit/inspector-heap.ts). */
  readonly nodeArgs?: readonly string[];
}

/**
 * Starts `script` (the service by default) on a free loopback port, with LOG_LEVEL=warn and
 * `env` on top of ours (HOST and PORT are set here), and waits until /health answers. If it
 * exits or stays down, it is stopped and the error carries what it printed.
 */
export async function startChildServer(
  script: string,
  env: Record<string, string>,
  options: ChildServerOptions = {},
): Promise<ChildServer> {
  const { startMs = 180_000, stopMs = 30_000 } = options;
  const port = await freePort();
  const child = spawnScript(
    script,
    { LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    options.nodeArgs,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited(child, stopMs);
  };
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitUntilUp(`${baseUrl}/health`, startMs),
      gone.then(() => Promise.reject(new Error(`${script} exited at start-up`))),
    ]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}:\n${child.output()}`, { cause: error });
  }
  return { baseUrl, pid: child.pid as number, output: child.output, stop };
}
