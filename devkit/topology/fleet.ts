/**
 * The production topology on one machine: `replicas` service processes, one real
 * redis-server they share, and nginx in front (devkit/topology/nginx.ts), all on 127.0.0.1,
 * on free ports, under one temporary folder. `stop()` ends everything; should this process
 * end first (a failed assertion, an uncaught error, Ctrl-C, SIGTERM), every child is killed
 * on the way out, so no run leaves a process behind.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  exited,
  freePort,
  SERVICE_SCRIPT,
  spawnScript,
  waitUntilUp,
  type ScriptProcess,
} from '../child-service.js';
import { REPO_ROOT } from '../shared-data.js';
import { RedisServer } from '../redis-server.js';
import { NginxBalancer } from './nginx.js';

const run = promisify(execFile);

/** One service process on a fixed port (a restart comes back where nginx expects it). */
export class Replica {
  private child: ScriptProcess | undefined;
  /** Every process this replica has been, oldest first (for the failure report). */
  private readonly outputs: (() => string)[] = [];

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly env: Readonly<Record<string, string>>,
    private readonly serviceRoot: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts the process and waits until /ready answers 200 (model loaded and warmed). */
  async start(timeoutMs = 120_000): Promise<void> {
    const child = spawnScript(join(this.serviceRoot, SERVICE_SCRIPT), {
      HOST: '127.0.0.1',
      ...this.env,
      PORT: String(this.port),
    });
    this.child = child;
    this.outputs.push(child.output);
    const gone = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`replica ${this.index} exited at start-up (${code ?? signal})`)),
      ),
    );
    gone.catch(() => undefined);
    await Promise.race([waitUntilUp(`${this.url}/ready`, timeoutMs), gone]);
  }

  /** Sends `signal` (SIGKILL: a crash) and waits for the exit; resolves to its exit code. */
  async signal(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    child.kill(signal);
    return exited(child, timeoutMs);
  }

  output(): string {
    return this.outputs.map((o) => o()).join('\n--- restarted ---\n');
  }
}

/** What the fleet runs. */
export interface FleetOptions {
  readonly replicas: number;
  /** Environment of every replica, on top of the fleet's own (Redis, port, x-cache-hits). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The checkout whose service runs (default: this one): another commit's tree, e.g. a
   * `git worktree`, measures that code in the same topology.
   */
  readonly serviceRoot?: string;
}

/** Redis's `INFO` fields as numbers where they are numbers. */
export type RedisInfo = ReadonlyMap<string, number>;

/** The running topology. */
export class Fleet {
  private constructor(
    readonly redis: RedisServer,
    readonly replicas: readonly Replica[],
    readonly balancer: NginxBalancer,
    private readonly dir: string,
  ) {}

  /** The balancer's address: what a client of the fleet calls. */
  get url(): string {
    return this.balancer.url;
  }

  static async start(options: FleetOptions): Promise<Fleet> {
    exitOnSignals();
    const dir = mkdtempSync(join(tmpdir(), 'sentiment-topology-'));
    const started: { redis?: RedisServer; replicas: Replica[]; balancer?: NginxBalancer } = {
      replicas: [],
    };
    try {
      started.redis = await RedisServer.start();
      const env = {
        LOG_LEVEL: 'warn',
        INFERENCE_WORKERS: '1',
        CACHE_HITS_HEADER: '1',
        ...options.env,
        REDIS_URL: started.redis.url,
      };
      for (let i = 0; i < options.replicas; i++)
        started.replicas.push(
          new Replica(i, await freePort(), env, options.serviceRoot ?? REPO_ROOT),
        );
      await Promise.all(started.replicas.map((r) => r.start()));
      started.balancer = await NginxBalancer.start(
        join(dir, 'nginx'),
        started.replicas.map((r) => r.port),
      );
      return new Fleet(started.redis, started.replicas, started.balancer, dir);
    } catch (error) {
      await started.balancer?.stop();
      await Promise.all(started.replicas.map((r) => r.signal('SIGKILL').catch(() => null)));
      await started.redis?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `${(error as Error).message}\n${started.replicas.map((r) => r.output()).join('\n')}`,
        { cause: error },
      );
    }
  }

  /** Redis's INFO (all sections); rejects past `timeoutMs` (a paused Redis answers nothing). */
  async redisInfo(timeoutMs = 2_000): Promise<RedisInfo> {
    const { stdout } = await run('redis-cli', ['-p', String(this.redis.port), 'info', 'all'], {
      timeout: timeoutMs,
    });
    const info = new Map<string, number>();
    for (const line of stdout.split(/\r?\n/)) {
      const [key, value] = line.split(':');
      if (key && value !== undefined && /^-?\d+(\.\d+)?$/.test(value)) info.set(key, Number(value));
    }
    return info;
  }

  /** Keys in Redis (DBSIZE). */
  async redisKeys(timeoutMs = 2_000): Promise<number> {
    const { stdout } = await run('redis-cli', ['-p', String(this.redis.port), 'dbsize'], {
      timeout: timeoutMs,
    });
    return Number(stdout.trim());
  }

  /** What every part printed: for the report of a failed run. */
  logs(): string {
    return [
      ...this.replicas.map((r) => `--- replica ${r.index} (port ${r.port})\n${r.output()}`),
      `--- nginx error.log\n${this.balancer.errorLog()}`,
    ].join('\n');
  }

  /** Stops nginx, the replicas (SIGTERM, SIGKILL past 30 s) and Redis; removes the folder. */
  async stop(): Promise<void> {
    await this.balancer.stop();
    await Promise.all(
      this.replicas.map((r) => r.signal('SIGTERM').catch(() => r.signal('SIGKILL'))),
    );
    this.redis.resume(); // a paused Redis would ignore the kill until resumed
    await this.redis.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let signalsHandled = false;

/**
 * Ctrl-C or a SIGTERM from a test runner would end this process without its 'exit'
 * handlers, the ones that kill every child: exit on those signals instead, so they run.
 */
function exitOnSignals(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)
    process.once(signal, () => process.exit(code));
}
