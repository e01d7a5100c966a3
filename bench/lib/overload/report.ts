/**
 * bench:overload's table, in Markdown so it can go into docs/benchmarks.md as printed.
 */
import type { LevelResult, Percentiles } from './closed-loop.js';

/** One level as measured, with what the service said about it (from /metrics). */
export interface LevelRow extends LevelResult {
  /** Texts the workers ran per second in the window (sentiment_batch_size_sum). */
  readonly inferred: number;
  /** Queued texts dropped before compute (their request timed out or left). */
  readonly dropped: number;
  /** goodput / best goodput of a comparable run, or why there is none. */
  readonly ratio: string;
}

const ms = (value: number): string =>
  Number.isNaN(value) ? '–' : value === Number.POSITIVE_INFINITY ? 'unanswered' : value.toFixed(0);

const pair = (p: Percentiles): string => `${ms(p.p50)} / ${ms(p.p99)}`;

const HEADER = [
  'policy',
  'clients',
  'goodput texts/s',
  '÷ best',
  'inferred texts/s',
  'accepted',
  'refused',
  'failed / unfinished',
  'accepted p50 / p99 ms',
  '429 p50 ms',
  '/health p50 / p99 ms',
  'max Retry-After s',
  'load generator cores',
];

/** The rows as a Markdown table. */
export function formatTable(rows: readonly LevelRow[]): string[] {
  const cells = rows.map((row) => [
    row.policy,
    String(row.clients),
    row.goodput.toFixed(0),
    row.ratio,
    row.inferred.toFixed(0),
    String(row.accepted),
    String(row.refused),
    `${row.failed} / ${row.unfinished}`,
    pair(row.acceptedMs),
    ms(row.refusedMs.p50),
    `${pair(row.healthMs)}${row.healthFailures > 0 ? ` (${row.healthFailures} failed)` : ''}`,
    String(row.maxRetryAfterS),
    row.generatorCores.toFixed(2),
  ]);
  const widths = HEADER.map((title, i) =>
    Math.max(title.length, ...cells.map((c) => c[i]!.length)),
  );
  const line = (values: readonly string[]) =>
    `| ${values.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i < 2 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(HEADER), rule, ...cells.map(line)];
}
