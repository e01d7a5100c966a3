import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { ModelLoadError } from '../../errors.js';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../write-file-atomic.js';

/** One tensor, widened to float32 whatever its stored dtype. Row-major, `shape` in elements. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Bytes per element of each dtype we can widen to float32. */
const ELEMENT_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;
type FloatDtype = keyof typeof ELEMENT_BYTES;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

// Typed arrays use the host's byte order; on little-endian hosts (all we ship to) the file's
// bytes can be viewed directly instead of decoded one value at a time.
const LITTLE_ENDIAN = endianness() === 'LE';

// A header larger than this is not a model we wrote or a file from the Hub; refuse before
// allocating (the format's reference implementation uses the same 100 MB cap).
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Reads a `.safetensors` file (https://github.com/huggingface/safetensors#format): an 8-byte
 * little-endian header length, a JSON header `{name: {dtype, shape, data_offsets}}`, then raw
 * little-endian tensor bytes. F32, F16 and BF16 tensors are returned as Float32Array; any other
 * dtype, a truncated file or a malformed header is a ModelLoadError naming the file.
 */
export function readSafetensors(path: string): Map<string, Tensor> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new ModelLoadError(`cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const size = fstatSync(fd).size;
    const fail = (why: string): never => {
      throw new ModelLoadError(`${path} is not a valid safetensors file: ${why}`);
    };
    if (size < 8) fail(`${size} bytes is shorter than the 8-byte header length`);
    const lengthBytes = Buffer.alloc(8);
    readSync(fd, lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} is implausible`);
    if (8 + headerLength > size) fail(`header of ${headerLength} bytes runs past the end`);
    const headerBytes = Buffer.alloc(headerLength);
    readSync(fd, headerBytes, 0, headerLength, 8);
    const header = parseHeader(headerBytes, fail);
    const dataStart = 8 + headerLength;
    const tensors = new Map<string, Tensor>();
    for (const [name, entry] of Object.entries(header)) {
      const dtype = entry.dtype as FloatDtype;
      if (!(dtype in ELEMENT_BYTES))
        fail(`tensor ${name} has dtype ${entry.dtype}; only F32, F16, BF16 are supported`);
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const [begin, end] = entry.data_offsets;
      if (end - begin !== count * ELEMENT_BYTES[dtype]) {
        fail(
          `tensor ${name} spans ${end - begin} bytes but shape ${JSON.stringify(entry.shape)} ${dtype} needs ${count * ELEMENT_BYTES[dtype]}`,
        );
      }
      if (dataStart + end > size)
        fail(
          `tensor ${name} ends at byte ${dataStart + end} but the file has ${size} (truncated?)`,
        );
      const raw = Buffer.alloc(end - begin);
      readSync(fd, raw, 0, raw.length, dataStart + begin);
      tensors.set(name, { shape: entry.shape, data: widen(raw, dtype, count) });
    }
    return tensors;
  } finally {
    closeSync(fd);
  }
}

function parseHeader(bytes: Buffer, fail: (why: string) => never): Record<string, HeaderEntry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    fail(`header is not JSON (${(error as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    fail('header is not a JSON object');
  const entries: Record<string, HeaderEntry> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const entry = value as Partial<HeaderEntry> | null;
    const ok =
      entry !== null &&
      typeof entry === 'object' &&
      typeof entry.dtype === 'string' &&
      Array.isArray(entry.shape) &&
      entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
      Array.isArray(entry.data_offsets) &&
      entry.data_offsets.length === 2 &&
      entry.data_offsets.every((o) => Number.isSafeInteger(o) && o >= 0) &&
      entry.data_offsets[0] <= entry.data_offsets[1];
    if (!ok) fail(`header entry ${name} lacks a valid dtype, shape or data_offsets`);
    entries[name] = entry as HeaderEntry;
  }
  return entries;
}

/** Widens little-endian F32/F16/BF16 bytes to a fresh Float32Array (copying also aligns). */
function widen(raw: Buffer, dtype: FloatDtype, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) out.set(new Float32Array(raw.buffer, raw.byteOffset, count));
    else for (let i = 0; i < count; i++) out[i] = raw.readFloatLE(i * 4);
    return out;
  }
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32: shift it back into place.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = raw.readUInt16LE(i * 2) << 16;
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = halfToFloat(raw.readUInt16LE(i * 2));
  return out;
}

/** IEEE 754 binary16 → number, subnormals, infinities and NaN included. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Writes float32 tensors as a `.safetensors` file (atomically), names sorted as
 * `safetensors.torch.save_file` sorts them, header padded with spaces to 8 bytes.
 */
export function writeSafetensors(path: string, tensors: ReadonlyMap<string, Tensor>): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const name of names) {
    const tensor = tensors.get(name)!;
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) {
      throw new Error(
        `tensor ${name}: shape ${JSON.stringify(tensor.shape)} does not match ${tensor.data.length} values`,
      );
    }
    header[name] = {
      dtype: 'F32',
      shape: tensor.shape,
      data_offsets: [offset, offset + count * 4],
    };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    if (LITTLE_ENDIAN) Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    else data.forEach((value, i) => out.writeFloatLE(value, at + i * 4));
    at += data.byteLength;
  }
  writeFileAtomic(path, out);
}
