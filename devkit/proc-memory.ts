/**
 * A process's memory, read from outside it: RSS from Linux's /proc/<pid>/status (the whole
 * process, worker threads and ONNX Runtime's native arenas included), and the V8 heap of the
 * service's main thread from its /metrics (prom-client's default `nodejs_heap_size_used_bytes`).
 */
import { readFileSync } from 'node:fs';

/** Resident set size of process `pid`, in bytes (`VmRSS` of /proc/<pid>/status). */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The main thread's used V8 heap, in bytes, as the service's /metrics reports it. */
export async function readHeapUsedBytes(baseUrl: string, timeoutMs = 5_000): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  const match = /^sentiment_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)$/m.exec(text);
  if (!match)
    throw new Error(`/metrics (${res.status}) has no sentiment_nodejs_heap_size_used_bytes`);
  return Number(match[1]);
}

/** The largest value `read` returned while sampling, and every sample. */
export interface Sampler {
  readonly samples: readonly { readonly atMs: number; readonly bytes: number }[];
  max(): number;
  /** Stops sampling (one last sample first). */
  stop(): void;
}

/** Calls `read` now and every `everyMs` until stopped; a read that throws is skipped. */
export function sampleEvery(everyMs: number, read: () => number): Sampler {
  const start = Date.now();
  const samples: { atMs: number; bytes: number }[] = [];
  const take = (): void => {
    try {
      samples.push({ atMs: Date.now() - start, bytes: read() });
    } catch {
      // the process is gone: the run reports that on its own
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  timer.unref();
  return {
    samples,
    max: () => samples.reduce((max, s) => Math.max(max, s.bytes), 0),
    stop: () => {
      clearInterval(timer);
      take();
    },
  };
}
