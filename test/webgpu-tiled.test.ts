// The workgroup-tiled kernels of hardware adapters (src/devices/webgpu/variants.ts),
// forced on whatever adapter is here (SwiftShader in CI) at small, odd shapes:
// matmul (the device's choice: matmul_skinny for m <= 8, matmul_tiled32 on small
// grids) against the float64 reference, batched MatMul, Gemm and Conv (implicit
// GEMM on 64 x 64 and on 32 x 32 tiles, split-k on 32 x 32 tiles:
// test/webgpu-conv-splitk.test.ts forces each split kernel) against
// onnxruntime-node, every output buffer NaN-poisoned first; each named matmul
// variant (the wide GEMMs on 128 x 128 vec4 tiles: matmul_tiled, matmul_tiled8u,
// matmul_tiled16, matmul_slab8; matmul_tiled64; matmul_tiled32; matmul_narrow) forced at small
// odd shapes in all four layouts, its time slices bit-identical to the whole.
import { describe, expect, it } from 'vitest';
import { matmul, matmulOn, type MatmulArgs, type MatmulVariant } from '../src/kernels/matmul.js';
import { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { kernelSetFromEnv, kernelsFor, namedMatmulFits, pickVariant, tiledMatmulGroups, vec4Aligned, NARROW_COLS, SHALLOW_GEMM, SHALLOW_K, SMALL_MATMUL_GROUPS, WIDE_GEMM, WIDE_MATMUL_GROUPS, LONG_CONV_K, NARROW_CONV_CHANNELS, SKINNY_ROWS, SMALL_CONV_GROUPS, TINY_CONV_GROUPS, tiledVariants, variantsFor } from '../src/devices/webgpu/variants.js';
import { packParams } from '../src/core/device.js';
import { closeness, randn, rng } from './helpers/gpu.js';
import { useForcedEnv } from './helpers/webgpu-env.js';
import { checkCase, type OpCase } from './helpers/onnx-cases.js';
import { matmulRef } from './helpers/reference.js';
import { matmulCases } from './helpers/matmul-cases.js';

const r = rng(Date.now() & 0xffff);
const env = useForcedEnv({ kernels: 'tiled' });

describe('kernel sets', () => {
  it('the forced device runs the tiled variants; auto picks by adapter', async () => {
    expect(env.dev.kernelSet).toBe('tiled');
    const auto = await WebGpuDevice.open({ kernels: 'auto' });
    expect(auto.kernelSet).toBe(auto.info.software ? 'register' : 'tiled');
    auto.destroy();
    expect(Object.keys(variantsFor('auto', true)).sort()).toEqual(['matmul', 'softmax_xent']); // matmul_rows4, softmax_xent_rows (test/webgpu-rows4, webgpu-xent-rows)
    expect(Object.keys(variantsFor('auto', false)).sort()).toEqual(['axpy', 'batched_matmul', 'bias_add', 'conv2d', 'fill', 'matmul', 'reduce_rows', 'relu', 'relu_backward', 'sgd_momentum']);
    expect(Object.keys(variantsFor('register', false)).sort()).toEqual(['matmul', 'softmax_xent']);
    expect(kernelSetFromEnv({ HANDOVER_WEBGPU_KERNELS: 'tiled' })).toBe('tiled');
    expect(() => kernelSetFromEnv({ HANDOVER_WEBGPU_KERNELS: 'fast' })).toThrow(/HANDOVER_WEBGPU_KERNELS='fast'/);
  });
});

describe('variant choice', () => {
  const mm = (m: number) => packParams([m, 100, 100, 2, { f32: 1 }, { f32: 0 }, 0, 0]);
  // conv_params words: n, cin, h, w, cout, oh, ow, groups (then geometry)
  const conv = (n: number, pix: number, cout: number, groups: number, cin = groups) => packParams([n, cin, pix, pix, cout, pix, pix, groups, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  it('matmuls of at most SKINNY_ROWS rows run matmul_skinny, whatever the slice', () => {
    expect(pickVariant(tiledVariants, 'matmul', mm(1))?.kernel).toBe('matmul_skinny');
    expect(pickVariant(tiledVariants, 'matmul', mm(SKINNY_ROWS))?.kernel).toBe('matmul_skinny');
    expect(pickVariant(tiledVariants, 'matmul', mm(SKINNY_ROWS + 1))?.kernel).toBe('matmul_tiled32');
    // a 3-row slice of a 64-row matmul keeps the whole launch's kernel
    expect(pickVariant(tiledVariants, 'matmul', packParams([64, 100, 100, 0, { f32: 1 }, { f32: 0 }, 8, 3]))?.kernel).toBe('matmul_tiled32');
  });
  const big = (m: number, n: number, k: number, flags: number, row0 = 0, rows = 0) => packParams([m, n, k, flags, { f32: 1 }, { f32: 0 }, row0, rows]);
  it('large vec4-aligned matmuls (the trainer\'s GEMMs) run WIDE_GEMM, whatever the slice; others matmul_tiled64, or matmul_tiled32 on a small grid', () => {
    for (const flags of [0, 1, 2, 3]) {
      expect(pickVariant(tiledVariants, 'matmul', big(1024, 4096, 4096, flags))?.kernel).toBe(WIDE_GEMM);
      expect(pickVariant(tiledVariants, 'matmul', big(1024, 4096, 4096, flags, 300, 5))?.kernel).toBe(WIDE_GEMM);
      expect(pickVariant(variantsFor('tiled', false, 'matmul_tiled16'), 'matmul', big(1024, 4096, 4096, flags))?.kernel).toBe('matmul_tiled16');
    }
    expect(pickVariant(tiledVariants, 'matmul', big(1024, 4094, 4096, 0))?.kernel).toBe('matmul_tiled64'); // n
    expect(pickVariant(tiledVariants, 'matmul', big(1024, 4096, 4095, 0))?.kernel).toBe('matmul_tiled64'); // k: A's rows
    expect(pickVariant(tiledVariants, 'matmul', big(1022, 4096, 4096, 0))?.kernel).toBe(WIDE_GEMM); // A [m,k]: m free
    expect(pickVariant(tiledVariants, 'matmul', big(1022, 4096, 4096, 1))?.kernel).toBe('matmul_tiled64'); // A [k,m]: m
    expect(pickVariant(tiledVariants, 'matmul', big(1024, 4096, 4094, 3))?.kernel).toBe('matmul_tiled64'); // B [n,k]: k
    expect(vec4Aligned(big(1024, 4096, 4094, 1))).toBe(true); // A [k,m] and B [k,n]: k free
    expect(pickVariant(tiledVariants, 'matmul', big(128 * 8, 128 * 16 - 4, 68, 0))?.kernel).toBe(WIDE_GEMM); // 8 x 16 = 128 tiles
    expect(pickVariant(tiledVariants, 'matmul', big(128 * 8, 128 * 15, 68, 0))?.kernel).toBe('matmul_tiled64'); // 120 tiles
    // k <= SHALLOW_K (the MLP's first layer): SHALLOW_GEMM whatever the wide GEMM, whatever the slice
    for (const wide of [undefined, 'matmul_tiled16'] as const) {
      const table = wide ? variantsFor('tiled', false, wide) : tiledVariants;
      expect(pickVariant(table, 'matmul', big(1024, 4096, SHALLOW_K, 2))?.kernel).toBe(SHALLOW_GEMM);
      expect(pickVariant(table, 'matmul', big(1024, 4096, 4, 0, 300, 5))?.kernel).toBe(SHALLOW_GEMM);
      expect(pickVariant(table, 'matmul', big(1024, 4096, SHALLOW_K + 4, 2))?.kernel).toBe(wide ?? WIDE_GEMM);
    }
    expect([SHALLOW_K, SHALLOW_GEMM]).toEqual([64, 'matmul_tiled8u']);
    expect(WIDE_MATMUL_GROUPS).toBe(128);
    // at most NARROW_COLS columns (an output layer): matmul_narrow, unless at most SKINNY_ROWS rows
    expect(pickVariant(tiledVariants, 'matmul', big(1024, 10, 4096, 2))?.kernel).toBe('matmul_narrow');
    expect(pickVariant(tiledVariants, 'matmul', big(1024, NARROW_COLS, 4096, 0, 100, 3))?.kernel).toBe('matmul_narrow');
    expect(pickVariant(tiledVariants, 'matmul', big(1024, NARROW_COLS + 1, 4096, 2))?.kernel).toBe('matmul_splitk32'); // 16 x 1 tiles of 64, k long (split)
    // the MLP trainer's weight gradients of its first and last layers: 64 tiles of 64 x 64, k long: split along k
    expect(pickVariant(tiledVariants, 'matmul', big(4096, 64, 1024, 1))?.kernel).toBe('matmul_splitk32');
    expect(pickVariant(tiledVariants, 'matmul', big(10, 4096, 1024, 1))?.kernel).toBe('matmul_splitk32');
    expect(pickVariant(tiledVariants, 'matmul', big(10, 4096, 500, 1))?.kernel).toBe('matmul_tiled32'); // k < SPLIT_MATMUL_MIN_K
    expect(pickVariant(tiledVariants, 'matmul', big(1024, 4096, 10, 0))?.kernel).toBe('matmul_tiled64'); // k 10: not vec4-aligned; 1024 tiles
    expect(SMALL_MATMUL_GROUPS).toBe(128);
    expect(pickVariant(tiledVariants, 'matmul', big(SKINNY_ROWS, 10, 4096, 2))?.kernel).toBe('matmul_skinny');
    expect(NARROW_COLS).toBe(16);
    // the tiles sit on the 128-row grid: rows [300, 305) touch tile 2; [100, 300) tiles 0..2
    expect(tiledMatmulGroups(big(1024, 4096, 64, 0, 300, 5))).toEqual([32, 1, 1]);
    expect(tiledMatmulGroups(big(1024, 4096, 64, 0, 100, 200))).toEqual([32, 3, 1]);
    expect(tiledMatmulGroups(big(1000, 4090, 64, 0))).toEqual([32, 8, 1]);
  });
  it('convolutions with a small 64 x 64 grid or few channels per group run conv2d_tiled32', () => {
    expect(pickVariant(tiledVariants, 'conv2d', conv(1, 13, 256, 1))?.kernel).toBe('conv2d_tiled32'); // 3 x 4 tiles
    expect(pickVariant(tiledVariants, 'conv2d', conv(1, 16, 256, 4))?.kernel).toBe('conv2d_tiled32'); // 4 x 1 x 4 tiles
    expect(pickVariant(tiledVariants, 'conv2d', conv(8, 56, 24, 1))?.kernel).toBe('conv2d_tiled32'); // 24 channels
    expect(pickVariant(tiledVariants, 'conv2d', conv(1, 16, 33 * 64, 64))?.kernel).toBe('conv2d_tiled'); // 4 x 1 x 64 = 256 tiles, 33 channels
    expect(pickVariant(tiledVariants, 'conv2d', conv(8, 56, 64, 1))?.kernel).toBe('conv2d_tiled'); // 392 tiles
    expect([SMALL_CONV_GROUPS, NARROW_CONV_CHANNELS]).toEqual([256, 32]);
  });
  it('convolutions with few tiles and a long reduction split it (conv2d_splitk32/64); narrow groups run conv2d_splitk', () => {
    expect(pickVariant(tiledVariants, 'conv2d', conv(1, 13, 256, 1, 64))?.kernel).toBe('conv2d_splitk32'); // squeezenet: 6 x 8 tiles, k 576
    expect(pickVariant(tiledVariants, 'conv2d', conv(1, 7, 160, 1, 960))?.kernel).toBe('conv2d_splitk32'); // mobilenet_v2: 2 x 5 tiles, k 8640
    expect(pickVariant(tiledVariants, 'conv2d', conv(1, 7, 160, 8, 128))?.kernel).toBe('conv2d_splitk'); // 20 channels per group, 16 tiles, k 144
    expect(pickVariant(tiledVariants, 'conv2d', conv(1, 7, 160, 1, 14))?.kernel).toBe('conv2d_tiled32'); // k 126
    expect(pickVariant(tiledVariants, 'conv2d', conv(8, 28, 64, 1, 64))?.kernel).toBe('conv2d_tiled32'); // 196 x 2 tiles
    expect([TINY_CONV_GROUPS, LONG_CONV_K]).toEqual([128, 128]);
    expect(pickVariant({}, 'conv2d', conv(1, 13, 256, 1))).toBeUndefined();
  });
  it('prepare() compiles every kernel a launch may pick, and the portable one only where no replacement always applies', () => {
    expect(kernelsFor(tiledVariants, 'matmul')).toEqual(['matmul_skinny', 'matmul_narrow', SHALLOW_GEMM, WIDE_GEMM, 'matmul_splitk32', 'matmul_splitk_sum', 'matmul_tiled32', 'matmul_tiled64']);
    expect(kernelsFor(tiledVariants, 'axpy')).toEqual(['axpy_vec4', 'axpy']);
    expect(kernelsFor({ x: [{ kernel: 'x_fast', when: () => false, groups: () => [1, 1, 1] }] }, 'x')).toEqual(['x_fast', 'x']);
    expect(kernelsFor({}, 'relu')).toEqual(['relu']);
    expect(kernelsFor(tiledVariants, 'conv2d')).toEqual(['conv2d_splitk64', 'conv2d_splitk_sum', 'conv2d_splitk32', 'conv2d_splitk', 'conv2d_tiled32', 'conv2d_tiled']);
  });
});

describe('the device\'s choice: matmul_skinny and matmul_tiled32 at these shapes (vs float64)', () => {
  matmulCases(env, r, [[1, 1, 1], [5, 7, 3], [8, 70, 301], [3, 257, 40], [9, 33, 17], [67, 65, 33], [64, 128, 16], [130, 3, 70], [129, 257, 9]], matmul);
  for (const m of [33, 5]) it(`beta = 1 accumulates into C (m=${m})`, async () => {
    const [n, k] = [70, 19];
    const a = randn(m * k, r);
    const b = randn(k * n, r);
    const c0 = randn(m * n, r);
    const c = env.s.upload(c0);
    env.dev.launch(matmul({ a: env.s.upload(a), b: env.s.upload(b), c, m, n, k, beta: 1 }));
    expect(closeness(await env.s.readF32(c, m * n), matmulRef(a, b, m, n, k, false, false, 1, 1, c0))).toBeLessThan(1);
    await env.s.reset();
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
  { name: 'Conv groups 64, 256 workgroups, 33 channels each (the 64 x 64 kernel)', op: 'Conv', attrs: { group: 64, pads: [1, 1, 1, 1] }, inputs: [f(1, 64, 16, 16), w(33 * 64, 1, 3, 3), w(33 * 64)], ...sum },
  { name: 'Conv split k: 3x3 pads 1, 40 -> 20, 2x5x6 (k 360)', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [f(2, 40, 5, 6), w(20, 40, 3, 3), w(20)], ...sum },
  { name: 'Conv split k: groups 2, stride 2, dilation 2, asymmetric pads, no bias (k 135)', op: 'Conv', attrs: { group: 2, strides: [2, 2], dilations: [2, 2], pads: [2, 1, 0, 2] }, inputs: [f(1, 30, 9, 8), w(14, 15, 3, 3)], ...sum },
  { name: 'Conv split k on 32 x 32 tiles: 3x3 pads 1, 64 -> 48, 7x7 (k 576, 9 slices)', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [f(1, 64, 7, 7), w(48, 64, 3, 3), w(48)], ...sum },
  { name: 'Conv split k on 32 x 32 tiles: 1x1 stride 2, 200 -> 40, 2x9x9 (k 200, 3 slices)', op: 'Conv', attrs: { strides: [2, 2] }, inputs: [f(2, 200, 9, 9), w(40, 200, 1, 1), w(40)], ...sum },
  { name: 'Conv split k: 1-D kernel 3 (k 150)', op: 'Conv', attrs: { pads: [1, 1] }, inputs: [f(1, 50, 11), w(9, 50, 3), w(9)], ...sum },
  { name: 'Gemm transB, one row, with C ([1,300] x [65,300]^T)', op: 'Gemm', attrs: { transB: 1, alpha: 0.5, beta: 1.5 }, inputs: [f(1, 300), w(65, 300), w(65)], ...sum },
  { name: 'Gemm 6 rows, C [6,33] ([6,70] x [70,33])', op: 'Gemm', inputs: [f(6, 70), w(70, 33), w(6, 33)], ...sum },
];

// the wide GEMMs need vec4-aligned rows: the contiguous dimension of each stored layout a multiple of 4, and n.
const layouts = [[false, false], [true, false], [false, true], [true, true]] as const;
const fits = (kernel: MatmulVariant, m: number, n: number, k: number, transA: boolean, transB: boolean) => namedMatmulFits(kernel, packParams([m, n, k, (transA ? 1 : 0) | (transB ? 2 : 0), 0, 0, 0, 0]));
// edge tiles on every side, an exact 128 x 128 tile, interior tiles with several steps, k % 8 == 4 and k % 16 == 4, 8, 12 (a checked last step), k < 16
const wideShapes: [number, number, number][] = [[5, 4, 4], [12, 20, 28], [130, 132, 20], [128, 128, 8], [256, 256, 64], [257, 136, 36], [132, 260, 12], [136, 128, 24]];
const forced: [MatmulVariant, [number, number, number][]][] = [
  ['matmul_tiled64', [[5, 7, 3], [67, 65, 33], [130, 3, 70], [129, 257, 9]]],
  ['matmul_tiled32', [[5, 7, 3], [67, 65, 33], [130, 3, 70], [33, 129, 17]]],
  ['matmul_tiled', wideShapes],
  ['matmul_tiled8u', wideShapes],
  ['matmul_tiled16', wideShapes],
  ['matmul_slab8', wideShapes],
  // one row, fewer rows than a workgroup, k shorter than the 32 lanes, 16 columns (the most), a partial last workgroup
  ['matmul_narrow', [[1, 3, 40], [5, 1, 1], [9, 10, 300], [17, 7, 5], [130, 16, 70], [37, 13, 1000]]],
];

for (const [kernel, shapes] of forced)
  describe(`${kernel}, forced (vs float64; launched by name)`, () => {
    for (const [m, n, k] of shapes)
      for (const [transA, transB] of layouts) {
        if (!fits(kernel, m, n, k, transA, transB)) continue;
        it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, async () => {
          const a = randn(m * k, r);
          const b = randn(k * n, r);
          const c = env.s.poisoned(m * n);
          env.dev.launch(matmulOn(kernel, { a: env.s.upload(a), b: env.s.upload(b), c, m, n, k, transA, transB, alpha: 0.5 }));
          expect(closeness(await env.s.readF32(c, m * n), matmulRef(a, b, m, n, k, transA, transB, 0.5))).toBeLessThan(1);
          await env.s.reset();
        });
      }
  });

for (const kernel of ['matmul_tiled64', 'matmul_tiled32'] as const) describe(`${kernel} time slices`, () => {
  it('beta = 1 accumulates into C; row slices are bit-identical to the whole product', async () => {
    const [m, n, k] = [133, 70, 19];
    const a = randn(m * k, r);
    const b = randn(k * n, r);
    const c0 = randn(m * n, r);
    const [ua, ub, c] = [env.s.upload(a), env.s.upload(b), env.s.upload(c0)];
    env.dev.launch(matmulOn(kernel, { a: ua, b: ub, c, m, n, k, beta: 1 }));
    const whole = await env.s.readF32(c, m * n);
    expect(closeness(whole, matmulRef(a, b, m, n, k, false, false, 1, 1, c0))).toBeLessThan(1);
    const sliced = env.s.upload(c0);
    for (const [row0, rows] of [[0, 30], [30, 1], [31, 102]]) env.dev.launch(matmulOn(kernel, { a: ua, b: ub, c: sliced, m, n, k, beta: 1 }, row0, rows));
    expect(Array.from(await env.s.readF32(sliced, m * n))).toEqual(Array.from(whole));
    await env.s.reset();
  });
});

// [m, n, k]: slices inside one tile and across tiles (the wide GEMMs' 128 rows, matmul_narrow's 2)
const sliced: [MatmulVariant, [number, number, number]][] = [['matmul_tiled', [300, 136, 44]], ['matmul_tiled8u', [300, 136, 44]], ['matmul_tiled16', [300, 136, 44]], ['matmul_slab8', [300, 136, 44]], ['matmul_narrow', [300, 10, 75]]];
for (const [kernel, [m, n, k]] of sliced)
  describe(`${kernel} time slices`, () => {
    for (const [transA, transB] of layouts)
      it(`beta = 1; row slices bit-identical to the whole product (transA=${transA} transB=${transB})`, async () => {
        const a = randn(m * k, r);
        const b = randn(k * n, r);
        const c0 = randn(m * n, r);
        const [ua, ub, c] = [env.s.upload(a), env.s.upload(b), env.s.upload(c0)];
        const x: MatmulArgs = { a: ua, b: ub, c, m, n, k, transA, transB, beta: 1, alpha: 1.5 };
        env.dev.launch(matmulOn(kernel, x));
        const whole = await env.s.readF32(c, m * n);
        expect(closeness(whole, matmulRef(a, b, m, n, k, transA, transB, 1.5, 1, c0))).toBeLessThan(1);
        const parts = env.s.upload(c0);
        for (const [row0, rows] of [[0, 30], [30, 1], [31, 102], [133, 167]]) env.dev.launch(matmulOn(kernel, { ...x, c: parts }, row0, rows));
        expect(Array.from(await env.s.readF32(parts, m * n))).toEqual(Array.from(whole));
        await env.s.reset();
      });
  });

describe('matmul_skinny time slices', () => {
  for (const transB of [false, true]) {
    it(`rows [0,3) and [3,7) of a 7-row matmul are bit-identical to the whole (transB=${transB})`, async () => {
      const [m, n, k] = [7, 45, 130];
      const a = env.s.upload(randn(m * k, r));
      const b = env.s.upload(randn(k * n, r));
      const whole = env.s.poisoned(m * n);
      const sliced = env.s.poisoned(m * n);
      const launch = matmul({ a, b, c: whole, m, n, k, transB });
      env.dev.launch(launch);
      const parts = matmul({ a, b, c: sliced, m, n, k, transB });
      env.dev.launch(parts.slice!.at(0, 3));
      env.dev.launch(parts.slice!.at(3, 4));
      const [w1, w2] = [await env.s.readF32(whole, m * n), await env.s.readF32(sliced, m * n)];
      expect(w1.some((v) => Number.isNaN(v))).toBe(false);
      expect(Buffer.from(w2.buffer, w2.byteOffset, w2.byteLength)).toEqual(Buffer.from(w1.buffer, w1.byteOffset, w1.byteLength));
      await env.s.reset();
    });
  }
});

describe('batched_matmul_tiled and conv2d_tiled (vs onnxruntime-node)', () => {
  for (const c of cases) it(c.name, async () => expect(await checkCase(env.store, c, r)).toBe(''));
});

describe('a warm run', () => {
  it('creates no GPU buffer (readbacks reuse staging buffers) and waits for the GPU once', async () => {
    const { caseModel } = await import('./helpers/onnx-cases.js');
    const { file, feeds } = caseModel({ name: 'warm', op: 'MatMul', inputs: [f(3, 70, 20), f(20, 66)] }, r);
    env.store.register('warm', file);
    try {
      const first = await env.store.run('warm', feeds);
      const gpu = env.dev.gpu as GPUDevice & { createBuffer: GPUDevice['createBuffer'] };
      const real = gpu.createBuffer.bind(gpu);
      let created = 0;
      gpu.createBuffer = (d: GPUBufferDescriptor) => {
        created++;
        return real(d);
      };
      // The run's fence right after its readback finds the queue drained: one wait per run.
      const queue = gpu.queue as GPUQueue & { onSubmittedWorkDone: GPUQueue['onSubmittedWorkDone'] };
      const realWait = queue.onSubmittedWorkDone.bind(queue);
      let waits = 0;
      queue.onSubmittedWorkDone = () => {
        waits++;
        return realWait();
      };
      let again;
      try {
        again = await env.store.run('warm', feeds);
      } finally {
        gpu.createBuffer = real;
        queue.onSubmittedWorkDone = realWait;
      }
      expect(created).toBe(0);
      expect(waits).toBe(1);
      expect(Buffer.from((again.output ?? Object.values(again)[0]!).data as Float32Array)).toEqual(Buffer.from((first.output ?? Object.values(first)[0]!).data as Float32Array));
    } finally {
      await env.store.unload('warm');
    }
  });
});
