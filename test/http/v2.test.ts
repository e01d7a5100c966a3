/**
 * The Open Inference Protocol routes, with requests and expected answers written from the
 * protocol's REST specification (kserve/open-inference-protocol,
 * specification/protocol/inference_rest.md; KServe's docs/predict-api/v2/required_api.md for
 * the health routes) and answers checked against its OpenAPI description's schemas
 * (test/fixtures/open-inference-rest.schemas.json), on the bundled model (real ONNX Runtime).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { build, startTestApp, type TestApp } from '../helper.js';

const spec = JSON.parse(
  readFileSync(new URL('../fixtures/open-inference-rest.schemas.json', import.meta.url), 'utf8'),
) as object;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(spec, 'oip');

/** Asserts that `body` is a `name` object of the protocol's OpenAPI description. */
function conforms(name: string, body: unknown): void {
  const validate = ajv.getSchema(`oip#/components/schemas/${name}`);
  assert.ok(validate, name);
  assert.ok(
    validate(body),
    `${name}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`,
  );
}

interface Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}
interface InferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  outputs: Tensor[];
}

const texts = (data: unknown[], shape: number[] = [data.length]) => ({
  inputs: [{ name: 'text', shape, datatype: 'BYTES', data }],
});

describe('Open Inference Protocol v2 on the bundled model', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ MAX_TEXTS_PER_REQUEST: '4', BODY_LIMIT_BYTES: '2048' });
  });
  after(() => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const infer = (body: unknown, url = '/v2/models/sentiment/infer') =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  /** A refusal: the status, and the protocol's `{"error": $string}` and nothing else. */
  const refused = async (res: Awaited<ReturnType<typeof get>>, status: number, match: RegExp) => {
    assert.equal(res.statusCode, status, res.body);
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    const body = res.json<{ error: string }>();
    conforms('inference_error_response', body);
    assert.deepEqual(Object.keys(body), ['error']);
    assert.match(body.error, match);
  };

  test('server metadata: name, version, extensions', async () => {
    const res = await get('/v2');
    assert.equal(res.statusCode, 200);
    conforms('metadata_server_response', res.json());
    assert.deepEqual(res.json(), { name: 'sentiment-api', version: '0.1.0', extensions: [] });
  });

  test('health: live and ready are 200 with their booleans', async () => {
    const live = await get('/v2/health/live');
    assert.equal(live.statusCode, 200);
    assert.deepEqual(live.json(), { live: true });
    const ready = await get('/v2/health/ready');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { ready: true });
    for (const url of ['/v2/models/sentiment/ready', '/v2/models/sentiment/versions/1/ready']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      assert.deepEqual(res.json(), { name: 'sentiment', ready: true });
    }
  });

  test('model metadata: the BYTES input and both outputs, -1 for the batch dimension', async () => {
    for (const url of ['/v2/models/sentiment', '/v2/models/sentiment/versions/1']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      conforms('metadata_model_response', res.json());
      assert.deepEqual(res.json(), {
        name: 'sentiment',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
        outputs: [
          { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
          { name: 'label', datatype: 'BYTES', shape: [-1] },
        ],
      });
    }
  });

  test('infer: FP32 [N, C] probabilities row-major and BYTES [N] labels, equal to /predict', async () => {
    const sentences = ['I hate you.', 'I love you.', 'What a lovely film'];
    const res = await infer({ id: '42', ...texts(sentences) });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<InferResponse>();
    conforms('inference_response', body);
    assert.equal(body.model_name, 'sentiment');
    assert.equal(body.model_version, '1');
    assert.equal(body.id, '42');
    const [probabilities, label] = body.outputs as [Tensor, Tensor];
    assert.deepEqual(
      { ...probabilities, data: undefined },
      { name: 'probabilities', shape: [3, 2], datatype: 'FP32', data: undefined },
    );
    assert.deepEqual(
      { ...label, data: undefined },
      { ...label, shape: [3], datatype: 'BYTES', name: 'label', data: undefined },
    );

    const predict = await t.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: sentences },
    });
    const { predictions } = predict.json<{ predictions: { label: string; score: number }[][] }>();
    assert.deepEqual(
      probabilities.data,
      predictions.flatMap((row) => row.map((p) => Math.fround(p.score))),
    );
    assert.deepEqual(
      label.data,
      predictions.map((row) => (row[0]!.score >= row[1]!.score ? row[0]!.label : row[1]!.label)),
    );
  });

  test('infer: shape [N, 1], flat or nested, and the versioned path answer the same', async () => {
    const flat = (await infer(texts(['good', 'bad'], [2, 1]))).json<InferResponse>();
    const nested = (await infer(texts([['good'], ['bad']], [2, 1]))).json<InferResponse>();
    const versioned = await infer(texts(['good', 'bad']), '/v2/models/sentiment/versions/1/infer');
    assert.equal(versioned.statusCode, 200);
    assert.deepEqual(flat.outputs, nested.outputs);
    assert.deepEqual(flat.outputs, versioned.json<InferResponse>().outputs);
    assert.equal(flat.id, undefined, 'no id asked, none answered');
  });

  test('infer: the requested outputs only, in the order asked', async () => {
    const res = await infer({ ...texts(['fine']), outputs: [{ name: 'label' }] });
    assert.deepEqual(
      res.json<InferResponse>().outputs.map((o) => o.name),
      ['label'],
    );
    const both = await infer({
      ...texts(['fine']),
      outputs: [{ name: 'label' }, { name: 'probabilities', parameters: { binary_data: false } }],
    });
    assert.deepEqual(
      both.json<InferResponse>().outputs.map((o) => o.name),
      ['label', 'probabilities'],
    );
  });

  test('infer: an empty batch is shape [0] in, [0, C] and [0] out', async () => {
    const res = await infer(texts([]));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      res.json<InferResponse>().outputs.map((o) => [o.shape, o.data]),
      [
        [[0, 2], []],
        [[0], []],
      ],
    );
  });

  test('unknown model or version: 404 in the protocol shape', async () => {
    await refused(await get('/v2/models/other'), 404, /unknown model 'other'/);
    await refused(await get('/v2/models/sentiment/versions/2'), 404, /unknown version '2'/);
    await refused(await get('/v2/models/other/ready'), 404, /unknown model/);
    await refused(await infer(texts(['x']), '/v2/models/other/infer'), 404, /unknown model/);
    await refused(
      await infer(texts(['x']), '/v2/models/sentiment/versions/7/infer'),
      404,
      /unknown version '7'/,
    );
    await refused(await get('/v2/nothing-here'), 404, /^Not Found$/);
  });

  test('bad requests: 400 with one message naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      ['{"inputs": [', /JSON decode error/],
      [[], /must be a JSON object/],
      [{}, /'inputs' must be a list/],
      [{ inputs: [] }, /expected 1 input, 'text', got 0/],
      [
        { inputs: [{ name: 'input0', shape: [1], datatype: 'BYTES', data: ['x'] }] },
        /unexpected inference input 'input0'/,
      ],
      [
        { inputs: [{ name: 'text', shape: [1], datatype: 'FP32', data: [1] }] },
        /datatype 'FP32'; expected BYTES/,
      ],
      [texts(['a', 'b'], [2, 2]), /shape \[2,2\]; expected \[N\] or \[N, 1\]/],
      [texts(['a', 'b'], [3]), /shape \[3\] but 2 elements/],
      [texts(['a', 7]), /element 1 is not a string/],
      [{ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES' }] }, /no 'data' list/],
      [{ ...texts(['a']), outputs: [{ name: 'logits' }] }, /unexpected inference output 'logits'/],
      [{ ...texts(['a']), outputs: [{ name: 'label' }, { name: 'label' }] }, /requested twice/],
      [{ ...texts(['a']), id: 42 }, /'id' must be a string/],
    ];
    for (const [body, match] of cases) await refused(await infer(body), 400, match);
  });

  test('limits as /predict: too many texts and too large a body are 413, the message bounded', async () => {
    const many = Array.from({ length: 5 }, () => 'x');
    await refused(await infer(texts(many)), 413, /at most 4 texts in one request, got 5/);
    // The shape alone decides: a huge N is refused before any element is read.
    await refused(await infer(texts(['x'], [1e9])), 413, /got 1000000000/);
    const res = await infer(texts(['y'.repeat(4096)]));
    await refused(res, 413, /larger than 2048 bytes/);
    const long = await infer({
      inputs: [{ name: 'n'.repeat(1000), shape: [1], datatype: 'BYTES', data: ['x'] }],
    });
    assert.ok(long.body.length < 300, `bounded echo: ${long.body.length} bytes`);
  });

  test('a wrong method on a v2 path: 405 with Allow, in the protocol shape', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v2/health/live' });
    await refused(res, 405, /Method Not Allowed/);
    assert.equal(res.headers.allow, 'GET, HEAD');
  });

  test('the OpenAPI document lists the v2 routes under the tag v2', async () => {
    const doc = (await get('/openapi.json')).json<{
      paths: Record<string, Record<string, { tags?: string[] }>>;
    }>();
    for (const [path, method] of [
      ['/v2', 'get'],
      ['/v2/health/ready', 'get'],
      ['/v2/models/{model}', 'get'],
      ['/v2/models/{model}/versions/{version}/infer', 'post'],
    ] as const) {
      assert.deepEqual(doc.paths[path]?.[method]?.tags, ['v2'], path);
    }
  });
});

describe('Open Inference Protocol v2: naming and shutdown', () => {
  test('MODEL_NAME names the model; the old name is then unknown', async (t) => {
    const app = (await build(t, { MODEL_NAME: 'sst2' })).app;
    assert.equal((await app.inject({ url: '/v2/models/sst2' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/v2/models/sentiment' })).statusCode, 404);
  });

  test('readiness mirrors /ready: from the moment shutdown begins, 503 and ready false', async (t) => {
    const service = await build(t, { DRAIN_DELAY_MS: '300' });
    const closing = service.close();
    const ready = await service.app.inject({ url: '/v2/health/ready' });
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { ready: false });
    const model = await service.app.inject({ url: '/v2/models/sentiment/ready' });
    assert.equal(model.statusCode, 503);
    assert.deepEqual(model.json(), { name: 'sentiment', ready: false });
    assert.equal((await service.app.inject({ url: '/v2/health/live' })).statusCode, 200);
    await closing;
  });
});
