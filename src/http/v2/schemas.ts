import { Type } from '@sinclair/typebox';

/**
 * The Open Inference Protocol's JSON objects as TypeBox schemas, written from its REST
 * specification (kserve/open-inference-protocol, specification/protocol/inference_rest.md and
 * open_inference_rest.yaml). They document the routes and serialize the answers; the infer
 * body is checked by `parseInferRequest` instead, so that every refusal is one protocol error.
 */

/** `$parameters`: name → string | number | boolean; this server defines none and ignores them. */
const Parameters = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
  { title: 'parameters' },
);

/** `$tensor_data`: row-major, flat or nested; this server's outputs are always flat. */
const TensorData = Type.Array(Type.Unknown(), {
  title: 'tensor_data',
  description: 'Tensor elements in row-major order, flattened or nested by the shape.',
});

export const OpenInferenceError = Type.Object(
  { error: Type.String({ description: 'What went wrong, in one message.' }) },
  { title: 'inference_error_response' },
);

export const ServerMetadata = Type.Object(
  { name: Type.String(), version: Type.String(), extensions: Type.Array(Type.String()) },
  { title: 'metadata_server_response' },
);

const MetadataTensor = Type.Object(
  {
    name: Type.String(),
    datatype: Type.String(),
    shape: Type.Array(Type.Integer(), { description: 'Variable-size dimensions are -1.' }),
  },
  { title: 'metadata_tensor' },
);

export const ModelMetadata = Type.Object(
  {
    name: Type.String(),
    versions: Type.Array(Type.String()),
    platform: Type.String(),
    inputs: Type.Array(MetadataTensor),
    outputs: Type.Array(MetadataTensor),
  },
  { title: 'metadata_model_response' },
);

export const ServerLive = Type.Object({ live: Type.Boolean() }, { title: 'live_server_response' });
export const ServerReady = Type.Object(
  { ready: Type.Boolean() },
  { title: 'ready_server_response' },
);
export const ModelReady = Type.Object(
  { name: Type.String(), ready: Type.Boolean() },
  { title: 'ready_model_response' },
);

/** The request as documented; `parseInferRequest` checks it (and says why it refuses one). */
export const InferenceRequest = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'Returned as is in the answer.' })),
    parameters: Type.Optional(Parameters),
    inputs: Type.Array(
      Type.Object({
        name: Type.String({ description: 'The one input, `text`.' }),
        shape: Type.Array(Type.Integer({ minimum: 0 }), { description: '[N] or [N, 1].' }),
        datatype: Type.String({ description: '`BYTES`: each element a JSON string.' }),
        parameters: Type.Optional(Parameters),
        data: TensorData,
      }),
      { description: 'Exactly one input: `text`, BYTES, shape [N] or [N, 1].' },
    ),
    outputs: Type.Optional(
      Type.Array(Type.Object({ name: Type.String(), parameters: Type.Optional(Parameters) }), {
        description: 'Which outputs to answer (`probabilities`, `label`); all when omitted.',
      }),
    ),
  },
  {
    title: 'inference_request',
    examples: [
      {
        id: '42',
        inputs: [
          { name: 'text', shape: [2], datatype: 'BYTES', data: ['I hate you.', 'I love you.'] },
        ],
      },
    ],
  },
);

export const InferenceResponse = Type.Object(
  {
    model_name: Type.String(),
    model_version: Type.String(),
    id: Type.Optional(Type.String()),
    outputs: Type.Array(
      Type.Object({
        name: Type.String(),
        shape: Type.Array(Type.Integer()),
        datatype: Type.String(),
        data: Type.Array(Type.Union([Type.Number(), Type.String()])),
      }),
    ),
  },
  { title: 'inference_response' },
);
