// The queueing model of SLO-aware reallocation: the chain's law, its
// compliance prediction against a seeded discrete-event simulation of the same
// assumptions, and the (T_idle, W) search.
import { describe, expect, it } from 'vitest';
import { SchedParameterError } from '../src/sched/errors.js';
import { alphaFromWatermark, responseTable, solveChain, type ChainParams } from '../src/sched/queueing.js';
import { simulate } from '../src/sched/simulate.js';
import { tune } from '../src/sched/tune.js';

const EXEC_S = 0.005; // mu = 200/s
const base: ChainParams = { lambda: 50, mu: 1 / EXEC_S, alpha: 0.5, loadS: 0.02, tIdleS: 0.05, sloS: 4 * EXEC_S };

describe('the chain', () => {
  it('state probabilities sum to 1 and the truncation mass is reported', () => {
    for (const lambda of [0.5, 20, 100, 180, 400]) {
      const s = solveChain({ ...base, lambda, maxQueue: 300 });
      let sum = 0;
      for (let x = 0; x <= s.maxQueue; x++) {
        expect(s.warm[x]).toBeGreaterThanOrEqual(0);
        expect(s.cold[x]).toBeGreaterThanOrEqual(0);
        sum += s.warm[x]! + s.cold[x]!;
      }
      expect(sum).toBeCloseTo(1, 12);
      if (lambda < 200) expect(s.truncationMass).toBeLessThan(1e-9);
      else expect(s.truncationMass).toBeGreaterThan(0.4); // overloaded: the truncation dominates and says so
      expect(s.compliance).toBeGreaterThanOrEqual(0);
      expect(s.compliance).toBeLessThanOrEqual(1);
    }
  });

  it('is M/M/1 when nothing ever goes cold', () => {
    const s = solveChain({ ...base, lambda: 120, alpha: 0, tIdleS: Infinity });
    // M/M/1 response ~ Exp(mu - lambda).
    expect(s.compliance).toBeCloseTo(1 - Math.exp(-(base.mu - 120) * base.sloS), 9);
    expect(s.meanResponseS).toBeCloseTo(1 / (base.mu - 120), 9);
  });

  it('the cold response law matches the closed form of Exp(a) + Erlang(n, mu)', () => {
    const mu = 200;
    const a = 50;
    const t = 0.02;
    const tab = responseTable(mu, 1 / a, t, 20);
    const erlangCdf = (n: number, rate: number, u: number) => {
      let term = Math.exp(-rate * u);
      let s = 0;
      for (let k = 0; k < n; k++) {
        s += term;
        term *= (rate * u) / (k + 1);
      }
      return 1 - s;
    };
    for (const n of [1, 2, 5, 10]) {
      const exact = erlangCdf(n, mu, t) - Math.exp(-a * t) * Math.pow(mu / (mu - a), n) * erlangCdf(n, mu - a, t);
      expect(tab.cold[n - 1]).toBeCloseTo(exact, 8);
      expect(tab.warm[n - 1]).toBeCloseTo(erlangCdf(n, mu, t), 12);
    }
  });

  it('compliance falls monotonically with load (no expiry, or no cold starts)', () => {
    for (const p of [
      { alpha: 0.7, tIdleS: Infinity },
      { alpha: 0, tIdleS: 1 },
      { alpha: 0.7, tIdleS: 5 },
    ]) {
      let prev = 1;
      // With T_idle = 5 s, expiry still costs cold starts up to ~20 req/s
      // (see the next test); above that, queueing decides.
      for (let lambda = p.tIdleS === 5 ? 40 : 1; lambda < 200; lambda += 4) {
        const c = solveChain({ ...base, ...p, lambda }).compliance;
        expect(c).toBeLessThanOrEqual(prev + 1e-12);
        prev = c;
      }
    }
  });

  it('at very light load a short T_idle costs cold starts (why monotonicity needs the scope above)', () => {
    const light = solveChain({ ...base, lambda: 1, tIdleS: 0.2, alpha: 1 });
    const busier = solveChain({ ...base, lambda: 40, tIdleS: 0.2, alpha: 1 });
    expect(light.coldStartRatio).toBeGreaterThan(busier.coldStartRatio);
    expect(light.compliance).toBeLessThan(busier.compliance);
  });

  it('rejects parameters outside their domain with a typed error', () => {
    expect(() => solveChain({ ...base, alpha: 1.5 })).toThrow(SchedParameterError);
    expect(() => solveChain({ ...base, mu: 0 })).toThrow(SchedParameterError);
    expect(alphaFromWatermark(0, 100)).toBe(1);
    expect(alphaFromWatermark(25, 100)).toBe(0.75);
    expect(alphaFromWatermark(500, 100)).toBe(0);
  });
});

describe('the chain against the simulation of the same assumptions', () => {
  const grid = [0.05, 0.25, 0.5, 0.7, 0.85];
  const settings = [
    { alpha: 0.5, loadS: 0.02, tIdleS: 0.05 },
    { alpha: 0.9, loadS: 0.008, tIdleS: 0.02 },
  ];
  it('agrees within 2 points of compliance over a grid of loads', () => {
    const gaps: string[] = [];
    let worst = 0;
    for (const st of settings) {
      for (const rho of grid) {
        const p = { ...base, ...st, lambda: rho * base.mu };
        const model = solveChain(p);
        const sim = simulate({ ...p, seed: 7 + Math.round(rho * 100), requests: 100_000 });
        const gap = Math.abs(model.compliance - sim.compliance);
        worst = Math.max(worst, gap);
        gaps.push(`rho=${rho} alpha=${st.alpha}: chain ${(100 * model.compliance).toFixed(2)}% sim ${(100 * sim.compliance).toFixed(2)}% (gap ${(100 * gap).toFixed(2)})`);
        expect(gap).toBeLessThan(0.02);
        expect(Math.abs(model.coldStartRatio - sim.coldStartRatio)).toBeLessThan(0.01);
      }
    }
    console.log(`chain vs simulation, worst gap ${(100 * worst).toFixed(2)} points\n  ` + gaps.join('\n  '));
  });

  it('the simulation is deterministic for a seed', () => {
    const p = { ...base, seed: 3, requests: 5000 };
    expect(simulate(p)).toEqual(simulate(p));
  });
});

describe('the (T_idle, W) search', () => {
  const MB = 1 << 20;
  const input = {
    rates: [2, 3, 1.5, 4, 80, 2.5, 90, 3],
    modelBytes: new Array<number>(8).fill(64 * MB),
    execS: 0.002,
    loadS: 0.05,
    sloS: 0.008,
    sloTarget: 0.9,
  };
  it('chooses the cheapest pair that meets the target', () => {
    const r = tune(input);
    expect(r.met).toBe(true);
    expect(r.chosen.compliance).toBeGreaterThanOrEqual(0.9);
    for (const c of r.candidates) if (c.compliance >= 0.9) expect(c.inferenceBytes).toBeGreaterThanOrEqual(r.chosen.inferenceBytes - 1e-6);
  });
  it('more watermark never lowers compliance; a longer T_idle never lowers it', () => {
    const r = tune(input);
    const at = (t: number, w: number) => r.candidates.find((c) => c.tIdleS === t && c.watermarkBytes === w)!.compliance;
    const ws = [...new Set(r.candidates.map((c) => c.watermarkBytes))];
    const ts = [...new Set(r.candidates.map((c) => c.tIdleS))];
    for (const t of ts) for (let i = 1; i < ws.length; i++) expect(at(t, ws[i]!)).toBeGreaterThanOrEqual(at(t, ws[i - 1]!) - 1e-12);
    for (const w of ws) for (let i = 1; i < ts.length; i++) expect(at(ts[i]!, w)).toBeGreaterThanOrEqual(at(ts[i - 1]!, w) - 1e-12);
  });
  it('reports an unreachable target and picks the cheapest near the best', () => {
    const r = tune({ ...input, sloTarget: 0.9999 });
    expect(r.met).toBe(false);
    expect(r.chosen.compliance).toBeGreaterThanOrEqual(r.best.compliance - 0.005);
  });
});

describe('predict', () => {
  it('gives the same numbers as the search for the same configuration', async () => {
    const { predict } = await import('../src/sched/tune.js');
    const MB = 1 << 20;
    const input = { rates: [3, 90, 2], modelBytes: [64 * MB, 64 * MB], execS: 0.002, loadS: 0.05, sloS: 0.008 };
    const r = tune({ ...input, sloTarget: 0.9 });
    const c = r.candidates[7]!;
    expect(predict({ ...input, tIdleS: c.tIdleS, watermarkBytes: c.watermarkBytes })).toEqual(c);
  });
});
