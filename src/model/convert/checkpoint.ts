import { ModelLoadError } from '../../errors.js';
import type { Linear, Norm } from './encoder-spec.js';
import type { Tensor } from './safetensors.js';

/**
 * The tensors of one checkpoint plus its `config.json`, with lookups that fail with a
 * ModelLoadError naming exactly which tensor or key is missing or mis-shaped.
 */
export class Checkpoint {
  constructor(
    /** Where the tensors came from, quoted in errors. */
    readonly source: string,
    readonly config: Readonly<Record<string, unknown>>,
    private readonly tensors: ReadonlyMap<string, Tensor>,
  ) {}

  /** A tensor that must exist with exactly `shape`. */
  tensor(name: string, shape: readonly number[]): Tensor {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new ModelLoadError(`${this.source} has no tensor ${name}`);
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new ModelLoadError(
        `${this.source} tensor ${name} has shape ${JSON.stringify(tensor.shape)}, expected ${JSON.stringify(shape)}`,
      );
    }
    return tensor;
  }

  /** `prefix.weight` [out, in] and `prefix.bias` [out]. */
  linear(prefix: string, inFeatures: number, outFeatures: number): Linear {
    return {
      name: prefix,
      weight: this.tensor(`${prefix}.weight`, [outFeatures, inFeatures]).data,
      bias: this.tensor(`${prefix}.bias`, [outFeatures]).data,
      inFeatures,
      outFeatures,
    };
  }

  /** `prefix.weight` and `prefix.bias`, both [hidden]. */
  norm(prefix: string, hidden: number): Norm {
    return {
      gamma: this.tensor(`${prefix}.weight`, [hidden]).data,
      beta: this.tensor(`${prefix}.bias`, [hidden]).data,
    };
  }

  /** A positive integer config key, else a ModelLoadError naming it. */
  int(key: string): number {
    const value = this.config[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new ModelLoadError(
        `config.json key ${key} must be a positive integer, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  /** A number config key, `fallback` when absent. */
  number(key: string, fallback: number): number {
    const value = this.config[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number')
      throw new ModelLoadError(`config.json key ${key} must be a number`);
    return value;
  }

  /** Label count from id2label (what the service maps logits to), else num_labels, else 2. */
  numLabels(): number {
    const id2label = this.config.id2label;
    if (id2label && typeof id2label === 'object') return Object.keys(id2label).length;
    return typeof this.config.num_labels === 'number' ? this.config.num_labels : 2;
  }
}
