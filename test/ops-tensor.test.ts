// Data-movement and shape ops against onnxruntime-node (GPU paths with
// runtime inputs, and the CPU folding paths with constant inputs).
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
const i64 = (dims: number[], range: [number, number] = [-5, 6]) => ({ dims, type: 'int64' as const, range });
const ints = (...v: number[]) => ({ dims: [v.length], type: 'int64' as const, value: v });
const scalar = (v: number) => ({ dims: [], type: 'int64' as const, value: [v] });
const BIG = 9223372036854775807;

const movement: OpCase[] = [
  { name: 'Transpose default (reverse)', op: 'Transpose', inputs: [f(2, 3, 5)] },
  { name: 'Transpose perm [0,2,1,3]', op: 'Transpose', attrs: { perm: [0, 2, 1, 3] }, inputs: [f(2, 3, 4, 5)] },
  { name: 'Transpose int64', op: 'Transpose', attrs: { perm: [1, 0] }, inputs: [i64([3, 7])] },
  { name: 'Reshape with -1 and 0', op: 'Reshape', inputs: [f(2, 3, 4), ints(0, -1, 2)] },
  { name: 'Flatten axis 2', op: 'Flatten', attrs: { axis: 2 }, inputs: [f(2, 3, 4, 5)] },
  { name: 'Flatten axis 0', op: 'Flatten', attrs: { axis: 0 }, inputs: [f(2, 3)] },
  { name: 'Squeeze axes input', op: 'Squeeze', inputs: [f(1, 3, 1, 4), ints(0, -2)] },
  { name: 'Squeeze all ones', op: 'Squeeze', inputs: [f(1, 3, 1, 4)] },
  { name: 'Unsqueeze axes [0,3]', op: 'Unsqueeze', inputs: [f(3, 4), ints(0, 3)] },
  { name: 'Concat axis 1, three inputs', op: 'Concat', attrs: { axis: 1 }, inputs: [f(2, 3, 4), f(2, 1, 4), f(2, 5, 4)] },
  { name: 'Concat axis -1', op: 'Concat', attrs: { axis: -1 }, inputs: [f(3, 2), f(3, 7)] },
  { name: 'Concat int64 axis 0', op: 'Concat', attrs: { axis: 0 }, inputs: [i64([2, 3]), i64([1, 3])] },
  { name: 'Split equal parts', op: 'Split', attrs: { axis: 1 }, inputs: [f(2, 6, 3)], outputs: ['float32', 'float32', 'float32'] },
  { name: 'Split sizes input', op: 'Split', attrs: { axis: -1 }, inputs: [f(3, 10), ints(2, 5, 3)], outputs: ['float32', 'float32', 'float32'] },
  { name: 'Split uneven num_outputs (opset 18)', op: 'Split', opset: 18, attrs: { axis: 0, num_outputs: 3 }, inputs: [f(7, 2)], outputs: ['float32', 'float32', 'float32'] },
  { name: 'Split opset 11 attribute', op: 'Split', opset: 11, attrs: { axis: 0, split: [1, 3] }, inputs: [f(4, 2)], outputs: ['float32', 'float32'] },
  { name: 'Slice basic', op: 'Slice', inputs: [f(5, 7), ints(1, 2), ints(4, 6)] },
  { name: 'Slice axes, steps, huge end', op: 'Slice', inputs: [f(4, 9, 3), ints(1), ints(BIG), ints(1), ints(3)] },
  { name: 'Slice negative step', op: 'Slice', inputs: [f(6, 5), ints(-1, 4), ints(-BIG, 0), ints(0, 1), ints(-2, -1)] },
  { name: 'Slice negative starts', op: 'Slice', inputs: [f(3, 8), ints(-3), ints(-1), ints(-1)] },
  { name: 'Slice empty result', op: 'Slice', inputs: [f(3, 8), ints(5), ints(2), ints(1)] },
  { name: 'Gather axis 0 int64 indices 2-D', op: 'Gather', inputs: [f(10, 4), { dims: [2, 3], type: 'int64', range: [-10, 10] }] },
  { name: 'Gather axis 1', op: 'Gather', attrs: { axis: 1 }, inputs: [f(3, 5, 2), { dims: [4], type: 'int64', range: [0, 5] }] },
  { name: 'Gather scalar index', op: 'Gather', attrs: { axis: 1 }, inputs: [f(3, 5), scalar(-2)] },
  { name: 'Gather int32 indices', op: 'Gather', inputs: [f(6, 3), { dims: [5], type: 'int32', range: [0, 6] }] },
  { name: 'Gather from int64 data', op: 'Gather', inputs: [i64([6]), { dims: [3], type: 'int64', range: [0, 6] }] },
  { name: 'Expand [3,1] to [2,3,4]', op: 'Expand', inputs: [f(3, 1), ints(2, 3, 4)] },
  { name: 'Expand bidirectional [1,4] with [3,1]', op: 'Expand', inputs: [f(1, 4), ints(3, 1)] },
  { name: 'Tile [2,3] x [2,3]', op: 'Tile', inputs: [f(2, 3), ints(2, 3)] },
  { name: 'Tile rank 3', op: 'Tile', inputs: [f(2, 1, 3), ints(1, 4, 2)] },
  { name: 'Pad constant', op: 'Pad', inputs: [f(2, 3), ints(1, 0, 2, 3), { dims: [], value: [1.5] }] },
  { name: 'Pad reflect', op: 'Pad', attrs: { mode: 'reflect' }, inputs: [f(3, 4), ints(0, 2, 0, 3)] },
  { name: 'Pad edge 4-D', op: 'Pad', attrs: { mode: 'edge' }, inputs: [f(1, 2, 3, 3), ints(0, 0, 1, 2, 0, 0, 2, 1)] },
  { name: 'Trilu upper', op: 'Trilu', inputs: [f(2, 5, 4)] },
  { name: 'Trilu lower k=-1', op: 'Trilu', attrs: { upper: 0 }, inputs: [f(5, 6), scalar(-1)] },
  { name: 'Trilu upper k=2', op: 'Trilu', inputs: [f(4, 7), scalar(2)] },
];

const folded: OpCase[] = [
  { name: 'Range (folded)', op: 'Range', inputs: [scalar(2), scalar(11), scalar(3)] },
  { name: 'Range float (folded)', op: 'Range', inputs: [{ dims: [], value: [0.5] }, { dims: [], value: [3] }, { dims: [], value: [0.75] }] },
  { name: 'ConstantOfShape (folded)', op: 'ConstantOfShape', attrs: { value: { type: 'int64', dims: [1], data: new Float64Array([7]) } }, inputs: [ints(2, 3)], outputs: ['int64'] },
  { name: 'Shape of a runtime input', op: 'Shape', inputs: [f(2, 3, 5)], outputs: ['int64'] },
  { name: 'Shape start/end', op: 'Shape', attrs: { start: 1, end: -1 }, inputs: [f(2, 3, 5, 7)], outputs: ['int64'] },
  { name: 'Equal on constants (folded)', op: 'Equal', inputs: [ints(1, 2, 3), ints(1, 0, 3)], outputs: ['bool'] },
  { name: 'Where on constants (folded)', op: 'Where', inputs: [{ dims: [3], type: 'bool', value: [1, 0, 1] }, ints(1, 2, 3), ints(7, 8, 9)], outputs: ['int64'] },
  { name: 'Gather on constants (folded)', op: 'Gather', inputs: [ints(4, 5, 6, 7), ints(3, 0)] },
  { name: 'Trilu on constants (folded)', op: 'Trilu', inputs: [{ dims: [3, 3], value: [1, 2, 3, 4, 5, 6, 7, 8, 9] }] },
];

describe('data movement on the GPU', () => {
  for (const c of movement) it(c.name, async () => expect(await checkCase(store, c, r)).toBe(''));
});

describe('shape ops folded on the host', () => {
  for (const c of folded) it(c.name, async () => expect(await checkCase(store, c, r)).toBe(''));
});
