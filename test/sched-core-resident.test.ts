// A request for a model that is still resident (in the reserve, or loading for
// another request) never waits behind another model's REQUIRE: at 56 models on
// the H200 (docs/results-scale.md) requires came every ~0.4 s and each held
// the core's lock until training gave its pages.
import { describe, expect, it } from 'vitest';
import { ColocationCore, type ModelSide } from '../src/sched/core.js';
import { FakeTraining } from './helpers/fake-training.js';

const MB = 1 << 20;

/** Training whose requires resolve only when the test says so. */
class SlowTraining extends FakeTraining {
  private pending: (() => void)[] = [];
  override async require(bytes: number) {
    this.requires.push(bytes);
    await new Promise<void>((r) => this.pending.push(r));
    return { freedBytes: this.take(bytes) };
  }
  giveNow(): void {
    this.pending.splice(0).forEach((f) => f());
  }
}

/** Loads that finish when the test says so. */
class GatedModels implements ModelSide {
  private gates = new Map<string, () => void>();
  unloads: string[] = [];
  constructor(private sizes: Record<string, number>) {}
  bytes(m: string) {
    return this.sizes[m]!;
  }
  load(model: string) {
    return new Promise<void>((r) => this.gates.set(model, r));
  }
  finish(model: string): void {
    this.gates.get(model)!();
  }
  async unload(model: string) {
    this.unloads.push(model);
  }
}

function setup(reserve: number) {
  let t = 0;
  const training = new SlowTraining(1000 * MB);
  const models = new GatedModels({ a: 100 * MB, b: 200 * MB, c: 50 * MB });
  const core = new ColocationCore(training, models, { tIdleMs: 1000, watermarkBytes: 0, trimAboveBytes: 1000 * MB }, () => t, { initialReserveBytes: reserve });
  for (const m of ['a', 'b', 'c']) core.register(m);
  return { core, training, models, at: (ms: number) => void (t = ms) };
}

/** Resolves to what `p` settled with, or 'pending' if it has not settled after the microtasks run. */
async function settled<T>(p: Promise<T>): Promise<T | 'pending'> {
  const tag = Symbol('pending');
  const r = await Promise.race([p, new Promise<typeof tag>((res) => setTimeout(() => res(tag), 5))]);
  return r === tag ? 'pending' : (r as T);
}

describe('resident models skip the core lock', () => {
  it('a reserved model is reused at once while another model waits for its REQUIRE', async () => {
    const { core, training, models, at } = setup(100 * MB);
    const a = core.admit('a'); // from the reserve
    await settled(a);
    models.finish('a');
    await a;
    core.complete('a');
    at(2000);
    await core.tick(); // a idle > T_idle: reserved (still resident)
    expect(core.state('a')).toBe('reserved');
    const b = core.admit('b'); // needs 200 MB, the reserve has a's 100: a REQUIRE that training has not answered
    await settled(b);
    expect(training.requires.length).toBe(1);
    const again = await settled(core.admit('a'));
    expect(again).toMatchObject({ model: 'a', path: 'reuse', coldStart: false });
    expect(core.state('a')).toBe('warm');
    training.giveNow();
    // b counted a's reserved bytes; a is warm again, so b asks training again (no swap of a, no wait for a's request)
    await settled(b);
    expect(training.requires).toEqual([100 * MB, 100 * MB]);
    training.giveNow();
    await settled(b);
    models.finish('b');
    const admitted = await b;
    expect(admitted.path).toBe('train');
    expect(core.state('a')).toBe('warm');
    expect(core.state('b')).toBe('warm');
    expect(models.unloads).toEqual([]);
    expect(core.freeBytes).toBeGreaterThanOrEqual(0);
  });

  it('a request for a loading model joins the load without waiting for another REQUIRE', async () => {
    const { core, training, models } = setup(60 * MB);
    const c1 = core.admit('c'); // from the reserve; its load is gated
    await settled(c1);
    const b = core.admit('b'); // a REQUIRE that training has not answered
    await settled(b);
    expect(training.requires.length).toBe(1);
    const c2 = core.admit('c');
    models.finish('c');
    expect(await settled(c2)).toMatchObject({ model: 'c', path: 'joined', coldStart: true });
    expect(await settled(c1)).toMatchObject({ path: 'reserve' });
    expect(await settled(b)).toBe('pending');
    training.giveNow();
    await settled(b);
    models.finish('b');
    expect((await b).path).toBe('train');
  });

  it('one REQUIRE covers the cold models whose requests queued behind it', async () => {
    const { core, training, models } = setup(0);
    const a = core.admit('a');
    const b = core.admit('b');
    const c = core.admit('c');
    await settled(a);
    expect(training.requires).toEqual([350 * MB]); // a's 100 MB and the queued b's 200 MB and c's 50 MB, one handover
    training.giveNow();
    await settled(a);
    for (const m of ['a', 'b', 'c']) models.finish(m);
    expect((await a).path).toBe('train');
    expect((await b).path).toBe('reserve');
    expect((await c).path).toBe('reserve');
    expect(training.requires).toHaveLength(1);
    expect(core.freeBytes).toBe(0);
  });

  it('a training that gives less than asked is asked once: the rest comes from swapping, not from a second discard', async () => {
    class Stingy extends FakeTraining {
      override async require(bytes: number) {
        this.requires.push(bytes);
        return { freedBytes: this.take(bytes / 2) }; // gives half of what is asked, never reaching its minimum here
      }
    }
    const training = new Stingy(1000 * MB);
    const models = new GatedModels({ a: 100 * MB, b: 200 * MB, c: 50 * MB });
    const core = new ColocationCore(training, models, { tIdleMs: 1000, watermarkBytes: 0, trimAboveBytes: 1000 * MB }, () => 0, { initialReserveBytes: 100 * MB });
    for (const m of ['a', 'b', 'c']) core.register(m);
    const a = core.admit('a');
    await settled(a);
    models.finish('a');
    await a;
    core.complete('a'); // a warm, unpinned
    const b = core.admit('b'); // needs 200 MB, reserve 0: asks 200, gets 100, swaps a out
    await settled(b);
    models.finish('b');
    expect((await b).path).toBe('swap');
    expect(training.requires).toEqual([200 * MB]);
    expect(models.unloads).toEqual(['a']);
  });
});
