/**
 * The ceiling of the load profile's shape: a Fastify app, with no schemas, that answers
 * GET /health and POST /predict (reading and discarding the body) with constant bodies.
 * Whatever the service loses against it is the cost of validation, cache and engine.
 * A request with `x-hold-ms: N` is answered N ms later, with the time actually held in
 * `x-held-ms`: an HTTP round trip around an idle wait as long as a forward pass (bench:serve (4)).
 * bench/noop-server.ts serves it.
 */
import Fastify, { type FastifyInstance } from 'fastify';

// What the service answers for the profile's three repeated texts, byte for byte in shape.
const ROW = [
  { label: 'NEGATIVE', score: 0.25 },
  { label: 'POSITIVE', score: 0.75 },
];
const PREDICTIONS = JSON.stringify({ predictions: [ROW, ROW, ROW] });

/** Builds the no-op app. */
export function buildNoopApp(): FastifyInstance {
  const app = Fastify({ logger: false });
  // Read every body, whatever its Content-Type (the profile sends none), and drop it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) =>
    done(null, undefined),
  );
  app.get('/health', async () => ({ status: 'healthy' }));
  app.post('/predict', async (request, reply) => {
    // Held whenever asked, 0 ms included (a tiny model's pass rounds to 0): the caller
    // subtracts `x-held-ms` and needs it on every answer.
    const hold = Number(request.headers['x-hold-ms'] ?? Number.NaN);
    if (hold >= 0) {
      const start = performance.now();
      await new Promise((resolve) => setTimeout(resolve, hold));
      reply.header('x-held-ms', String(performance.now() - start));
    }
    reply.type('application/json');
    return PREDICTIONS;
  });
  return app;
}

/** The script that serves the no-op app, relative to the repository root (for spawnScript). */
export const NOOP_SERVER_SCRIPT = 'bench/noop-server.ts';
