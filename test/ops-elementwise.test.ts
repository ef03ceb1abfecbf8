// Elementwise, comparison and activation ops against onnxruntime-node: fresh
// random inputs, broadcasting, odd shapes, poisoned workspace.
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
const i32 = (dims: number[], range: [number, number] = [-5, 6]) => ({ dims, type: 'int32' as const, range });
const pos = (...dims: number[]) => ({ dims, range: [0.1, 3] as [number, number] });

const unary: OpCase[] = [
  ...['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Neg', 'Abs', 'Erf', 'HardSwish', 'Floor', 'Ceil'].map((op) => ({ name: `${op} [3,5,7]`, op, inputs: [f(3, 5, 7)] })),
  { name: 'Log of positives [37]', op: 'Log', inputs: [pos(37)] },
  { name: 'Sqrt of positives [2,33]', op: 'Sqrt', inputs: [pos(2, 33)] },
  { name: 'Reciprocal [65]', op: 'Reciprocal', inputs: [pos(65)] },
  { name: 'Tanh saturates [300]', op: 'Tanh', inputs: [{ dims: [300], range: [-40, 40] }] },
  { name: 'Sigmoid saturates [300]', op: 'Sigmoid', inputs: [{ dims: [300], range: [-100, 100] }] },
  { name: 'Erf wide range [513]', op: 'Erf', inputs: [{ dims: [513], range: [-6, 6] }] },
  { name: 'LeakyRelu alpha 0.2', op: 'LeakyRelu', attrs: { alpha: 0.2 }, inputs: [f(4, 9)] },
  { name: 'Elu', op: 'Elu', attrs: { alpha: 0.7 }, inputs: [f(4, 9)] },
  { name: 'HardSigmoid alpha beta', op: 'HardSigmoid', attrs: { alpha: 0.3, beta: 0.4 }, inputs: [f(5, 6)] },
  { name: 'Gelu (opset 20)', op: 'Gelu', opset: 20, inputs: [{ dims: [2, 50], range: [-5, 5] }] },
  { name: 'Gelu tanh (opset 20)', op: 'Gelu', opset: 20, attrs: { approximate: 'tanh' }, inputs: [{ dims: [2, 50], range: [-5, 5] }] },
  { name: 'Clip min/max constants', op: 'Clip', inputs: [f(3, 17), { dims: [], value: [-0.5] }, { dims: [], value: [0.75] }] },
  { name: 'Clip max only', op: 'Clip', inputs: [f(3, 17), null, { dims: [], value: [0.1] }] },
  { name: 'Clip relu6 style', op: 'Clip', inputs: [{ dims: [40], range: [-8, 8] }, { dims: [], value: [0] }, { dims: [], value: [6] }] },
  { name: 'Clip int64', op: 'Clip', inputs: [i64([20], [-10, 10]), { dims: [], type: 'int64', value: [-3] }, { dims: [], type: 'int64', value: [4] }] },
  { name: 'Neg int32', op: 'Neg', inputs: [i32([11])] },
  { name: 'Abs int64', op: 'Abs', inputs: [i64([11])] },
  { name: 'Not bool', op: 'Not', inputs: [{ dims: [3, 7], type: 'bool' }], outputs: ['bool'] },
  { name: 'Identity [1,1,1]', op: 'Identity', inputs: [f(1, 1, 1)] },
];

const binary: OpCase[] = [
  ...['Add', 'Sub', 'Mul'].flatMap((op) => [
    { name: `${op} same shape [2,3,5]`, op, inputs: [f(2, 3, 5), f(2, 3, 5)] },
    { name: `${op} broadcast [2,3,5] x [5]`, op, inputs: [f(2, 3, 5), f(5)] },
    { name: `${op} broadcast [4,1,6] x [3,1]`, op, inputs: [f(4, 1, 6), f(3, 1)] },
    { name: `${op} scalar [] x [7,3]`, op, inputs: [f(), f(7, 3)] },
  ]),
  { name: 'Div broadcast [2,1,3,1] x [5,1,4]', op: 'Div', inputs: [f(2, 1, 3, 1), pos(5, 1, 4)] },
  { name: 'Div by constant [1,4,8] / 2.5', op: 'Div', inputs: [f(1, 4, 8), { dims: [], value: [2.5] }] },
  { name: 'Add rank 6 broadcast', op: 'Add', inputs: [f(2, 1, 3, 1, 2, 3), f(1, 2, 1, 4, 1, 3)] },
  { name: 'Add int64 broadcast', op: 'Add', inputs: [i64([3, 4]), i64([4])] },
  { name: 'Mul int32', op: 'Mul', inputs: [i32([5, 3]), i32([5, 1])] },
  { name: 'Div int64 truncates', op: 'Div', inputs: [i64([12], [-20, 20]), { dims: [1], type: 'int64', value: [3] }] },
  { name: 'Sub int64 zero-size', op: 'Sub', inputs: [i64([0, 3]), i64([3])] },
  { name: 'Pow positive base', op: 'Pow', inputs: [pos(3, 4), f(4)] },
  { name: 'Pow square of negatives', op: 'Pow', inputs: [f(6, 5), { dims: [], value: [2] }] },
  { name: 'Pow cube of negatives', op: 'Pow', inputs: [f(6, 5), { dims: [], value: [3] }] },
  { name: 'Pow 0.5', op: 'Pow', inputs: [pos(9), { dims: [1], value: [0.5] }] },
  { name: 'Pow int32 by int32', op: 'Pow', inputs: [i32([12], [-4, 5]), i32([12], [0, 4])] },
  { name: 'Pow float by int64 exponent', op: 'Pow', inputs: [f(2, 5), i64([5], [-2, 4])] },
  { name: 'Min', op: 'Min', inputs: [f(3, 4), f(4)] },
  { name: 'Max', op: 'Max', inputs: [f(3, 4), f(3, 1)] },
  { name: 'Equal int64 broadcast', op: 'Equal', inputs: [i64([4, 5], [0, 3]), i64([5], [0, 3])], outputs: ['bool'] },
  { name: 'Equal float', op: 'Equal', inputs: [{ dims: [30], value: Array.from({ length: 30 }, (_, i) => i % 3) }, { dims: [30], range: [0, 3] }], outputs: ['bool'] },
  { name: 'Less float broadcast', op: 'Less', inputs: [f(3, 1, 5), f(4, 1)], outputs: ['bool'] },
  { name: 'Greater int32', op: 'Greater', inputs: [i32([7, 2]), i32([2])], outputs: ['bool'] },
  { name: 'LessOrEqual', op: 'LessOrEqual', inputs: [i64([9], [0, 3]), i64([9], [0, 3])], outputs: ['bool'] },
  { name: 'GreaterOrEqual', op: 'GreaterOrEqual', inputs: [f(2, 8), f(8)], outputs: ['bool'] },
  { name: 'And bool broadcast', op: 'And', inputs: [{ dims: [3, 4], type: 'bool' }, { dims: [4], type: 'bool' }], outputs: ['bool'] },
  { name: 'Or bool', op: 'Or', inputs: [{ dims: [5], type: 'bool' }, { dims: [5], type: 'bool' }], outputs: ['bool'] },
  { name: 'Xor bool', op: 'Xor', inputs: [{ dims: [5], type: 'bool' }, { dims: [1], type: 'bool' }], outputs: ['bool'] },
  { name: 'Where broadcast 3 ways', op: 'Where', inputs: [{ dims: [3, 1, 4], type: 'bool' }, f(2, 1), f(1, 2, 4)], outputs: ['float32'] },
  { name: 'Where int64', op: 'Where', inputs: [{ dims: [6], type: 'bool' }, i64([6]), i64([1])], outputs: ['int64'] },
  { name: 'Cast float -> int64', op: 'Cast', attrs: { to: 7 }, inputs: [{ dims: [3, 7], range: [-9, 9] }], outputs: ['int64'] },
  { name: 'Cast int64 -> float', op: 'Cast', attrs: { to: 1 }, inputs: [i64([10])], outputs: ['float32'] },
  { name: 'Cast bool -> float', op: 'Cast', attrs: { to: 1 }, inputs: [{ dims: [10], type: 'bool' }], outputs: ['float32'] },
  { name: 'Cast int32 -> bool', op: 'Cast', attrs: { to: 9 }, inputs: [i32([10], [-2, 3])], outputs: ['bool'] },
  { name: 'Cast int64 -> int32', op: 'Cast', attrs: { to: 6 }, inputs: [i64([10])], outputs: ['int32'] },
];

describe('unary ops', () => {
  for (const c of unary) it(c.name, async () => expect(await checkCase(store, c, r)).toBe(''));
});

describe('binary, comparison, Where and Cast', () => {
  for (const c of binary) it(c.name, async () => expect(await checkCase(store, c, r)).toBe(''));
});

describe('one tensor bound twice (WebGPU forbids aliasing read_write bindings)', () => {
  const self: OpCase[] = [
    { name: 'Mul(x, x)', op: 'Mul', inputs: [f(3, 5)] },
    { name: 'Add(x, x)', op: 'Add', inputs: [i64([7])] },
    { name: 'MatMul(x, x)', op: 'MatMul', inputs: [f(4, 4)] },
  ];
  for (const c of self) it(c.name, async () => expect(await checkCase(store, { ...c, inputs: [c.inputs[0]!, c.inputs[0]!] }, r)).toBe(''));
});
