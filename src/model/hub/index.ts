/**
 * The Hub client's one entry point: everything outside `model/hub/` imports from here. Inside,
 * `pull.ts` drives a pull, `api.ts` speaks the revision API, `download.ts` fetches one file,
 * `http.ts` retries, `cache.ts` owns the folder layout on disk and `errors.ts` words failures.
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
