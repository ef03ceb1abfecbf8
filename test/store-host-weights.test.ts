// A store that keeps decoded weights on the host: the instances registered
// from one file's bytes decode its weights once, a reload only uploads, and
// every instance's outputs still match a float64 reference (poisoned
// workspaces, odd shapes, fresh random weights). Without it, every load decodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { fromValues } from '../src/onnx/tensor.js';
import { buildModel } from '../src/onnx/writer.js';
import { ModelStore, type TensorData } from '../src/infer/store.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

const r = rng(Date.now() & 0xffff);
const [IN, HID, OUT] = [13, 37, 7];
const w0 = randn(IN * HID, r, 0.5);
const b0 = randn(HID, r, 0.2);
const w1 = randn(HID * OUT, r, 0.5);
const b1 = randn(OUT, r, 0.2);
/** x [1, 13] -> Gemm -> Relu -> Gemm -> y [1, 7]. */
const bytes = buildModel({
  nodes: [
    { op: 'Gemm', inputs: ['x', 'w0', 'b0'], outputs: ['h'] },
    { op: 'Relu', inputs: ['h'], outputs: ['a'] },
    { op: 'Gemm', inputs: ['a', 'w1', 'b1'], outputs: ['y'] },
  ],
  inputs: [{ name: 'x', type: 'float32', dims: [1, IN] }],
  outputs: [{ name: 'y', type: 'float32', dims: [1, OUT] }],
  initializers: { w0: fromValues('float32', [IN, HID], w0), b0: fromValues('float32', [HID], b0), w1: fromValues('float32', [HID, OUT], w1), b1: fromValues('float32', [OUT], b1) },
});

function reference(x: Float32Array): Float64Array {
  const h = new Float64Array(HID);
  for (let j = 0; j < HID; j++) {
    let s = b0[j]!;
    for (let k = 0; k < IN; k++) s += x[k]! * w0[k * HID + j]!;
    h[j] = Math.max(0, s);
  }
  const y = new Float64Array(OUT);
  for (let j = 0; j < OUT; j++) {
    let s = b1[j]!;
    for (let k = 0; k < HID; k++) s += h[k]! * w1[k * OUT + j]!;
    y[j] = s;
  }
  return y;
}

async function checkRun(store: ModelStore, name: string): Promise<void> {
  const x = randn(IN, r);
  const input: Record<string, TensorData> = { x: { type: 'float32', dims: [1, IN], data: x } };
  const y = (await store.run(name, input)).y!.data as Float32Array;
  const ref = reference(x);
  expect(y.length).toBe(OUT);
  for (let i = 0; i < OUT; i++) expect(Math.abs(y[i]! - ref[i]!), `${name} y[${i}] = ${y[i]} vs ${ref[i]}`).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
}

let arena: Arena;
beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 8 << 20, pageBytes: 64 << 10 });
});
afterAll(() => arena.destroy());

/** Load `name`, check its decode count so far, run it against the reference, unload it. */
async function cycle(store: ModelStore, name: string, decodes: number): Promise<void> {
  await store.load(name);
  expect(store.decodes(name), `${name}: weights decoded so far`).toBe(decodes);
  await checkRun(store, name);
  await store.unload(name);
}

function twoInstances(opts: ConstructorParameters<typeof ModelStore>[1]): ModelStore {
  const store = new ModelStore(arena, opts);
  store.registerBytes('a', bytes);
  store.registerBytes('b', bytes);
  return store;
}

describe('host weights kept by the store', () => {
  it('decodes a file once for all its instances; reloads only upload and still compute the model', async () => {
    const store = twoInstances({ poison: true, hostWeights: 'keep' });
    await cycle(store, 'a', 4); // w0, b0, w1, b1
    await cycle(store, 'b', 0); // a's decoded words
    await cycle(store, 'a', 4);
  });

  it('without it, every load decodes again', async () => {
    const store = twoInstances({ poison: true });
    await cycle(store, 'a', 4);
    await cycle(store, 'a', 8);
    await cycle(store, 'b', 4);
  });
});
