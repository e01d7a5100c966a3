/** One line of bench:serve's report: what, the value, the target, and whether it was met. */
export type ReportRow = [what: string, value: string, target: string, ok: boolean | undefined];

/** The report's rows, in the order the parts add them. */
export class ReportTable {
  readonly rows: ReportRow[] = [];

  add(what: string, value: string, target = '', ok?: boolean): void {
    this.rows.push([what, value, target, ok]);
  }

  /** The rows aligned in columns, `MISSED` beside a target not met. */
  format(): string[] {
    const width = Math.max(...this.rows.map((r) => r[0].length));
    return this.rows.map(
      ([what, value, target, ok]) =>
        `${what.padEnd(width)}  ${value.padStart(26)}  ${target.padEnd(22)}${ok === undefined ? '' : ok ? 'ok' : 'MISSED'}`,
    );
  }
}

/** The middle value of an ascending array (the upper one of an even count); NaN when empty. */
export function median(sorted: readonly number[]): number {
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
