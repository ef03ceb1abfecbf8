// Convolution, pooling, normalisation, matmul, reductions and softmax against
// onnxruntime-node: fresh random inputs, odd shapes, poisoned workspace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { rng, testDevice } from './helpers/gpu.js';
import { checkCase, type OpCase } from './helpers/onnx-cases.js';

const r = rng(Date.now() & 0xffff);
let arena: Arena;
let store: ModelStore;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 64 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena, { poison: true });
});
afterAll(() => arena.destroy());

const f = (...dims: number[]) => ({ dims });
const w = (...dims: number[]) => ({ dims, value: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1) });
const ints = (...v: number[]) => ({ dims: [v.length], type: 'int64' as const, value: v });
const pos = (...dims: number[]) => ({ dims, value: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 0.5 + r()) });

const conv: OpCase[] = [
  { name: 'Conv 3x3 pads 1 with bias', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [f(1, 3, 9, 11), w(8, 3, 3, 3), w(8)] },
  { name: 'Conv stride 2 no bias, odd Cout', op: 'Conv', attrs: { strides: [2, 2] }, inputs: [f(2, 5, 13, 10), w(7, 5, 3, 3)] },
  { name: 'Conv dilation 2 asymmetric pads', op: 'Conv', attrs: { dilations: [2, 2], pads: [0, 1, 2, 1] }, inputs: [f(1, 4, 12, 12), w(6, 4, 3, 3), w(6)] },
  { name: 'Conv groups 2', op: 'Conv', attrs: { group: 2, pads: [1, 1, 1, 1] }, inputs: [f(1, 6, 8, 8), w(10, 3, 3, 3), w(10)] },
  { name: 'Conv depthwise stride 2', op: 'Conv', attrs: { group: 8, strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [f(2, 8, 9, 9), w(8, 1, 3, 3), w(8)] },
  { name: 'Conv depthwise multiplier 2', op: 'Conv', attrs: { group: 4, pads: [1, 1, 1, 1] }, inputs: [f(1, 4, 7, 7), w(8, 1, 3, 3)] },
  { name: 'Conv 1x1', op: 'Conv', inputs: [f(3, 16, 5, 5), w(12, 16, 1, 1), w(12)] },
  { name: 'Conv auto_pad SAME_UPPER stride 2', op: 'Conv', attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] }, inputs: [f(1, 2, 8, 7), w(4, 2, 4, 4)] },
  { name: 'Conv auto_pad SAME_LOWER', op: 'Conv', attrs: { auto_pad: 'SAME_LOWER' }, inputs: [f(1, 2, 6, 6), w(4, 2, 2, 2)] },
  { name: 'Conv 1-D', op: 'Conv', attrs: { pads: [2, 1], strides: [2] }, inputs: [f(2, 3, 17), w(5, 3, 4), w(5)] },
  { name: 'Conv 5x5 kernel, 1 output channel', op: 'Conv', inputs: [f(1, 3, 10, 10), w(1, 3, 5, 5)] },
  { name: 'ConvTranspose stride 2', op: 'ConvTranspose', attrs: { strides: [2, 2] }, inputs: [f(1, 4, 5, 5), w(4, 3, 3, 3), w(3)] },
  { name: 'ConvTranspose pads, output_padding', op: 'ConvTranspose', attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, inputs: [f(2, 3, 4, 6), w(3, 5, 3, 3)] },
  { name: 'ConvTranspose groups, dilation', op: 'ConvTranspose', attrs: { group: 2, dilations: [2, 2] }, inputs: [f(1, 4, 5, 5), w(4, 2, 3, 3), w(4)] },
  { name: 'ConvTranspose output_shape', op: 'ConvTranspose', attrs: { strides: [3, 2], output_shape: [8, 8] }, inputs: [f(1, 2, 3, 4), w(2, 3, 3, 3)] },
  { name: 'ConvTranspose SAME_UPPER', op: 'ConvTranspose', attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' }, inputs: [f(1, 2, 3, 4), w(2, 3, 3, 3)] },
  { name: 'ConvTranspose SAME_LOWER', op: 'ConvTranspose', attrs: { strides: [2, 2], auto_pad: 'SAME_LOWER' }, inputs: [f(1, 2, 3, 4), w(2, 3, 3, 3)] },
  { name: 'ConvTranspose 1-D', op: 'ConvTranspose', attrs: { strides: [2] }, inputs: [f(1, 3, 7), w(3, 2, 3)] },
];

const pool: OpCase[] = [
  { name: 'MaxPool 3x3 stride 2 ceil_mode', op: 'MaxPool', attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, inputs: [f(1, 3, 14, 14)] },
  { name: 'MaxPool 2x2 floor, odd size', op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2] }, inputs: [f(2, 2, 9, 7)] },
  { name: 'MaxPool pads, dilations', op: 'MaxPool', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], dilations: [2, 2] }, inputs: [f(1, 2, 8, 8)] },
  { name: 'MaxPool SAME_UPPER', op: 'MaxPool', attrs: { kernel_shape: [3, 2], auto_pad: 'SAME_UPPER', strides: [2, 2] }, inputs: [f(1, 1, 7, 6)] },
  { name: 'MaxPool 1-D', op: 'MaxPool', attrs: { kernel_shape: [3], strides: [2] }, inputs: [f(2, 3, 11)] },
  { name: 'AveragePool excluding pads', op: 'AveragePool', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, inputs: [f(1, 2, 6, 7)] },
  { name: 'AveragePool count_include_pad', op: 'AveragePool', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1, strides: [2, 2] }, inputs: [f(1, 2, 7, 7)] },
  { name: 'AveragePool ceil_mode', op: 'AveragePool', attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, inputs: [f(1, 3, 5, 5)] },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: [f(2, 5, 7, 3)] },
  { name: 'GlobalMaxPool', op: 'GlobalMaxPool', inputs: [f(2, 5, 4, 3)] },
];

const norm: OpCase[] = [
  { name: 'BatchNormalization', op: 'BatchNormalization', inputs: [f(2, 4, 3, 5), w(4), w(4), w(4), pos(4)], attrs: { epsilon: 1e-3 } },
  { name: 'BatchNormalization 2-D input', op: 'BatchNormalization', inputs: [f(3, 6), w(6), w(6), w(6), pos(6)] },
  { name: 'BatchNormalization rank-1 X (C = 1)', op: 'BatchNormalization', inputs: [f(10), w(1), w(1), w(1), pos(1)] },
  { name: 'BatchNormalization spatial=0 (opset 7)', op: 'BatchNormalization', opset: 7, attrs: { spatial: 0 }, inputs: [f(3, 2, 4), w(2, 4), w(2, 4), w(2, 4), pos(2, 4)] },
  { name: 'InstanceNormalization', op: 'InstanceNormalization', inputs: [f(2, 3, 4, 5), w(3), w(3)] },
  { name: 'LayerNormalization last axis', op: 'LayerNormalization', inputs: [f(2, 5, 24), w(24), w(24)] },
  { name: 'LayerNormalization axis 1, no bias', op: 'LayerNormalization', attrs: { axis: 1, epsilon: 1e-3 }, inputs: [f(3, 4, 5), w(4, 5)] },
  { name: 'Softmax last axis', op: 'Softmax', inputs: [{ dims: [3, 4, 33], range: [-10, 10] }] },
  { name: 'Softmax axis 1', op: 'Softmax', attrs: { axis: 1 }, inputs: [f(2, 7, 3)] },
  { name: 'Softmax opset 11 flattens', op: 'Softmax', opset: 11, attrs: { axis: 1 }, inputs: [f(2, 3, 4)] },
  { name: 'LogSoftmax', op: 'LogSoftmax', inputs: [f(5, 9)] },
];

const linear: OpCase[] = [
  { name: 'MatMul 2-D odd', op: 'MatMul', inputs: [f(7, 13), f(13, 5)] },
  { name: 'MatMul batched', op: 'MatMul', inputs: [f(3, 5, 6), f(3, 6, 9)] },
  { name: 'MatMul broadcast weight', op: 'MatMul', inputs: [f(2, 4, 5, 6), w(6, 3)] },
  { name: 'MatMul broadcast both', op: 'MatMul', inputs: [f(2, 1, 5, 6), f(1, 3, 6, 7)] },
  { name: 'MatMul 1-D x 2-D', op: 'MatMul', inputs: [f(6), f(6, 4)] },
  { name: 'MatMul 3-D x 1-D', op: 'MatMul', inputs: [f(2, 3, 6), f(6)] },
  { name: 'MatMul k=1', op: 'MatMul', inputs: [f(4, 1), f(1, 5)] },
  { name: 'Gemm with bias vector', op: 'Gemm', inputs: [f(5, 7), w(7, 3), w(3)] },
  { name: 'Gemm transB alpha beta', op: 'Gemm', attrs: { transB: 1, alpha: 0.5, beta: { float: 2 } }, inputs: [f(4, 6), w(9, 6), w(4, 9)] },
  { name: 'Gemm transA, scalar C', op: 'Gemm', attrs: { transA: 1 }, inputs: [f(6, 4), f(6, 3), w(1)] },
  { name: 'Gemm no C', op: 'Gemm', inputs: [f(3, 2), f(2, 5)] },
  { name: 'ReduceMean axes [-1] keepdims', op: 'ReduceMean', attrs: { axes: [-1] }, inputs: [f(3, 4, 5)] },
  { name: 'ReduceMean axes [1] no keepdims', op: 'ReduceMean', attrs: { axes: [1], keepdims: 0 }, inputs: [f(3, 4, 5)] },
  { name: 'ReduceSum axes input [0,2]', op: 'ReduceSum', inputs: [f(3, 4, 5), ints(0, 2)] },
  { name: 'ReduceSum all', op: 'ReduceSum', inputs: [f(3, 4, 5)] },
  { name: 'ReduceMax axes [1,2]', op: 'ReduceMax', attrs: { axes: [1, 2] }, inputs: [f(2, 3, 4, 5)] },
  { name: 'ReduceMin', op: 'ReduceMin', attrs: { axes: [0] }, inputs: [f(6, 2)] },
  { name: 'ReduceProd', op: 'ReduceProd', attrs: { axes: [1] }, inputs: [f(3, 4)] },
  { name: 'ReduceL2', op: 'ReduceL2', attrs: { axes: [1] }, inputs: [f(3, 4)] },
  { name: 'ReduceLogSumExp', op: 'ReduceLogSumExp', attrs: { axes: [0] }, inputs: [f(3, 4)] },
];

for (const [title, cases] of [['Conv and ConvTranspose', conv], ['pooling', pool], ['normalisation and softmax', norm], ['MatMul, Gemm, reductions', linear]] as const) {
  describe(title, () => {
    for (const c of cases) it(c.name, async () => expect(await checkCase(store, c, r)).toBe(''));
  });
}
