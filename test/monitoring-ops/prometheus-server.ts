/**
 * A real Prometheus (Debian's `prometheus` binary) for a test: its own temporary folder,
 * config and TSDB, a free loopback port, a scrape and rule-evaluation interval of our choosing,
 * and the HTTP API's answers typed. Every wait has a deadline; stop() ends it (SIGTERM, then
 * SIGKILL) and removes the folder.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exited, freePort, waitUntilUp } from '../../devkit/child-service.js';

export interface PrometheusOptions {
  /** host:port of every target, scraped as job `sentiment-api`. */
  readonly targets: readonly string[];
  /** Rule files' contents (YAML), by file name. */
  readonly rules: Readonly<Record<string, string>>;
  /** Scrape and evaluation interval, e.g. '1s'. */
  readonly interval: string;
}

/** One series of an instant query. */
export interface InstantSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** One series of a range query. */
export interface RangeSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

/** An alert as /api/v1/alerts lists it. */
export interface ActiveAlert {
  readonly labels: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly value: string;
  readonly activeAt: string;
}

export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly dir: string,
    private readonly child: ReturnType<typeof spawn>,
    private readonly output: () => string,
  ) {}

  static async start(options: PrometheusOptions, startMs = 30_000): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'sentiment-prometheus-'));
    for (const [name, content] of Object.entries(options.rules))
      writeFileSync(join(dir, name), content);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: {
          scrape_interval: options.interval,
          scrape_timeout: options.interval,
          evaluation_interval: options.interval,
        },
        rule_files: Object.keys(options.rules).map((name) => join(dir, name)),
        scrape_configs: [
          {
            job_name: 'sentiment-api',
            metrics_path: '/metrics',
            static_configs: [{ targets: options.targets }],
          },
        ],
      }),
    );
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, dir, child, () => output);
    try {
      await waitUntilUp(`${server.url}/-/ready`, startMs);
    } catch (error) {
      await server.stop();
      throw new Error(`prometheus did not start: ${(error as Error).message}\n${output}`, {
        cause: error,
      });
    }
    return server;
  }

  /** What Prometheus printed (warnings and errors). */
  log(): string {
    return this.output();
  }

  private async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const url = new URL(`/api/v1/${path}`, this.url);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
    return body.data;
  }

  /** An instant query's vector at `time` (seconds), now by default. */
  async query(expr: string, time?: number): Promise<InstantSample[]> {
    const data = await this.api<{ resultType: string; result: InstantSample[] }>('query', {
      query: expr,
      ...(time === undefined ? {} : { time: String(time) }),
    });
    return data.result;
  }

  /** A range query's matrix. */
  async queryRange(expr: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
    const data = await this.api<{ result: RangeSeries[] }>('query_range', {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(step),
    });
    return data.result;
  }

  /** Alerts pending or firing now. */
  async alerts(): Promise<ActiveAlert[]> {
    return (await this.api<{ alerts: ActiveAlert[] }>('alerts')).alerts;
  }

  /** The health of every loaded rule (`ok`, or the error of its last evaluation). */
  async ruleHealth(): Promise<{ name: string; health: string; lastError?: string }[]> {
    const data = await this.api<{
      groups: { rules: { name: string; health: string; lastError?: string }[] }[];
    }>('rules');
    return data.groups.flatMap((group) => group.rules);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await exited(this.child, 15_000);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
