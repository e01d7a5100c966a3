/**
 * The live V8 heap of another Node process's main thread, measured through its inspector
 * (`node --inspect=127.0.0.1:0`): a full garbage collection (`HeapProfiler.collectGarbage`),
 * then `Runtime.getHeapUsage`. What survives a full collection is what the program holds;
 * the heap's size between collections is V8's choice (it sizes the young and old generations
 * by how fast the program allocates), so only the collected figure shows a leak without
 * noise. No hook in the service: the inspector is Node's, enabled by a flag of the child.
 */
import { WebSocket } from 'undici';

/** Node's flag for a child whose heap is measured here: an inspector on a free loopback port. */
export const INSPECT_FLAG = '--inspect=127.0.0.1:0';

/** The inspector's WebSocket URL, from what the child printed (`Debugger listening on ws://…`). */
export function inspectorUrl(output: string): string {
  const match = /Debugger listening on (ws:\/\/\S+)/.exec(output);
  if (!match) throw new Error(`the child printed no inspector URL:\n${output.slice(0, 2000)}`);
  return match[1] as string;
}

/** A connection to one process's inspector. */
export interface InspectorHeap {
  /** A full collection, then the bytes of the main thread's heap still in use. */
  collectedHeapBytes(): Promise<number>;
  close(): void;
}

/** An answer of the inspector protocol. */
interface Reply {
  readonly result?: unknown;
  readonly error?: unknown;
}

/** Connects to the inspector at `url`; every call has a deadline of `timeoutMs`. */
export async function connectInspector(url: string, timeoutMs = 30_000): Promise<InspectorHeap> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no inspector at ${url}`)), timeoutMs);
    socket.addEventListener('open', () => (clearTimeout(timer), resolve()), { once: true });
    socket.addEventListener('error', () => (clearTimeout(timer), reject(new Error(url))), {
      once: true,
    });
  });
  let nextId = 1;
  const pending = new Map<number, (message: Reply) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as Reply & { id?: number };
    if (message.id === undefined) return;
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const call = (method: string): Promise<unknown> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (message) => {
        clearTimeout(timer);
        if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
        else resolve(message.result);
      });
      socket.send(JSON.stringify({ id, method }));
    });
  };
  return {
    collectedHeapBytes: async () => {
      await call('HeapProfiler.collectGarbage');
      const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number };
      return usage.usedSize;
    },
    close: () => socket.close(),
  };
}
