// The model store: many instances of one file, cold/loading/warm states,
// pages handed back on unload, pipelined loading, typed input errors, and a
// fused Conv + activation checked against onnxruntime-node.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { InputError, ModelError } from '../src/onnx/errors.js';
import { fromValues } from '../src/onnx/tensor.js';
import { buildModel } from '../src/onnx/writer.js';
import { DuplicateModelError, UnknownModelError } from '../src/infer/errors.js';
import { compare, runOrt } from '../src/infer/ort.js';
import { ModelStore, type TensorData } from '../src/infer/store.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

const r = rng(Date.now() & 0xffff);
const dir = mkdtempSync(join(tmpdir(), 'handover-store-'));
let arena: Arena;
let store: ModelStore;

/** x [batch, 16] -> 4 x (Gemm, Relu) -> Softmax: several layers, so several upload groups. */
function mlpFile(): string {
  const inits: Record<string, ReturnType<typeof fromValues>> = {};
  const nodes = [];
  let cur = 'x';
  for (let l = 0; l < 4; l++) {
    inits[`w${l}`] = fromValues('float32', [16, 16], randn(256, r, 0.5));
    inits[`b${l}`] = fromValues('float32', [16], randn(16, r, 0.1));
    nodes.push({ op: 'Gemm', inputs: [cur, `w${l}`, `b${l}`], outputs: [`h${l}`] });
    nodes.push({ op: 'Relu', inputs: [`h${l}`], outputs: [`a${l}`] });
    cur = `a${l}`;
  }
  nodes.push({ op: 'Softmax', inputs: [cur], outputs: ['y'], attrs: { axis: -1 } });
  const file = join(dir, 'mlp.onnx');
  writeFileSync(file, buildModel({ nodes, inputs: [{ name: 'x', type: 'float32', dims: ['batch', 16] }], outputs: [{ name: 'y', type: 'float32', dims: ['batch', 16] }], initializers: inits }));
  return file;
}

const x = (batch: number): Record<string, TensorData> => ({ x: { type: 'float32', dims: [batch, 16], data: randn(batch * 16, r) } });
let file: string;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 16 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena, { poison: true });
  file = mlpFile();
});
afterAll(() => arena.destroy());

describe('model store', () => {
  it('registers many instances of one file, cold and without GPU memory', () => {
    for (const name of ['a', 'b', 'c']) expect(store.register(name, file)).toMatchObject({ name, file, state: 'cold', loadMs: 0, inputs: [{ name: 'x', type: 'float32', dims: ['batch', 16] }] });
    expect(store.list().map((m) => m.name)).toEqual(['a', 'b', 'c']);
    expect(arena.stats().infer).toBe(0);
  });

  it('load uploads the weights into infer pages, timed; instances agree; unload hands the pages back', async () => {
    const info = await store.load('a');
    expect(info.state).toBe('warm');
    expect(info.loadMs).toBeGreaterThan(0);
    expect(arena.held('infer')).toBeGreaterThanOrEqual(info.bytes);
    const inputs = x(3);
    const ya = await store.run('a', inputs);
    const yb = await store.run('b', inputs); // cold: loads (pipelined) on the way
    expect(store.get('b')!.state).toBe('warm');
    expect(Array.from(yb.y!.data)).toEqual(Array.from(ya.y!.data));
    expect(compare(ya, await runOrt(file, inputs)).relErr).toBeLessThan(1e-5);
    expect(store.get('a')!.lastUsed).toBeGreaterThan(0);
    await store.unload('a');
    await store.unload('b');
    expect(store.get('a')!.state).toBe('cold');
    expect(arena.stats().infer).toBe(0);
  });

  it('a pipelined load with a run issued meanwhile gives the same answer as load-then-run', async () => {
    const inputs = x(5);
    await store.load('a');
    const want = await store.run('a', inputs);
    const loading = store.load('c', { pipelined: true });
    expect(store.get('c')!.state).toBe('loading');
    const got = await store.run('c', inputs);
    await loading;
    expect(store.get('c')!.state).toBe('warm');
    expect(Array.from(got.y!.data)).toEqual(Array.from(want.y!.data));
    await store.unload('a');
    await store.unload('c');
  });

  it('runs several batch sizes on one instance', async () => {
    for (const b of [1, 7, 2]) {
      const inputs = x(b);
      const out = await store.run('a', inputs);
      expect(out.y!.dims).toEqual([b, 16]);
      expect(compare(out, await runOrt(file, inputs)).relErr).toBeLessThan(1e-5);
    }
    await store.unload('a');
    expect(arena.stats().infer).toBe(0);
  });

  it('rejects bad inputs with InputError naming the input', async () => {
    const good = x(2).x!;
    const cases: [Record<string, TensorData>, RegExp][] = [
      [{}, /required/],
      [{ x: good, z: good }, /no such input/],
      [{ x: { ...good, type: 'int64', data: new BigInt64Array(32) } }, /type int64; the model expects float32/],
      [{ x: { ...good, dims: [2, 16, 1] } }, /rank 3/],
      [{ x: { ...good, dims: [4, 8] } }, /dim 1 is 8; the model expects 16/],
      [{ x: { ...good, dims: [3, 16] } }, /holds 32 elements/],
      [{ x: { ...good, data: new Float64Array(32) as unknown as Float32Array } }, /Float32Array/],
    ];
    for (const [inputs, msg] of cases) {
      const e = await store.run('a', inputs).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(msg);
    }
  });

  it('rejects int64 values outside int32 and inconsistent symbolic dims', async () => {
    const f = join(dir, 'gather.onnx');
    writeFileSync(f, buildModel({
      nodes: [{ op: 'Gather', inputs: ['table', 'ids'], outputs: ['g'] }, { op: 'Add', inputs: ['g', 'bias'], outputs: ['y'] }],
      inputs: [{ name: 'ids', type: 'int64', dims: ['batch', 3] }, { name: 'bias', type: 'float32', dims: ['batch', 3, 2] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { table: fromValues('float32', [5, 2], randn(10, r)) },
    }));
    store.register('gather', f);
    const ids = { type: 'int64' as const, dims: [1, 3], data: BigInt64Array.from([0n, 4n, 2n ** 40n]) };
    const bias = { type: 'float32' as const, dims: [1, 3, 2], data: new Float32Array(6) };
    await expect(store.run('gather', { ids, bias })).rejects.toThrow(/outside the supported int32 range/);
    await expect(store.run('gather', { ids: { ...ids, data: BigInt64Array.from([0n, 1n, 2n]) }, bias: { ...bias, dims: [2, 3, 2], data: new Float32Array(12) } })).rejects.toThrow(/'batch'/);
    const ok = { ids: { ...ids, data: BigInt64Array.from([0n, 4n, -1n]) }, bias };
    expect(compare(await store.run('gather', ok), await runOrt(f, ok)).relErr).toBe(0);
    await store.unload('gather');
  });

  it('a load that runs out of memory fails the run waiting on it and leaves the model cold', async () => {
    const f = join(dir, 'big.onnx');
    writeFileSync(f, buildModel({
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', type: 'float32', dims: [1, 1024] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { w: fromValues('float32', [1024, 3584], new Float32Array(1024 * 3584)) },
    }));
    // 14 MiB of weights fit the 16 MiB arena (a model larger than the arena is refused at register),
    // but not beside the 4 MiB another allocation holds.
    store.register('big', f);
    const hog = arena.allocate('infer', 4 << 20, 'hog');
    const e = await store.run('big', { x: { type: 'float32', dims: [1, 1024], data: new Float32Array(1024) } }).catch((err: unknown) => err);
    arena.free(hog);
    arena.reclaim(await arena.fence());
    expect((e as Error).name).toBe('OutOfMemoryError');
    expect(store.get('big')!.state).toBe('cold');
    expect(arena.stats().infer).toBe(0);
  });

  it('unknown and duplicate names, unreadable and unsupported files are typed errors', () => {
    expect(() => store.register('a', file)).toThrow(DuplicateModelError);
    expect(() => store.get('nope')).not.toThrow();
    return Promise.all([
      expect(store.run('nope', {})).rejects.toThrow(UnknownModelError),
      expect(store.load('nope')).rejects.toThrow(UnknownModelError),
      Promise.resolve(expect(() => store.register('missing', join(dir, 'no-such.onnx'))).toThrow(ModelError)),
    ]);
  });
});

describe('MatMul with a fused row bias', () => {
  for (const [label, biasDims, biasFirst] of [['Add(MatMul, b[6])', [6], false], ['Add(b[1,6], MatMul)', [1, 6], true]] as const) {
    it(`${label} matches onnxruntime-node`, async () => {
      const f = join(dir, `mm-${biasFirst}.onnx`);
      writeFileSync(f, buildModel({
        nodes: [
          { op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] },
          { op: 'Add', inputs: biasFirst ? ['b', 'm'] : ['m', 'b'], outputs: ['y'] },
        ],
        inputs: [{ name: 'x', type: 'float32', dims: [2, 3, 5] }],
        outputs: [{ name: 'y', type: 'float32' }],
        initializers: { w: fromValues('float32', [5, 6], randn(30, r)), b: fromValues('float32', [...biasDims], randn(6, r)) },
      }));
      store.register(`mm-${biasFirst}`, f);
      const inputs = { x: { type: 'float32' as const, dims: [2, 3, 5], data: randn(30, r) } };
      expect(compare(await store.run(`mm-${biasFirst}`, inputs), await runOrt(f, inputs)).maxAbsErr).toBeLessThan(1e-5);
      await store.unload(`mm-${biasFirst}`);
    });
  }
});

describe('Conv with a fused activation', () => {
  for (const [act, extra] of [['Relu', []], ['Clip', ['lo', 'hi']]] as const) {
    it(`Conv + ${act} matches onnxruntime-node`, async () => {
      const f = join(dir, `conv-${act}.onnx`);
      writeFileSync(f, buildModel({
        nodes: [
          { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
          { op: act, inputs: ['c', ...extra], outputs: ['y'] },
        ],
        inputs: [{ name: 'x', type: 'float32', dims: [2, 3, 7, 9] }],
        outputs: [{ name: 'y', type: 'float32' }],
        initializers: { w: fromValues('float32', [6, 3, 3, 3], randn(162, r)), b: fromValues('float32', [6], randn(6, r)), lo: fromValues('float32', [], [-0.5]), hi: fromValues('float32', [], [1]) },
      }));
      store.register(`conv-${act}`, f);
      const inputs = { x: { type: 'float32' as const, dims: [2, 3, 7, 9], data: randn(378, r) } };
      expect(compare(await store.run(`conv-${act}`, inputs), await runOrt(f, inputs)).maxAbsErr).toBeLessThan(1e-5);
      await store.unload(`conv-${act}`);
    });
  }
});
