import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** The document's `components`, as @fastify/swagger types them. */
export type OpenApiComponents = NonNullable<
  NonNullable<FastifyDynamicSwaggerOptions['openapi']>['components']
>;

/**
 * The OpenAPI document (built from the route schemas) at `/openapi.json`, and Swagger UI at
 * `/docs`, its assets served from the installed package so it works with no network.
 * `components` adds the API keys' security schemes when keys are on (http/access.ts). The
 * UI's Content-Security-Policy is the one every response carries (http/security.ts).
 */
export async function registerOpenApi(
  app: FastifyInstance,
  version: string,
  components: Pick<OpenApiComponents, 'securitySchemes'> = {},
): Promise<void> {
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
        {
          name: 'monitoring',
          description: 'Drift, live accuracy and feedback (404 `monitor_off` with MONITOR=0)',
        },
        {
          name: 'v2',
          description:
            'The Open Inference Protocol (KServe / Triton v2 REST): errors are `{"error": "…"}`',
        },
      ],
      ...(components.securitySchemes ? { components } : {}),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
