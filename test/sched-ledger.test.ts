// One page ledger between the colocation core and training: the arena
// converts bytes and pages; a require gains the pages that left training's
// limit; a release gives whole pages and says how many; a reserve that covered
// the need is refilled at training's next micro-batch, discarding nothing; the
// trainer's room against its micro-batch cap (headroom) is what a require
// can take without a discard.
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import { ColocationCore, type MemorySide, type ModelSide } from '../src/sched/core.js';
import { TrainerMemory } from '../src/sched/adapters.js';
import type { Dataset } from '../src/train/data.js';
import { Trainer } from '../src/train/trainer.js';
import type { GpuDevice } from '../src/core/device.js';
import { FakeTraining } from './helpers/fake-training.js';
import { holdNextMicroBatch } from './helpers/hold-gate.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

const MB = 1 << 20;
const PAGE = 64 << 10;

/** Training that defers on request: the test decides when the next micro-batch boundary comes. */
class DeferringTraining extends FakeTraining {
  yields: number[] = [];
  boundary: (() => void)[] = [];
  async yieldAtBoundary(bytes: number) {
    this.yields.push(bytes);
    return { freedBytes: this.take(bytes), free: new Promise<void>((res) => this.boundary.push(res)) };
  }
}

const models = (sizes: Record<string, number>): ModelSide => ({ bytes: (m) => sizes[m]!, load: async () => undefined, unload: async () => undefined });
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('the core refills its watermark at the next micro-batch', () => {
  it('a reserve that covers the need is taken, and the watermark comes back at the boundary, with no discard', async () => {
    const training = new DeferringTraining(1000 * MB);
    const core = new ColocationCore(training, models({ a: 80 * MB }), { tIdleMs: 5000, watermarkBytes: 100 * MB }, () => 0, { initialReserveBytes: 150 * MB });
    core.register('a');
    const adm = await core.admit('a');
    expect(adm.path).toBe('reserve');
    await settle();
    expect(training.requires).toEqual([]); // nothing running was asked to stop
    expect(training.yields).toEqual([30 * MB]); // W - (150 - 80)
    expect(core.freeBytes).toBe(70 * MB); // not usable until the boundary
    expect(core.pendingBytes).toBe(30 * MB);
    training.boundary.shift()!();
    await settle();
    expect(core.freeBytes).toBe(100 * MB);
    expect(core.pendingBytes).toBe(0);
    expect(core.stats.deferredRequires).toBe(1);
    expect(core.stats.deferredBytes).toBe(30 * MB);
  });

  it('a shortfall requires only what the request needs now; W follows at the boundary', async () => {
    const training = new DeferringTraining(1000 * MB);
    const core = new ColocationCore(training, models({ a: 80 * MB }), { tIdleMs: 5000, watermarkBytes: 100 * MB }, () => 0, { initialReserveBytes: 30 * MB });
    core.register('a');
    expect((await core.admit('a')).path).toBe('train');
    await settle();
    expect(training.requires).toEqual([50 * MB]); // need - reserve, not + W
    expect(training.yields).toEqual([100 * MB]);
    // A second shortfall while the refill is on its way does not ask for it twice.
    training.boundary.shift()!();
    await settle();
    expect(core.freeBytes).toBe(100 * MB);
  });

  it('without a deferring side (or for TaskSwitch) the require carries W as before', async () => {
    const plain: MemorySide = { require: async (b) => ({ freedBytes: b }), release: (b) => b, atMinimum: () => false };
    const asked: number[] = [];
    const spy: MemorySide = { ...plain, require: async (b) => (asked.push(b), plain.require(b)) };
    const core = new ColocationCore(spy, models({ a: 80 * MB }), { tIdleMs: 5000, watermarkBytes: 100 * MB }, () => 0, { initialReserveBytes: 30 * MB });
    core.register('a');
    await core.admit('a');
    expect(asked).toEqual([150 * MB]);
  });
});

describe('the ledger on the real Trainer (Dawn; SwiftShader without a GPU)', () => {
  let dev: GpuDevice;
  beforeAll(async () => {
    dev = await testDevice();
  });

  const config = { layers: [32, 256, 10], optimizer: 'sgd' as const, lr: 0.05, momentum: 0.9, weightDecay: 0, effectiveBatch: 256, microBatch: 256, seed: 3 };

  it('the arena converts: whole pages covering a request, within a give-back', () => {
    const arena = new Arena(dev, { bytes: 8 * PAGE, pageBytes: PAGE });
    expect([arena.pagesFor(1), arena.pagesFor(PAGE), arena.pagesFor(PAGE + 1)]).toEqual([1, 1, 2]);
    expect([arena.pagesWithin(PAGE - 1), arena.pagesWithin(PAGE), arena.pagesWithin(2.5 * PAGE)]).toEqual([0, 1, 2]);
    expect(arena.bytesOf(3)).toBe(3 * PAGE);
    arena.destroy();
  });

  it('requires, releases and trims with W not a page multiple: the core and the limit never drift', async () => {
    const arena = new Arena(dev, { bytes: 96 * PAGE, pageBytes: PAGE });
    // A micro-batch larger than the arena: training can always use more memory, so idle models are trimmed.
    const trainer = new Trainer(arena, new Gate(dev, { maxInFlight: 3 }), { ...config, microBatch: 4096, effectiveBatch: 4096 });
    trainer.init();
    const memory = new TrainerMemory(trainer);
    expect(memory.wantsMemory()).toBe(true);
    const W = 1.5 * PAGE;
    const sizes = { a: 3 * PAGE, b: 5 * PAGE, c: 2 * PAGE };
    let t = 0;
    const core = new ColocationCore(memory, models(sizes), { tIdleMs: 100, watermarkBytes: W }, () => t, { initialReserveBytes: 0 });
    for (const m of Object.keys(sizes)) core.register(m);
    const agree = () => expect(arena.bytesOf(arena.pageCount - arena.trainLimit)).toBe(core.inferenceBytes + core.pendingBytes);
    agree();
    for (const m of ['a', 'b', 'c', 'a']) {
      await core.admit(m);
      core.complete(m);
      await settle();
      agree();
    }
    t = 1000; // every model idles into the reserve, which is then trimmed to W: 1.5 pages are not whole, so 1 page stays
    await core.tick();
    agree();
    expect(core.stats.releases).toBeGreaterThan(0);
    expect(core.reserveBytes).toBe(2 * PAGE); // W rounded up to whole pages: half a page cannot go back
    expect(memory.release(2.5 * PAGE)).toBe(2 * PAGE);
    arena.destroy();
  });

  it('a trainer whose largest micro-batch fits wants no memory: idle models stay resident, nothing is released', async () => {
    const arena = new Arena(dev, { bytes: 96 * PAGE, pageBytes: PAGE });
    const trainer = new Trainer(arena, new Gate(dev, { maxInFlight: 3 }), config);
    trainer.init();
    const memory = new TrainerMemory(trainer);
    expect(memory.wantsMemory()).toBe(false);
    const sizes = { a: 3 * PAGE, b: 5 * PAGE };
    let t = 0;
    const core = new ColocationCore(memory, models(sizes), { tIdleMs: 100, watermarkBytes: PAGE }, () => t, { initialReserveBytes: 0 });
    for (const m of Object.keys(sizes)) core.register(m);
    for (const m of ['a', 'b']) {
      await core.admit(m);
      core.complete(m);
      await settle();
    }
    t = 1000;
    await core.tick();
    expect(core.stats.releases).toBe(0);
    expect([core.state('a'), core.state('b')]).toEqual(['reserved', 'reserved']);
    expect(arena.bytesOf(arena.pageCount - arena.trainLimit)).toBe(core.inferenceBytes + core.pendingBytes);
    arena.destroy();
  });

  /** A trainer that took one step (its micro-batch sized to what fits), and its data. */
  async function stepped(pages = 48, options: Partial<typeof config> = {}) {
    const arena = new Arena(dev, { bytes: pages * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 3 });
    const trainer = new Trainer(arena, gate, { ...config, ...options });
    trainer.init();
    const r = rng(5);
    const n = 256;
    const data: Dataset = { name: 'random', x: randn(n * 32, r), labels: Uint32Array.from({ length: n }, (_, i) => i % 10), n, features: 32, classes: 10 };
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    await trainer.step(data, idx);
    return { arena, gate, trainer, data, idx };
  }

  it('a release that covers a deferred require wakes it without waiting for the boundary', async () => {
    const { arena, gate, trainer, data, idx } = await stepped();
    const inGradients = holdNextMicroBatch(gate);
    const stepping = trainer.step(data, idx);
    await inGradients();
    const y = await trainer.yieldAtBoundary(arena.bytesOf(arena.stats().free + 2));
    let freed = false;
    void y.free.then(() => (freed = true));
    await settle();
    expect(freed).toBe(false);
    trainer.release(arena.bytesOf(y.givenPages)); // inference gave it all back before the micro-batch ended
    await settle();
    expect(freed).toBe(true);
    gate.resume();
    await stepping;
    expect(trainer.stats.discards).toBe(0);
    arena.destroy();
  });

  it('a deferred require lets the running micro-batch commit and sizes the next one smaller (no discard)', async () => {
    const { arena, gate, trainer, data, idx } = await stepped();
    const before = trainer.stats.microBatch;
    const actPages = trainer.elasticBytes / PAGE;
    const free0 = arena.stats().free;
    expect(actPages).toBeGreaterThan(1);
    const inGradients = holdNextMicroBatch(gate); // inference holds the gate: the micro-batch stays in gradient computation
    const stepping = trainer.step(data, idx);
    await inGradients();
    const memory = new TrainerMemory(trainer);
    const want = arena.bytesOf(free0 + Math.ceil(actPages / 2));
    const y = await memory.yieldAtBoundary(want);
    expect(y.freedBytes).toBe(want);
    let freed = false;
    void y.free.then(() => (freed = true));
    await new Promise((res) => setTimeout(res, 30));
    expect(freed).toBe(false); // the held micro-batch has not committed: its activations are still in use
    gate.resume();
    await y.free;
    expect(trainer.stats.discards).toBe(0);
    expect(arena.stats().free).toBeGreaterThanOrEqual(arena.pagesWithin(want));
    await stepping;
    await trainer.step(data, idx); // the next step's micro-batches are sized to the new limit
    expect(trainer.stats.discards).toBe(0);
    expect(trainer.stats.wastedMs).toBe(0); // nothing discarded: no training compute wasted
    expect(trainer.stats.microBatchMs).toBeGreaterThan(0);
    expect(trainer.stats.microBatch).toBeLessThan(before);
    expect(arena.stats().train).toBeLessThanOrEqual(arena.trainLimit);
    arena.destroy();
  });

  it('headroom at the cap: spare is the limit beyond the cap; taking it discards nothing, a page more discards', async () => {
    // Trainer.headroom: its room against the cap (64 here, 96 pages), what the core takes first and gives only when it can grow.
    const { arena, gate, trainer, data, idx } = await stepped(96, { microBatch: 64, effectiveBatch: 256 });
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
