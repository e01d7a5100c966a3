import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

test('defaults: the seed port, in-process cache only, 60 s TTL, fp32', () => {
  const config = loadConfig({});
  assert.equal(config.port, 8000);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.redisUrl, undefined);
  assert.equal(config.cacheTtlSeconds, 60);
  assert.equal(config.modelDtype, 'fp32');
  assert.equal(config.modelDir, undefined);
  assert.equal(config.batchPacking, true);
  assert.equal(loadConfig({ BATCH_PACKING: '0' }).batchPacking, false);
  assert.ok(Object.isFrozen(config));
});

test('environment variables override defaults', () => {
  const config = loadConfig({
    PORT: '9000',
    REDIS_URL: 'redis://r:6379',
    CACHE_TTL_SECONDS: '0',
    MODEL_DTYPE: 'int8',
    HF_HUB_OFFLINE: '1',
    HF_ENDPOINT: 'http://mirror/',
  });
  assert.equal(config.port, 9000);
  assert.equal(config.redisUrl, 'redis://r:6379');
  assert.equal(config.cacheTtlSeconds, 0);
  assert.equal(config.modelDtype, 'int8');
  assert.equal(config.hfOffline, true);
  assert.equal(config.hfEndpoint, 'http://mirror');
});

test('a bad value is refused with a message naming the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /^PORT must be a whole number/],
    [{ PORT: '70000' }, /^PORT must be between 0 and 65535/],
    [{ MODEL_DTYPE: 'fp16' }, /^MODEL_DTYPE must be one of fp32, int8/],
    [{ HF_HUB_OFFLINE: 'maybe' }, /^HF_HUB_OFFLINE must be 1 or 0/],
    [{ INFERENCE_WORKERS: '0' }, /^INFERENCE_WORKERS must be between 1/],
    [{ MODEL_DIR: '/a', MODEL_ID: 'org/name' }, /MODEL_DIR or MODEL_ID, not both/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
    );
  }
});

test('several bad values are all named at once, in one line', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', MODEL_DTYPE: 'fp16', BATCH_PACKING: 'maybe', PORT2: 'x' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message ===
        "PORT must be a whole number, got 'eighty'; MODEL_DTYPE must be one of fp32, int8, got 'fp16'; BATCH_PACKING must be 1 or 0, got 'maybe'",
  );
});

test('numbers are read strictly: no exponent, fraction or sign', () => {
  for (const raw of ['1e3', '1.5', '-1', '+5', '0x10']) {
    assert.throws(() => loadConfig({ PORT: raw }), /^ConfigError: PORT must be a whole number/);
  }
});

test('MODEL_CACHE defaults to the Hugging Face Hub cache, found as huggingface_hub finds it', () => {
  assert.equal(loadConfig({ MODEL_CACHE: '/m' }).modelCache, '/m');
  assert.equal(loadConfig({ HF_HUB_CACHE: '/c' }).modelCache, '/c');
  assert.equal(loadConfig({ HF_HOME: '/h' }).modelCache, '/h/hub');
  assert.equal(loadConfig({ XDG_CACHE_HOME: '/x' }).modelCache, '/x/huggingface/hub');
});

test('MONITOR_*: the defaults of the monitoring contract, decimals read strictly, bands ordered', () => {
  const config = loadConfig({});
  assert.equal(config.monitor, true);
  assert.equal(config.monitorReference, undefined);
  assert.deepEqual(
    [
      config.monitorReferenceSize,
      config.monitorWindowSeconds,
      config.monitorWindowMaxTexts,
      config.monitorMinTexts,
      config.monitorPsiWarning,
      config.monitorPsiAlert,
      config.monitorConsecutive,
      config.monitorMinAccuracy,
      config.monitorMaxAccuracyDrop,
      config.monitorMinFeedback,
      config.monitorFeedbackWindow,
    ],
    [500, 600, 5000, 200, 0.1, 0.25, 3, 0.75, 0.1, 100, 1000],
  );
  assert.equal(loadConfig({ MONITOR: '0' }).monitor, false);
  assert.equal(loadConfig({ MONITOR_PSI_ALERT: '.5' }).monitorPsiAlert, 0.5);
  assert.equal(loadConfig({ MONITOR_MIN_ACCURACY: '1' }).monitorMinAccuracy, 1);
  const cases: [Record<string, string>, RegExp][] = [
    [{ MONITOR_PSI_WARNING: '1e-1' }, /^MONITOR_PSI_WARNING must be a decimal number/],
    [{ MONITOR_PSI_WARNING: '-0.1' }, /^MONITOR_PSI_WARNING must be a decimal number/],
    [{ MONITOR_MIN_ACCURACY: '1.5' }, /^MONITOR_MIN_ACCURACY must be between 0 and 1, got 1.5/],
    [{ MONITOR_WINDOW_SECONDS: '0' }, /^MONITOR_WINDOW_SECONDS must be between 1/],
    [{ MONITOR_PSI_WARNING: '0.3' }, /MONITOR_PSI_WARNING must be below MONITOR_PSI_ALERT/],
    [{ MONITOR_MIN_TEXTS: '6000' }, /MONITOR_MIN_TEXTS must not be above MONITOR_WINDOW_MAX/],
    [{ MONITOR_MIN_FEEDBACK: '2000' }, /MONITOR_MIN_FEEDBACK must not be above MONITOR_FEEDBACK/],
    [{ MONITOR: 'maybe' }, /^MONITOR must be 1 or 0/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
      JSON.stringify(env),
    );
  }
});
