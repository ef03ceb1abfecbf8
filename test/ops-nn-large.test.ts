// The nn ops at sizes that take the other paths of the CUDA kernels
// (native-cuda/infer_*.cu): every conv2d / batched_matmul tile shape (16x64,
// 64x16, 32x32, 64x64), the 1x1 conv path, the 3x3 and generic depthwise
// kernels, warp-per-row softmax / layer_norm / reduce, the block-per-plane
// instance_norm. Against onnxruntime-node, on fresh random inputs, with the
// workspace poisoned; on whichever backend testDevice() opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { rng, testDevice } from './helpers/gpu.js';
import { checkCase, type OpCase } from './helpers/onnx-cases.js';

const r = rng(Date.now() & 0xffff);
let arena: Arena;
let store: ModelStore;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 128 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena, { poison: true });
});
afterAll(() => arena.destroy());

const f = (...dims: number[]) => ({ dims });
const w = (...dims: number[]) => ({ dims, value: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1) });
// Sums over K of up to a few hundred terms: fp32 rounding needs a looser atol near zero.
const sum = { atol: 2e-4, rtol: 2e-4 };

const conv: OpCase[] = [
  { name: 'Conv 3x3, 64x64 tiles (8 -> 128, 2x72x72)', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [f(2, 8, 72, 72), w(128, 8, 3, 3), w(128)], ...sum },
  { name: 'Conv 1x1, 32x32 tiles (64 -> 96, 28x28)', op: 'Conv', inputs: [f(1, 64, 28, 28), w(96, 64, 1, 1), w(96)], ...sum },
  { name: 'Conv 1x1 stride 2, 16x64 tiles (32 -> 12)', op: 'Conv', attrs: { strides: [2, 2] }, inputs: [f(1, 32, 15, 15), w(12, 32, 1, 1), w(12)], ...sum },
  { name: 'Conv 3x3 on 4x4, 64x16 tiles (64 -> 80)', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [f(1, 64, 4, 4), w(80, 64, 3, 3), w(80)], ...sum },
  { name: 'Conv 1x1 groups 2 (80 -> 80)', op: 'Conv', attrs: { group: 2 }, inputs: [f(1, 80, 9, 9), w(80, 40, 1, 1), w(80)], ...sum },
  { name: 'Conv 3x3 stride 2 from 3 channels (the stem)', op: 'Conv', attrs: { strides: [2, 2], pads: [0, 0, 1, 1] }, inputs: [f(1, 3, 45, 45), w(32, 3, 3, 3), w(32)], ...sum },
  { name: 'Conv depthwise 3x3 dilation 2', op: 'Conv', attrs: { group: 24, dilations: [2, 2], pads: [2, 2, 2, 2] }, inputs: [f(2, 24, 19, 17), w(24, 1, 3, 3), w(24)] },
  { name: 'Conv depthwise 5x5 stride 2', op: 'Conv', attrs: { group: 16, strides: [2, 2], pads: [2, 2, 2, 2] }, inputs: [f(1, 16, 21, 21), w(16, 1, 5, 5), w(16)] },
  { name: 'Conv groups 4, 2 outputs per group (direct)', op: 'Conv', attrs: { group: 4, pads: [1, 1, 1, 1] }, inputs: [f(1, 12, 10, 10), w(8, 3, 3, 3), w(8)] },
];

const pool: OpCase[] = [
  { name: 'MaxPool 3x3 stride 2 ceil_mode, 16 planes', op: 'MaxPool', attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, inputs: [f(1, 16, 33, 33)] },
  { name: 'GlobalAveragePool 7x7 (warp per output)', op: 'GlobalAveragePool', inputs: [f(1, 64, 7, 7)] },
];

const norm: OpCase[] = [
  { name: 'LayerNormalization over 768', op: 'LayerNormalization', inputs: [f(2, 7, 768), w(768), w(768)] },
  { name: 'InstanceNormalization 40x40 planes', op: 'InstanceNormalization', inputs: [f(1, 4, 40, 40), w(4), w(4)] },
  { name: 'Softmax over 1000 (warp per row)', op: 'Softmax', inputs: [{ dims: [3, 1000], range: [-20, 20] }] },
  { name: 'LogSoftmax over 500', op: 'LogSoftmax', inputs: [f(4, 500)] },
  { name: 'Softmax axis 1 over 300, inner 5', op: 'Softmax', attrs: { axis: 1 }, inputs: [f(2, 300, 5)] },
];

const reduce: OpCase[] = [
  { name: 'ReduceMean last axis of 100', op: 'ReduceMean', attrs: { axes: [-1] }, inputs: [f(6, 100)] },
  { name: 'ReduceLogSumExp last axis of 64', op: 'ReduceLogSumExp', attrs: { axes: [-1] }, inputs: [f(5, 64)] },
  { name: 'ReduceMax trailing 8x8', op: 'ReduceMax', attrs: { axes: [2, 3] }, inputs: [f(2, 3, 8, 8)] },
  { name: 'ReduceMin trailing 40', op: 'ReduceMin', attrs: { axes: [1] }, inputs: [f(3, 40)] },
  { name: 'ReduceProd trailing 33 near 1', op: 'ReduceProd', attrs: { axes: [1] }, inputs: [{ dims: [4, 33], range: [0.9, 1.1] }] },
  { name: 'ReduceL2 over a middle axis of 40', op: 'ReduceL2', attrs: { axes: [1] }, inputs: [f(3, 40, 6)] },
];

const matmul: OpCase[] = [
  { name: 'MatMul batched, 64x64 tiles ([9,256,40] x [9,40,512])', op: 'MatMul', inputs: [f(9, 256, 40), f(9, 40, 512)], ...sum },
  { name: 'MatMul one row (16x64 tiles)', op: 'MatMul', inputs: [f(1, 300), f(300, 200)], ...sum },
  { name: 'MatMul three columns (64x16 tiles)', op: 'MatMul', inputs: [f(200, 50), w(50, 3)], ...sum },
  { name: 'MatMul 2 broadcast batch dims (32x32 tiles)', op: 'MatMul', inputs: [f(2, 3, 20, 30), f(3, 30, 40)], ...sum },
  { name: 'MatMul k not a multiple of 16', op: 'MatMul', inputs: [f(70, 37), f(37, 90)], ...sum },
];

for (const [title, cases] of [['Conv', conv], ['pooling', pool], ['normalisation and softmax', norm], ['reductions', reduce], ['MatMul', matmul]] as const) {
  describe(`${title} at larger sizes`, () => {
    for (const c of cases) it(c.name, async () => expect(await checkCase(store, c, r)).toBe(''), 60_000);
  });
}
