// matmul_tiled64, the candidate GEMM that `handover bench train-backends` times
// beside matmul_tiled (src/kernels/matmul.ts matmulTiled64), on whatever
// adapter is here (SwiftShader in CI) at small odd shapes: against the float64
// reference in every transpose layout, beta = 1, and row slices bit-identical
// to the whole product; outputs NaN-poisoned first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmulTiled64 } from '../src/kernels/matmul.js';
import { WebGpuDevice } from '../src/webgpu/device.js';
import { closeness, randn, rng, Scratch } from './helpers/gpu.js';
import { matmulRef } from './helpers/reference.js';

const r = rng(Date.now() & 0xffff);
let dev: WebGpuDevice;
let s: Scratch;

beforeAll(async () => {
  dev = await WebGpuDevice.open();
  s = new Scratch(dev, 16 << 20);
});
afterAll(() => {
  s.destroy();
  dev.destroy();
});

describe('matmul_tiled64 (vs float64)', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [67, 65, 33], [130, 3, 70], [65, 129, 17]];
  for (const [m, n, k] of shapes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, async () => {
        const a = randn(m * k, r);
        const b = randn(k * n, r);
        const c = s.poisoned(m * n);
        dev.launch(matmulTiled64({ a: s.upload(a), b: s.upload(b), c, m, n, k, transA, transB, alpha: 0.5 }));
        expect(closeness(await s.readF32(c, m * n), matmulRef(a, b, m, n, k, transA, transB, 0.5))).toBeLessThan(1);
        await s.reset();
      });
    }
  }

  it('beta = 1 accumulates; row slices are bit-identical to the whole product', async () => {
    const [m, n, k] = [97, 70, 19];
    const a = randn(m * k, r);
    const b = randn(k * n, r);
    const c0 = randn(m * n, r);
    const [ua, ub] = [s.upload(a), s.upload(b)];
    const c = s.upload(c0);
    dev.launch(matmulTiled64({ a: ua, b: ub, c, m, n, k, beta: 1 }));
    const whole = await s.readF32(c, m * n);
    expect(closeness(whole, matmulRef(a, b, m, n, k, false, false, 1, 1, c0))).toBeLessThan(1);
    const sliced = s.upload(c0);
    for (const [row0, rows] of [[0, 30], [30, 1], [31, 66]]) dev.launch(matmulTiled64({ a: ua, b: ub, c: sliced, m, n, k, beta: 1 }, row0, rows));
    expect(Array.from(await s.readF32(sliced, m * n))).toEqual(Array.from(whole));
    await s.reset();
  });
});
