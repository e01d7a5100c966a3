import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TextClassifier } from '../../engine/classifier.js';
import { whenClientLeaves } from '../client-gone.js';
import { ModelNotFoundError } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import type { RequestLimits } from '../schemas.js';
import { setTimingHeaders, withTimingHeaders } from '../timing-headers.js';
import { parseInferRequest } from './infer-request.js';
import {
  INPUT_NAME,
  LABEL_OUTPUT,
  MODEL_VERSION,
  PLATFORM,
  PROBABILITIES_OUTPUT,
} from './protocol.js';
import {
  InferenceRequest,
  InferenceResponse,
  ModelMetadata,
  ModelReady,
  OpenInferenceError,
  ServerLive,
  ServerMetadata,
  ServerReady,
} from './schemas.js';

/** What the Open Inference Protocol routes need from the layers below. */
export interface OpenInferenceDeps {
  /** The same classifier /predict calls: cache, coalescing and batching are shared. */
  readonly classifier: TextClassifier;
  readonly metrics: Metrics;
  /** MODEL_NAME. */
  readonly modelName: string;
  /** The model's labels in class-id order (config.json's id2label). */
  readonly labels: readonly string[];
  readonly server: { readonly name: string; readonly version: string };
  readonly limits: RequestLimits;
  /** Answer infer with `x-cache-hits` (CACHE_HITS_HEADER), as /predict. */
  readonly cacheHitsHeader: boolean;
  /** Shutdown has begun: readiness is false, as GET /ready. */
  readonly isDraining: () => boolean;
}

interface ModelParams {
  model: string;
  version?: string;
}

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, OpenInferenceError]));

const cut = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}…` : text);

/** Each route with and without `/versions/{version}`, as the protocol lists them. */
const withVersions = (path: string) => [
  `/v2/models/:model${path}`,
  `/v2/models/:model/versions/:version${path}`,
];

/**
 * The Open Inference Protocol (KServe's and Triton's v2 REST protocol) over the same engine
 * as /predict: health, server and model metadata, and infer. Errors on these paths answer
 * `{"error": "…"}` (http/error-handler.ts reads the path); statuses are the catalogue's.
 */
export function openInferenceRoutes(app: FastifyInstance, deps: OpenInferenceDeps): void {
  const { classifier, metrics, modelName } = deps;
  const classes = deps.labels.length;

  /** The model a path names, or 404 in the protocol's words. */
  const checkModel = ({ model, version }: ModelParams): void => {
    if (model !== modelName)
      throw new ModelNotFoundError(
        `unknown model '${cut(model)}'; this server serves '${modelName}'`,
      );
    if (version !== undefined && version !== MODEL_VERSION) {
      throw new ModelNotFoundError(
        `unknown version '${cut(version)}' of model '${modelName}'; its versions are '${MODEL_VERSION}'`,
      );
    }
  };
  const ready = (reply: FastifyReply) => {
    const isReady = !deps.isDraining();
    if (!isReady) reply.code(503);
    return isReady;
  };
  const tags = ['v2'];

  for (const url of ['/v2', '/v2/']) {
    app.get(
      url,
      {
        schema: {
          summary: 'Server metadata',
          tags,
          hide: url === '/v2/',
          response: { 200: ServerMetadata },
        },
      },
      async () => ({ name: deps.server.name, version: deps.server.version, extensions: [] }),
    );
  }
  app.get(
    '/v2/health/live',
    { schema: { summary: 'Server live', tags, response: { 200: ServerLive } } },
    async () => ({ live: true }),
  );
  app.get(
    '/v2/health/ready',
    {
      schema: {
        summary: 'Server ready (false, 503, from the moment shutdown begins)',
        tags,
        response: { 200: ServerReady, 503: ServerReady },
      },
    },
    async (_request, reply) => ({ ready: ready(reply) }),
  );
  for (const url of withVersions('')) {
    app.get<{ Params: ModelParams }>(
      url,
      {
        schema: {
          summary: 'Model metadata',
          tags,
          response: { 200: ModelMetadata, ...errors(404, 429, 503) },
        },
      },
      async (request) => {
        checkModel(request.params);
        return {
          name: modelName,
          versions: [MODEL_VERSION],
          platform: PLATFORM,
          inputs: [{ name: INPUT_NAME, datatype: 'BYTES', shape: [-1] }],
          outputs: [
            { name: PROBABILITIES_OUTPUT, datatype: 'FP32', shape: [-1, classes] },
            { name: LABEL_OUTPUT, datatype: 'BYTES', shape: [-1] },
          ],
        };
      },
    );
  }
  for (const url of withVersions('/ready')) {
    app.get<{ Params: ModelParams }>(
      url,
      {
        schema: {
          summary: 'Model ready',
          tags,
          response: { 200: ModelReady, 503: ModelReady, ...errors(404) },
        },
      },
      async (request, reply) => {
        checkModel(request.params);
        return { name: modelName, ready: ready(reply) };
      },
    );
  }
  for (const url of withVersions('/infer')) {
    app.post<{ Params: ModelParams; Body: unknown }>(
      url,
      {
        schema: {
          summary: 'Classify texts (a BYTES input of shape [N])',
          tags,
          body: InferenceRequest,
          response: {
            200: withTimingHeaders(InferenceResponse),
            ...errors(400, 404, 413, 415, 429, 500, 503, 504),
          },
        },
        // The schema documents the body; parseInferRequest checks it, so that every refusal
        // is one protocol error naming the first problem, bounded by the limits.
        validatorCompiler: () => () => true,
      },
      async (request, reply) => {
        checkModel(request.params);
        const { id, texts, outputs } = parseInferRequest(request.body, deps.limits);
        metrics.texts.inc(texts.length);
        const { predictions, cacheHits, stages } = await classifier.classify(
          texts,
          whenClientLeaves(reply),
        );
        if (deps.cacheHitsHeader) reply.header('x-cache-hits', String(cacheHits));
        setTimingHeaders(reply, stages);
        const tensors = {
          // FP32: each probability as the float32 the tensor type holds.
          [PROBABILITIES_OUTPUT]: {
            name: PROBABILITIES_OUTPUT,
            datatype: 'FP32',
            shape: [texts.length, classes],
            data: predictions.flatMap((row) => row.map(({ score }) => Math.fround(score))),
          },
          [LABEL_OUTPUT]: {
            name: LABEL_OUTPUT,
            datatype: 'BYTES',
            shape: [texts.length],
            data: predictions.map(
              (row) => row.reduce((best, next) => (next.score > best.score ? next : best)).label,
            ),
          },
        };
        return {
          model_name: modelName,
          model_version: MODEL_VERSION,
          ...(id !== undefined ? { id } : {}),
          outputs: outputs.map((name) => tensors[name]),
        };
      },
    );
  }
}
