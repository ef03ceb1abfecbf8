// uint32 and float16 tensors through the model store on one device (WebGPU
// here, CUDA on the GPU machine): every Cast between float32, float16, int32,
// uint32 and bool, Clip and Relu on float16, and uint32 data through Tile,
// Where and Transpose, against float64 references on fresh random inputs at
// odd shapes, with the workspace NaN-poisoned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/core/arena.js';
import type { GpuDevice } from '../../src/core/device.js';
import type { TensorData } from '../../src/infer/convert.js';
import { ModelStore } from '../../src/infer/store.js';
import { floatToHalf, halfToFloat } from '../../src/onnx/half.js';
import { dtypeCode, fromValues, type DType, type HostTensor } from '../../src/onnx/tensor.js';
import { buildModel, type WriterAttr } from '../../src/onnx/writer.js';
import { rng } from './gpu.js';

/** v rounded to binary16 in float64 arithmetic (ties to even), written apart from src/onnx/half.ts. */
export function roundHalfRef(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  if (a >= 65520) return Math.sign(v) * Infinity;
  let e = Math.max(Math.floor(Math.log2(a)), -14);
  if (e > -14 && a < 2 ** e) e--;
  if (a >= 2 ** (e + 1)) e++;
  const q = 2 ** (Math.max(e, -14) - 10);
  const f = Math.floor(a / q);
  const d = a / q - f;
  const n = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  return Math.sign(v) * n * q;
}

const TYPES: DType[] = ['float32', 'float16', 'int32', 'uint32', 'bool'];
const isFloatT = (t: DType) => t === 'float32' || t === 'float16';

/** Values of `type` as JS numbers; float sources stay >= 0 when cast to uint32 (negative is undefined in ONNX). */
function randomValues(type: DType, n: number, r: () => number, nonNegative: boolean): number[] {
  return Array.from({ length: n }, (_, i) => {
    const big = i % 3 === 0;
    switch (type) {
      case 'float32': {
        const v = Math.fround((r() * 2 - 1) * (big ? 1e5 : 3));
        return nonNegative ? Math.abs(v) : v;
      }
      case 'float16': {
        const v = roundHalfRef((r() * 2 - 1) * (big ? 60000 : 3));
        return nonNegative ? Math.abs(v) : v;
      }
      case 'int32':
        return big ? Math.floor(r() * 2 ** 32) - 2 ** 31 : Math.floor(r() * 200) - 100;
      case 'uint32':
        return big ? Math.floor(r() * 2 ** 32) : Math.floor(r() * 200);
      default:
        return r() < 0.5 ? 1 : 0;
    }
  });
}

export function tensorData(type: DType, dims: number[], v: number[]): TensorData {
  const data =
    type === 'float32' ? Float32Array.from(v)
    : type === 'float16' ? Uint16Array.from(v, floatToHalf)
    : type === 'int32' ? Int32Array.from(v)
    : type === 'uint32' ? Uint32Array.from(v)
    : Uint8Array.from(v);
  return { type, dims, data };
}

/** Output values as JS numbers (float16 bit patterns decoded). */
function values(t: TensorData): number[] {
  return Array.from(t.data as ArrayLike<number>, (x) => (t.type === 'float16' ? halfToFloat(x) : Number(x)));
}

/** ONNX Cast as the engine defines it: truncation toward zero, integers wrap modulo 2^32, float16 rounds to nearest even. */
export function castRef(v: number, from: DType, to: DType): number {
  switch (to) {
    case 'float32': return Math.fround(v);
    case 'float16': return roundHalfRef(Math.fround(v));
    case 'bool': return v !== 0 ? 1 : 0;
    case 'int32': return isFloatT(from) ? Math.trunc(v) : v | 0;
    case 'uint32': return isFloatT(from) ? Math.trunc(v) : v >>> 0;
    default: throw new Error(`no reference for ${to}`);
  }
}

const f32bits = new Float32Array(1);
const u32bits = new Uint32Array(f32bits.buffer);

/** The two f32 values around v (equal when v is one). */
function f32Around(v: number): [number, number] {
  f32bits[0] = v;
  const f = f32bits[0]!;
  if (f === v) return [f, f];
  u32bits[0] += (f > v) === f > 0 ? -1 : 1; // one step toward v
  return f > v ? [f32bits[0]!, f] : [f, f32bits[0]!];
}

/**
 * Whether `got` is an acceptable device result: the reference exactly; for an
 * integer beyond 2^24 cast to float32, WGSL lets the conversion take either
 * neighbouring f32 (SwiftShader rounds some u32 values up).
 */
export function castOk(got: number, v: number, from: DType, to: DType): boolean {
  const want = castRef(v, from, to);
  if (Object.is(got, want) || got === want) return true;
  return to === 'float32' && !isFloatT(from) && f32Around(v).includes(got);
}

export function model(op: string, ins: { type: DType; dims: number[] }[], out: { type: DType; dims: number[] }, attrs: Record<string, WriterAttr> = {}, consts: Record<number, HostTensor> = {}) {
  const initializers: Record<string, HostTensor> = {};
  const inputs: { name: string; type: DType; dims: number[] }[] = [];
  const names = ins.map((x, i) => {
    const name = `in${i}`;
    if (consts[i]) initializers[name] = consts[i]!;
    else inputs.push({ name, ...x });
    return name;
  });
  for (const [i, t] of Object.entries(consts)) if (Number(i) >= ins.length) names.push(`in${i}`), (initializers[`in${i}`] = t);
  return buildModel({ nodes: [{ op, inputs: names, outputs: ['out'], attrs }], inputs, outputs: [{ name: 'out', ...out }], initializers, opset: 17 });
}

export function dtypeSuite(backend: string, device: () => Promise<GpuDevice>): void {
  describe(`uint32 and float16 tensors on ${backend}`, () => {
    const r = rng(Date.now() & 0xffff);
    let arena: Arena;
    let store: ModelStore;
    let k = 0;
    beforeAll(async () => {
      arena = new Arena(await device(), { bytes: 32 << 20, pageBytes: 64 << 10 });
      store = new ModelStore(arena, { poison: true });
    });
    afterAll(() => arena?.destroy());

    const run = async (bytes: Uint8Array, feeds: Record<string, TensorData>) => {
      const name = `dtype-${k++}`;
      store.registerBytes(name, bytes);
      try {
        return (await store.run(name, feeds)).out!;
      } finally {
        await store.unload(name);
      }
    };

    for (const from of TYPES)
      for (const to of TYPES) {
        if (from === to) continue;
        it(`Cast ${from} -> ${to} matches the float64 reference`, async () => {
          const dims = [3, 37];
          const v = randomValues(from, 111, r, to === 'uint32');
          const out = await run(model('Cast', [{ type: from, dims }], { type: to, dims }, { to: dtypeCode(to) }), { in0: tensorData(from, dims, v) });
          expect(out.type).toBe(to);
          const got = values(out);
          const bad = v.findIndex((x, i) => !castOk(got[i]!, x, from, to));
          expect(bad, bad < 0 ? '' : `element ${bad}: ${from} ${v[bad]} -> ${to} gave ${got[bad]}, expected ${castRef(v[bad]!, from, to)}`).toBe(-1);
        });
      }

    it('Clip and Relu on float16 (bounds as float16 initializers) are exact', async () => {
      const dims = [5, 13];
      const v = randomValues('float16', 65, r, false);
      const [lo, hi] = [roundHalfRef(-1.3), roundHalfRef(2.7)];
      const clip = await run(model('Clip', [{ type: 'float16', dims }, { type: 'float16', dims: [] }, { type: 'float16', dims: [] }], { type: 'float16', dims }, {}, {
        1: fromValues('float16', [], [lo]), 2: fromValues('float16', [], [hi]),
      }), { in0: tensorData('float16', dims, v) });
      expect(clip.type).toBe('float16');
      expect(values(clip)).toEqual(v.map((x) => Math.min(Math.max(x, lo), hi)));
      const relu = await run(model('Relu', [{ type: 'float16', dims }], { type: 'float16', dims }), { in0: tensorData('float16', dims, v) });
      expect(values(relu)).toEqual(v.map((x) => Math.max(x, 0)));
    });

    it('uint32 data keeps every bit through Tile, Where and Transpose', async () => {
      const a = randomValues('uint32', 21, r, false);
      const b = randomValues('uint32', 21, r, false);
      const c = randomValues('bool', 21, r, false);
      const tile = await run(model('Tile', [{ type: 'uint32', dims: [3, 7] }, { type: 'int64', dims: [2] }], { type: 'uint32', dims: [6, 7] }, {}, { 1: fromValues('int64', [2], [2, 1]) }), { in0: tensorData('uint32', [3, 7], a) });
      expect(values(tile)).toEqual([...a, ...a]);
      const where = await run(model('Where', [{ type: 'bool', dims: [21] }, { type: 'uint32', dims: [21] }, { type: 'uint32', dims: [21] }], { type: 'uint32', dims: [21] }), {
        in0: tensorData('bool', [21], c), in1: tensorData('uint32', [21], a), in2: tensorData('uint32', [21], b),
      });
      expect(values(where)).toEqual(c.map((x, i) => (x ? a[i] : b[i])));
      const tr = await run(model('Transpose', [{ type: 'uint32', dims: [3, 7] }], { type: 'uint32', dims: [7, 3] }, { perm: [1, 0] }), { in0: tensorData('uint32', [3, 7], a) });
      expect(values(tr)).toEqual(Array.from({ length: 21 }, (_, i) => a[(i % 3) * 7 + Math.floor(i / 3)]));
    });

    it('arithmetic on uint32 is refused with a message naming the type', async () => {
      const bytes = model('Add', [{ type: 'uint32', dims: [4] }, { type: 'uint32', dims: [4] }], { type: 'uint32', dims: [4] });
      const feeds = { in0: tensorData('uint32', [4], [1, 2, 3, 4]), in1: tensorData('uint32', [4], [1, 2, 3, 4]) };
      await expect(run(bytes, feeds)).rejects.toThrow(/uint32/);
    });
  });
}
