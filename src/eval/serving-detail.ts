// Where a system's requests spent their time, per architecture, and how its
// training throughput moved with the micro-batch: the numbers that tell the
// serving path's own tail (a 0.6 ms model with a 7 ms P99) from sharing the
// GPU, and that size the evaluation's micro-batch cap (docs/results-scale.md,
// round 6). Everything here is computed from what a run already records.
import { quantile } from '../sched/driver.js';
import type { RequestStages } from '../sched/request.js';

/** P50 / P99 ms of a stage (null: no request). */
export interface Spread {
  p50Ms: number;
  p99Ms: number;
}

/** One architecture's requests: compliance and each stage, warm requests apart from cold ones. */
export interface ArchitectureStages {
  architecture: string;
  requests: number;
  withinSlo: number;
  sloMs: number;
  lag: Spread | null;
  admit: Spread | null;
  window: Spread | null;
  /** The run stage of warm requests (the model was resident on arrival). */
  warmRun: Spread | null;
  /** The run stage of cold starts (pipelined with the load). */
  coldRun: Spread | null;
  /** How the architecture's runs were issued during the run (summed over its instances). */
  graphs?: { eager: number; captures: number; replays: number; poolMoved?: number; workspaceMoved?: number; failure?: string };
}

/** Training throughput while the trainer's micro-batch was in a bucket. */
export interface MicroBatchThroughput {
  /** The bucket's lower bound (a power of two: 1, 2, 4, ...); the bucket holds micro-batches up to twice it, exclusive. */
  microBatch: number;
  /** Seconds sampled in the bucket. */
  seconds: number;
  samplesPerSec: number;
}

export interface StagedRequest {
  architecture: string;
  latencyMs: number;
  withinSlo: boolean;
  sloMs: number;
  stages?: RequestStages & { cold: boolean };
}

function spread(xs: number[]): Spread | null {
  if (!xs.length) return null;
  const v = [...xs].sort((a, b) => a - b);
  return { p50Ms: quantile(v, 0.5), p99Ms: quantile(v, 0.99) };
}

/** Stage spreads per architecture, in the order the architectures first appear. */
export function stagesByArchitecture(requests: readonly StagedRequest[]): ArchitectureStages[] {
  const groups = new Map<string, StagedRequest[]>();
  for (const r of requests) {
    const g = groups.get(r.architecture);
    if (g) g.push(r);
    else groups.set(r.architecture, [r]);
  }
  return [...groups].map(([architecture, rs]) => {
    const staged = rs.filter((r) => r.stages).map((r) => ({ ...r.stages!, lag: Math.max(0, r.latencyMs - r.stages!.admitMs - r.stages!.windowMs - r.stages!.runMs) }));
    return {
      architecture,
      requests: rs.length,
      withinSlo: rs.filter((r) => r.withinSlo).length,
      sloMs: Math.min(...rs.map((r) => r.sloMs)),
      lag: spread(staged.map((s) => s.lag)),
      admit: spread(staged.map((s) => s.admitMs)),
      window: spread(staged.map((s) => s.windowMs)),
      warmRun: spread(staged.filter((s) => !s.cold).map((s) => s.runMs)),
      coldRun: spread(staged.filter((s) => s.cold).map((s) => s.runMs)),
    };
  });
}

/**
 * Samples/s per micro-batch bucket from the run's training samples (time
 * ms, samples so far, the trainer's micro-batch then): each interval counts
 * for the micro-batch at its start. Intervals where the trainer was paused
 * (micro-batch 0) count for no bucket.
 */
export function throughputByMicroBatch(samples: readonly { t: number; samples: number; microBatch: number }[]): MicroBatchThroughput[] {
  const buckets = new Map<number, { ms: number; samples: number }>();
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (a.microBatch < 1 || b.t <= a.t) continue;
    const key = 2 ** Math.floor(Math.log2(a.microBatch));
    const cur = buckets.get(key) ?? { ms: 0, samples: 0 };
    cur.ms += b.t - a.t;
    cur.samples += b.samples - a.samples;
    buckets.set(key, cur);
  }
  return [...buckets]
    .sort(([x], [y]) => x - y)
    .map(([microBatch, { ms, samples: n }]) => ({ microBatch, seconds: ms / 1000, samplesPerSec: (1000 * n) / ms }));
}

/** `squeezenet1_1.onnx 77% of 120 (SLO 2.3): lag 0.1/1.9, warm run 0.7/6.2, cold run -, graphs 1 capture / 119 replays / 1 eager` per architecture. */
export function detailLines(archs: readonly ArchitectureStages[], train: readonly MicroBatchThroughput[]): string[] {
  const f = (x: Spread | null) => (x ? `${x.p50Ms.toFixed(2)}/${x.p99Ms.toFixed(2)}` : '-');
  const lines = archs.map((a) => {
    const g = a.graphs ? `, graphs ${a.graphs.eager} eager / ${a.graphs.captures} captures / ${a.graphs.replays} replays${a.graphs.poolMoved !== undefined ? ` (recorded anew: pool moved ${a.graphs.poolMoved}, workspace moved ${a.graphs.workspaceMoved ?? 0})` : ''}${a.graphs.failure ? ` (recording failed: ${a.graphs.failure})` : ''}` : '';
    return `  ${a.architecture}: ${((100 * a.withinSlo) / Math.max(1, a.requests)).toFixed(1)}% of ${a.requests} within SLO ${a.sloMs.toFixed(2)} ms; P50/P99 ms lag ${f(a.lag)}, admit ${f(a.admit)}, window ${f(a.window)}, warm run ${f(a.warmRun)}, cold run ${f(a.coldRun)}${g}`;
  });
  if (train.length) lines.push(`  training by micro-batch: ${train.map((t) => `${t.microBatch}+ ${t.samplesPerSec.toFixed(0)} samples/s over ${t.seconds.toFixed(1)} s`).join(', ')}`);
  return lines;
}
