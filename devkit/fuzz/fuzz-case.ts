/**
 * A fuzz case: the bytes of one `POST /predict` (or a near miss of it) and the answer the
 * contract promises, so that a failure report can show both.
 */
import type { HttpRequest, RawFinish } from './http-exchange.js';
import { expectFor, type Expectation, type PredictLimits } from './predict-oracle.js';

/** How a case is sent: through undici, or as raw bytes on a socket of its own. */
export type Delivery =
  | { readonly via: 'http'; readonly request: HttpRequest }
  | {
      readonly via: 'raw';
      readonly bytes: Buffer;
      readonly finish: RawFinish;
      /** Write the first this many bytes, pause, then the rest (a head apart from its body). */
      readonly pauseAt?: number;
    };

export interface FuzzCase {
  readonly delivery: Delivery;
  readonly expected: Expectation;
}

/** Everything a case sent, for the leak check (a marker the client sent may be echoed). */
export function sentBytes(c: FuzzCase): Buffer {
  if (c.delivery.via === 'raw') return c.delivery.bytes;
  const { request } = c.delivery;
  const head = `${request.method} ${request.path}\n${JSON.stringify(request.headers)}\n`;
  return Buffer.concat([Buffer.from(head), request.body ?? Buffer.alloc(0)]);
}

/** A short readable form of a case, for a report (bodies cut to `max` characters). */
export function describeCase(c: FuzzCase, max = 600): string {
  const cut = (bytes: Buffer) => {
    const text = JSON.stringify(bytes.subarray(0, max).toString('latin1'));
    return bytes.length > max ? `${text}… (${bytes.length} bytes)` : text;
  };
  const expected = JSON.stringify(c.expected);
  if (c.delivery.via === 'raw') {
    const { bytes, finish, pauseAt } = c.delivery;
    return `raw (${finish}${pauseAt === undefined ? '' : `, pause at ${pauseAt}`}) ${cut(bytes)}; expected ${expected}`;
  }
  const { method, path, headers, body } = c.delivery.request;
  return `${method} ${path} headers ${JSON.stringify(headers)} body ${body ? cut(body) : '(none)'}; expected ${expected}`;
}

/**
 * `POST /predict` with `body` and `contentType` (undefined: no header), expecting what the
 * contract says of them; `chunked` sends the body in 64 KiB chunks with no Content-Length,
 * so a body past the limit is only found out as it arrives.
 */
export function postCase(
  body: Buffer | string,
  limits: PredictLimits,
  contentType: string | undefined = 'application/json',
  chunked = false,
): FuzzCase {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const expected = expectFor(contentType, bytes, limits);
  if (bytes.length > limits.bodyLimitBytes || chunked) {
    // Refused early, then closed while the client still writes: undici reports the broken
    // pipe, a raw socket reads the answer that came before it.
    const type = contentType === undefined ? '' : `Content-Type: ${contentType}\r\n`;
    const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${bytes.length}`;
    const head = `POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${type}${framing}\r\n\r\n`;
    const pieces: Buffer[] = [Buffer.from(head)];
    if (!chunked) pieces.push(bytes);
    for (let at = 0; chunked && at < bytes.length; at += 65_536) {
      const chunk = bytes.subarray(at, at + 65_536);
      pieces.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    }
    if (chunked) pieces.push(Buffer.from('0\r\n\r\n'));
    return { delivery: { via: 'raw', bytes: Buffer.concat(pieces), finish: 'wait' }, expected };
  }
  return {
    delivery: {
      via: 'http',
      request: {
        method: 'POST',
        path: '/predict',
        headers: contentType === undefined ? {} : { 'content-type': contentType },
        body: bytes,
      },
    },
    expected,
  };
}
