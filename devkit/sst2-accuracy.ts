import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pad } from '../src/model/token-batch.js';
import { ModelTokenizer } from '../src/engine/tokenizer.js';
import {
  buildEncoderGraph,
  DEFAULT_INT8_GRAPH,
  readEncoderSpec,
  type GraphOptions,
} from '../src/model/convert/index.js';
import { readModelConfig, resolveModelFiles } from '../src/model/model-files.js';
import { ModelSession } from '../src/model/session.js';
import { readSst2 } from './sst2-sentences.js';

/** One graph variant's results on the SST-2 dev set. */
export interface VariantAccuracy {
  readonly name: string;
  readonly graph: GraphOptions;
  /** Fraction of dev sentences whose argmax matches the gold label. */
  readonly accuracy: number;
  /** Fraction whose argmax matches the fp32 plain graph's. */
  readonly agreement: number;
  /** Largest |logit − fp32 logit| over all sentences and classes. */
  readonly maxLogitDiff: number;
  /** Serialised graph size. */
  readonly bytes: number;
}

/** The graph variants compared; the first is the reference for agreement. */
export const ACCURACY_VARIANTS: readonly { name: string; graph: GraphOptions }[] = [
  { name: 'fp32 plain', graph: {} },
  { name: 'fp32 optimised (fused)', graph: { fused: true } },
  { name: 'int8 (convert default: int8 word embeddings)', graph: DEFAULT_INT8_GRAPH },
  { name: 'int8, fp32 word embeddings', graph: { ...DEFAULT_INT8_GRAPH, int8Embeddings: false } },
  {
    name: 'int8 DynamicQuantizeMatMul, int8 word embeddings',
    graph: { ...DEFAULT_INT8_GRAPH, int8Kernel: 'DynamicQuantizeMatMul' },
  },
];

const TOKENIZER_FILES = [
  'config.json',
  'model.safetensors',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
];

/**
 * Converts `modelDir`'s safetensors (in a temp copy, the shared folder is read-only) into each
 * variant's graph and classifies every row of the SST-2 `dev.tsv` (`sentence\tlabel`), one
 * sentence at a time, unpadded, as the model's reference accuracy was computed.
 */
export async function measureSst2Accuracy(
  modelDir: string,
  devTsv: string,
): Promise<VariantAccuracy[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sst2-accuracy-'));
  try {
    for (const file of TOKENIZER_FILES) copyFileSync(join(modelDir, file), join(dir, file));
    const spec = readEncoderSpec(dir);
    const rows = readSst2(devTsv);
    const graphs = ACCURACY_VARIANTS.map((v) => buildEncoderGraph(spec, v.graph));
    // resolveModelFiles insists on an fp32 graph; write the reference one for it to find.
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(join(dir, 'onnx', 'model.onnx'), graphs[0]!);
    const files = resolveModelFiles(dir, 'fp32');
    const tokenizer = ModelTokenizer.fromModelFiles(
      files,
      readModelConfig(files.configPath).maxPositions,
    );
    const encoded = rows.map((row) => tokenizer.encode(row.sentence));

    const logits: Float32Array[][] = [];
    for (const graph of graphs) {
      const session = await ModelSession.load(graph, { intraOpThreads: 2 });
      const out: Float32Array[] = [];
      for (const ids of encoded)
        out.push(Float32Array.from((await session.run(pad([{ ids }]).batch)).logits));
      await session.release();
      logits.push(out);
    }
    const reference = logits[0]!.map(argmax);
    return ACCURACY_VARIANTS.map((variant, v) => {
      const predictions = logits[v]!.map(argmax);
      let maxLogitDiff = 0;
      logits[v]!.forEach((row, i) =>
        row.forEach(
          (x, c) => (maxLogitDiff = Math.max(maxLogitDiff, Math.abs(x - logits[0]![i]![c]!))),
        ),
      );
      return {
        ...variant,
        accuracy: predictions.filter((p, i) => p === rows[i]!.label).length / rows.length,
        agreement: predictions.filter((p, i) => p === reference[i]).length / rows.length,
        maxLogitDiff,
        bytes: graphs[v]!.length,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
