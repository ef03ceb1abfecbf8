// A discard in the middle of an effective batch drops only the running
// micro-batch: the micro-batches committed before it stay in the accumulated
// gradient and do not run again, and the step ends bit-identical to one that
// no require disturbed (docs/results-scale.md asked whether a discard threw
// the whole effective batch away: it does not).
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import type { Dataset } from '../src/train/data.js';
import { Trainer, type TrainConfig } from '../src/train/trainer.js';
import type { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { holdNextMicroBatch } from './helpers/hold-gate.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

let dev: WebGpuDevice;
beforeAll(async () => {
  dev = await testDevice();
});

const cfg: TrainConfig = { layers: [13, 64, 32, 10], optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0, effectiveBatch: 64, microBatch: 16, seed: 11 };

function trainer() {
  const arena = new Arena(dev, { bytes: 128 * 64 * 1024, pageBytes: 64 * 1024 });
  const gate = new Gate(dev, { maxInFlight: 3 });
  const t = new Trainer(arena, gate, cfg);
  t.init();
  return { arena, gate, t };
}

describe('a discard keeps the effective batch', () => {
  it('only the running micro-batch runs again; the update equals an undisturbed one bit for bit', async () => {
    const r = rng(5);
    const data: Dataset = { name: 'random', x: randn(64 * 13, r), labels: Uint32Array.from({ length: 64 }, () => Math.floor(r() * 10)), n: 64, features: 13, classes: 10 };
    const idx = Uint32Array.from({ length: 64 }, (_, i) => 63 - i);
    const splits = [16, 16, 16, 16];

    const ref = trainer();
    await ref.t.step(data, idx, splits);
    await ref.t.step(data, idx, splits);
    const want = await ref.t.readParameters();
    ref.arena.destroy();

    const { arena, gate, t } = trainer();
    await t.step(data, idx, splits); // momentum non-zero before the disturbed step
    const commits: number[][] = [];
    let inGradients: (() => Promise<void>) | null = null;
    t.onCommit = (b) => {
      commits.push([...b]);
      if (commits.length === 2) inGradients = holdNextMicroBatch(gate); // the third micro-batch stays in gradient computation
    };
    const stepping = t.step(data, idx, splits);
    while (!inGradients) await new Promise((res) => setTimeout(res, 0));
    await (inGradients as () => Promise<void>)();
    const report = await t.require(arena.bytes);
    gate.resume();
    expect(report.discarded).toBe(true);
    t.release(arena.bytes);
    await stepping;

    expect(t.stats.discards).toBe(1);
    expect(commits.map((c) => c.length)).toEqual(splits); // two before the discard, the third again, the fourth: none of the first two twice
    expect(commits.flat()).toEqual([...idx]);
    const got = await t.readParameters();
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    arena.destroy();
  });
});

describe('a REQUIRE hands back zeroed pages after a fence of the training lane alone', () => {
  it('inference allocates the freed pages next and reads zeros plus its own write, never training data', async () => {
    const r = rng(9);
    const data: Dataset = { name: 'random', x: randn(64 * 13, r), labels: Uint32Array.from({ length: 64 }, () => Math.floor(r() * 10)), n: 64, features: 13, classes: 10 };
    const idx = Uint32Array.from({ length: 64 }, (_, i) => i);
    const { arena, t } = trainer();
    await t.step(data, idx, [16, 16, 16, 16]); // activations hold pages written by training
    const held = arena.stats().train;
    const report = await t.require(arena.bytes);
    expect(report.freedBytes).toBeGreaterThan(0);
    const infer = arena.allocate('infer', arena.stats().free * arena.pageBytes, 'reader'); // every free page: the freed ones among them
    const range = infer.range();
    const mark = Float32Array.from({ length: 7 }, () => r() + 1);
    dev.write({ backing: range.backing, offset: range.offset + 4096, bytes: mark.byteLength }, mark, 'infer');
    const got = new Float32Array((await dev.read(range, 'infer')).buffer);
    const want = new Float32Array(range.bytes / 4);
    want.set(mark, 1024);
    expect(arena.stats().train).toBeLessThan(held);
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer))).toBe(true);
    arena.free(infer);
    t.release(arena.bytes);
    arena.destroy();
  });
});
