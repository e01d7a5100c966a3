import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI document (built from the route schemas) at `/openapi.json`, and Swagger UI at
 * `/docs`, its assets served from the installed package so it works with no network.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sentiment-api',
        version,
        description:
          'Sentiment analysis with a DistilBERT model fine-tuned on SST-2, served with ONNX Runtime.',
      },
      tags: [
        { name: 'model', description: 'Predictions' },
        { name: 'ops', description: 'Probes' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
