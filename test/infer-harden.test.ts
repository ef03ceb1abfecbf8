// Input and model hardening of the model store, against onnxruntime-node:
// token ids past the vocabulary are refused (as ORT refuses them), not
// clamped; models ORT rejects at load (MaxPool kernel_shape [0,0]) are
// ModelErrors at registration; a request or a model too large for the arena
// is a typed error before anything is allocated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelError } from '../src/onnx/errors.js';
import { buildModel } from '../src/onnx/writer.js';
import { fromValues } from '../src/onnx/tensor.js';
import { IndexRangeError, WorkspaceTooLargeError } from '../src/infer/request-checks.js';
import { ModelStore, type TensorData } from '../src/infer/store.js';
import { loadOrt, runOrt } from '../src/infer/ort.js';
import { rng, testDevice } from './helpers/gpu.js';

const VOCAB = 37;
const WIDTH = 5;
let arena: Arena;
let store: ModelStore;
const r = rng(2020);
const table = fromValues('float32', [VOCAB, WIDTH], Array.from({ length: VOCAB * WIDTH }, () => r() * 2 - 1));

/** ids [batch, 6] -> Reshape [batch*6] -> Cast int32 -> Gather(table): the check follows views and integer casts. */
const embed = buildModel({
  nodes: [
    { op: 'Reshape', inputs: ['ids', 'flat'], outputs: ['f'] },
    { op: 'Cast', inputs: ['f'], outputs: ['c'], attrs: { to: 6 } },
    { op: 'Gather', inputs: ['table', 'c'], outputs: ['y'] },
  ],
  inputs: [{ name: 'ids', type: 'int64', dims: ['batch', 6] }],
  outputs: [{ name: 'y', type: 'float32', dims: ['n', WIDTH] }],
  initializers: { table, flat: fromValues('int64', [1], [-1]) },
});

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 1 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena, { poison: true });
  store.registerBytes('embed', embed);
  await store.load('embed');
});
afterAll(async () => {
  await store.unload('embed');
  arena.destroy();
});

const ids = (values: number[]): TensorData => ({ type: 'int64', dims: [values.length / 6, 6], data: BigInt64Array.from(values.map(BigInt)) });

describe('index inputs', () => {
  it('in-range ids (negative ones count from the end) give onnxruntime\'s rows', async () => {
    const values = Array.from({ length: 12 }, () => Math.floor(r() * 2 * VOCAB) - VOCAB);
    values[0] = VOCAB - 1;
    values[1] = -VOCAB;
    const ours = await store.run('embed', { ids: ids(values) });
    const ref = await runOrt(embed, { ids: ids(values) });
    expect(ours.y!.dims).toEqual([12, WIDTH]);
    expect(Array.from(ours.y!.data as Float32Array)).toEqual(Array.from(ref.y!.data as Float32Array));
  });

  it.each([[VOCAB], [VOCAB + 1000], [-VOCAB - 1], [2 ** 31 - 1]])('id %d is refused, as onnxruntime refuses it', async (bad) => {
    const values = Array.from({ length: 12 }, (_, i) => i % VOCAB);
    values[7] = bad;
    const e = await store.run('embed', { ids: ids(values) }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(IndexRangeError);
    expect(e).toMatchObject({ input: 'ids', position: 7, value: bad, size: VOCAB });
    await expect(runOrt(embed, { ids: ids(values) })).rejects.toThrow(/out of data bounds|out of bounds|indices/i);
  });
});

describe('constant indices', () => {
  it('a constant index tensor of 100 elements with one past the axis is a ModelError at registration; onnxruntime refuses it too', async () => {
    const idx = Array.from({ length: 100 }, (_, i) => i % 8);
    idx[61] = 8;
    const bytes = buildModel({
      nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'] }],
      inputs: [{ name: 'x', type: 'float32', dims: [8, 3] }],
      outputs: [{ name: 'y', type: 'float32', dims: [100, 3] }],
      initializers: { i: fromValues('int64', [100], idx) },
    });
    expect(() => store.registerBytes('const-idx', bytes)).toThrow(/constant index 8 \(element 61 of 'i'\) is outside \[-8, 7\]/);
    await expect(runOrt(bytes, { x: { type: 'float32', dims: [8, 3], data: new Float32Array(24) } })).rejects.toThrow(/out of data bounds|indices/i);
  });
});

describe('models onnxruntime rejects at load', () => {
  const pool = (kernel: number[], extra: Record<string, number[]> = {}) => buildModel({
    nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: kernel, ...extra } }],
    inputs: [{ name: 'x', type: 'float32', dims: [1, 2, 6, 6] }],
    outputs: [{ name: 'y', type: 'float32' }],
  });

  it.each([
    ['kernel_shape [0,0]', pool([0, 0])],
    ['kernel_shape [2,-1]', pool([2, -1])],
    ['strides [0,1]', pool([2, 2], { strides: [0, 1] })],
    ['pads of the wrong length', pool([2, 2], { pads: [1, 1, 1] })],
  ])('MaxPool with %s is a ModelError here and an error in onnxruntime', async (_what, bytes) => {
    expect(() => store.registerBytes(`pool${Math.random()}`, bytes)).toThrow(ModelError);
    const o = await loadOrt();
    const run = async () => {
      const s = await o.InferenceSession.create(bytes);
      await s.run({ x: new o.Tensor('float32', new Float32Array(72), [1, 2, 6, 6]) });
    };
    await expect(run()).rejects.toThrow();
  });
});

describe('sizes against the arena', () => {
  it('a batch whose workspace the arena can never hold is a typed 400-class error, and nothing is allocated', async () => {
    const before = arena.stats();
    const huge = 200_000;
    const e = await store.run('embed', { ids: { type: 'int64', dims: [huge, 6], data: new BigInt64Array(huge * 6) } }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(WorkspaceTooLargeError);
    expect((e as WorkspaceTooLargeError).needed).toBeGreaterThan((e as WorkspaceTooLargeError).limit);
    expect(arena.stats()).toEqual(before);
  });

  it('weights larger than the arena are refused at registration', () => {
    const big = fromValues('float32', [400, 1000], new Float32Array(400_000));
    const bytes = buildModel({
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', type: 'float32', dims: [1, 400] }],
      outputs: [{ name: 'y', type: 'float32', dims: [1, 1000] }],
      initializers: { w: big },
    });
    expect(() => store.registerBytes('big', bytes)).toThrow(/weights need 1\.5 MiB, more than the arena's 1\.0 MiB/);
  });
});
