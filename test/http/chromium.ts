import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Debian's `chromium` (or CHROMIUM), driven over the DevTools protocol, no npm package. */
export const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const hasChromium = spawnSync(CHROMIUM, ['--version']).status === 0;

/** A test's `skip` option: the reason when Chromium is missing; REQUIRE_ALL=1 fails instead. */
export function skipWithoutChromium(): string | false {
  if (hasChromium) return false;
  if (process.env.REQUIRE_ALL === '1')
    throw new Error(`REQUIRE_ALL=1 but ${CHROMIUM} is not installed`);
  return `needs ${CHROMIUM} (apt-get install chromium)`;
}

/** A host name Chromium resolves to 127.0.0.1: a page served under a real name, not loopback. */
export const HOST_NAME = 'sentiment-api.test';

/** The flags that keep Chromium off the network this machine does not have, and alone. */
export function chromiumFlags(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--host-resolver-rules=MAP ${HOST_NAME} 127.0.0.1`,
    `--user-data-dir=${userDataDir}`,
  ];
}

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

/**
 * One headless Chromium and one page in it, over `--remote-debugging-pipe` (the DevTools
 * protocol as NUL-terminated JSON on fds 3 and 4, as Puppeteer's pipe transport speaks it).
 * Every wait has a deadline. `logs` collects what the page reports: console calls, uncaught
 * exceptions and the browser's own log entries, where CSP violations appear.
 */
export class BrowserPage {
  readonly logs: string[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, (message: Message) => void>();
  private buffer = '';
  private sessionId = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly userDataDir: string,
  ) {
    const output = child.stdio[4] as Readable;
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        this.receive(message);
      }
    });
  }

  /** Starts Chromium and opens one page of `width` × `height` CSS pixels. */
  static async open(width = 900, height = 700): Promise<BrowserPage> {
    const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-'));
    const child = spawn(CHROMIUM, [...chromiumFlags(userDataDir), '--remote-debugging-pipe'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
    });
    const page = new BrowserPage(child, userDataDir);
    const { targetId } = await page.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await page.send('Target.attachToTarget', { targetId, flatten: true });
    page.sessionId = String(sessionId);
    for (const domain of ['Page', 'Runtime', 'Log']) await page.send(`${domain}.enable`);
    await page.send('Emulation.setDeviceMetricsOverride', {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return page;
  }

  /** Sends one DevTools command (to the page's session) and waits, at most 30 s, for its answer. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message: Message = { id, method, params };
    if (this.sessionId && !method.startsWith('Target.')) message.sessionId = this.sessionId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in 30 s`)), 30_000);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        if (answer.error) reject(new Error(`${method}: ${answer.error.message}`));
        else resolve(answer.result ?? {});
      });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  private receive(message: Message): void {
    if (message.id !== undefined) {
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
      return;
    }
    const params = message.params ?? {};
    if (message.method === 'Runtime.consoleAPICalled') {
      const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
      this.logs.push(
        `console.${params.type}: ${args.map((a) => a.value ?? a.description).join(' ')}`,
      );
    } else if (message.method === 'Runtime.exceptionThrown') {
      const details = params.exceptionDetails as {
        text: string;
        exception?: { description?: string };
      };
      this.logs.push(`exception: ${details.text} ${details.exception?.description ?? ''}`);
    } else if (message.method === 'Log.entryAdded') {
      const entry = params.entry as { source: string; level: string; text: string };
      this.logs.push(`log.${entry.source}.${entry.level}: ${entry.text}`);
    }
  }

  /** Loads `url` and waits for its load event. */
  async goto(url: string): Promise<void> {
    await this.send('Page.navigate', { url });
    await this.waitFor('document.readyState === "complete"', `${url} to load`);
  }

  /** The value of a JavaScript expression in the page (awaited when it is a promise). */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.send('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    })) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.text}`);
    return result.value;
  }

  /** Polls `expression` until it is truthy; fails after `timeoutMs` naming `what`. */
  async waitFor(expression: string, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.evaluate(`!!(${expression})`).catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Presses one key (Enter, Tab, Space…) with optional modifiers (2: Ctrl), as a user does. */
  async press(key: 'Enter' | 'Tab' | ' ', modifiers = 0): Promise<void> {
    const codes = { Enter: [13, 'Enter', '\r'], Tab: [9, 'Tab', ''], ' ': [32, 'Space', ' '] };
    const [keyCode, code, text] = codes[key] as [number, string, string];
    const base = { key, code, windowsVirtualKeyCode: keyCode, modifiers };
    await this.send('Input.dispatchKeyEvent', {
      type: 'keyDown',
      ...base,
      ...(text && modifiers === 0 ? { text } : {}),
    });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', ...base });
  }

  /** Types `text` into the focused element (newlines included), as one input. */
  async type(text: string): Promise<void> {
    await this.send('Input.insertText', { text });
  }

  /** A PNG of the whole page, as tall as its content. */
  async screenshot(): Promise<Buffer> {
    const height = await this.evaluate<number>('document.documentElement.scrollHeight');
    const width = await this.evaluate<number>('document.documentElement.scrollWidth');
    const { data } = await this.send('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width, height, scale: 1 },
    });
    return Buffer.from(String(data), 'base64');
  }

  async close(): Promise<void> {
    const exited =
      this.child.exitCode === null
        ? new Promise((resolve) => this.child.once('exit', resolve))
        : Promise.resolve();
    await this.send('Browser.close').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(this.userDataDir, { recursive: true, force: true });
  }
}
