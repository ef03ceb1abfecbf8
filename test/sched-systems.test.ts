// The evaluation's systems as policies of the one core, on fakes: who asks
// training for memory, how much, and when memory goes back; and the trace
// driver that measures latency against the SLO.
import { describe, expect, it } from 'vitest';
import type { MemorySide, ModelSide } from '../src/sched/core.js';
import { drive } from '../src/sched/driver.js';
import { serveRequest } from '../src/sched/request.js';
import { SchedParameterError } from '../src/sched/errors.js';
import { buildCore, NoTraining, parseSystems, SYSTEM_NAMES, systemPolicy } from '../src/sched/systems.js';
import { generateTrace } from '../src/sched/traces.js';
import { FakeTraining } from './helpers/fake-training.js';

const MB = 1 << 20;
const ARENA = 1000 * MB;


class FakeModels implements ModelSide {
  loads = 0;
  constructor(private size: number, private loadMs = 0) {}
  bytes() {
    return this.size;
  }
  async load() {
    this.loads++;
    if (this.loadMs) await new Promise((r) => setTimeout(r, this.loadMs));
  }
  async unload() {}
}

async function scripted(name: (typeof SYSTEM_NAMES)[number]) {
  let t = 0;
  const policy = systemPolicy(name, { tIdleMs: 1000, watermarkBytes: 100 * MB });
  const training = policy.training ? new FakeTraining(ARENA) : new NoTraining();
  const models = new FakeModels(200 * MB);
  const core = await buildCore(policy, training, models, ARENA, { now: () => t });
  for (const m of ['a', 'b', 'c', 'd']) core.register(m);
  const serve = async (m: string) => {
    await core.admit(m);
    core.complete(m);
  };
  return { core, training, models, serve, at: (ms: number) => void (t = ms) };
}

describe('systems as policies of the core', () => {
  it('handover and naive: require (need - reserve) + W, release down to W after idling', async () => {
    for (const name of ['handover', 'naive'] as const) {
      const { core, training, serve, at } = await scripted(name);
      await serve('a');
      expect((training as FakeTraining).requires).toEqual([300 * MB]);
      at(2000);
      await core.tick(); // a idle: reserve 300 > 2W: trimmed to W
      expect((training as FakeTraining).releases).toEqual([200 * MB]);
      expect(core.reserveBytes).toBe(100 * MB);
    }
  });

  it('sp50 and sp75: take their share once, never ask again, swap within it', async () => {
    for (const [name, share] of [['sp50', 0.5], ['sp75', 0.75]] as const) {
      const { core, training, serve, at } = await scripted(name);
      expect((training as FakeTraining).requires).toEqual([share * ARENA]);
      for (const [i, m] of ['a', 'b', 'c', 'd'].entries()) {
        at(i * 10);
        await serve(m);
      }
      expect((training as FakeTraining).requires).toHaveLength(1);
      expect(core.inferenceBytes).toBe(share * ARENA);
      expect(core.stats.swapOuts).toBe(share === 0.5 ? 2 : 1);
      at(1e9);
      await core.tick();
      expect((training as FakeTraining).releases).toEqual([]);
    }
  });

  it('a static share is exact even when training gives more than asked', async () => {
    const generous: MemorySide = {
      require: async (b: number) => ({ freedBytes: b + 300 * MB }),
      release: (b: number) => void released.push(b),
      atMinimum: () => false,
    };
    const released: number[] = [];
    const core = await buildCore(systemPolicy('sp50'), generous, new FakeModels(100 * MB), ARENA);
    expect(core.reserveBytes).toBe(0.5 * ARENA);
    expect(released).toEqual([300 * MB]);
  });

  it('taskswitch: the first cold request takes all of training; all goes back only when every model idles', async () => {
    const { core, training, serve, at } = await scripted('taskswitch');
    at(0);
    await serve('a');
    expect((training as FakeTraining).requires).toEqual([Infinity]);
    expect((training as FakeTraining).elastic).toBe(0);
    at(500);
    await serve('b'); // from the reserve: no second require
    expect((training as FakeTraining).requires).toHaveLength(1);
    at(1200); // a idle 1200 > 1000, b still warm: no switch back yet
    await core.tick();
    expect((training as FakeTraining).releases).toEqual([]);
    at(1600); // both idle: everything back to training, models unloaded
    await core.tick();
    expect((training as FakeTraining).releases).toEqual([ARENA]);
    expect(core.inferenceBytes).toBe(0);
    expect(core.state('a')).toBe('cold');
  });

  it('infer-only: owns the whole arena, never releases', async () => {
    const { core, training, serve, at } = await scripted('infer-only');
    expect(core.reserveBytes).toBe(ARENA);
    for (const m of ['a', 'b', 'c', 'd']) await serve(m);
    at(1e9);
    await core.tick();
    expect((training as NoTraining).released).toBe(0);
    expect(core.stats.swapOuts).toBe(0);
  });

  it('parses system lists and rejects unknown names', () => {
    expect(parseSystems('handover, sp75,taskswitch')).toEqual(['handover', 'sp75', 'taskswitch']);
    expect(() => parseSystems('handover,um-mps')).toThrow(SchedParameterError);
  });
});

describe('the trace driver', () => {
  it('plays a compressed trace through the core and measures latency against the SLO', async () => {
    const trace = generateTrace({ kind: 'light', seed: 4, durationS: 60, models: 3, timeScale: 200 }); // 0.3 s
    const training = new FakeTraining(ARENA);
    const models = new FakeModels(100 * MB, 20);
    const core = await buildCore(systemPolicy('handover', { tIdleMs: 10_000, watermarkBytes: 100 * MB }), training, models, ARENA);
    const names = ['m0', 'm1', 'm2'];
    for (const m of names) core.register(m);
    const r = await drive(trace, core, names, async (m) => (await serveRequest(core, m, async () => {})).admission, { sloMs: 10 });
    expect(r.requests).toBe(trace.arrivals.length);
    expect(r.failed).toBe(0);
    expect(models.loads).toBeLessThanOrEqual(3);
    // The request that triggered each load, plus those that arrived during it ('joined'), paid the cold start.
    expect(r.records.filter((x) => x.coldStart && x.path !== 'joined').length).toBe(models.loads);
    for (const x of r.records) if (x.path === 'joined') expect(x.coldStart).toBe(true);
    // A cold start takes 20 ms > SLO: each request that triggered one misses.
    for (const x of r.records) if (x.coldStart && x.path !== 'joined') expect(x.withinSlo).toBe(false);
    expect(r.sloCompliance).toBeGreaterThan(0);
    expect(r.sloCompliance).toBeCloseTo(r.records.filter((x) => x.withinSlo).length / r.requests, 12);
    expect(core.log.ofKind('load')).toHaveLength(models.loads);
  });
});
