// Algorithm 1 (SLO-aware reallocation) on scripted event sequences, with a
// fake clock, a fake training memory side and a fake model side.
import { describe, expect, it } from 'vitest';
import { ColocationCore, type CoreConfig, type ModelSide } from '../src/sched/core.js';
import { InferenceMemoryError, UnknownSchedModelError } from '../src/sched/errors.js';
import { FakeTraining } from './helpers/fake-training.js';

class FakeModels implements ModelSide {
  loads: { model: string; pipelined: boolean }[] = [];
  unloads: string[] = [];
  constructor(private sizes: Record<string, number>) {}
  bytes(m: string) {
    return this.sizes[m]!;
  }
  async load(model: string, opts: { pipelined: boolean }) {
    this.loads.push({ model, pipelined: opts.pipelined });
  }
  async unload(model: string) {
    this.unloads.push(model);
  }
}

const MB = 1 << 20;

function setup(opts: { training: number; reserve?: number; sizes: Record<string, number>; config?: Partial<CoreConfig> }) {
  let t = 0;
  const training = new FakeTraining(opts.training);
  const models = new FakeModels(opts.sizes);
  const core = new ColocationCore(training, models, { tIdleMs: 5000, watermarkBytes: 100 * MB, ...opts.config }, () => t, { initialReserveBytes: opts.reserve ?? 0 });
  for (const m of Object.keys(opts.sizes)) core.register(m);
  const at = (ms: number) => {
    t = ms;
  };
  /** One request: admit, run (no time), complete. */
  const serve = async (m: string) => {
    const a = await core.admit(m);
    core.complete(m);
    return a;
  };
  return { core, training, models, at, serve };
}

describe('require: reserve, then training, then swapping', () => {
  it('serves a cold model from the reserve without asking training', async () => {
    const { core, training, serve } = setup({ training: 1000 * MB, reserve: 300 * MB, sizes: { a: 200 * MB } });
    const adm = await serve('a');
    expect(adm).toMatchObject({ path: 'reserve', coldStart: true });
    expect(training.requires).toEqual([]);
    expect(core.reserveBytes).toBe(100 * MB);
    expect(core.log.ofKind('take-reserve')).toHaveLength(1);
  });

  it('shrinks training by (need - reserve) + W, leaving W in the reserve', async () => {
    const { core, training, serve } = setup({ training: 1000 * MB, reserve: 50 * MB, sizes: { a: 200 * MB } });
    const adm = await serve('a');
    expect(adm.path).toBe('train');
    expect(training.requires).toEqual([200 * MB - 50 * MB + 100 * MB]);
    expect(core.reserveBytes).toBe(100 * MB);
    expect(core.inferenceBytes).toBe(300 * MB);
    const ev = core.log.ofKind('require')[0]!;
    expect(ev).toMatchObject({ model: 'a', bytes: 250 * MB, freedBytes: 250 * MB, reserveBytes: 300 * MB }); // before the load takes its 200
  });

  it('a warm model is a hit: no memory decision', async () => {
    const { core, training, serve } = setup({ training: 1000 * MB, sizes: { a: 200 * MB } });
    await serve('a');
    const before = core.log.all().length;
    expect(await serve('a')).toMatchObject({ path: 'warm', coldStart: false });
    expect(core.log.all().length).toBe(before);
    expect(training.requires).toHaveLength(1);
    expect(core.stats).toMatchObject({ admits: 2, warmHits: 1, coldStarts: 1 });
  });

  it('with training at its minimum, swaps warm models out coldest first and loads pipelined', async () => {
    const { core, training, models, serve, at } = setup({ training: 300 * MB, sizes: { a: 100 * MB, b: 100 * MB, c: 100 * MB, d: 150 * MB } });
    at(0);
    await serve('a'); // require 200: reserve W
    at(10);
    await serve('b'); // from the reserve
    at(20);
    await serve('c'); // require 200, training gives its last 100
    expect(training.atMinimum()).toBe(true);
    expect(core.reserveBytes).toBe(0);
    at(30);
    await core.admit('b'); // b pinned (running): never swapped out
    const adm = await core.admit('d');
    expect(adm.path).toBe('swap');
    // a (used at 0) then c (used at 20) go; b is pinned.
    expect(core.log.ofKind('swap-out').map((e) => e.model)).toEqual(['a', 'c']);
    expect(models.unloads).toEqual(['a', 'c']);
    expect(models.loads.at(-1)).toEqual({ model: 'd', pipelined: true });
    expect(core.state('a')).toBe('cold');
    expect(core.state('b')).toBe('warm');
    expect(core.reserveBytes).toBe(50 * MB);
  });

  it('a model taken by a request while an earlier swap-out unloads is not swapped out under it', async () => {
    // The storm of `handover train --storm` on a starved host: 'storm-40 is cold' at its run.
    const { core, training, models, serve, at } = setup({ training: 300 * MB, sizes: { a: 100 * MB, b: 100 * MB, c: 100 * MB, d: 150 * MB } });
    at(0);
    await serve('a');
    at(10);
    await serve('b');
    at(20);
    await serve('c');
    expect(training.atMinimum()).toBe(true);
    at(30);
    // The first swap-out's unload (a, the coldest) is slow; meanwhile a request for b (warm, next in line) arrives.
    let finishUnload!: () => void;
    const unload = models.unload.bind(models);
    models.unload = async (m: string) => {
      if (m === 'a') await new Promise<void>((r) => (finishUnload = r));
      return unload(m);
    };
    const forD = core.admit('d');
    await new Promise((r) => setTimeout(r, 0));
    expect(core.state('a')).toBe('cold'); // its unload has begun
    expect(await core.admit('b')).toMatchObject({ path: 'warm' }); // b is pinned now: running
    finishUnload();
    expect((await forD).path).toBe('swap');
    expect(models.unloads).toEqual(['a', 'c']); // b, in use, stays; c (the next coldest) goes instead
    expect(core.state('b')).toBe('warm');
    core.complete('b');
    core.complete('d');
  });

  it('fails with a typed error when a model can never fit', async () => {
    const { core } = setup({ training: 100 * MB, config: { watermarkBytes: 0 }, sizes: { a: 100 * MB, big: 300 * MB } });
    await expect(core.admit('big')).rejects.toBeInstanceOf(InferenceMemoryError);
    expect(core.state('big')).toBe('cold');
    expect(core.snapshot().models.find((m) => m.name === 'big')!.pinned).toBe(0);
    await expect(core.admit('zzz')).rejects.toBeInstanceOf(UnknownSchedModelError);
  });

  it('waits for a running request when the memory it needs is pinned', async () => {
    const { core, serve } = setup({ training: 100 * MB, config: { watermarkBytes: 0 }, sizes: { a: 100 * MB, b: 100 * MB } });
    await serve('a');
    await core.admit('a'); // a is running
    let admittedB = false;
    const forB = core.admit('b').then((x) => ((admittedB = true), x));
    await new Promise((r) => setTimeout(r, 5));
    expect(admittedB).toBe(false);
    core.complete('a');
    expect((await forB).path).toBe('swap');
    expect(core.state('a')).toBe('cold');
  });

  it('a static partition never asks training (requireFromTraining: false)', async () => {
    const { core, training, serve } = setup({ training: 1000 * MB, reserve: 150 * MB, config: { requireFromTraining: false, tIdleMs: Infinity }, sizes: { a: 100 * MB, b: 100 * MB } });
    await serve('a');
    expect((await serve('b')).path).toBe('swap');
    expect(training.requires).toEqual([]);
    expect(core.inferenceBytes).toBe(150 * MB);
  });
});

describe('idle models go to the reserve; the reserve trims from 2W to W', () => {
  it('fills to 2W without releasing, then trims to W releasing the coldest first', async () => {
    const W = 100 * MB;
    const { core, training, models, serve, at } = setup({ training: 1000 * MB, sizes: { a: W, b: W, c: W } });
    at(0);
    await serve('a'); // require 2W, reserve W
    at(1000);
    await serve('b'); // from the reserve: 0 left
    at(2000);
    await serve('c'); // require 2W: reserve W
    expect(core.reserveBytes).toBe(W);

    at(5000); // a idle exactly T_idle: not yet
    await core.tick();
    expect(core.state('a')).toBe('warm');
    at(5001); // a idle > T_idle: reserve W + a = 2W, not above 2W
    await core.tick();
    expect(core.state('a')).toBe('reserved');
    expect(core.reserveBytes).toBe(2 * W);
    expect(training.releases).toEqual([]);

    at(6500); // b expires too: reserve 3W > 2W -> unload a (coldest), release 2W, keep b resident
    await core.tick();
    expect(models.unloads).toEqual(['a']);
    expect(training.releases).toEqual([2 * W]);
    expect(core.reserveBytes).toBe(W);
    expect(core.state('a')).toBe('cold');
    expect(core.state('b')).toBe('reserved');
    const kinds = core.log.all().slice(-4).map((e) => [e.kind, e.model]);
    expect(kinds).toEqual([
      ['idle', 'a'],
      ['idle', 'b'],
      ['evict', 'a'],
      ['release', null],
    ]);

    // b is still resident in the reserve: a request reuses it with no cold start.
    at(7000);
    const adm = await serve('b');
    expect(adm).toMatchObject({ path: 'reuse', coldStart: false });
    expect(core.reserveBytes).toBe(0);
    expect(models.loads.filter((l) => l.model === 'b')).toHaveLength(1);
  });

  it('keeps idle models resident while training cannot use more memory (wantsMemory false), trims once it can', async () => {
    const W = 100 * MB;
    const { core, training, models, serve, at } = setup({ training: 1000 * MB, sizes: { a: W, b: W, c: W, d: 2 * W } });
    let wants = false;
    training.wantsMemory = () => wants;
    at(0);
    await serve('a');
    at(1000);
    await serve('b');
    at(2000);
    await serve('c');
    at(9000); // all three idle > T_idle: reserve 4W > 2W, but training's largest micro-batch fits
    await core.tick();
    expect(['a', 'b', 'c'].map((m) => core.state(m))).toEqual(['reserved', 'reserved', 'reserved']);
    expect(models.unloads).toEqual([]);
    expect(training.releases).toEqual([]);
    expect(await serve('a')).toMatchObject({ path: 'reuse', coldStart: false }); // no cold start for nothing
    // A cold model larger than the free reserve: the idle models in the reserve pay, not training (a side that
    // says nothing of its spare has none to give without a discard: test/sched-core-headroom.test.ts).
    const asked = training.requires.length;
    expect(await serve('d')).toMatchObject({ path: 'reserve', coldStart: true });
    expect(training.requires.length).toBe(asked);
    expect(models.unloads).toEqual(['b']); // the coldest reserved model; W of free reserve covers the rest
    wants = true; // training could grow now: the same tick trims to W
    at(20000);
    const unloaded = models.unloads.length;
    await core.tick();
    expect(models.unloads.length).toBeGreaterThan(unloaded);
    expect(training.releases.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    expect(core.reserveBytes).toBe(W);
  });

  it('trims coldest reserved models first and keeps the reserve exactly at W', async () => {
    const W = 100 * MB;
    const { core, training, models, serve, at } = setup({ training: 10_000 * MB, config: { tIdleMs: 100 }, sizes: { m0: 60 * MB, m1: 60 * MB, m2: 60 * MB, m3: 60 * MB, m4: 60 * MB } });
    for (let i = 0; i < 5; i++) {
      at(i * 10);
      await serve(`m${i}`);
    }
    const held = core.inferenceBytes;
    at(1000);
    await core.tick(); // all five idle: reserve = free + 300 MB > 2W
    expect(core.reserveBytes).toBe(W);
    const evicted = core.log.ofKind('evict').map((e) => e.model);
    expect(evicted).toEqual(evicted.slice().sort()); // m0 (coldest) first
    expect(evicted[0]).toBe('m0');
    expect(models.unloads).toEqual(evicted);
    expect(training.releases.reduce((a, b) => a + b, 0)).toBe(held - W);
  });

  it('events carry timestamps, reasons and the reserve after each decision; a cursor reads new ones', async () => {
    const { core, serve, at } = setup({ training: 1000 * MB, sizes: { a: 100 * MB } });
    const { next } = core.log.since(0);
    at(42);
    await serve('a');
    const { events } = core.log.since(next);
    expect(events.map((e) => e.kind)).toEqual(['require', 'load']);
    for (const e of events) {
      expect(e.t).toBe(42);
      expect(e.reason.length).toBeGreaterThan(0);
    }
    expect(events[0]!.reserveBytes).toBe(200 * MB);
    expect(events[1]!.reserveBytes).toBe(100 * MB);
    expect(JSON.parse(JSON.stringify(core.log))).toHaveLength(2);
  });
});

describe('concurrent requests', () => {
  it('one load per cold model however many requests arrive during the require and the load', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const training = new FakeTraining(1000 * MB);
    const slowRequire = training.require.bind(training);
    training.require = async (b: number) => {
      await gate;
      return slowRequire(b);
    };
    const models = new FakeModels({ a: 100 * MB });
    const core = new ColocationCore(training, models, { tIdleMs: 5000, watermarkBytes: 100 * MB }, () => 0);
    core.register('a');
    const all = Promise.all([core.admit('a'), core.admit('a'), core.admit('a')]);
    await Promise.resolve();
    release();
    const adms = await all;
    expect(adms.map((a) => a.path)).toEqual(['train', 'joined', 'joined']);
    expect(models.loads).toHaveLength(1);
    expect(training.requires).toHaveLength(1);
    expect(core.snapshot().models[0]!.pinned).toBe(3);
  });

  it('a request arriving while its model is being swapped out waits and reloads it', async () => {
    const training = new FakeTraining(0);
    let unloading!: () => void;
    const models = new FakeModels({ a: 100 * MB, b: 100 * MB });
    const core = new ColocationCore(training, models, { tIdleMs: 5000, watermarkBytes: 0 }, () => 0, { initialReserveBytes: 100 * MB });
    core.register('a');
    core.register('b');
    await core.admit('a');
    core.complete('a');
    const unloadStarted = new Promise<void>((r) => (unloading = r));
    const slowUnload = models.unload.bind(models);
    models.unload = async (m: string) => {
      unloading();
      await new Promise((r) => setTimeout(r, 5));
      return slowUnload(m);
    };
    const forB = core.admit('b'); // swaps a out
    await unloadStarted;
    expect(core.state('a')).toBe('cold');
    const forA = core.admit('a'); // must not take the warm fast path
    expect((await forB).path).toBe('swap');
    core.complete('b');
    const a = await forA;
    expect(a.path).toBe('swap');
    expect(a.coldStart).toBe(true);
    expect(models.loads.map((l) => l.model)).toEqual(['a', 'b', 'a']);
  });
});
