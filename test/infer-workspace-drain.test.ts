// A run answers once its outputs are read; the fence that hands its workspace
// back runs after (src/infer/workspace-drain.ts). Here the device's inference
// fence is held open by the test: the answer must not wait for it, the pages
// stay pending until it ends, an allocation that needs them waits for it
// instead of failing, and a fence that fails is reported at the next run.
// One-queue devices only (WebGPU): on CUDA the inference stream's own fence is
// awaited as before (src/infer/executor.ts), so these skip there.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { DeviceError } from '../src/core/errors.js';
import { ModelStore, type TensorData } from '../src/infer/store.js';
import { fencesInFlight } from '../src/infer/workspace-drain.js';
import { fromValues } from '../src/onnx/tensor.js';
import { buildModel } from '../src/onnx/writer.js';
import { randn, rng, testBackend, testDevice } from './helpers/gpu.js';

const r = rng(Date.now() & 0xffff);
const PAGE = 64 << 10;
let dev: GpuDevice;
let arena: Arena;
let store: ModelStore;
let fenceLane: GpuDevice['fenceLane'];

/** x [batch, 32] -> Gemm -> Relu -> Gemm: a workspace of a few pages at batch 512. */
function mlpFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'handover-drain-'));
  const file = join(dir, 'mlp.onnx');
  const initializers = { w0: fromValues('float32', [32, 64], randn(32 * 64, r, 0.3)), w1: fromValues('float32', [64, 8], randn(64 * 8, r, 0.3)) };
  const nodes = [
    { op: 'Gemm', inputs: ['x', 'w0'], outputs: ['h'] },
    { op: 'Relu', inputs: ['h'], outputs: ['a'] },
    { op: 'Gemm', inputs: ['a', 'w1'], outputs: ['y'] },
  ];
  writeFileSync(file, buildModel({ nodes, inputs: [{ name: 'x', type: 'float32', dims: ['batch', 32] }], outputs: [{ name: 'y', type: 'float32', dims: ['batch', 8] }], initializers }));
  return file;
}

const input = (batch: number): Record<string, TensorData> => ({ x: { type: 'float32', dims: [batch, 32], data: randn(batch * 32, r) } });

/** Holds the device's inference fences until open() (a deferred shared by every fence in the meantime). */
function holdFences(fail?: Error): { open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((res) => (open = res));
  dev.fenceLane = async (lane) => {
    await opened;
    if (fail) throw fail;
    return fenceLane.call(dev, lane);
  };
  return { open };
}

/** 'settled' if p settles within ms, else 'pending'. */
async function within(p: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  return Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((res) => setTimeout(() => res('pending'), ms))]);
}

async function drained(): Promise<void> {
  for (let i = 0; i < 200 && fencesInFlight(arena) > 0; i++) await new Promise((res) => setTimeout(res, 5));
}

beforeAll(async () => {
  dev = await testDevice();
  fenceLane = dev.fenceLane;
  arena = new Arena(dev, { bytes: 64 * PAGE, pageBytes: PAGE });
  store = new ModelStore(arena);
  const file = mlpFile();
  for (const name of ['a', 'b']) {
    store.register(name, file);
    await store.load(name);
  }
});
afterAll(async () => {
  dev.fenceLane = fenceLane;
  await store.dispose();
  arena.destroy();
});

if (testBackend === 'cuda') console.log('infer-workspace-drain: skipped on CUDA: runs there await their own stream\'s fence (the background fence is for one-queue devices)');
describe.skipIf(testBackend === 'cuda')('a run answers before the fence that hands its workspace back', () => {
  it('answers while the fence is held, with the same outputs; the pages come back when it ends', async () => {
    const x = input(512);
    const want = (await store.run('a', x)).y!.data as Float32Array;
    await drained();
    const free = arena.freeBytes;
    const held = holdFences();
    try {
      const run = store.run('a', x);
      expect(await within(run, 3000), 'the answer waited for the fence').toBe('settled');
      expect(Array.from((await run).y!.data as Float32Array)).toEqual(Array.from(want));
      expect(fencesInFlight(arena)).toBe(1);
      expect(arena.stats().inferPending, 'the workspace is pending while its fence is held').toBeGreaterThan(0);
      expect(arena.freeBytes).toBeLessThan(free);
    } finally {
      held.open();
    }
    await drained();
    expect(fencesInFlight(arena)).toBe(0);
    expect(arena.stats().inferPending).toBe(0);
    expect(arena.freeBytes).toBe(free);
  });

  it('an allocation that needs the pending pages waits for the fence instead of failing', async () => {
    await drained();
    const x = input(512);
    const want = (await store.run('b', x)).y!.data as Float32Array;
    await drained();
    // How many pages a run's workspace takes: the pages pending after a run while its fence is held.
    const probe = holdFences();
    const first = await store.run('a', input(512));
    expect(first.y!.dims).toEqual([512, 8]);
    const pendingPages = arena.stats().inferPending;
    probe.open();
    await drained();
    expect(pendingPages).toBeGreaterThan(0);
    // Leave free exactly one workspace: b's run must wait for a's pages.
    const filler = arena.allocate('infer', arena.freeBytes - pendingPages * PAGE, 'filler');
    try {
      const held = holdFences();
      await store.run('a', input(512)); // its workspace is now pending, and nothing else is free
      expect(arena.freeBytes).toBe(0);
      const second = store.run('b', x);
      expect(await within(second, 200), 'b ran without free pages').toBe('pending');
      held.open();
      expect(Array.from((await second).y!.data as Float32Array)).toEqual(Array.from(want));
    } finally {
      dev.fenceLane = fenceLane;
      await drained();
      arena.free(filler);
      arena.reclaim(await arena.fence());
    }
  });

  it('a fence that fails is reported at the next run, not lost', async () => {
    await drained();
    const held = holdFences(new DeviceError('fence (test)', 'the device was lost'));
    await store.run('a', input(8));
    held.open();
    await drained();
    dev.fenceLane = fenceLane;
    await expect(store.run('b', input(8))).rejects.toThrow(/the device was lost/);
    // reported once: the next run goes on
    expect((await store.run('b', input(8))).y!.dims).toEqual([8, 8]);
  });
});
