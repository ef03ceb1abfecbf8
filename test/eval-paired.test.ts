// Whether a compliance lead is larger than the run's own spread
// (src/eval/paired.ts): the difference is paired per request (every system
// replays the same trace), and the interval is a block bootstrap, so the same
// point difference reads as real when it is spread over the run and as
// within the spread when one bunch of misses explains it.
import { describe, expect, it } from 'vitest';
import { pairedCompliance, roundDifferences, spreadLines, withinFlags } from '../src/eval/paired.js';
import type { RoundSummary, SystemResult } from '../src/eval/result.js';

const N = 3000;
const SLO = 6;

/** A result whose requests in `missed` took 9 ms (over the 6 ms SLO) and the rest 2-4 ms. */
function system(name: string, missed: Iterable<number>, rounds?: RoundSummary[]): SystemResult {
  const miss = new Set(missed);
  const latenciesMs = Array.from({ length: N }, (_, i) => (miss.has(i) ? 9 : 2 + (i % 7) * 0.3));
  return {
    system: name, summary: name, requests: N, failed: 0, sloCompliance: 1 - miss.size / N, p50Ms: 3, p99Ms: 9, warmP50Ms: 3, warmP99Ms: 9, coldStartRatio: 0,
    trainSamples: 0, trainSamplesPerSec: 0, wastedTrainS: 0, microBatchMin: null, microBatchMax: null,
    handovers: { count: 0, requires: 0, releases: 0, swapOuts: 0, closeMs: null, discardMs: null, reclaimMs: null, totalMs: null, waitForBatchMs: null, discards: 0 },
    predictedCompliance: null, predictedColdStartRatio: null, complianceGapPts: null, predictionNote: '', wallS: 60,
    latenciesMs, sloMs: latenciesMs.map(() => SLO), memory: [], marks: [], training: [], rounds,
  };
}

const range = (from: number, count: number, step = 1) => Array.from({ length: count }, (_, i) => from + i * step);

describe('paired SLO compliance', () => {
  it('the same requests missed: a difference of 0 with an interval of 0', () => {
    const a = system('handover', range(7, 40, 61));
    const p = pairedCompliance(a, system('sp75', range(7, 40, 61)))!;
    expect(p).toMatchObject({ pts: 0, lo: 0, hi: 0, blocks: 30, blockRequests: 100 });
  });

  it('60 misses spread over the run are more than its spread; the same 60 in one bunch are not', () => {
    const clean = system('taskswitch', []);
    const spread = pairedCompliance(system('handover', range(25, 60, 50)), clean)!;
    expect(spread.pts).toBeCloseTo(-2, 10);
    expect(spread.hi).toBeLessThan(0);
    expect(spread.lo).toBeCloseTo(-2, 10); // every block of 100 holds two of them
    const bunch = pairedCompliance(system('handover', range(1200, 60)), clean)!;
    expect(bunch.pts).toBeCloseTo(-2, 10);
    expect(bunch.lo).toBeLessThan(-2);
    expect(bunch.hi).toBe(0); // about a third of the resamples never draw the bad block
    const [lineSpread] = spreadLines([system('handover', range(25, 60, 50)), clean]);
    const [lineBunch] = spreadLines([system('handover', range(1200, 60)), clean]);
    expect(lineSpread).toMatch(/^handover vs taskswitch: −2\.0 pts SLO compliance \(95% interval −2\.0\.\.−2\.0 over 30 runs of 100 consecutive requests: below by more than the spread within this run\)$/);
    expect(lineBunch).toContain('within the spread of this run');
  });

  it('a lead in the other direction reads as above', () => {
    const [line] = spreadLines([system('sp75', range(3, 300, 10)), system('handover', range(5, 30, 100))]);
    expect(line).toMatch(/^handover vs sp75: \+9\.0 pts .*above by more than the spread within this run/);
  });

  it('handover against each other system, or else the best against the runner-up', () => {
    const lines = spreadLines([system('sp75', range(0, 30, 100)), system('handover', []), system('taskswitch', range(50, 15, 200))]);
    expect(lines.map((l) => l.split(':')[0])).toEqual(['handover vs sp75', 'handover vs taskswitch']);
    const two = spreadLines([system('naive', range(0, 90, 33)), system('infer-only', range(0, 30, 100)), system('sp50', range(0, 60, 50))]);
    expect(two).toHaveLength(1);
    expect(two[0]).toMatch(/^infer-only vs sp50: \+1\.0 pts/);
  });

  it('rounds are paired in the order run and counted at or above', () => {
    const r = (c: number[]): RoundSummary[] => c.map((sloCompliance, i) => ({ round: i + 1, sloCompliance, p99Ms: 9, trainSamplesPerSec: 0 }));
    const a = system('handover', [], r([0.975, 0.96, 0.98]));
    const b = system('taskswitch', [], r([0.97, 0.97, 0.98]));
    const d = roundDifferences(a, b);
    expect(d.map((x) => Number(x.toFixed(6)))).toEqual([0.5, -1, 0]);
    expect(spreadLines([a, b])[0]).toMatch(/; at or above in 2 of 3 rounds \(\+0\.5, −1\.0, \+0\.0\)$/);
  });

  it('the exact misses win over the rounded latencies; different traces give no comparison', () => {
    const s = system('handover', []);
    s.latenciesMs[10] = 6; // rounded down to the SLO, but the request was late
    s.missedIndices = [10];
    expect(withinFlags(s)[10]).toBe(0);
    expect(withinFlags({ ...s, missedIndices: undefined })[10]).toBe(1);
    const short = { ...system('sp75', []), latenciesMs: new Array(N - 1).fill(2), sloMs: new Array(N - 1).fill(SLO) };
    expect(pairedCompliance(s, short)).toBeNull();
    expect(spreadLines([s, short])).toEqual([]);
  });
});
