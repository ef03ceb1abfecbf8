// Cold starts from host weights: the instances of one model file share one
// host copy of its weights (GpuDevice.hostBuffer: pinned memory on CUDA, so a
// reload is one DMA per layer group), freed when the last instance goes; and
// a pipelined cold start (the run issued while the weights still go up, each
// layer waiting for its own group) computes exactly what a plain load does.
// Float64 reference, fresh random weights, NaN-poisoned workspaces, odd
// shapes. Runs on the test backend (HANDOVER_TEST_BACKEND=cuda: the pinned path).
import { describe, expect, it } from 'vitest';
import { fromValues, type HostTensor } from '../src/onnx/tensor.js';
import { buildModel } from '../src/onnx/writer.js';
import { ColdModelError, ModelStore, type TensorData } from '../src/infer/store.js';
import { Arena } from '../src/core/arena.js';
import { OutOfMemoryError } from '../src/core/errors.js';
import { randn, rng, testBackend, useTestArena } from './helpers/gpu.js';

const r = rng(Date.now() & 0xffff);

/** A random MLP x [1, widths[0]] -> (Gemm -> Relu)* -> Gemm: one upload group per Gemm. */
function mlp(widths: number[]) {
  const layers = widths.slice(1).map((n, i) => ({ k: widths[i]!, n, w: randn(widths[i]! * n, r, 0.4), b: randn(n, r, 0.2) }));
  const nodes: { op: string; inputs: string[]; outputs: string[] }[] = [];
  const inits: Record<string, HostTensor> = {};
  layers.forEach((l, i) => {
    const x = i === 0 ? 'x' : `a${i - 1}`;
    const last = i === layers.length - 1;
    nodes.push({ op: 'Gemm', inputs: [x, `w${i}`, `b${i}`], outputs: [last ? 'y' : `h${i}`] });
    if (!last) nodes.push({ op: 'Relu', inputs: [`h${i}`], outputs: [`a${i}`] });
    inits[`w${i}`] = fromValues('float32', [l.k, l.n], l.w);
    inits[`b${i}`] = fromValues('float32', [l.n], l.b);
  });
  const bytes = buildModel({
    nodes,
    inputs: [{ name: 'x', type: 'float32', dims: [1, widths[0]!] }],
    outputs: [{ name: 'y', type: 'float32', dims: [1, widths[widths.length - 1]!] }],
    initializers: inits,
  });
  const reference = (x: Float32Array): Float64Array => {
    let a = Float64Array.from(x);
    layers.forEach((l, i) => {
      const h = new Float64Array(l.n);
      for (let j = 0; j < l.n; j++) {
        let s = l.b[j]!;
        for (let k = 0; k < l.k; k++) s += a[k]! * l.w[k * l.n + j]!;
        h[j] = i === layers.length - 1 ? s : Math.max(0, s);
      }
      a = h;
    });
    return a;
  };
  return { bytes, reference, inputWidth: widths[0]!, layers: layers.length };
}

const A = mlp([29, 67, 45, 13]);
const B = mlp([11, 23, 5]);

function input(width: number): Record<string, TensorData> {
  return { x: { type: 'float32', dims: [1, width], data: randn(width, r) } };
}

async function expectModel(store: ModelStore, name: string, m: typeof A): Promise<void> {
  const x = input(m.inputWidth);
  const y = (await store.run(name, x)).y!.data as Float32Array;
  const ref = m.reference(x.x!.data as Float32Array);
  expect(y.length).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i]! - ref[i]!), `${name} y[${i}] = ${y[i]} vs ${ref[i]}`).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
}

const bed = useTestArena();

describe('host weights shared by the instances of a file', () => {
  it('keeps one host copy per file, reloads from it, and frees it when the last instance goes', async () => {
    const before = bed.dev.hostBufferBytes;
    const store = new ModelStore(bed.arena, { poison: true, hostWeights: 'keep' });
    const a1 = store.registerBytes('a1', A.bytes);
    store.registerBytes('a2', A.bytes);
    expect(bed.dev.hostBufferBytes - before, 'two instances of one file: one copy').toBe(a1.bytes);
    const b = store.registerBytes('b', B.bytes);
    expect(bed.dev.hostBufferBytes - before).toBe(a1.bytes + b.bytes);

    for (const [name, m, decodes] of [['a1', A, 2 * A.layers], ['a2', A, 0], ['a1', A, 2 * A.layers], ['b', B, 2 * B.layers]] as const) {
      await store.load(name);
      expect(store.decodes(name), `${name}: weights decoded so far`).toBe(decodes);
      await expectModel(store, name, m);
      await store.unload(name);
    }

    await store.unregister('a1');
    expect(bed.dev.hostBufferBytes - before, 'a2 still holds the file').toBe(a1.bytes + b.bytes);
    await store.load('a2');
    expect(store.decodes('a2'), 'a2 reloads from the shared copy').toBe(0);
    await expectModel(store, 'a2', A);
    await store.unregister('a2'); // warm: unloaded first
    expect(bed.dev.hostBufferBytes - before, "the file's last instance freed its copy").toBe(b.bytes);
    expect(store.get('a2')).toBeUndefined();
    await store.dispose();
    expect(bed.dev.hostBufferBytes - before).toBe(0);
    expect(store.list()).toEqual([]);
  });

  it('a store that drops host weights holds none', async () => {
    const before = bed.dev.hostBufferBytes;
    const store = new ModelStore(bed.arena, { poison: true });
    store.registerBytes('a', A.bytes);
    await store.load('a');
    await expectModel(store, 'a', A);
    expect(bed.dev.hostBufferBytes).toBe(before);
    await store.dispose();
  });

  it('a freed host buffer cannot be uploaded from or freed again', () => {
    const buf = bed.dev.hostBuffer(4096);
    bed.dev.freeHostBuffer(buf);
    expect(() => bed.dev.freeHostBuffer(buf)).toThrow(/not a live hostBuffer/);
    if (testBackend === 'cuda') expect(buf.byteLength, 'CUDA: detached when freed').toBe(0);
    const backing = bed.dev.createBacking(4096);
    try {
      expect(() => bed.dev.upload({ backing, offset: 0, bytes: 4096 }, buf, 0)).toThrow(/not a live hostBuffer/);
      expect(() => bed.dev.upload({ backing, offset: 0, bytes: 4096 }, new ArrayBuffer(4096), 0)).toThrow(/not a live hostBuffer/);
    } finally {
      bed.dev.destroyBacking(backing);
    }
  });
});

describe('pipelined cold start', () => {
  for (const hostWeights of ['keep', 'drop'] as const) {
    it(`a run issued while the weights go up (host weights ${hostWeights}) computes exactly what a plain load does`, async () => {
      const plain = new ModelStore(bed.arena, { poison: true, hostWeights });
      plain.registerBytes('a', A.bytes);
      const piped = new ModelStore(bed.arena, { poison: true, hostWeights, coldRun: 'error' });
      piped.registerBytes('a', A.bytes);
      for (let round = 0; round < 2; round++) {
        const x = input(A.inputWidth);
        await plain.load('a');
        const want = (await plain.run('a', x)).y!.data as Float32Array;
        await plain.unload('a');

        const loading = piped.load('a', { pipelined: true });
        expect(piped.get('a')!.state, 'the load has started when load() returns').toBe('loading');
        const states: string[] = [];
        const got = (await piped.run('a', x, { hook: async (_k, _s, issue) => (states.push(piped.get('a')!.state), issue()) })).y!.data as Float32Array;
        await loading;
        expect(states[0], 'the first layer was issued before the load finished').toBe('loading');
        expect(Array.from(got), `round ${round}: pipelined vs plain, bit for bit`).toEqual(Array.from(want));
        const ref = A.reference(x.x!.data as Float32Array);
        for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
        await piped.unload('a');
      }
      await plain.dispose();
      await piped.dispose();
    });
  }
});

describe('a pipelined cold start whose load fails', () => {
  it("the run admitted beside it reports the load's error, not 'cold'; after an unload, 'cold' again", async () => {
    const small = new Arena(bed.dev, { bytes: 64 * 4096, pageBytes: 4096 });
    const store = new ModelStore(small, { hostWeights: 'keep', coldRun: 'error' });
    try {
      store.registerBytes('a', A.bytes);
      small.allocate('train', 60 * 4096); // training holds all but 16 KiB: A's weights (about 23 KiB) do not fit
      const loading = store.load('a', { pipelined: true });
      await expect(loading).rejects.toBeInstanceOf(OutOfMemoryError);
      const ran = store.run('a', input(A.inputWidth));
      await expect(ran).rejects.toBeInstanceOf(OutOfMemoryError);
      await expect(ran).rejects.toThrow(/out of memory/);
      await store.unload('a');
      await expect(store.run('a', input(A.inputWidth))).rejects.toBeInstanceOf(ColdModelError);
    } finally {
      await store.dispose();
      small.destroy();
    }
  });
});
