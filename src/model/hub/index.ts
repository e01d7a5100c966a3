/**
 * The Hub client's one entry point: everything outside `model/hub/` imports from here. Inside,
 * `pull.ts` drives a pull, `api.ts` speaks the revision API, `snapshot-file.ts` reuses or
 * fetches one file of a snapshot, `download.ts` downloads one blob, `http.ts` retries,
 * `cache.ts` owns the Hub cache layout on disk and `errors.ts` words failures.
 */
export {
  parseModelSpec,
  pullModel,
  pullOptionsFromConfig,
  type ModelSpec,
  type PulledModel,
  type PullOptions,
} from './pull.js';
export { HubError, type HubErrorKind } from './errors.js';
