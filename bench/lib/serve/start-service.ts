/**
 * The one way bench:serve's parts start the service under test: a child process with the
 * run's knobs and model (`ctx.serviceEnv`), `env` on top, and `--node-args` (a profile of the
 * service alone, e.g. `--node-args=--cpu-prof`; NODE_OPTIONS refuses that flag).
 */
import {
  SERVICE_SCRIPT,
  startChildServer,
  type ChildServer,
} from '../../../devkit/child-service.js';
import type { ServeContext } from './serve-context.js';

export function startServiceChild(
  ctx: ServeContext,
  env: Readonly<Record<string, string>> = {},
): Promise<ChildServer> {
  return startChildServer(
    SERVICE_SCRIPT,
    { ...ctx.serviceEnv, ...env },
    { nodeArgs: ctx.nodeArgs },
  );
}
