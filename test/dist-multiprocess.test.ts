// The data-parallel protocol across processes, on the CPU: one child process
// per rank (SimRank with the real Gate), the agreement and a collective that
// completes only when every rank has launched it at the coordinator, REQUIREs
// injected at random points on every rank.
import { describe, expect, it } from 'vitest';
import { launch } from '../src/parallel/launch.js';
import type { SimChildOptions, SimChildResult } from '../src/parallel/sim-child.js';
import { serialReference } from '../src/parallel/sim-rank.js';

/** The array's own bytes (an array that came over IPC is a view into a larger buffer). */
const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('multi-process data-parallel discard (simulated devices)', () => {
  it('1,000+ REQUIREs over 4 rank processes: no hang, identical parameters, every sample once', async () => {
    const ranks = 4;
    const steps = 24;
    const effective = 24;
    const speeds = [0.2, 0.3, 0.2, 0.4];
    const results = await launch<SimChildResult>({
      ranks,
      entry: new URL('../src/parallel/sim-child.ts', import.meta.url),
      hangMs: 30_000,
      options: (rank): SimChildOptions => ({
        rank, ranks, params: 16, effective, lr: 0.05, msPerSample: speeds[rank]!, mode: 'agreement', redistribute: true, steps, seed: 1000 + rank,
      }),
    });
    const requires = results.map((r) => r.requires);
    const discards = results.map((r) => r.discards);
    console.log(`dist-multiprocess: requires per rank ${requires.join(', ')}; discards per rank ${discards.join(', ')}`);
    for (const r of requires) expect(r).toBeGreaterThanOrEqual(1000); // 1,000+ injected on every rank
    expect(discards.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1000);
    for (const d of discards) expect(d).toBeGreaterThan(0); // every rank lost work to a REQUIRE and redid it
    // Bit-identical parameters on every rank, equal to one process training the same samples.
    for (const r of results.slice(1)) expect(bytes(r.params).equals(bytes(results[0]!.params))).toBe(true);
    const want = serialReference(steps, effective, 0.05, 16);
    results[0]!.params.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-9 * (1 + Math.abs(want[i]!))));
    // Every sample of every step committed exactly once, on exactly one rank.
    const byStep = new Map<number, number[]>();
    for (const r of results) for (const [step, list] of r.committed) byStep.set(step, [...(byStep.get(step) ?? []), ...list]);
    for (let step = 0; step < steps; step++)
      expect((byStep.get(step) ?? []).sort((a, b) => a - b)).toEqual(Array.from({ length: effective }, (_, i) => step * effective + i));
    // A REQUIRE never waits on another rank (bounded by one local update; loose for loaded CI timers).
    expect(Math.max(...results.map((r) => r.worstRequireMs))).toBeLessThan(1000);
  }, 120_000);

  it('a rank that never arrives is named by the watchdog, and every rank is stopped', async () => {
    const opts = (rank: number, steps: number): SimChildOptions => ({
      rank, ranks: 2, params: 4, effective: 8, lr: 0.05, msPerSample: 0.1, mode: 'agreement', redistribute: false, steps, seed: rank,
    });
    // Rank 1 stops after one step; rank 0 waits at the agreement of step 1 forever.
    await expect(launch({ ranks: 2, entry: new URL('../src/parallel/sim-child.ts', import.meta.url), hangMs: 1000, options: (rank) => opts(rank, rank === 0 ? 2 : 1) }))
      .rejects.toThrow(/no agreement on step 1 for 1000 ms: ranks 1 never arrived/);
  }, 60_000);

  it('a rank that starts late is waited for (the start allowance), and a hang after that is still caught', async () => {
    const opts = (rank: number, steps: number): SimChildOptions => ({
      rank, ranks: 2, params: 4, effective: 8, lr: 0.05, msPerSample: 0.1, mode: 'agreement', redistribute: false, steps, seed: rank, startDelayMs: rank === 1 ? 2500 : 0,
    });
    const entry = new URL('../src/parallel/sim-child.ts', import.meta.url);
    // Rank 1 starts 2.5 s late, longer than hangMs: the first agreement waits for it.
    const done = await launch<SimChildResult>({ ranks: 2, entry, hangMs: 1000, startMs: 30_000, options: (rank) => opts(rank, 2) });
    const byStep = new Map<number, number[]>();
    for (const r of done) for (const [step, list] of r.committed) byStep.set(step, [...(byStep.get(step) ?? []), ...list]);
    for (const step of [0, 1]) expect((byStep.get(step) ?? []).sort((a, b) => a - b)).toEqual(Array.from({ length: 8 }, (_, i) => step * 8 + i));
    expect(bytes(done[1]!.params).equals(bytes(done[0]!.params))).toBe(true);
    // Without the allowance the same late start is a hang at step 0, naming rank 1.
    await expect(launch({ ranks: 2, entry, hangMs: 1000, startMs: 1000, options: (rank) => opts(rank, 2) }))
      .rejects.toThrow(/no agreement on step 0 for 1000 ms: ranks 1 never arrived/);
  }, 60_000);

  it('a rank that fails stops every rank and names it', async () => {
    await expect(
      launch({ ranks: 2, entry: new URL('../src/parallel/sim-child.ts', import.meta.url), options: (rank) => ({ rank, ranks: 2, params: -1, steps: 1 }) }),
    ).rejects.toThrow(/rank [01]: RangeError/);
  }, 60_000);
});
