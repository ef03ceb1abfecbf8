// Training kernels of hardware adapters beside the GEMMs, forced on whatever
// adapter is here (SwiftShader in CI): reduce_rows_tall (the bias gradients)
// against a float64 reference on random inputs at odd shapes, NaN-poisoned or
// accumulated output; and the choice of the wide GEMM kernel
// (HANDOVER_WEBGPU_WIDE_GEMM), which a device takes when it opens; the Dawn
// toggles a process can ask for (HANDOVER_DAWN_TOGGLES).
import { describe, expect, it } from 'vitest';
import { packParams } from '../src/core/device.js';
import { reduceRows } from '../src/kernels/reduce-rows.js';
import { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { DAWN_FLAGS, dawnFlags } from '../src/devices/webgpu/adapter.js';
import { pickVariant, tiledVariants, trainVariantsFromEnv, variantsFor, wideGemmFromEnv, WIDE_GEMM, WIDE_GEMMS } from '../src/devices/webgpu/variants.js';
import { closeness, randn, rng } from './helpers/gpu.js';
import { useForcedEnv } from './helpers/webgpu-env.js';

const r = rng(Date.now() & 0xffff);
const env = useForcedEnv({ kernels: 'tiled' });

/** out[j] = beta * out0[j] + alpha * sum_r x[r, j], in float64. */
function columnSums(x: Float32Array, m: number, n: number, alpha: number, beta: number, out0?: Float32Array): Float64Array {
  const want = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += x[i * n + j]!;
    want[j] = alpha * s + (beta ? beta * out0![j]! : 0);
  }
  return want;
}

describe('reduce_rows_tall (the device\'s choice for reduce_rows on a tiled device, vs float64)', () => {
  it('is what a tiled device runs for reduce_rows', () => {
    expect(pickVariant(tiledVariants, 'reduce_rows', packParams([1024, 4096, { f32: 1 }, { f32: 0 }]))?.kernel).toBe('reduce_rows_tall');
    expect(pickVariant(variantsFor('register', false), 'reduce_rows', packParams([1024, 4096, { f32: 1 }, { f32: 0 }]))).toBeUndefined();
  });
  for (const [m, n] of [[1, 1], [7, 3], [37, 70], [300, 17], [5, 1], [1000, 33]] as const)
    for (const beta of [0, 1])
      it(`m=${m} n=${n} beta=${beta}`, async () => {
        const x = randn(m * n, r);
        const out0 = randn(n, r);
        const out = beta ? env.s.upload(out0) : env.s.poisoned(n);
        env.dev.launch(reduceRows(env.s.upload(x), out, m, n, 0.5, beta));
        expect(closeness(await env.s.readF32(out, n), columnSums(x, m, n, 0.5, beta, out0))).toBeLessThan(1);
        await env.s.reset();
      });
});

describe('the wide GEMM kernel', () => {
  it('HANDOVER_WEBGPU_WIDE_GEMM names one of WIDE_GEMMS; unset or empty: WIDE_GEMM; anything else: one line', () => {
    expect(wideGemmFromEnv({})).toBe(WIDE_GEMM);
    expect(wideGemmFromEnv({ HANDOVER_WEBGPU_WIDE_GEMM: '' })).toBe(WIDE_GEMM);
    for (const w of WIDE_GEMMS) expect(wideGemmFromEnv({ HANDOVER_WEBGPU_WIDE_GEMM: w })).toBe(w);
    expect(() => wideGemmFromEnv({ HANDOVER_WEBGPU_WIDE_GEMM: 'matmul_fast' })).toThrow(/HANDOVER_WEBGPU_WIDE_GEMM='matmul_fast': use matmul_tiled, /);
  });
  it('a tiled device opened with it runs that kernel for the large GEMMs and is still a tiled device', async () => {
    const other = WIDE_GEMMS.find((w) => w !== WIDE_GEMM)!;
    const saved = process.env.HANDOVER_WEBGPU_WIDE_GEMM;
    process.env.HANDOVER_WEBGPU_WIDE_GEMM = other;
    let dev: WebGpuDevice | undefined;
    try {
      dev = await WebGpuDevice.open({ kernels: 'tiled' });
    } finally {
      if (saved === undefined) delete process.env.HANDOVER_WEBGPU_WIDE_GEMM;
      else process.env.HANDOVER_WEBGPU_WIDE_GEMM = saved;
    }
    try {
      expect(dev.kernelSet).toBe('tiled');
      expect(pickVariant(dev.variants, 'matmul', packParams([1024, 4096, 4096, 2, { f32: 1 }, { f32: 0 }, 0, 0]))?.kernel).toBe(other);
      expect(variantsFor('tiled', false, other)).toBe(dev.variants); // one table per kernel
    } finally {
      dev.destroy();
    }
  });
});

describe('the training variants (HANDOVER_WEBGPU_TRAIN_VARIANTS)', () => {
  const mm = (m: number, n: number, k: number, flags: number) => packParams([m, n, k, flags, { f32: 1 }, { f32: 0 }, 0, 0]);
  it('0 leaves out the k <= 64 route, split-k and the vec4 elementwise kernels; unset or 1 keeps them; anything else is one line', () => {
    expect([trainVariantsFromEnv({}), trainVariantsFromEnv({ HANDOVER_WEBGPU_TRAIN_VARIANTS: '1' }), trainVariantsFromEnv({ HANDOVER_WEBGPU_TRAIN_VARIANTS: '0' })]).toEqual([true, true, false]);
    expect(() => trainVariantsFromEnv({ HANDOVER_WEBGPU_TRAIN_VARIANTS: 'off' })).toThrow(/HANDOVER_WEBGPU_TRAIN_VARIANTS='off': use 1 or 0/);
    const without = variantsFor('tiled', false, WIDE_GEMM, false);
    expect(variantsFor('tiled', false, WIDE_GEMM, true)).toBe(tiledVariants);
    expect(variantsFor('tiled', false, WIDE_GEMM, false)).toBe(without); // one table per choice
    expect(pickVariant(without, 'matmul', mm(1024, 4096, 64, 2))?.kernel).toBe(WIDE_GEMM);
    expect(pickVariant(tiledVariants, 'matmul', mm(1024, 4096, 64, 2))?.kernel).toBe('matmul_tiled8u');
    expect(pickVariant(without, 'matmul', mm(10, 4096, 1024, 1))?.kernel).toBe('matmul_tiled32');
    expect(pickVariant(without, 'axpy', packParams([4096, 0]))).toBeUndefined();
    expect(pickVariant(without, 'reduce_rows', packParams([1024, 4096, { f32: 1 }, { f32: 0 }]))?.kernel).toBe('reduce_rows_tall');
  });
});

describe('Dawn toggles (HANDOVER_DAWN_TOGGLES)', () => {
  it('adds one enable-dawn-features flag to DAWN_FLAGS; unset or empty adds none; anything but toggle names is one line', () => {
    expect(dawnFlags({})).toEqual(DAWN_FLAGS);
    expect(dawnFlags({ HANDOVER_DAWN_TOGGLES: '' })).toEqual(DAWN_FLAGS);
    expect(dawnFlags({ HANDOVER_DAWN_TOGGLES: 'disable_robustness,vulkan_use_buffer_robust_access_2' })).toEqual([...DAWN_FLAGS, 'enable-dawn-features=disable_robustness,vulkan_use_buffer_robust_access_2']);
    expect(() => dawnFlags({ HANDOVER_DAWN_TOGGLES: 'a b' })).toThrow(/HANDOVER_DAWN_TOGGLES='a b': use Dawn toggle names/);
    expect(() => dawnFlags({ HANDOVER_DAWN_TOGGLES: 'x,,y' })).toThrow(/HANDOVER_DAWN_TOGGLES/);
  });
});
