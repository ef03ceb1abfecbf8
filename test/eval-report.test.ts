// The report page on a synthetic run: self-contained HTML with an svg per
// plot, the SLO line, handover marks, and the JSON headline (CPU only).
import { describe, expect, it } from 'vitest';
import { headline } from '../src/eval/report.js';
import { renderReport } from '../src/eval/report-html.js';
import type { RunReport, SystemResult } from '../src/eval/result.js';
import { ticks } from '../src/eval/svg.js';

function system(name: string, base: number, train: number): SystemResult {
  const lat = Array.from({ length: 200 }, (_, i) => base + (i % 17) * 0.7);
  return {
    system: name, summary: name, requests: 200, failed: 0, sloCompliance: 0.9, p50Ms: base + 5, p99Ms: base + 11, coldStartRatio: 0.02,
    trainSamples: train * 10, trainSamplesPerSec: train, wastedTrainS: 0.1, microBatchMin: 8, microBatchMax: 64,
    handovers: { count: 2, requires: 1, releases: 1, swapOuts: 0, closeMs: 0.2, discardMs: 0.5, reclaimMs: 3, totalMs: 4, waitForBatchMs: null, discards: 1 },
    predictedCompliance: 0.95, predictedColdStartRatio: 0.01, complianceGapPts: -5, predictionNote: 'test', wallS: 10,
    latenciesMs: lat, sloMs: lat.map(() => 12),
    memory: Array.from({ length: 20 }, (_, i) => ({ t: i * 0.5, trainBytes: 4 << 20, inferBytes: (i % 4) << 20, freeBytes: (4 - (i % 4)) << 20, trainLimitBytes: 5 << 20 })),
    marks: [{ t: 2, kind: 'require', bytes: 1 << 20, ms: 4 }, { t: 6, kind: 'release', bytes: 1 << 20 }],
    training: [{ t: 0, samples: 0 }, { t: 10, samples: train * 10 }],
  };
}

const report: RunReport = {
  meta: {
    date: '2026-01-01T00:00:00Z', device: 'test', software: true, backend: 'webgpu', trace: 'burst', traceFile: null, seed: 1, durationS: 10, timeScale: 1,
    meanRate: 20, requests: 200, models: 4, architectures: [{ label: 'MLP 64-10', bytes: 4096, execMs: 3, loadMs: 2, sloMs: 12 }],
    arenaBytes: 8 << 20, pageBytes: 65536, trainLayers: [64, 10], trainMicroBatch: 64, tuned: { tIdleMs: 1000, watermarkBytes: 65536, source: 'test <given>', predicted: null }, command: 'handover run',
  },
  systems: { handover: system('handover', 2, 900), sp75: system('sp75', 3, 500) },
};

describe('the run report', () => {
  it('is one self-contained page with an svg per plot, the SLO line and the handover marks', () => {
    const html = renderReport(report);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link |src="http/);
    for (const id of ['plot-latency-cdf', 'plot-compliance', 'plot-throughput', 'plot-memory-0', 'plot-memory-1']) expect(html).toContain(`<svg id="${id}"`);
    expect(html).toContain('SLO 12.0 ms');
    expect(html).toContain('require 1.00 MiB at 2.00 s');
    expect(html).toContain('test &lt;given&gt;'); // text is escaped
    expect(html.match(/<tr>/g)).toHaveLength(3);
  });

  it('the JSON headline is keyed by system with compliance, P99 and training throughput', () => {
    const h = headline(report);
    expect(Object.keys(h)).toEqual(['handover', 'sp75']);
    expect(h.handover).toMatchObject({ sloCompliance: 0.9, p99Ms: 13, trainSamplesPerSec: 900 });
  });

  it('axis ticks are round numbers inside the range', () => {
    expect(ticks(0, 1, false)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(0.5, 300, true)).toEqual([0.5, 1, 2, 5, 10, 20, 50, 100, 200]);
  });
});
