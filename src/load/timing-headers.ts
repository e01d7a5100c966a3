import type { IncomingHttpHeaders } from 'node:http';
import type { RequestLog } from './request-log.js';

/** `x-<what>-time`: a server timing header, its value in milliseconds. */
const TIMING_HEADER = /^x-[a-z0-9-]+-time$/;

/**
 * Records every server timing header of one answer as a trend (k6's custom Trend metric):
 * whatever `x-*-time` headers the server sends, so the runner follows the server's own
 * breakdown (queue, inference, …) without knowing its names. A value that is not a number
 * (a unit suffix is read off, `12.5ms` → 12.5) is skipped.
 */
export function recordTimings(
  log: RequestLog,
  startMs: number,
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!TIMING_HEADER.test(name) || typeof value !== 'string') continue;
    const ms = Number.parseFloat(value);
    if (Number.isFinite(ms)) log.timing(name, startMs, ms);
  }
}
