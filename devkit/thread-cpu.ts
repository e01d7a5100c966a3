import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds of each thread of a process (Linux /proc), keyed by thread id. */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux ABI Node runs on
  const seconds = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // Fields after the parenthesised name: state is the 1st, utime the 12th, stime the 13th.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / ticksPerSecond);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return seconds;
}

/** Where a process's CPU went over a span, in cores (1 = one core the whole time). */
export interface CpuSplit {
  readonly mainThread: number;
  /** The `workers` busiest other threads (the inference workers under load). */
  readonly workers: number;
  /** Every other thread: V8's compiler and GC helpers, libuv's pool. */
  readonly others: number;
}

/** Splits the CPU a process used between two `threadCpuSeconds` readings `seconds` apart. */
export function cpuSplit(
  pid: number,
  before: Map<number, number>,
  after: Map<number, number>,
  seconds: number,
  workers: number,
): CpuSplit {
  const used = [...after].map(([tid, cpu]) => [tid, cpu - (before.get(tid) ?? 0)] as const);
  const others = used.filter(([tid]) => tid !== pid).sort((a, b) => b[1] - a[1]);
  const sum = (list: readonly (readonly [number, number])[]): number =>
    list.reduce((total, [, cpu]) => total + cpu, 0) / seconds;
  return {
    mainThread: sum(used.filter(([tid]) => tid === pid)),
    workers: sum(others.slice(0, workers)),
    others: sum(others.slice(workers)),
  };
}
