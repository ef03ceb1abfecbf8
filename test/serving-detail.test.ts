// The evaluation's per-architecture view of a run (src/eval/serving-detail.ts):
// stage spreads with warm and cold runs apart, compliance per architecture,
// and training samples/s by micro-batch bucket from the run's samples.
import { describe, expect, it } from 'vitest';
import { detailLines, stagesByArchitecture, throughputByMicroBatch, type StagedRequest } from '../src/eval/serving-detail.js';

const req = (architecture: string, latencyMs: number, sloMs: number, admitMs: number, runMs: number, cold = false): StagedRequest => ({
  architecture, latencyMs, sloMs, withinSlo: latencyMs <= sloMs, stages: { admitMs, windowMs: 0.25, runMs, cold },
});

describe('stages by architecture', () => {
  it('groups requests, splits warm and cold runs, derives the lag', () => {
    const rs = [
      req('squeezenet', 2.0, 2.3, 0.1, 1.15),
      req('resnet50', 9.0, 15, 0.5, 7.25, true),
      req('squeezenet', 3.5, 2.3, 0.2, 3.05),
      req('squeezenet', 1.5, 2.3, 0.0, 0.75),
      { architecture: 'resnet50', latencyMs: 40, sloMs: 15, withinSlo: false },
    ];
    const out = stagesByArchitecture(rs);
    expect(out.map((a) => a.architecture)).toEqual(['squeezenet', 'resnet50']);
    const sq = out[0]!;
    expect(sq.requests).toBe(3);
    expect(sq.withinSlo).toBe(2);
    expect(sq.sloMs).toBe(2.3);
    expect(sq.warmRun).toEqual({ p50Ms: 1.15, p99Ms: 3.05 });
    expect(sq.coldRun).toBeNull();
    // lag = latency - admit - window - run: 0.5, 0.0, 0.5
    expect(sq.lag!.p50Ms).toBeCloseTo(0.5, 12);
    expect(sq.lag!.p99Ms).toBeCloseTo(0.5, 12);
    const rn = out[1]!;
    expect(rn.requests).toBe(2);
    expect(rn.withinSlo).toBe(1);
    expect(rn.warmRun).toBeNull();
    expect(rn.coldRun).toEqual({ p50Ms: 7.25, p99Ms: 7.25 });
    expect(rn.admit).toEqual({ p50Ms: 0.5, p99Ms: 0.5 });
    const lines = detailLines(out, []);
    expect(lines[0]).toContain('squeezenet: 66.7% of 3 within SLO 2.30 ms');
    expect(lines[1]).toContain('cold run 7.25/7.25');
  });
});

describe('training throughput by micro-batch', () => {
  it('counts each interval for the micro-batch at its start, in power-of-two buckets, and skips pauses', () => {
    const samples = [
      { t: 0, samples: 0, microBatch: 8 },
      { t: 100, samples: 80, microBatch: 12 }, // 80 samples in 0.1 s at 8
      { t: 300, samples: 320, microBatch: 0 }, // 240 in 0.2 s at 12 (bucket 8)
      { t: 400, samples: 320, microBatch: 32 }, // paused: no bucket
      { t: 600, samples: 1000, microBatch: 40 }, // 680 in 0.2 s at 32
      { t: 700, samples: 1400, microBatch: 40 }, // 400 in 0.1 s at 40 (bucket 32)
    ];
    const out = throughputByMicroBatch(samples);
    expect(out.map((b) => b.microBatch)).toEqual([8, 32]);
    expect(out[0]!.seconds).toBeCloseTo(0.3, 12);
    expect(out[0]!.samplesPerSec).toBeCloseTo(320 / 0.3, 9);
    expect(out[1]!.seconds).toBeCloseTo(0.3, 12);
    expect(out[1]!.samplesPerSec).toBeCloseTo(1080 / 0.3, 9);
    expect(detailLines([], out)[0]).toBe('  training by micro-batch: 8+ 1067 samples/s over 0.3 s, 32+ 3600 samples/s over 0.3 s');
  });
});
