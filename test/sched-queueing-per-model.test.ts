// The chain with per-model expiry (each model expires when it is not requested
// for T_idle) against the simulation with per-model idle timers.
import { describe, expect, it } from 'vitest';
import { coldProbability, phaseTable, solvePerModelChain } from '../src/sched/queueing-per-model.js';
import { zipfTable } from '../src/sched/rng.js';
import { simulate } from '../src/sched/simulate.js';
import { tune } from '../src/sched/tune.js';

const z = zipfTable(8, 1.05);
const zipf = Array.from(z, (c, i) => c - (i > 0 ? z[i - 1]! : 0));
const base = { mu: 200, alpha: 0.6, loadS: 0.02, tIdleS: 0.3, sloS: 0.02, shares: zipf };

describe('the per-model expiry chain', () => {
  it('state probabilities sum to 1; with no cold starts it is M/M/1', () => {
    for (const lambda of [1, 50, 150, 190]) {
      const s = solvePerModelChain({ ...base, lambda });
      let sum = 0;
      for (let x = 0; x <= s.maxQueue; x++) sum += s.warm[x]! + s.cold[x]!;
      expect(sum).toBeCloseTo(1, 12);
    }
    const m = solvePerModelChain({ ...base, lambda: 120, alpha: 0 });
    expect(m.compliance).toBeCloseTo(1 - Math.exp(-80 * 0.02), 9);
  });

  it('the phase table matches Erlang and Exp + Erlang closed forms', () => {
    const [mu, nu, t] = [200, 50, 0.02];
    const G = phaseTable(mu, 1 / nu, t, 12, 3);
    const erlang = (n: number, r: number, u: number) => {
      let term = Math.exp(-r * u);
      let s = 0;
      for (let k = 0; k < n; k++) (s += term), (term *= (r * u) / (k + 1));
      return 1 - s;
    };
    for (const a of [1, 3, 8]) {
      expect(G[0]![a]).toBeCloseTo(erlang(a, mu, t), 10);
      const exact = erlang(a, mu, t) - Math.exp(-nu * t) * Math.pow(mu / (mu - nu), a) * erlang(a, mu - nu, t);
      expect(G[1]![a]).toBeCloseTo(exact, 10);
    }
    expect(G[2]![0]).toBeCloseTo(erlang(2, nu, t), 10);
  });

  it('cold probability: e^{-lambda_m T} per model for a fixed T_idle', () => {
    expect(coldProbability({ lambda: 10, alpha: 1, tIdleS: 0.1, shares: [0.5, 0.5] })).toBeCloseTo(Math.exp(-0.5), 12);
    expect(coldProbability({ lambda: 10, alpha: 0.5, tIdleS: Infinity, shares: [1] })).toBe(0);
  });

  it('agrees with the simulation within 2 points of compliance over a grid of loads', () => {
    const rows: string[] = [];
    let worst = 0;
    for (const rho of [0.05, 0.2, 0.4, 0.55, 0.7]) {
      const p = { ...base, lambda: rho * base.mu };
      const chain = solvePerModelChain(p);
      const sim = simulate({ ...p, seed: 21 + Math.round(rho * 100), requests: 100_000, expiry: 'deterministic' });
      const gap = Math.abs(chain.compliance - sim.compliance);
      worst = Math.max(worst, gap);
      rows.push(`rho=${rho}: chain ${(100 * chain.compliance).toFixed(2)}% sim ${(100 * sim.compliance).toFixed(2)}% cold ${(100 * chain.coldStartRatio).toFixed(1)}/${(100 * sim.coldStartRatio).toFixed(1)}%`);
      expect(gap).toBeLessThan(0.02);
      expect(Math.abs(chain.coldStartRatio - sim.coldStartRatio)).toBeLessThan(0.01);
    }
    console.log(`per-model chain vs simulation, worst gap ${(100 * worst).toFixed(2)} points\n  ` + rows.join('\n  '));
  });

  it('the search with per-model expiry meets its target', () => {
    const MB = 1 << 20;
    const r = tune({ rates: [2, 3, 80, 2.5, 90], modelBytes: new Array<number>(8).fill(64 * MB), modelShares: zipf, execS: 0.002, loadS: 0.05, sloS: 0.008, sloTarget: 0.9, expiry: 'model' });
    expect(r.met).toBe(true);
    expect(r.chosen.compliance).toBeGreaterThanOrEqual(0.9);
  });
});
