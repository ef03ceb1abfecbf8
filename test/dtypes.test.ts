// uint32 and float16 on WebGPU (SwiftShader in CI): test/helpers/dtype-suite.ts,
// and the binary16 conversions (src/onnx/half.ts) against a float64 reference.
import { describe, expect, it } from 'vitest';
import { floatToHalf, halfToFloat } from '../src/onnx/half.js';
import { DataType } from '../src/onnx/schema.js';
import { decodeTensor, encodeTensor, fromValues } from '../src/onnx/tensor.js';
import { Arena } from '../src/core/arena.js';
import { compare, runOrt } from '../src/infer/ort.js';
import { ModelStore } from '../src/infer/store.js';
import { dtypeCode, type DType } from '../src/onnx/tensor.js';
import { dtypeSuite, model, roundHalfRef, tensorData } from './helpers/dtype-suite.js';
import { rng, testDevice } from './helpers/gpu.js';

describe('binary16 conversions', () => {
  it('every finite bit pattern decodes to its value and encodes back to itself', () => {
    const bad: string[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const exp = (h >> 10) & 0x1f;
      const v = halfToFloat(h);
      if (exp === 31) {
        if (!(h & 0x3ff ? Number.isNaN(v) : Math.abs(v) === Infinity)) bad.push(`${h}: ${v}`);
        continue;
      }
      const frac = h & 0x3ff;
      const want = (h & 0x8000 ? -1 : 1) * (exp === 0 ? frac * 2 ** -24 : (1 + frac / 1024) * 2 ** (exp - 15));
      if (!Object.is(v, want) || floatToHalf(v) !== h) bad.push(`${h}: ${v} (want ${want}), back ${floatToHalf(v)}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('rounds f32 values to the nearest binary16, ties to even, overflow to infinity', () => {
    const r = rng(Date.now() & 0xffff);
    const samples = Array.from({ length: 20000 }, (_, i) => Math.fround((r() * 2 - 1) * 2 ** (Math.floor(r() * 44) - 28)) * (i % 2 ? 1 : -1));
    // exact ties and the overflow edge
    samples.push(1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 3 * 2 ** -25, 65504, 65519.99, 65520, -65520, 2 ** -24, 2 ** -26);
    for (const v of samples) {
      const got = halfToFloat(floatToHalf(v));
      const want = roundHalfRef(Math.fround(v));
      if (!Object.is(got, want) && got !== want) throw new Error(`${v}: got ${got}, expected ${want}`);
    }
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });
});

describe('uint32 and float16 initializers', () => {
  it('round-trip through raw_data and decode from the typed fields ONNX uses', () => {
    const r = rng(Date.now() & 0xffff);
    const u = Array.from({ length: 7 }, () => Math.floor(r() * 2 ** 32));
    const h = Array.from({ length: 7 }, () => halfToFloat(Math.floor(r() * 0x7c00)) * (r() < 0.5 ? -1 : 1));
    for (const [type, v] of [['uint32', u], ['float16', h]] as const) {
      const back = decodeTensor(encodeTensor(fromValues(type, [7], v), 'w'));
      expect(back.type).toBe(type);
      expect(Array.from(back.data)).toEqual(v);
    }
    expect(Array.from(decodeTensor({ name: 'u', dims: [7], data_type: DataType.UINT32, uint64_data: u }).data)).toEqual(u);
    expect(Array.from(decodeTensor({ name: 'h', dims: [7], data_type: DataType.FLOAT16, int32_data: h.map(floatToHalf) }).data)).toEqual(h);
    expect(() => decodeTensor({ name: 'h', dims: [8], data_type: DataType.FLOAT16, raw_data: new Uint8Array(14) })).toThrow(/needs 8 elements/);
  });
});

dtypeSuite('WebGPU', testDevice);

describe('uint32 and float16 against onnxruntime-node', () => {
  it('Cast float32 -> float16 (overflow included) and int32 -> uint32 agree with onnxruntime bit for bit', async () => {
    const r = rng(Date.now() & 0xffff);
    const arena = new Arena(await testDevice(), { bytes: 8 << 20, pageBytes: 64 << 10 });
    const store = new ModelStore(arena, { poison: true });
    try {
      const cases: [DType, DType, number[]][] = [
        ['float32', 'float16', Array.from({ length: 53 }, (_, i) => Math.fround((r() * 2 - 1) * (i % 2 ? 70000 : 2)))],
        ['int32', 'uint32', Array.from({ length: 53 }, () => Math.floor(r() * 2 ** 32) - 2 ** 31)],
      ];
      for (const [from, to, v] of cases) {
        const bytes = model('Cast', [{ type: from, dims: [53] }], { type: to, dims: [53] }, { to: dtypeCode(to) });
        const feeds = { in0: tensorData(from, [53], v) };
        store.registerBytes(`ort-${to}`, bytes);
        const ours = await store.run(`ort-${to}`, feeds);
        await store.unload(`ort-${to}`);
        const ref = await runOrt(bytes, feeds);
        expect(ours.out!.type).toBe(to);
        expect(Array.from(ours.out!.data as ArrayLike<number>)).toEqual(Array.from(ref.out!.data as ArrayLike<number>));
        if (to === 'uint32') expect(compare(ours, ref).maxAbsErr).toBe(0);
      }
    } finally {
      arena.destroy();
    }
  });
});
