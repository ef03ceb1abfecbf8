// Models onnxruntime refuses are refused here too, at registration (a
// ModelError, before any GPU memory is taken): a table of one-node models
// with inconsistent attributes or inputs, each run through onnxruntime-node
// first to confirm it refuses them.
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelError } from '../src/onnx/errors.js';
import { buildModel, type WriterAttr } from '../src/onnx/writer.js';
import { fromValues, type HostTensor } from '../src/onnx/tensor.js';
import { ModelStore } from '../src/infer/store.js';
import { loadOrt } from '../src/infer/ort.js';
import { HostRemapDevice } from './helpers/host-device.js';

const f = (...dims: number[]) => fromValues('float32', dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(0.5));
const i64 = (...v: number[]) => fromValues('int64', [v.length], v);

interface Bad {
  name: string;
  op: string;
  x: number[];
  attrs?: Record<string, WriterAttr>;
  /** Further inputs after x, as initializers. */
  consts?: HostTensor[];
  outputs?: number;
  opset?: number;
}

const cases: Bad[] = [
  { name: 'MaxPool kernel_shape [0,0]', op: 'MaxPool', x: [1, 1, 4, 4], attrs: { kernel_shape: [0, 0] } },
  { name: 'AveragePool strides of the wrong length', op: 'AveragePool', x: [1, 1, 4, 4], attrs: { kernel_shape: [2, 2], strides: [1] } },
  { name: 'Conv dilation 0', op: 'Conv', x: [1, 2, 5, 5], attrs: { dilations: [0, 1] }, consts: [f(3, 2, 3, 3)] },
  { name: 'Conv group 3 over 4 channels', op: 'Conv', x: [1, 4, 5, 5], attrs: { group: 3 }, consts: [f(3, 1, 3, 3)] },
  { name: 'Conv kernel_shape unlike W', op: 'Conv', x: [1, 2, 5, 5], attrs: { kernel_shape: [2, 2] }, consts: [f(3, 2, 3, 3)] },
  { name: 'Transpose perm too short', op: 'Transpose', x: [2, 3], attrs: { perm: [0] } },
  { name: 'Softmax axis 3 of rank 2', op: 'Softmax', x: [2, 6], attrs: { axis: 3 } },
  { name: 'Gather axis 5', op: 'Gather', x: [2, 6], attrs: { axis: 5 }, consts: [i64(0)] },
  { name: 'Reshape with two -1', op: 'Reshape', x: [2, 6], consts: [i64(-1, -1)] },
  { name: 'Split sizes not adding up', op: 'Split', x: [2, 6], attrs: { axis: 1 }, consts: [i64(2, 2)], outputs: 2 },
  { name: 'Split opset 13 uneven', op: 'Split', x: [7], outputs: 2, opset: 13 },
  { name: 'Split num_outputs beyond the axis', op: 'Split', x: [2], attrs: { num_outputs: 3 }, outputs: 3, opset: 18 },
  { name: 'Expand to an incompatible shape', op: 'Expand', x: [2, 6], consts: [i64(3, 6)] },
  { name: 'Tile repeats of the wrong length', op: 'Tile', x: [2, 6], consts: [i64(2)] },
  { name: 'MatMul inner dims differ', op: 'MatMul', x: [2, 6], consts: [f(5, 3)] },
  { name: 'Squeeze an axis of size 2', op: 'Squeeze', x: [2, 6], consts: [i64(0)] },
  { name: 'Cast to type 999', op: 'Cast', x: [2, 6], attrs: { to: 999 } },
  { name: 'LayerNormalization scale of the wrong size', op: 'LayerNormalization', x: [2, 6], attrs: { axis: -1 }, consts: [f(5)] },
];

function model(c: Bad): Uint8Array {
  const names = (c.consts ?? []).map((_, i) => `c${i}`);
  const outs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `y${i}`);
  return buildModel({
    nodes: [{ op: c.op, inputs: ['x', ...names], outputs: outs, attrs: c.attrs }],
    inputs: [{ name: 'x', type: 'float32', dims: c.x }],
    outputs: outs.map((name) => ({ name, type: 'float32' as const })),
    initializers: Object.fromEntries(names.map((n, i) => [n, c.consts![i]!])),
    opset: c.opset ?? 17,
  });
}

describe('models onnxruntime refuses are ModelErrors at registration', () => {
  const store = new ModelStore(new Arena(new HostRemapDevice(4096, false), { bytes: 1 << 20, pageBytes: 4096 }));
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const bytes = model(c);
    const o = await loadOrt();
    const ort = async () => {
      const s = await o.InferenceSession.create(bytes);
      await s.run({ x: new o.Tensor('float32', new Float32Array(c.x.reduce((a, b) => a * b, 1)), c.x) });
    };
    await expect(ort()).rejects.toThrow();
    expect(() => store.registerBytes(`m${Math.random()}`, bytes)).toThrow(ModelError);
  });
});
