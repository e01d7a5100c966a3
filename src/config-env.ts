import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { cpuBudget } from './cpu-budget.js';
import { ConfigError } from './errors.js';

/**
 * The environment side of the configuration: the one schema of every variable the service
 * reads (type, bounds, default), the strict reading of their text, and the parsers of the
 * variables that hold lists. config.ts maps what this returns onto the Config it documents.
 */

/** One accepted API key: the sha256 of the key, as 64 lowercase hex digits, and who holds it. */
export interface ApiKeyDigest {
  /** Named in logs and rate-limit keys; `key-` + the digest's first 8 digits when unnamed. */
  readonly name: string;
  readonly sha256: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** pino's levels, `silent` included. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const whole = (fallback: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ minimum, maximum, default: fallback });
const flag = (fallback: boolean) => Type.Boolean({ default: fallback });
const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    { default: fallback },
  );
const text = () => Type.Optional(Type.String({ minLength: 1 }));
const decimal = (fallback: number, minimum: number, maximum: number) =>
  Type.Number({ minimum, maximum, default: fallback });

/**
 * The environment the service reads, as one schema: every variable, its type, bounds and
 * default (the Config fields above say what each is for). Checked as a whole, so a start with
 * several bad variables names all of them at once.
 */
const ENV_SCHEMA = Type.Object({
  HOST: Type.String({ default: '0.0.0.0' }),
  PORT: whole(8000, 0, 65535),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  LOG_TEXTS: flag(false),
  MODEL_DIR: text(),
  MODEL_ID: text(),
  // One URL path segment: letters, digits, `.`, `_`, `-` (Triton's model names are folders).
  MODEL_NAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' })),
  MODEL_CACHE: text(),
  MODEL_DTYPE: oneOf(['fp32', 'int8'] as const, 'fp32'),
  HF_ENDPOINT: Type.String({ default: 'https://huggingface.co' }),
  HF_TOKEN: text(),
  HF_HUB_OFFLINE: flag(false),
  MAX_TEXTS_PER_REQUEST: whole(256, 1),
  MAX_TEXT_CHARS: whole(0, 0),
  BODY_LIMIT_BYTES: whole(4 * 1024 * 1024, 1024),
  EXPLAIN_MAX_TEXTS: whole(8, 1, 256),
  EXPLAIN_MAX_WORDS: whole(64, 1, 512),
  INFERENCE_WORKERS: whole(cpuBudget(), 1, 64),
  INFERENCE_THREADS: whole(1, 1, 64),
  BATCH_MAX_ITEMS: whole(8, 1, 4096),
  BATCH_MAX_TOKENS: whole(1024, 512),
  BATCH_PACKING: flag(true),
  BATCH_MAX_PADDING_PCT: whole(20, 0, 100),
  BATCH_MAX_DELAY_MS: whole(10, 0, 10_000),
  QUEUE_MAX_ITEMS: whole(2048, 1),
  QUEUE_MAX_WAIT_MS: whole(2_000, 0),
  REQUEST_TIMEOUT_MS: whole(30_000, 1),
  CACHE_HITS_HEADER: flag(false),
  CACHE_MEMORY_BYTES: whole(64 * 1024 * 1024, 0),
  REDIS_URL: text(),
  REDIS_KEY_PREFIX: Type.String({ default: 'sentiment:v1:' }),
  REDIS_TIMEOUT_MS: whole(100, 1),
  REDIS_CIRCUIT_RESET_MS: whole(2_000, 10),
  CACHE_TTL_SECONDS: whole(60, 0),
  SHUTDOWN_GRACE_MS: whole(10_000, 0),
  DRAIN_DELAY_MS: whole(0, 0),
  HEADERS_TIMEOUT_MS: whole(10_000, 1),
  RECEIVE_TIMEOUT_MS: whole(30_000, 1),
  KEEP_ALIVE_TIMEOUT_MS: whole(72_000, 1),
  MAX_CONNECTIONS: whole(512, 1),
  LINGERING_MAX_BYTES: whole(64 * 1024 * 1024, 0),
  LINGERING_TIME_MS: whole(5_000, 0),
  API_KEYS_SHA256: text(),
  API_KEYS_FILE: text(),
  METRICS_REQUIRE_KEY: flag(false),
  DOCS_REQUIRE_KEY: flag(false),
  RATE_LIMIT_PER_MINUTE: whole(0, 0),
  CORS_ORIGINS: text(),
  TRUST_PROXY: Type.String({ default: 'loopback' }),
  MONITOR: flag(true),
  MONITOR_REFERENCE: text(),
  MONITOR_REFERENCE_SIZE: whole(500, 10, 1_000_000),
  MONITOR_WINDOW_SECONDS: whole(600, 1, 7 * 24 * 3600),
  MONITOR_WINDOW_MAX_TEXTS: whole(5_000, 10, 1_000_000),
  MONITOR_MIN_TEXTS: whole(200, 1, 1_000_000),
  MONITOR_PSI_WARNING: decimal(0.1, 0.001, 10),
  MONITOR_PSI_ALERT: decimal(0.25, 0.001, 10),
  MONITOR_CONSECUTIVE: whole(3, 1, 1_000),
  MONITOR_MIN_ACCURACY: decimal(0.75, 0, 1),
  MONITOR_MAX_ACCURACY_DROP: decimal(0.1, 0, 1),
  MONITOR_MIN_FEEDBACK: whole(100, 1, 1_000_000),
  MONITOR_FEEDBACK_WINDOW: whole(1_000, 1, 1_000_000),
  HF_HUB_CACHE: text(),
  HF_HOME: text(),
  XDG_CACHE_HOME: text(),
});
export type EnvValues = Static<typeof ENV_SCHEMA>;

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/**
 * A variable's text as its schema's type: strictly (`1e3` and `1.5` are not whole numbers,
 * as TypeBox's own lenient conversion would make them). Text that does not convert stays
 * text, and the schema check reports it. Decimals are plain (`0.25`, `.5`, `1`): no sign, no exponent.
 */
function convert(schema: TSchema, raw: string): unknown {
  if (schema.type === 'integer') return /^\d+$/.test(raw) ? Number(raw) : raw;
  if (schema.type === 'number') return /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : raw;
  if (schema.type === 'boolean') {
    const word = raw.toLowerCase();
    return TRUE.has(word) ? true : FALSE.has(word) ? false : raw;
  }
  return raw;
}

/** One line for a variable the schema refused, worded for the person who set it. */
function complaint(name: string, schema: TSchema, value: unknown): string {
  if (schema.type === 'integer') {
    return typeof value === 'number'
      ? `${name} must be between ${schema.minimum} and ${schema.maximum}, got ${value}`
      : `${name} must be a whole number, got '${String(value)}'`;
  }
  if (schema.type === 'number') {
    return typeof value === 'number'
      ? `${name} must be between ${schema.minimum} and ${schema.maximum}, got ${value}`
      : `${name} must be a decimal number like 0.25, got '${String(value)}'`;
  }
  if (schema.type === 'boolean') return `${name} must be 1 or 0, got '${String(value)}'`;
  if (Array.isArray(schema.anyOf)) {
    const allowed = (schema.anyOf as { const: string }[]).map((option) => option.const);
    return `${name} must be one of ${allowed.join(', ')}, got '${String(value)}'`;
  }
  return `${name} is not valid, got '${String(value)}'`;
}

/** The environment checked against ENV_SCHEMA; throws one ConfigError naming every bad variable. */
export function readEnv(env: Env): EnvValues {
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(ENV_SCHEMA.properties)) {
    const raw = env[name]?.trim();
    if (raw !== undefined && raw !== '') values[name] = convert(schema, raw);
  }
  const checked = Value.Default(ENV_SCHEMA, values);
  const problems = new Map<string, string>();
  for (const error of Value.Errors(ENV_SCHEMA, checked)) {
    const name = error.path.slice(1);
    const schema = ENV_SCHEMA.properties[name as keyof EnvValues];
    if (!schema || problems.has(name)) continue;
    problems.set(name, complaint(name, schema, error.value));
  }
  if (problems.size > 0) throw new ConfigError([...problems.values()].join('; '));
  return checked as EnvValues;
}

/** `digest` or `name:digest` entries (API_KEYS_SHA256, API_KEYS_FILE), refused with their source. */
function parseApiKeys(entries: readonly string[], source: string): ApiKeyDigest[] {
  return entries.map((entry, index) => {
    const match = /^(?:([\w.@-]{1,64}):)?([0-9a-fA-F]{64})$/.exec(entry);
    if (!match) {
      throw new ConfigError(
        `${source}: entry ${index + 1} is not a sha256 hex digest or name:digest (see docs/security.md)`,
      );
    }
    const sha256 = (match[2] as string).toLowerCase();
    return { name: match[1] ?? `key-${sha256.slice(0, 8)}`, sha256 };
  });
}

/** The keys of API_KEYS_SHA256 and API_KEYS_FILE together. */
export function readApiKeys(list: string | undefined, file: string | undefined): ApiKeyDigest[] {
  const split = (value: string, separator: RegExp) =>
    value
      .split(separator)
      .map((entry) => entry.replace(/#.*/, '').trim())
      .filter((entry) => entry !== '');
  let lines: string[] = [];
  if (file) {
    try {
      lines = split(readFileSync(file, 'utf8'), /\r?\n/);
    } catch (error) {
      throw new ConfigError(`API_KEYS_FILE cannot be read: ${(error as Error).message}`);
    }
  }
  return [
    ...parseApiKeys(list ? split(list, /,/) : [], 'API_KEYS_SHA256'),
    ...parseApiKeys(lines, 'API_KEYS_FILE'),
  ];
}

/** CORS_ORIGINS as a list; each must be an origin exactly as a browser sends it. */
export function readOrigins(list: string | undefined): string[] {
  const origins = (list ?? '').split(',').map((origin) => origin.trim());
  return origins
    .filter((origin) => origin !== '')
    .map((origin) => {
      let exact: string | undefined;
      try {
        exact = new URL(origin).origin;
      } catch {
        exact = undefined;
      }
      if (exact !== origin || exact === 'null') {
        throw new ConfigError(
          `CORS_ORIGINS must list exact origins like https://app.example.com, got '${origin.slice(0, 100)}'`,
        );
      }
      return origin;
    });
}

/** proxy-addr's names for address ranges, which Fastify's trustProxy accepts as they are. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY as the list Fastify's `trustProxy` takes: addresses, CIDR ranges and the names
 * `loopback`, `linklocal`, `uniquelocal`; `none` (or `0`, `false`): trust no proxy. A hop
 * count is refused: Fastify 5 stopped honouring one (a count cannot tell a proxy from a
 * client that wrote the header itself, so it trusts nothing), and a setting that silently
 * means something else is worse than an error. `true` (trust anyone) is refused for the same
 * spoofing: write `0.0.0.0/0,::/0` to mean it.
 */
export function readTrustedProxies(list: string): string[] {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 1 && ['none', '0', 'false', 'off'].includes(entries[0] as string))
    return [];
  for (const entry of entries) {
    if (PROXY_RANGES.has(entry)) continue;
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family !== 0 && validBits && rest.length === 0) continue;
    const why = /^\d+$/.test(entry)
      ? 'a hop count is not supported (Fastify trusts no proxy by count): list the proxies'
      : entry === 'true'
        ? 'trusting every address lets any client forge its address: list the proxies'
        : `'${entry.slice(0, 64)}' is not an address, a CIDR range or loopback/linklocal/uniquelocal`;
    throw new ConfigError(`TRUST_PROXY: ${why}; 'none' trusts no proxy`);
  }
  return entries;
}

/**
 * MODEL_NAME's default: the last path segment of MODEL_ID (its `@revision` cut) or MODEL_DIR,
 * with any character a name may not hold replaced by `-`; `sentiment` for the bundled model.
 */
export function defaultModelName(
  modelId: string | undefined,
  modelDir: string | undefined,
): string {
  const source = modelId?.replace(/@.*$/, '') ?? modelDir;
  const segment =
    source
      ?.replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  const name = segment.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return name.slice(0, 128) || 'sentiment';
}
