// The workgroup-tiled kernels of hardware adapters (src/webgpu/variants.ts),
// forced on whatever adapter is here (SwiftShader in CI) at small, odd shapes:
// matmul (and the candidate matmul_tiled64) against the float64 reference, batched MatMul and Conv (implicit
// GEMM) against onnxruntime-node, every output buffer NaN-poisoned first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { Launch } from '../src/core/device.js';
import { matmul, matmulTiled64, type MatmulArgs } from '../src/kernels/matmul.js';
import { ModelStore } from '../src/infer/store.js';
import { WebGpuDevice } from '../src/webgpu/device.js';
import { kernelSetFromEnv, variantsFor } from '../src/webgpu/variants.js';
import { closeness, randn, rng, Scratch } from './helpers/gpu.js';
import { checkCase, type OpCase } from './helpers/onnx-cases.js';
import { matmulRef } from './helpers/reference.js';

const r = rng(Date.now() & 0xffff);
let dev: WebGpuDevice;
let s: Scratch;
let store: ModelStore;
let arena: Arena;

beforeAll(async () => {
  dev = await WebGpuDevice.open({ kernels: 'tiled' });
  s = new Scratch(dev, 16 << 20);
  arena = new Arena(dev, { bytes: 32 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena, { poison: true });
});
afterAll(() => {
  s.destroy();
  arena.destroy();
  dev.destroy();
});

describe('kernel sets', () => {
  it('the forced device runs the tiled variants; auto picks by adapter', async () => {
    expect(dev.kernelSet).toBe('tiled');
    const auto = await WebGpuDevice.open({ kernels: 'auto' });
    expect(auto.kernelSet).toBe(auto.info.software ? 'register' : 'tiled');
    auto.destroy();
    expect(Object.keys(variantsFor('auto', true))).toEqual([]);
    expect(Object.keys(variantsFor('auto', false)).sort()).toEqual(['batched_matmul', 'conv2d', 'matmul']);
    expect(Object.keys(variantsFor('register', false))).toEqual([]);
    expect(kernelSetFromEnv({ HANDOVER_WEBGPU_KERNELS: 'tiled' })).toBe('tiled');
    expect(() => kernelSetFromEnv({ HANDOVER_WEBGPU_KERNELS: 'fast' })).toThrow(/HANDOVER_WEBGPU_KERNELS='fast'/);
  });
});

// matmul_tiled (the device's variant of matmul) and matmul_tiled64 (the candidate
// that bench train-backends times beside it, launched by name).
const GEMMS = [
  ['matmul_tiled', (x: MatmulArgs, row0 = 0, rows = 0): Launch => (rows ? matmul(x).slice!.at(row0, rows) : matmul(x))],
  ['matmul_tiled64', matmulTiled64],
] as const;

for (const [name, mm] of GEMMS)
  describe(`${name} (vs float64)`, () => {
    const shapes: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [67, 65, 33], [64, 128, 16], [130, 3, 70], [129, 257, 9]];
    for (const [m, n, k] of shapes) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, async () => {
          const a = randn(m * k, r);
          const b = randn(k * n, r);
          const c = s.poisoned(m * n);
          dev.launch(mm({ a: s.upload(a), b: s.upload(b), c, m, n, k, transA, transB, alpha: 0.5 }));
          const got = await s.readF32(c, m * n);
          expect(closeness(got, matmulRef(a, b, m, n, k, transA, transB, 0.5))).toBeLessThan(1);
          await s.reset();
        });
      }
    }
    it('beta = 1 accumulates into C; row slices are bit-identical to the whole product', async () => {
      const [m, n, k] = [133, 70, 19];
      const a = randn(m * k, r);
      const b = randn(k * n, r);
      const c0 = randn(m * n, r);
      const [ua, ub, c] = [s.upload(a), s.upload(b), s.upload(c0)];
      dev.launch(mm({ a: ua, b: ub, c, m, n, k, beta: 1 }));
      const whole = await s.readF32(c, m * n);
      expect(closeness(whole, matmulRef(a, b, m, n, k, false, false, 1, 1, c0))).toBeLessThan(1);
      const sliced = s.upload(c0);
      for (const [row0, rows] of [[0, 30], [30, 1], [31, 102]]) dev.launch(mm({ a: ua, b: ub, c: sliced, m, n, k, beta: 1 }, row0, rows));
      expect(Array.from(await s.readF32(sliced, m * n))).toEqual(Array.from(whole));
      await s.reset();
    });
  });

const f = (...dims: number[]) => ({ dims });
const w = (...dims: number[]) => ({ dims, value: Array.from({ length: dims.reduce((x, y) => x * y, 1) }, () => r() * 2 - 1) });
const sum = { atol: 2e-4, rtol: 2e-4 };
const cases: OpCase[] = [
  { name: 'MatMul batched with broadcast ([2,3,20,30] x [3,30,70])', op: 'MatMul', inputs: [f(2, 3, 20, 30), f(3, 30, 70)], ...sum },
  { name: 'MatMul k not a multiple of 16 ([70,37] x [37,90])', op: 'MatMul', inputs: [f(70, 37), f(37, 90)], ...sum },
  { name: 'MatMul one row ([1,300] x [300,65])', op: 'MatMul', inputs: [f(1, 300), w(300, 65)], ...sum },
  { name: 'Conv 3x3 pads 1 (5 -> 70, 2x9x11)', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [f(2, 5, 9, 11), w(70, 5, 3, 3), w(70)], ...sum },
  { name: 'Conv 1x1 stride 2 (32 -> 12, 15x15)', op: 'Conv', attrs: { strides: [2, 2] }, inputs: [f(1, 32, 15, 15), w(12, 32, 1, 1), w(12)], ...sum },
  { name: 'Conv groups 2, no bias (8 -> 10, 7x6)', op: 'Conv', attrs: { group: 2 }, inputs: [f(1, 8, 7, 6), w(10, 4, 1, 1)], ...sum },
  { name: 'Conv 3x3 stride 2 dilation 2, asymmetric pads', op: 'Conv', attrs: { strides: [2, 2], dilations: [2, 2], pads: [0, 1, 2, 1] }, inputs: [f(1, 3, 17, 13), w(9, 3, 3, 3), w(9)], ...sum },
  { name: 'Conv 1-D kernel 5 (4 -> 6)', op: 'Conv', attrs: { pads: [2, 2] }, inputs: [f(2, 4, 23), w(6, 4, 5), w(6)], ...sum },
];

describe('batched_matmul_tiled and conv2d_tiled (vs onnxruntime-node)', () => {
  for (const c of cases) it(c.name, async () => expect(await checkCase(store, c, r)).toBe(''));
});

describe('a warm run', () => {
  it('creates no GPU buffer (readbacks reuse staging buffers)', async () => {
    const { caseModel } = await import('./helpers/onnx-cases.js');
    const { file, feeds } = caseModel({ name: 'warm', op: 'MatMul', inputs: [f(3, 70, 20), f(20, 66)] }, r);
    store.register('warm', file);
    try {
      const first = await store.run('warm', feeds);
      const gpu = dev.gpu as GPUDevice & { createBuffer: GPUDevice['createBuffer'] };
      const real = gpu.createBuffer.bind(gpu);
      let created = 0;
      gpu.createBuffer = (d: GPUBufferDescriptor) => {
        created++;
        return real(d);
      };
      let again;
      try {
        again = await store.run('warm', feeds);
      } finally {
        gpu.createBuffer = real;
      }
      expect(created).toBe(0);
      expect(Buffer.from((again.output ?? Object.values(again)[0]!).data as Float32Array)).toEqual(Buffer.from((first.output ?? Object.values(first)[0]!).data as Float32Array));
    } finally {
      await store.unload('warm');
    }
  });
});
