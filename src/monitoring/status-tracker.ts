import type { MonitorStatus } from './types.js';

/** A verdict of one evaluation (warming_up: too few texts to judge). */
export type Level = MonitorStatus;

const SEVERITY: Readonly<Record<Level, number>> = { warming_up: -1, ok: 0, drift: 1, alert: 2 };

/** The more severe of two statuses (warming_up counts least). */
export function worse(a: Level, b: Level): Level {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/**
 * A status that changes only when `consecutive` evaluations in a row agree on the new level,
 * so a window that grazes a threshold once does not flip it. Leaving warming_up takes the
 * median of the first `consecutive` verdicts (ok, drift, alert in that order): a verdict is
 * then reached after exactly `consecutive` evaluations with enough texts, even if they
 * disagree. Too few texts again (a quiet spell emptied the window) means warming_up at once.
 */
export class StatusTracker {
  status: Level = 'warming_up';
  private readonly recent: Level[] = [];
  private candidate: Level = 'warming_up';
  private streak = 0;

  constructor(private readonly consecutive: number) {}

  update(level: Level): Level {
    if (level === 'warming_up') {
      this.status = 'warming_up';
      this.recent.length = 0;
      this.streak = 0;
      return this.status;
    }
    if (this.status === 'warming_up') {
      this.recent.push(level);
      if (this.recent.length >= this.consecutive) {
        const sorted = [...this.recent].sort((a, b) => SEVERITY[a] - SEVERITY[b]);
        this.status = sorted[Math.floor((sorted.length - 1) / 2)] as Level;
        this.recent.length = 0;
      }
      return this.status;
    }
    if (level === this.status) {
      this.streak = 0;
      return this.status;
    }
    this.streak = level === this.candidate ? this.streak + 1 : 1;
    this.candidate = level;
    if (this.streak >= this.consecutive) {
      this.status = level;
      this.streak = 0;
    }
    return this.status;
  }
}
