import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelLoadError } from '../errors.js';
import type { ModelDtype } from '../config.js';
import { isCommitSha } from './commit-sha.js';

/** The ONNX graph file for each dtype, named as transformers.js and Optimum name them. */
export const ONNX_FILES: Readonly<Record<ModelDtype, string>> = {
  fp32: 'onnx/model.onnx',
  int8: 'onnx/model_quantized.onnx',
};

/** The weights `sentiment-api convert` reads when a repo has no ONNX graph. */
export const SAFETENSORS_FILE = 'model.safetensors';

/**
 * The tokenizer files the engine can read (tokenizer.json, else vocab.txt, plus their
 * settings); the Hub pull fetches those a repo has, the model generator writes them all.
 */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
  'special_tokens_map.json',
] as const;

/** The packed (padding-free) variants the converter writes beside them (convert/). */
export const PACKED_ONNX_FILES: Readonly<Record<ModelDtype, string>> = {
  fp32: 'onnx/model_packed.onnx',
  int8: 'onnx/model_quantized_packed.onnx',
};

/** What the service needs from a model's `config.json`. */
export interface ModelConfig {
  readonly modelType: string;
  readonly architectures: readonly string[];
  /** Labels in class-id order: index i is `id2label[i]`. */
  readonly labels: readonly string[];
  /** Longest input the position embeddings allow, [CLS] and [SEP] included. */
  readonly maxPositions: number;
}

/** The files of one model folder, named as Hugging Face names them, checked to exist. */
export interface ModelFiles {
  readonly dir: string;
  readonly configPath: string;
  /** `tokenizer.json` when present, else undefined and `vocabPath` is set. */
  readonly tokenizerJsonPath: string | undefined;
  readonly vocabPath: string | undefined;
  readonly tokenizerConfigPath: string | undefined;
  readonly onnxPath: string;
  /** The packed variant of the graph for the same dtype, when the folder has one. */
  readonly packedOnnxPath: string | undefined;
  readonly dtype: ModelDtype;
  /**
   * The commit the folder was pulled at when it is a Hub cache snapshot
   * (`…/snapshots/{commit}/`, ours or another tool's), else undefined.
   */
  readonly revision: string | undefined;
}

function file(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  return existsSync(path) && statSync(path).isFile() ? path : undefined;
}

/**
 * Checks that `dir` holds a servable model and names the first thing missing if not.
 * A folder with weights but no ONNX graph points at `sentiment-api convert`.
 */
export function resolveModelFiles(dir: string, dtype: ModelDtype): ModelFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelLoadError(`model folder ${dir} does not exist`);
  }
  const configPath = file(dir, 'config.json');
  if (!configPath) throw new ModelLoadError(`model folder ${dir} has no config.json`);
  const tokenizerJsonPath = file(dir, 'tokenizer.json');
  const vocabPath = file(dir, 'vocab.txt');
  if (!tokenizerJsonPath && !vocabPath) {
    throw new ModelLoadError(`model folder ${dir} has neither tokenizer.json nor vocab.txt`);
  }
  const onnxPath = file(dir, ONNX_FILES[dtype]);
  if (!onnxPath) {
    const hint = file(dir, SAFETENSORS_FILE)
      ? `; run 'sentiment-api convert ${dir}${dtype === 'int8' ? ' --quantize int8' : ''}' to build it from model.safetensors`
      : '';
    throw new ModelLoadError(`model folder ${dir} has no ${ONNX_FILES[dtype]}${hint}`);
  }
  const revision = snapshotCommit(dir) ?? snapshotCommit(realpathSync(dir));
  return {
    dir,
    configPath,
    tokenizerJsonPath,
    vocabPath,
    tokenizerConfigPath: file(dir, 'tokenizer_config.json'),
    onnxPath,
    packedOnnxPath: file(dir, PACKED_ONNX_FILES[dtype]),
    dtype,
    revision,
  };
}

/**
 * The commit of a Hub cache snapshot folder, read off its path as every Hub client names it:
 * `{cache}/models--{org}--{name}/snapshots/{commit}`. Undefined for any other folder.
 */
function snapshotCommit(dir: string): string | undefined {
  const path = resolve(dir);
  const commit = basename(path);
  return isCommitSha(commit) && basename(dirname(path)) === 'snapshots' ? commit : undefined;
}

/** Parses a JSON file, turning a syntax error into a ModelLoadError naming the file. */
export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ModelLoadError(`${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Reads the parts of `config.json` the service depends on. */
export function readModelConfig(configPath: string): ModelConfig {
  const raw = readJson(configPath) as Record<string, unknown>;
  const id2label = raw.id2label as Record<string, unknown> | undefined;
  if (!id2label || typeof id2label !== 'object' || Object.keys(id2label).length === 0) {
    throw new ModelLoadError(
      `${configPath} has no id2label: is this a sequence-classification model?`,
    );
  }
  const count = Object.keys(id2label).length;
  const labels: string[] = [];
  for (let id = 0; id < count; id++) {
    const label = id2label[String(id)];
    if (typeof label !== 'string') {
      throw new ModelLoadError(`${configPath} id2label has no label for class id ${id}`);
    }
    labels.push(label);
  }
  const maxPositions = raw.max_position_embeddings;
  return {
    modelType: typeof raw.model_type === 'string' ? raw.model_type : 'unknown',
    architectures: Array.isArray(raw.architectures) ? raw.architectures.map(String) : [],
    labels,
    maxPositions: typeof maxPositions === 'number' && maxPositions > 2 ? maxPositions : 512,
  };
}
