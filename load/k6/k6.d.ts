/**
 * The few k6 APIs load/k6/predict.js uses, declared by hand: k6's own types (@types/k6) are
 * not installed, and the script is checked by `npm run typecheck:load` against these.
 * Shapes follow https://grafana.com/docs/k6/latest/javascript-api/.
 */

declare module 'k6/http' {
  /** Request parameters: headers and tags (tags name sub-metrics in thresholds). */
  export interface Params {
    headers?: Record<string, string>;
    tags?: Record<string, string>;
    timeout?: string;
  }
  /** What k6 returns for one request; `status` is 0 when the request failed to complete. */
  export interface Response {
    status: number;
    body: string | null;
    headers: Record<string, string>;
    error: string;
    timings: { duration: number };
  }
  const http: {
    get(url: string, params?: Params): Response;
    /** A string body is sent as-is, with no Content-Type header added. */
    post(url: string, body?: string | null, params?: Params): Response;
  };
  export default http;
}

declare module 'k6' {
  /** Records each named boolean as a `checks` sample; true when all passed. */
  export function check<T>(
    value: T,
    sets: Record<string, (value: T) => boolean>,
    tags?: Record<string, string>,
  ): boolean;

  /** One stage of a ramping executor: reach `target` VUs linearly over `duration`. */
  export interface Stage {
    duration: string;
    target: number;
  }
  export interface RampingVusScenario {
    executor: 'ramping-vus';
    startVUs?: number;
    stages: Stage[];
    gracefulRampDown?: string;
    gracefulStop?: string;
  }
  /** The subset of k6 options the script sets. */
  export interface Options {
    scenarios?: Record<string, RampingVusScenario>;
    thresholds?: Record<string, string[]>;
    summaryTrendStats?: string[];
  }
}

/** Reads a file at init time, relative to the script. */
declare function open(path: string): string;
/** Environment variables given with `k6 run -e NAME=value` (or the process environment). */
declare const __ENV: Record<string, string | undefined>;
