// Fewer host waits a step (issue 17): the update phase ends once its kernels
// are launched (Gate.endUpdate wait: false), and a step of one micro-batch
// updates from its gradient with its loss read while the update runs
// (TrainerTuning.pipelineUpdates, fuseSingleMicroBatch). A require that
// arrives while such an update still runs must wait for it; nothing changes
// the numbers: parameters, optimizer state and losses bit-identical to the
// unpipelined, unfused trainer; a discard mid-gradient still leaves the state
// as an undisturbed step does.
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import { busy, SimDevice } from '../src/devices/sim/device.js';
import type { GpuDevice } from '../src/core/device.js';
import type { TrainAllocation } from '../src/core/allocation.js';
import type { Dataset } from '../src/train/data.js';
import { Trainer, type TrainConfig, type TrainerTuning } from '../src/train/trainer.js';
import { holdNextMicroBatch, requireInGradients } from './helpers/hold-gate.js';
import { POISON, randn, rng, testDevice } from './helpers/gpu.js';

describe('Gate.endUpdate without waiting (simulated device)', () => {
  it('returns before the update has run; a close after it waits for the update and reports so', async () => {
    const dev = new SimDevice();
    const gate = new Gate(dev, { maxInFlight: 4 });
    const log: string[] = [];
    gate.beginCompute();
    gate.enqueue(dev.op(() => void log.push('gradient')));
    await gate.beginUpdate();
    expect(gate.hostWaits).toBe(1);
    gate.enqueue(dev.op(async () => {
      await busy(40);
      log.push('update');
    }));
    await gate.endUpdate({ wait: false });
    expect(gate.phase).toBe('idle');
    expect(log).toEqual(['gradient']); // the update still runs
    expect(gate.hostWaits).toBe(1); // endUpdate did not wait
    gate.beginCompute();
    gate.enqueue(dev.op(async () => {
      await busy(20);
      log.push('next gradient');
    }));
    for (let i = 0; i < 6; i++) gate.enqueue(dev.op(() => void log.push('queued')));
    const r = await gate.close();
    expect(r.phaseAtClose).toBe('gc'); // the next micro-batch is what is discarded
    expect(r.waitedForUpdate).toBe(true);
    expect(log.slice(0, 2)).toEqual(['gradient', 'update']); // the update ran whole before the proof
    expect(r.dropped).toBeGreaterThan(0);
    expect(() => gate.proof()).not.toThrow();
    gate.open();
  });

  it('waits until a held gate launches the update, and a close in the update still completes it', async () => {
    const dev = new SimDevice();
    const gate = new Gate(dev, { maxInFlight: 4 });
    let updated = 0;
    gate.beginCompute();
    await gate.beginUpdate();
    gate.hold(); // inference holds the GPU: the update's kernels stay queued
    for (let i = 0; i < 3; i++) gate.enqueue(dev.op(() => void updated++));
    let ended = false;
    const ending = gate.endUpdate({ wait: false }).then(() => (ended = true));
    await busy(10);
    expect(ended).toBe(false); // not all launched yet: the phase is still the update
    expect(gate.phase).toBe('mu');
    const r = await gate.close(); // a require: the update is finished first, never dropped
    await ending;
    expect(r.waitedForUpdate).toBe(true);
    expect(r.dropped).toBe(0);
    expect(updated).toBe(3);
    gate.resume();
    gate.open();
  });
});

const base: TrainConfig = { layers: [13, 37, 29, 10], optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01, effectiveBatch: 23, microBatch: 23, seed: 5 };

function make(dev: GpuDevice, tuning: Partial<TrainerTuning>, cfg: TrainConfig = base) {
  const arena = new Arena(dev, { bytes: 64 * 64 * 1024, pageBytes: 64 * 1024 });
  const gate = new Gate(dev, { maxInFlight: 3 });
  const t = new Trainer(arena, gate, cfg);
  Object.assign(t.tuning, tuning);
  t.init();
  return { arena, gate, t };
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const PLAIN = { pipelineUpdates: false, fuseSingleMicroBatch: false };
const FAST = { pipelineUpdates: true, fuseSingleMicroBatch: true };

describe('pipelined, fused trainer steps (WebGPU; SwiftShader here)', () => {
  let dev: GpuDevice;
  let data: Dataset;
  beforeAll(async () => {
    dev = await testDevice();
    const r = rng(17);
    data = { name: 'random', x: randn(23 * 13, r), labels: Uint32Array.from({ length: 23 }, () => Math.floor(r() * 10)), n: 23, features: 13, classes: 10 };
  });

  /** Losses of each step and the final state, for steps of the given micro-batch splits. */
  async function run(tuning: Partial<TrainerTuning>, plan: (number[] | undefined)[], cfg = base, poison = false) {
    const { arena, gate, t } = make(dev, tuning, cfg);
    if (poison) {
      const grad = (t as unknown as { state: { grad: TrainAllocation } }).state.grad; // the accumulator a fused step must not read (train-state.ts)
      dev.write(grad.range(), new Uint32Array(grad.bytes / 4).fill(POISON));
      await gate.idle();
    }
    const idx = Uint32Array.from({ length: cfg.effectiveBatch }, (_, i) => (i * 7) % 23);
    const losses: number[] = [];
    for (const splits of plan) {
      await t.step(data, idx, splits);
      losses.push(await t.lastLoss());
    }
    const state = await t.readState();
    const params = await t.readParameters();
    const waits = gate.hostWaits;
    arena.destroy();
    return { losses, state, params, waits };
  }

  it('one micro-batch a step: parameters, gradient, momentum and losses bit-identical, with fewer host waits; the accumulator is never read', async () => {
    const plan = [undefined, undefined, undefined, undefined, undefined];
    const want = await run(PLAIN, plan);
    const got = await run(FAST, plan, base, true);
    expect(want.losses.every(Number.isFinite)).toBe(true);
    expect(got.losses).toEqual(want.losses);
    expect(bits(got.params).equals(bits(want.params))).toBe(true);
    got.state.forEach((s, i) => expect(bits(s).equals(bits(want.state[i]!))).toBe(true));
    expect(got.params.every(Number.isFinite)).toBe(true);
    expect(got.waits).toBeLessThan(want.waits); // one wait a step (beginUpdate) instead of two
    expect(got.waits).toBe(plan.length);
  });

  it('several micro-batches a step (odd splits), and Adam: bit-identical with the pipelining', async () => {
    const plan = [[7, 11, 5], [23], [1, 22], undefined];
    const want = await run(PLAIN, plan);
    const got = await run(FAST, plan);
    expect(got.losses).toEqual(want.losses);
    expect(bits(got.params).equals(bits(want.params))).toBe(true);
    const adam: TrainConfig = { ...base, optimizer: 'adam', lr: 0.01 };
    const wantA = await run(PLAIN, [undefined, undefined, [9, 14]], adam);
    const gotA = await run(FAST, [undefined, undefined, [9, 14]], adam, true);
    expect(gotA.losses).toEqual(wantA.losses);
    expect(bits(gotA.params).equals(bits(wantA.params))).toBe(true);
    gotA.state.forEach((s, i) => expect(bits(s).equals(bits(wantA.state[i]!))).toBe(true));
  });

  it('a discard in the gradient of a fused step reruns it and ends bit-identical to an undisturbed step', async () => {
    const want = await run(FAST, [undefined, undefined]);
    const { arena, gate, t } = make(dev, FAST);
    const idx = Uint32Array.from({ length: 23 }, (_, i) => (i * 7) % 23);
    await t.step(data, idx); // momentum non-zero before the disturbed step
    const first = await t.lastLoss();
    const inGradients = holdNextMicroBatch(gate);
    const report = await requireInGradients(t, gate, arena.bytes, inGradients, t.step(data, idx));
    expect(report.discarded).toBe(true);
    expect(t.stats.discards).toBe(1);
    expect([first, await t.lastLoss()]).toEqual(want.losses);
    expect(bits(await t.readParameters()).equals(bits(want.params))).toBe(true);
    arena.destroy();
  });

  it('a require right after a pipelined step waits for its update: the parameters read after it are the updated ones', async () => {
    const want = await run(PLAIN, [undefined]);
    const { arena, t } = make(dev, FAST);
    const idx = Uint32Array.from({ length: 23 }, (_, i) => (i * 7) % 23);
    await t.step(data, idx);
    const report = await t.require(arena.bytes); // the update may still run: the close must wait for it
    expect(report.discarded).toBe(false);
    expect(bits(await t.readParameters()).equals(bits(want.params))).toBe(true);
    t.release(arena.bytes);
    arena.destroy();
  });
});
