// The Trainer's data-parallel hook (DataParallelStep) on one device: one rank
// is the plain trainer bit for bit; two ranks' scaled gradients sum to the
// full batch's; a rank waiting at the agreement serves a REQUIRE at once and
// launches its all-reduce only inside the update phase, after all arrived.
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { Range } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { DataParallelStep } from '../src/parallel/dp-step.js';
import { LocalAgreementWithInfo } from '../src/parallel/exchange.js';
import type { RankLoad } from '../src/parallel/redistribute.js';
import type { Dataset } from '../src/train/data.js';
import { Trainer, type TrainConfig } from '../src/train/trainer.js';
import type { GpuDevice } from '../src/core/device.js';
import { closeness, randn, rng, testDevice } from './helpers/gpu.js';

let dev: GpuDevice;
beforeAll(async () => {
  dev = await testDevice();
});

const cfg: TrainConfig = { layers: [13, 29, 10], optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0, effectiveBatch: 24, microBatch: 8, seed: 5 };
const data: Dataset = (() => {
  const r = rng(9);
  return { name: 'random', x: randn(96 * 13, r), labels: Uint32Array.from({ length: 96 }, () => Math.floor(r() * 10)), n: 96, features: 13, classes: 10 };
})();

function trainer() {
  const arena = new Arena(dev, { bytes: 48 * 64 * 1024, pageBytes: 64 * 1024 });
  const t = new Trainer(arena, new Gate(dev, { maxInFlight: 2 }), cfg);
  t.init();
  return t;
}

function rank(t: Trainer, r: number, ranks: number, agreement: LocalAgreementWithInfo<RankLoad>, allReduce: (g: Range) => void = () => {}) {
  const dp = new DataParallelStep({ rank: r, ranks, redistribute: false, microBatch: () => t.stats.microBatch, allReduce }, agreement);
  t.gradientReduce = dp;
  return dp;
}

const batch = (s: number) => Uint32Array.from({ length: 24 }, (_, i) => s * 24 + i);

describe('data-parallel trainer hook', () => {
  it('one rank equals the plain trainer bit for bit', async () => {
    const plain = trainer();
    const one = trainer();
    const dp = rank(one, 0, 1, new LocalAgreementWithInfo(1));
    for (let s = 0; s < 3; s++) {
      await plain.step(data, batch(s));
      await one.step(data, dp.slice(batch(s)));
    }
    const [a, b] = [await plain.readParameters(), await one.readParameters()];
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(dp.step).toBe(3);
    plain.arena.destroy();
    one.arena.destroy();
  });

  it("two ranks' gradients, scaled by the whole batch, sum to the full batch's gradient", async () => {
    const full = trainer();
    await full.step(data, batch(0));
    const agreement = new LocalAgreementWithInfo<RankLoad>(2);
    const ts = [trainer(), trainer()];
    const dps = ts.map((t, r) => rank(t, r, 2, agreement));
    await Promise.all(ts.map((t, r) => t.step(data, dps[r]!.slice(batch(0)))));
    const [g0, g1, want] = [(await ts[0]!.readState())[0]!, (await ts[1]!.readState())[0]!, (await full.readState())[0]!];
    expect(closeness(g0.map((v, i) => v + g1[i]!), want, 1e-6, 1e-4)).toBeLessThanOrEqual(1);
    expect(g0.some((v, i) => Math.abs(v - want[i]!) > 1e-4)).toBe(true); // each rank holds only its part
    for (const t of [full, ...ts]) t.arena.destroy();
  });

  it('a rank waiting at the agreement serves a REQUIRE at once; the all-reduce is launched in the update phase after all arrived', async () => {
    const agreement = new LocalAgreementWithInfo<RankLoad>(2);
    const ts = [trainer(), trainer()];
    const launches: { rank: number; phase: string; missing: number[] }[] = [];
    const dps = ts.map((t, r) => rank(t, r, 2, agreement, () => launches.push({ rank: r, phase: t.gate.phase, missing: agreement.missing(0) })));
    const first = ts[0]!.step(data, dps[0]!.slice(batch(0)));
    while (agreement.missing(0).length !== 1) await new Promise((r) => setTimeout(r, 1)); // rank 0 arrived, rank 1 has not started
    const t0 = performance.now();
    const report = await ts[0]!.require(ts[0]!.arena.freeBytes + ts[0]!.elasticBytes); // everything training could give
    const ms = performance.now() - t0;
    expect(report.freedBytes).toBeGreaterThan(0);
    expect(ms).toBeLessThan(2000); // bounded by local work only (SwiftShader is slow), not by rank 1, which has not run at all
    expect(launches).toEqual([]);
    ts[0]!.release(report.freedBytes);
    await Promise.all([first, ts[1]!.step(data, dps[1]!.slice(batch(0)))]);
    expect(launches.map((l) => l.rank).sort()).toEqual([0, 1]);
    for (const l of launches) expect(l.phase).toBe('mu');
    for (const t of ts) t.arena.destroy();
  });
});
