// The report's charts as a reader needs them: every plot has both axes
// labelled with a unit, the memory timeline shows the trace's HEAVY/LIGHT
// phases, and a one-line verdict at the top names the winner of each metric
// and by how much (computed from the numbers, checked against them here).
import { describe, expect, it } from 'vitest';
import { renderReport } from '../src/eval/report-html.js';
import { verdict } from '../src/eval/report-verdict.js';
import type { RunReport, SystemResult } from '../src/eval/result.js';

function system(name: string, compliance: number, train: number): SystemResult {
  const lat = Array.from({ length: 50 }, (_, i) => 1 + (i % 13) * 0.9);
  return {
    system: name, summary: name, requests: 50, failed: 0, sloCompliance: compliance, p50Ms: 4, p99Ms: 12, coldStartRatio: 0.02,
    trainSamples: train * 10, trainSamplesPerSec: train, wastedTrainS: 0, microBatchMin: 8, microBatchMax: 32,
    handovers: { count: 2, requires: 1, releases: 1, swapOuts: 0, closeMs: 0.2, discardMs: 0.5, reclaimMs: 3, totalMs: 4, waitForBatchMs: null, discards: 1 },
    predictedCompliance: 0.9, predictedColdStartRatio: 0.01, complianceGapPts: -3, predictionNote: 'test', wallS: 10,
    latenciesMs: lat, sloMs: lat.map(() => 8),
    memory: Array.from({ length: 31 }, (_, i) => ({ t: i, trainBytes: 3 << 20, inferBytes: (i % 3) << 20, freeBytes: 1 << 20, trainLimitBytes: 4 << 20 })),
    marks: [{ t: 2, kind: 'require', bytes: 1 << 20, ms: 4 }],
    training: [{ t: 0, samples: 0 }, { t: 10, samples: train * 10 }],
  };
}

function report(systems: SystemResult[], phases?: RunReport['meta']['phases']): RunReport {
  return {
    meta: {
      date: '2026-12-02T00:00:00Z', device: 'test', software: true, backend: 'webgpu', trace: 'burst', traceFile: null, seed: 1, durationS: 30, timeScale: 1,
      meanRate: 20, requests: 50, models: 2, architectures: [{ label: 'MLP 64-10', bytes: 4096, execMs: 2, loadMs: 1, sloMs: 8 }],
      arenaBytes: 8 << 20, pageBytes: 65536, trainLayers: [64, 10], trainMicroBatch: 32, handoverCost: null, rounds: 1,
      tuned: { tIdleMs: 1000, watermarkBytes: 65536, source: 'given', predicted: null }, command: 'handover run', phases,
    },
    systems: Object.fromEntries(systems.map((s) => [s.system, s])),
  };
}

/** The axis titles of one svg: the two texts with font-size 12 that axes() writes. */
function axisTitles(svgText: string): string[] {
  return [...svgText.matchAll(/<text[^>]*font-size="12"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('report charts', () => {
  const phases = { intervalS: 10, regimes: ['heavy', 'light', 'heavy'] as ('heavy' | 'light')[], rates: [123.8, 0.8, 136.4] };
  const html = renderReport(report([system('handover', 0.948, 8538), system('sp75', 0.932, 2475), system('taskswitch', 0.938, 1779)], phases));

  it('the verdict names each metric\'s winner and its lead over the runner-up, from the numbers', () => {
    const line = /<p id="verdict"[^>]*>(.*?)<\/p>/.exec(html)![1]!;
    expect(line).toContain("SLO compliance: handover won (94.8%, +1.0 pts over taskswitch's 93.8%)");
    expect(line).toContain(`training throughput: handover won (8538 samples/s, ${(8538 / 2475).toFixed(2)}x over sp75's 2475 samples/s)`);
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('<svg'));
    const other = verdict([system('a', 0.5, 10), system('b', 0.7, 0)]);
    expect(other).toBe("SLO compliance: b won (70.0%, +20.0 pts over a's 50.0%); training throughput: a won (10 samples/s, the only one that trained over b's 0 samples/s).");
  });

  it('every plot labels both axes, each with its unit', () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
    expect(svgs.length).toBe(6);
    for (const s of svgs) {
      const titles = axisTitles(s);
      expect(titles.length, s.slice(0, 80)).toBeGreaterThanOrEqual(2);
      const [x, y] = [titles[0]!, titles[1]!];
      expect(x.length).toBeGreaterThan(0);
      expect(y).toMatch(/\(.+\)/);
    }
    expect(html).toContain('arena memory (MiB)');
    expect(html).toContain('time since the start of the run (s)');
    expect(html).toContain('training throughput (samples/s)');
  });

  it('the memory timeline marks the trace\'s HEAVY and LIGHT phases with their rates', () => {
    const mem = /<svg id="plot-memory-0"[\s\S]*?<\/svg>/.exec(html)![0];
    expect(mem.match(/class="phase-heavy"/g)).toHaveLength(2);
    expect(mem.match(/class="phase-light"/g)).toHaveLength(1);
    expect(mem).toContain('HEAVY 124 req/s');
    expect(mem).toContain('LIGHT 0.8 req/s');
    // consecutive intervals of one regime make one band, labelled with their mean rate
    const merged = renderReport(report([system('handover', 0.9, 1), system('sp75', 0.8, 2)], { intervalS: 10, regimes: ['heavy', 'heavy', 'light'], rates: [100, 140, 1] }));
    const m2 = /<svg id="plot-memory-0"[\s\S]*?<\/svg>/.exec(merged)![0];
    expect(m2.match(/class="phase-heavy"/g)).toHaveLength(1);
    expect(m2).toContain('HEAVY 120 req/s, 0.0-20.0 s');
    const none = renderReport(report([system('handover', 0.9, 1), system('sp75', 0.8, 2)]));
    expect(none).not.toContain('class="phase-');
  });

  it('the table gives every measured column its unit', () => {
    const head = /<tr>(<th>.*?)<\/tr>/.exec(html)![1]!;
    const cols = [...head.matchAll(/<th>(.*?)<\/th>/g)].map((m) => m[1]!).slice(2);
    for (const c of cols) expect(c, c).toMatch(/\(.+\)/);
  });
});
