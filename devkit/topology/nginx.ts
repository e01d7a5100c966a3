/**
 * nginx (Debian's package) as the load balancer in front of the replicas: a non-daemon child
 * with its own temporary prefix and configuration, never the system service. The config is
 * the one deploy/nginx/sentiment-api.conf documents for production, with ports filled in.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, freePort } from '../child-service.js';
import { REPO_ROOT } from '../shared-data.js';

/** The nginx binary (Debian installs it in /usr/sbin, often not on a user's PATH). */
export const NGINX_BINARY =
  ['nginx', '/usr/sbin/nginx'].find((bin) => spawnSync(bin, ['-v']).status === 0) ?? 'nginx';

/** Whether nginx can run here. */
export const HAS_NGINX = spawnSync(NGINX_BINARY, ['-v']).status === 0;

/** A skip message without nginx, or an error under REQUIRE_ALL=1 (CI installs it). */
export function skipWithoutNginx(): string | false {
  if (HAS_NGINX) return false;
  if (process.env.REQUIRE_ALL === '1') throw new Error('REQUIRE_ALL=1 but nginx is not installed');
  return 'needs nginx (apt-get install nginx)';
}

/** The production upstream and proxy settings, shipped in deploy/nginx/. */
export const NGINX_CONFIG_FILE = join(REPO_ROOT, 'deploy/nginx/sentiment-api.conf');

/**
 * The shipped config with this run's addresses: `server 127.0.0.1:PORT …;` lines for the
 * replicas in place of the `# replicas` marker, and the listen address.
 */
export function renderNginxConfig(options: {
  readonly listenPort: number;
  readonly upstreamPorts: readonly number[];
}): string {
  const shipped = readFileSync(NGINX_CONFIG_FILE, 'utf8');
  const servers = options.upstreamPorts
    .map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=2s;`)
    .join('\n');
  const rendered = shipped
    .replace(/^\s*server [^;]+; # replica$/gm, '')
    .replace('    # replicas', servers)
    .replace(/listen [^;]+;/, `listen 127.0.0.1:${options.listenPort};`);
  if (!rendered.includes(`127.0.0.1:${options.upstreamPorts[0]}`))
    throw new Error(`${NGINX_CONFIG_FILE} has no '# replicas' marker in its upstream block`);
  return rendered;
}

/**
 * The process-wide part a test run needs around the shipped `http` block: no daemon, one
 * worker (two shared cores), every path under `prefix`, errors to a file the failure
 * report shows.
 */
function mainConfig(prefix: string, httpBlock: string): string {
  // As root, nginx would hand its worker to `nobody`, who cannot read the temporary prefix.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${httpBlock}
}
`;
}

/** nginx running as a child of this process. */
export class NginxBalancer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly prefix: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What nginx logged (warnings and errors: upstreams marked failed, retries). */
  errorLog(): string {
    try {
      return readFileSync(join(this.prefix, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Writes the config under `prefix` (a temporary folder the caller owns), checks it with
   * `nginx -t`, starts nginx in its own process group (so its master and worker are killed
   * together, whatever happens to this process) and waits until it accepts connections.
   */
  static async start(prefix: string, upstreamPorts: readonly number[]): Promise<NginxBalancer> {
    const port = await freePort();
    mkdirSync(prefix, { recursive: true });
    chmodSync(prefix, 0o755);
    const conf = join(prefix, 'nginx.conf');
    writeFileSync(
      conf,
      mainConfig(prefix, renderNginxConfig({ listenPort: port, upstreamPorts: upstreamPorts })),
    );
    const args = ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')];
    const check = spawnSync(NGINX_BINARY, [...args, '-t'], { encoding: 'utf8', timeout: 10_000 });
    if (check.status !== 0) throw new Error(`nginx -t refused ${conf}:\n${check.stderr}`);
    const child = spawn(NGINX_BINARY, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killGroup = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', killGroup);
    child.once('exit', () => {
      process.off('exit', killGroup);
      // The worker dies with its master on SIGTERM; after a crash of the master it would not.
      killGroup();
    });
    const balancer = new NginxBalancer(child, port, prefix);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const res = await fetch(`${balancer.url}/nginx-ping`, {
          signal: AbortSignal.timeout(1000),
        });
        await res.body?.cancel();
        if (res.status === 204) return balancer;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        killGroup();
        throw new Error(`nginx did not start:\n${stderr}\n${balancer.errorLog()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (nginx's fast shutdown), then SIGKILL to the group past 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await exited(this.child, 10_000).catch(() => undefined);
  }
}
