// Per-model T_idle: the rule that keeps a model whose measured cold start
// misses its SLO resident longer (idle-policy.ts), and the core expiring each
// model after its own T_idle.
import { describe, expect, it } from 'vitest';
import type { ArchitectureTiming } from '../src/eval/calibrate.js';
import { chooseTuned } from '../src/eval/evaluation.js';
import { COLD_START_OVERHEAD_MS, residentShare, splitIdle } from '../src/eval/idle-policy.js';
import { DEFAULT_TESTBED } from '../src/eval/testbed.js';
import { generateTrace } from '../src/sched/traces.js';
import { ColocationCore, type ModelSide } from '../src/sched/core.js';
import { SchedParameterError } from '../src/sched/errors.js';
import { FakeTraining } from './helpers/fake-training.js';

const MB = 1 << 20;
const timing = (architecture: number, label: string, execMs: number, execP90Ms: number, loadMs: number): ArchitectureTiming => ({ architecture, label, bytes: 1, execMs, execP90Ms, loadMs, sloMs: 4 * execMs });

describe('per-model T_idle from the measured cold start', () => {
  // Round 4's H200 numbers (docs/results-scale.md): resnet50 reloads in 11.4 ms, its SLO is 15.0 ms.
  const timings = [timing(0, 'resnet50', 3.75, 4.07, 11.37), timing(1, 'efficientnet_b0', 1.73, 1.94, 2.42), timing(2, 'mobilenet_v2', 0.73, 0.77, 1.5)];
  const instances = Array.from({ length: 7 }, (_, i) => ({ name: `m${i}`, architecture: i % 3 }));

  it('keeps the models whose cold start misses resident for ln(1/(1-target)) mean gaps, the rest at the base', () => {
    const s = splitIdle({ timings, instances, baseMs: 2000, gapS: 1.2 });
    const long = Math.round(Math.log(1 / 0.03) * 1200);
    expect(s.longMs).toBe(long);
    expect(s.missing).toEqual(['resnet50']);
    expect(s.byModel).toEqual({ m0: long, m1: 2000, m2: 2000, m3: long, m4: 2000, m5: 2000, m6: long });
    expect(s.note).toContain('resnet50 15.4/15.0 ms');
    // mobilenet: 1.5 + 0.77 = 2.27 ms <= 0.8 x 2.92 ms fits; with a tighter margin it misses too.
    expect(splitIdle({ timings, instances, baseMs: 2000, gapS: 1.2, margin: 0.7 }).missing).toEqual(['resnet50', 'mobilenet_v2']);
  });

  it('never goes below the base, and gives every model the base when every cold start fits', () => {
    expect(splitIdle({ timings, instances, baseMs: 10_000, gapS: 1.2 }).longMs).toBe(10_000);
    const fast = [timing(0, 'a', 4, 4.2, 1), timing(1, 'b', 2, 2.1, 1)];
    const s = splitIdle({ timings: fast, instances: [{ name: 'x', architecture: 0 }, { name: 'y', architecture: 1 }], baseMs: 500, gapS: 30 });
    expect(s.missing).toEqual([]);
    expect(s.byModel).toEqual({ x: 500, y: 500 });
    expect(s.note).toContain('every cold start fits');
  });
});

describe('the long T_idle capped by the memory it keeps from training', () => {
  // Round 4's sizing (docs/results-scale.md): arena 1,244 pages of 2 MiB, workspace 64 pages, 56 instances, 14 each of
  // resnet50 (97 MiB, its cold start misses), efficientnet_b0 (20), mobilenet_v2 (13), squeezenet1_1 (5).
  const sizes = [97, 20, 13, 5];
  const timings = [timing(0, 'resnet50', 3.75, 4.07, 11.37), timing(1, 'efficientnet_b0', 1.73, 1.94, 2.42), timing(2, 'mobilenet_v2', 1.0, 1.05, 0.9), timing(3, 'squeezenet1_1', 0.6, 0.62, 0.5)]
    .map((t, i) => ({ ...t, bytes: sizes[i]! * MB }));
  const instances = Array.from({ length: 56 }, (_, i) => ({ name: `m${i}`, architecture: i % 4 }));
  const memory = (trainTarget: number) => ({ arenaBytes: 1244 * 2 * MB, workspaceBytes: 64 * 2 * MB, trainTarget });

  it("LIGHT (a model's gap 10.2 s, base 20 s): 3.5 gaps would keep the resnet50s 35.8 s; the cap leaves them the base", () => {
    expect(splitIdle({ timings, instances, baseMs: 20_000, gapS: 10.2 }).longMs).toBe(35_767);
    // Inference may keep 2,488 - 128 - 1,244 = 1,116 MiB; the others keep 532 MiB x (1 - e^(-20/10.2)) = 457 MiB;
    // 659 MiB of the resnet50s' 1,358 is 6.77 s of T_idle: below the base, so the base.
    const s = splitIdle({ timings, instances, baseMs: 20_000, gapS: 10.2, memory: memory(2) });
    expect(s.missing).toEqual(['resnet50']);
    expect(s.longMs).toBe(20_000);
    expect(s.note).toContain('capped by memory');
    expect(s.note).toContain('at most 6772 ms');
  });

  it('binds between the base and the wanted T_idle, where the expected residency fills the budget exactly', () => {
    const s = splitIdle({ timings, instances, baseMs: 2000, gapS: 1.2, memory: memory(1) });
    expect(s.longMs).toBeGreaterThan(2000);
    expect(s.longMs).toBeLessThan(4208); // ln(1/0.03) x 1.2 s, uncapped
    expect(Math.abs(s.longMs - 3926)).toBeLessThanOrEqual(1);
    const held = instances.reduce((sum, m) => sum + timings[m.architecture]!.bytes * residentShare(s.byModel[m.name]!, 1.2), 0);
    expect(Math.abs(held - (2488 - 128 - 622) * MB) / MB, 'expected residency vs budget, MiB').toBeLessThan(1);
    expect(s.byModel.m0).toBe(s.longMs);
    expect(s.byModel.m1).toBe(2000);
  });

  it('leaves the T_idle alone when the memory suffices, and judges by the pipelined cold start where measured', () => {
    const roomy = { arenaBytes: 100_000 * MB, workspaceBytes: 0, trainTarget: 2 };
    expect(splitIdle({ timings, instances, baseMs: 2000, gapS: 1.2, memory: roomy }).longMs).toBe(4208);
    // resnet50 reloads in 11.4 ms, but a pipelined cold start (load and run at once) of 9 ms fits 0.8 x 15 ms.
    const piped = timings.map((t) => ({ ...t, coldMs: t.loadMs * 0.6, coldP90Ms: t.architecture === 0 ? 9 : t.loadMs }));
    const s = splitIdle({ timings: piped, instances, baseMs: 2000, gapS: 1.2, memory: memory(2) });
    expect(s.missing).toEqual([]);
    expect(s.note).toContain('pipelined, p90');
    expect(s.note).toContain('resnet50 9.0/15.0 ms');
  });
});

describe('the in-system overhead of a cold start', () => {
  // Round 5 (H200, BURST): pipelined cold start p90 and SLO per architecture; in the system resnet50 met 91% of its
  // SLOs after evictions, efficientnet_b0 70%, mobilenet_v2 35%, squeezenet1_1 34%.
  const r5 = [[6.26, 3.9], [4.57, 1.97], [1.83, 0.82], [1.06, 0.6]].map(([cold, exec], i) => ({
    ...timing(i, ['resnet50', 'efficientnet_b0', 'mobilenet_v2', 'squeezenet1_1'][i]!, exec!, exec!, 0), coldMs: cold!, coldP90Ms: cold!,
  }));
  const instances = Array.from({ length: 8 }, (_, i) => ({ name: `m${i}`, architecture: i % 4 }));

  it('standalone every cold start fits; with the overhead only resnet50 does, and the small models stay', () => {
    expect(splitIdle({ timings: r5, instances, baseMs: 250, gapS: 2.6 }).missing).toEqual([]);
    const s = splitIdle({ timings: r5, instances, baseMs: 250, gapS: 2.6, overheadMs: COLD_START_OVERHEAD_MS });
    expect(s.missing).toEqual(['efficientnet_b0', 'mobilenet_v2', 'squeezenet1_1']);
    expect(s.byModel.m0).toBe(250);
    expect(s.byModel.m2).toBe(Math.round(Math.log(1 / 0.03) * 2600));
    expect(s.note).toContain('+ 2.7 ms in the system');
  });
});

class Models implements ModelSide {
  unloads: string[] = [];
  bytes() {
    return 10 * MB;
  }
  async load() {}
  async unload(m: string) {
    this.unloads.push(m);
  }
}

describe('the core with per-model T_idle', () => {
  it('moves each model to the reserve after its own T_idle', async () => {
    let t = 0;
    const core = new ColocationCore(new FakeTraining(1000 * MB), new Models(), { tIdleMs: 1000, tIdleMsByModel: { short: 100, long: 5000 }, watermarkBytes: 0, trimAboveBytes: 1000 * MB }, () => t);
    for (const m of ['short', 'long', 'plain']) {
      core.register(m);
      await core.admit(m);
      core.complete(m);
    }
    t = 500;
    await core.tick();
    expect([core.state('short'), core.state('plain'), core.state('long')]).toEqual(['reserved', 'warm', 'warm']);
    t = 1500;
    await core.tick();
    expect([core.state('plain'), core.state('long')]).toEqual(['reserved', 'warm']);
    t = 5001;
    await core.tick();
    expect(core.state('long')).toBe('reserved');
  });

  it('rejects a negative per-model T_idle', () => {
    expect(() => new ColocationCore(new FakeTraining(0), new Models(), { tIdleMs: 1, tIdleMsByModel: { a: -1 }, watermarkBytes: 0 })).toThrow(SchedParameterError);
  });
});

describe("handover run's policy with the tuner's T_idle", () => {
  const trace = generateTrace({ kind: 'light', seed: 2, durationS: 30, models: DEFAULT_TESTBED.models, timeScale: 1 });
  // With the in-system overhead (2.7 ms): 3 + 1.1 + 2.7 > 0.8 x 4 misses; 0.5 + 3.3 + 2.7 <= 0.8 x 12 fits.
  const timings = [{ ...timing(0, 'slow', 1, 1.1, 3), bytes: 200_000 }, { ...timing(1, 'fast', 3, 3.3, 0.5), bytes: 100_000 }];

  it('gives the instances of a model whose cold start misses a longer T_idle; a given T_idle or --idle-split off keeps one', async () => {
    const c = await chooseTuned(trace, DEFAULT_TESTBED, timings, { tuned: {}, handoverMs: 1 });
    const by = c.tuned.tIdleMsByModel!;
    expect(Object.keys(by)).toHaveLength(DEFAULT_TESTBED.models);
    const names = Object.keys(by);
    expect(names.filter((n) => n.startsWith('mlp0-')).every((n) => by[n]! > c.tuned.tIdleMs)).toBe(true);
    expect(names.filter((n) => n.startsWith('mlp1-')).every((n) => by[n] === c.tuned.tIdleMs)).toBe(true);
    expect(c.source).toContain('per model: cold start');
    expect(c.predicted).toBeNull(); // the tuner's prediction is for one T_idle
    expect((await chooseTuned(trace, DEFAULT_TESTBED, timings, { tuned: { tIdleMs: 300 }, handoverMs: 1 })).tuned.tIdleMsByModel).toBeUndefined();
    expect((await chooseTuned(trace, DEFAULT_TESTBED, timings, { tuned: {}, handoverMs: 1, idleSplit: false })).tuned.tIdleMsByModel).toBeUndefined();
  });
});
