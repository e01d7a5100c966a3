import { Option, type Command } from 'commander';

/**
 * Flags that set a Config field, each the environment variable config.ts reads: a flag is
 * applied as that variable before `loadConfig`, so `serve --port 9000` and `PORT=9000 serve`
 * are the same setting, checked and worded in one place.
 */
const CONFIG_FLAGS = {
  host: { flag: '--host <address>', env: 'HOST', what: 'interface to bind' },
  port: { flag: '--port <port>', env: 'PORT', what: 'port to listen on' },
  modelDir: { flag: '--model-dir <dir>', env: 'MODEL_DIR', what: 'a model folder to serve' },
  modelId: { flag: '--model-id <org/name[@rev]>', env: 'MODEL_ID', what: 'a Hub model to pull' },
  modelName: { flag: '--model-name <name>', env: 'MODEL_NAME', what: "the model's /v2 name" },
  dtype: { flag: '--dtype <fp32|int8>', env: 'MODEL_DTYPE', what: 'which graph to serve' },
  workers: { flag: '--workers <n>', env: 'INFERENCE_WORKERS', what: 'inference worker threads' },
  logLevel: { flag: '--log-level <level>', env: 'LOG_LEVEL', what: 'pino level' },
} as const;

export type ConfigFlag = keyof typeof CONFIG_FLAGS;

/** Adds the named config flags to a command, each saying which variable it sets. */
export function addConfigFlags(command: Command, names: readonly ConfigFlag[]): Command {
  for (const name of names) {
    const { flag, env, what } = CONFIG_FLAGS[name];
    command.addOption(new Option(flag, `${what} (${env})`));
  }
  return command;
}

/** The environment overrides a command's parsed options stand for. */
export function configOverrides(
  options: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const [name, { env }] of Object.entries(CONFIG_FLAGS)) {
    const value = options[name];
    if (typeof value === 'string') overrides[env] = value;
  }
  return overrides;
}
