/** Symmetric int8 weights and one scale per channel: value ≈ q · scale. */
export interface QuantizedMatrix {
  readonly values: Int8Array;
  readonly scales: Float32Array;
}

// ±127 rather than −128…127: a symmetric range keeps the zero point at 0, so the kernels can
// skip the zero-point correction entirely, at the cost of one code in 256.
const Q_MAX = 127;

/**
 * Transposes a transformers Linear weight [out, in] to the [in, out] order MatMul wants and
 * quantises it per output column (per channel), as ORT's `quantize_dynamic(per_channel=True)`
 * does for MatMul weights: each column gets scale max|w|/127.
 */
export function quantizeTransposedPerColumn(
  weight: Float32Array,
  outFeatures: number,
  inFeatures: number,
): QuantizedMatrix {
  // Row o of the [out, in] weight is output column o: quantise per row, then transpose.
  const { values, scales } = quantizeRows(weight, outFeatures, inFeatures);
  return { values: transpose(values, outFeatures, inFeatures), scales };
}

/**
 * Quantises a [rows, cols] matrix per row (the embedding table: one scale per token, so a
 * rare token with small weights keeps its resolution).
 */
export function quantizeRows(data: Float32Array, rows: number, cols: number): QuantizedMatrix {
  const scales = new Float32Array(rows);
  const values = new Int8Array(data.length);
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * cols, (r + 1) * cols);
    const scale = absMax(row) / Q_MAX || 1;
    scales[r] = scale;
    for (let c = 0; c < cols; c++) values[r * cols + c] = clampRound(row[c]! / scale);
  }
  return { values, scales };
}

/** Transposes a row-major [rows, cols] matrix into a new [cols, rows] one. */
export function transpose<T extends Float32Array | Int8Array>(
  data: T,
  rows: number,
  cols: number,
): T {
  const out = new (data.constructor as new (length: number) => T)(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  }
  return out;
}

function absMax(values: Float32Array): number {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  return max;
}

function clampRound(x: number): number {
  return Math.max(-Q_MAX, Math.min(Q_MAX, Math.round(x)));
}
