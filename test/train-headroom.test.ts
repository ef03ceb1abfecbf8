// The trainer's room against its micro-batch cap (Trainer.headroom), on the
// real Trainer (Dawn; SwiftShader without a GPU): at the cap, its spare is
// what its limit allows beyond the cap's activations, and a require of that
// much while a micro-batch runs discards nothing; one page more discards it,
// and then training needs memory again (nextBytes, capBytes).
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { TrainerMemory } from '../src/sched/adapters.js';
import type { Dataset } from '../src/train/data.js';
import { Trainer } from '../src/train/trainer.js';
import { holdNextMicroBatch } from './helpers/hold-gate.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

const PAGE = 64 << 10;

describe('Trainer.headroom', () => {
  let dev: GpuDevice;
  beforeAll(async () => {
    dev = await testDevice();
  });

  it('at the cap: spare is the limit beyond the cap; taking it discards nothing, a page more discards', async () => {
    const arena = new Arena(dev, { bytes: 96 * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 3 });
    const trainer = new Trainer(arena, gate, { layers: [32, 256, 10], optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0, effectiveBatch: 192, microBatch: 64, seed: 3 });
    trainer.init();
    const r = rng(7);
    const n = 192;
    const data: Dataset = { name: 'random', x: randn(n * 32, r), labels: Uint32Array.from({ length: n }, (_, i) => i % 10), n, features: 32, classes: 10 };
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    await trainer.step(data, idx);
    expect(trainer.stats.microBatch).toBe(64);
    const staticPages = trainer.staticBytes / PAGE;
    const held = trainer.elasticBytes / PAGE;
    const room = trainer.headroom();
    expect(room.capBytes).toBe(0);
    expect(room.nextBytes).toBe(0);
    expect(room.spareBytes).toBe(arena.bytesOf(Math.min(arena.trainLimit - staticPages - held, arena.stats().free)));
    expect(room.spareBytes).toBeGreaterThan(4 * PAGE);

    const memory = new TrainerMemory(trainer);
    const inGradients = holdNextMicroBatch(gate);
    const stepping = trainer.step(data, idx);
    await inGradients();
    const spare = await memory.require(room.spareBytes);
    expect(spare).toMatchObject({ freedBytes: room.spareBytes, discarded: false });
    expect(trainer.headroom()).toEqual({ spareBytes: 0, nextBytes: 0, capBytes: 0 });
    expect(trainer.stats.discards).toBe(0);

    const more = await memory.require(PAGE);
    expect(more.discarded).toBe(true);
    const after = trainer.headroom();
    expect(after.spareBytes).toBe(0);
    expect(after.nextBytes).toBeGreaterThan(0);
    expect(after.capBytes).toBeGreaterThanOrEqual(after.nextBytes);
    expect(memory.wantsMemory()).toBe(true);
    gate.resume();
    await stepping;
    expect(trainer.stats.discards).toBe(1);
    expect(trainer.stats.microBatch).toBeLessThan(64);
    memory.release(after.capBytes); // what it needs to reach the cap again
    await trainer.step(data, idx);
    expect(trainer.stats.microBatch).toBe(64);
    expect(trainer.headroom()).toEqual({ spareBytes: 0, nextBytes: 0, capBytes: 0 });
    arena.destroy();
  });
});
