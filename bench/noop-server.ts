/**
 * The no-op server (bench/lib/noop-app.ts) on HOST:PORT, for bench:serve and `npm run load`
 * (`--skip-row-count`): the same HTTP shape as the service with none of its work.
 *
 *   PORT=8001 tsx bench/noop-server.ts
 */
import { buildNoopApp } from './lib/noop-app.js';

const app = buildNoopApp();
const address = await app.listen({
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 8001),
});
process.stdout.write(`noop server listening at ${address}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
