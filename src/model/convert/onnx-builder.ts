import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS whose exports Node cannot name statically: take the namespace off
// the default export (a named import works under tsx but fails under plain `node`).
const { onnx } = onnxProto;

/** ONNX element types we emit, as TensorProto.DataType numbers. */
export const DType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
} as const;
export type DType = (typeof DType)[keyof typeof DType];

/** Marks an attribute value as FLOAT: a bare number is an INT (epsilon 1 vs axis 1). */
export interface FloatAttr {
  readonly float: number;
}
/** Wraps `value` so it is written as a FLOAT attribute. */
export const float = (value: number): FloatAttr => ({ float: value });

export type AttrValue = number | readonly number[] | string | FloatAttr;

/** Options of one node: its operator domain and how many outputs it has. */
export interface NodeOptions {
  readonly domain?: string;
  readonly outputs?: number;
  /** Name the (first) output explicitly, e.g. a graph output. */
  readonly output?: string;
}

/** Microsoft's contrib-op domain, where ORT's fused transformer kernels live. */
export const MS_DOMAIN = 'com.microsoft';

/**
 * Accumulates an ONNX graph: nodes in topological order (the order they are added),
 * initializers, and typed inputs/outputs with named dynamic dimensions.
 * Value names are generated (`prefix_N`) so callers never collide by accident.
 */
export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** A fresh value name starting with `prefix`. */
  fresh(prefix: string): string {
    let name = prefix;
    for (let i = 1; this.used.has(name); i++) name = `${prefix}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declares a graph input; dims are numbers (fixed) or names (dynamic). */
  input(name: string, type: DType, dims: readonly (number | string)[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output produced by some node. */
  output(name: string, type: DType, dims: readonly (number | string)[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Adds a float32 initializer and returns its (possibly suffixed) name. */
  floats(name: string, data: Float32Array, dims: readonly number[]): string {
    return this.tensor(name, DType.float, dims, data);
  }

  /** Adds an int8 initializer (quantised weights). */
  int8s(name: string, data: Int8Array, dims: readonly number[]): string {
    return this.tensor(name, DType.int8, dims, data);
  }

  /**
   * A small int64 constant (shapes, axes). Identical constants are shared, so every layer's
   * Reshape can ask for `[0, 0, heads, headDim]` without adding a new initializer.
   */
  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = this.tensor('const', DType.int64, dims, BigInt64Array.from(values.map(BigInt)));
    this.constants.set(key, name);
    return name;
  }

  /** A scalar or small float constant, shared like `int64s`. */
  scalar(value: number, dims: readonly number[] = []): string {
    const key = `f32:${dims.join('x')}:${value}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = this.floats('const', new Float32Array([value]), dims);
    this.constants.set(key, name);
    return name;
  }

  private tensor(
    name: string,
    type: DType,
    dims: readonly number[],
    data: ArrayBufferView,
  ): string {
    const unique = this.fresh(name);
    this.initializers.push({
      name: unique,
      dataType: type,
      dims: [...dims],
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return unique;
  }

  /**
   * Appends a node and returns its output names. An empty input name marks an optional
   * input left out, as the ONNX spec prescribes.
   */
  nodeN(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    options: NodeOptions = {},
  ): string[] {
    const prefix = op.charAt(0).toLowerCase() + op.slice(1);
    const outputs: string[] = [];
    for (let i = 0; i < (options.outputs ?? 1); i++) {
      outputs.push(i === 0 && options.output ? this.claim(options.output) : this.fresh(prefix));
    }
    this.nodes.push({
      name: this.fresh(`${op}_node`),
      opType: op,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([name, value]) => attribute(name, value)),
    });
    return outputs;
  }

  /** `nodeN` for the common single-output case. */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    options: NodeOptions = {},
  ): string {
    return this.nodeN(op, inputs, attrs, options)[0]!;
  }

  private claim(name: string): string {
    this.used.add(name);
    return name;
  }

  /** Serialises the graph as a ModelProto (IR 8, the default ONNX domain at `opset`). */
  encode(graphName: string, opset: number, docString = ''): Uint8Array {
    const usesMs = this.nodes.some((n) => n.domain === MS_DOMAIN);
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'sentiment-api',
      producerVersion: '1',
      docString,
      opsetImport: [
        { domain: '', version: opset },
        ...(usesMs ? [{ domain: MS_DOMAIN, version: 1 }] : []),
      ],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(
  name: string,
  type: DType,
  dims: readonly (number | string)[],
): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

const AttributeType = onnx.AttributeProto.AttributeType;

function attribute(name: string, value: AttrValue): OnnxTypes.IAttributeProto {
  if (typeof value === 'string') {
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (Array.isArray(value))
    return { name, type: AttributeType.INTS, ints: [...(value as number[])] };
  return { name, type: AttributeType.FLOAT, f: (value as FloatAttr).float };
}
