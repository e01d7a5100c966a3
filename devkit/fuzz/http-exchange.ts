/**
 * One HTTP exchange with a listening service, bounded in time: through undici (keep-alive
 * connections shared by many cases) or on a raw socket, for what undici refuses to send
 * (bad framing, a body shorter than its Content-Length, `Expect`, control bytes in headers).
 */
import { connect } from 'node:net';
import { Agent } from 'undici';

/** What came back: an answer, or the connection closed without one. */
export type Answer =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Buffer;
    }
  | { readonly kind: 'closed'; readonly received: Buffer };

/** A request undici can send as it is. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

/** How a raw request ends once its bytes are written. */
export type RawFinish =
  /** Keep writing open until the server closes (the request says `Connection: close`). */
  | 'wait'
  /** Half-close (FIN): the server learns that no more bytes will come. */
  | 'end'
  /** Reset the connection a moment after writing, as a client that gives up does. */
  | 'destroy';

/** Keep-alive connections for the undici exchanges; `close()` when done. */
export function keepAliveAgent(connections: number, timeoutMs: number): Agent {
  return new Agent({
    connections,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  });
}

/** Sends `req` to `baseUrl` through `agent`; rejects past `timeoutMs` (a hang is a failure). */
export async function sendHttp(
  agent: Agent,
  baseUrl: string,
  req: HttpRequest,
  timeoutMs: number,
): Promise<Answer> {
  // The path goes out as it is (`//predict`, `/%70redict`): no URL parsing on our side.
  const res = await agent.request({
    origin: baseUrl,
    path: req.path,
    method: req.method,
    headers: { ...req.headers },
    body: req.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return { kind: 'answer', status: res.statusCode, headers, body };
}

/**
 * Writes `bytes` on a new connection and reads until the server closes it; rejects past
 * `timeoutMs`. Interim 1xx answers (100 Continue) are skipped; the final one is parsed.
 */
export function sendRaw(
  port: number,
  bytes: Buffer,
  finish: RawFinish,
  timeoutMs: number,
  pauseAt?: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const rest = (): void => {
      if (socket.destroyed) return;
      socket.write(bytes.subarray(pauseAt ?? 0));
      if (finish === 'end') socket.end();
      if (finish === 'destroy') setTimeout(() => socket.destroy(), 5);
    };
    const socket = connect(port, '127.0.0.1', () => {
      if (pauseAt === undefined) return rest();
      // The head alone first, as a client waiting for 100 Continue sends it.
      socket.write(bytes.subarray(0, pauseAt));
      setTimeout(rest, 20);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; received ${preview(chunks)}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset while writing (the server refused early and closed) still leaves what it sent.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

function preview(chunks: Buffer[]): string {
  return JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300));
}

/**
 * The final answer in what a server sent before closing. Nothing at all is `closed`; bytes
 * that are not an HTTP/1.1 answer with a complete body are a failure of the server.
 */
export function parseAnswer(received: Buffer): Answer {
  let rest = received;
  for (;;) {
    if (rest.length === 0) return { kind: 'closed', received };
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`an incomplete answer head: ${preview([received])}`);
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    if (!match) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.subarray(end + 4);
    if (status >= 100 && status < 200) continue;
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      return { kind: 'answer', status, headers, body: dechunk(rest, received) };
    }
    const length = Number(headers['content-length'] ?? rest.length);
    if (rest.length < length) {
      throw new Error(`answer ${status} cut short: ${rest.length} of ${length} body bytes`);
    }
    return { kind: 'answer', status, headers, body: rest.subarray(0, length) };
  }
}

/** A chunked body's bytes; a body that stops before its last chunk is a failure. */
function dechunk(bytes: Buffer, received: Buffer): Buffer {
  const pieces: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', at);
    const size = eol < 0 ? NaN : parseInt(bytes.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isInteger(size) || eol + 2 + size > bytes.length) {
      throw new Error(`a chunked answer cut short: ${preview([received])}`);
    }
    if (size === 0) return Buffer.concat(pieces);
    pieces.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
