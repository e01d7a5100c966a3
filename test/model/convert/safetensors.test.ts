import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ModelLoadError } from '../../../src/errors.js';
import {
  readSafetensors,
  writeSafetensors,
  type Tensor,
} from '../../../src/model/convert/index.js';

const dir = mkdtempSync(join(tmpdir(), 'safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file from a header object and raw data bytes, as another writer would make it. */
function rawFile(name: string, header: object, data: Buffer): string {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([length, json, data]));
  return path;
}

test('writeSafetensors → readSafetensors round-trips names, shapes and every float exactly', () => {
  const tensors = new Map<string, Tensor>([
    ['b.weight', { shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-8, Math.PI, -0, 65504.5]) }],
    ['a.bias', { shape: [3], data: Float32Array.from([0.1, 0.2, 0.3]) }],
    ['scalar', { shape: [], data: Float32Array.from([7]) }],
  ]);
  const path = join(dir, 'round-trip.safetensors');
  writeSafetensors(path, tensors);
  const back = readSafetensors(path);
  assert.deepEqual([...back.keys()].sort(), ['a.bias', 'b.weight', 'scalar']);
  for (const [name, tensor] of tensors) {
    assert.deepEqual(back.get(name)!.shape, tensor.shape);
    assert.deepEqual(back.get(name)!.data, tensor.data);
  }
  // The header length is a multiple of 8 so tensor data starts aligned, as safetensors does.
  assert.equal(Number(readFileSync(path).readBigUInt64LE(0)) % 8, 0);
});

test('F16 and BF16 tensors widen to the float32 values they encode', () => {
  // F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), +inf
  const f16 = Buffer.alloc(10);
  [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00].forEach((bits, i) => f16.writeUInt16LE(bits, i * 2));
  // BF16: the top 16 bits of float32 1.5 and -0.15625
  const bf16 = Buffer.alloc(4);
  bf16.writeUInt16LE(0x3fc0, 0);
  bf16.writeUInt16LE(0xbe20, 2);
  const path = rawFile(
    'half.safetensors',
    {
      h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [10, 14] },
    },
    Buffer.concat([f16, bf16]),
  );
  const tensors = readSafetensors(path);
  assert.deepEqual([...tensors.get('h')!.data], [1, -2, 65504, 2 ** -24, Infinity]);
  assert.deepEqual([...tensors.get('b')!.data], [1.5, -0.15625]);
});

test('a truncated file is a ModelLoadError that says so', () => {
  const path = join(dir, 'truncated.safetensors');
  writeSafetensors(path, new Map([['w', { shape: [4], data: new Float32Array(4) }]]));
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 3));
  assert.throws(
    () => readSafetensors(path),
    (error: Error) => error instanceof ModelLoadError && /truncated/.test(error.message),
  );
  writeFileSync(path, bytes.subarray(0, 5));
  assert.throws(() => readSafetensors(path), /shorter than the 8-byte header length/);
});

test('a header that is not JSON, runs past the end, or has bad entries is rejected', () => {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(4n);
  const notJson = join(dir, 'not-json.safetensors');
  writeFileSync(notJson, Buffer.concat([length, Buffer.from('{no}')]));
  assert.throws(() => readSafetensors(notJson), /header is not JSON/);

  length.writeBigUInt64LE(1000n);
  const long = join(dir, 'long.safetensors');
  writeFileSync(long, Buffer.concat([length, Buffer.from('{}')]));
  assert.throws(() => readSafetensors(long), /runs past the end/);

  const badEntry = rawFile(
    'bad-entry.safetensors',
    { w: { dtype: 'F32', shape: [2] } },
    Buffer.alloc(8),
  );
  assert.throws(
    () => readSafetensors(badEntry),
    /entry w lacks a valid dtype, shape or data_offsets/,
  );

  const wrongSpan = rawFile(
    'span.safetensors',
    { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
    Buffer.alloc(8),
  );
  assert.throws(() => readSafetensors(wrongSpan), /spans 8 bytes but shape \[3\] F32 needs 12/);
});

test('an integer tensor is refused by name rather than misread as floats', () => {
  const path = rawFile(
    'int.safetensors',
    { ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
    Buffer.alloc(8),
  );
  assert.throws(() => readSafetensors(path), /tensor ids has dtype I64; only F32, F16, BF16/);
});

test('a missing file is a ModelLoadError naming the path', () => {
  assert.throws(
    () => readSafetensors(join(dir, 'absent.safetensors')),
    (error: Error) => {
      return error instanceof ModelLoadError && error.message.includes('absent.safetensors');
    },
  );
});
