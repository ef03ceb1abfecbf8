// `handover bench preempt`: what a request waits for on a one-queue device
// while training runs, sliced vs unsliced, beside the same requests with no
// training (the reference, same run); and what slicing costs training with
// no requests (samples/s, slicing forced on all the time, against unsliced).
// A request is an MLP forward at batch 1 on the inference lane, issued the way
// the colocation core does: hold the gate, launch, submit, resume.
import { Arena } from '../core/arena.js';
import type { InferAllocation } from '../core/allocation.js';
import type { GpuDevice, Launch } from '../core/device.js';
import { Gate } from '../core/gate.js';
import { deviceSlicing, SlicingPolicy } from '../core/slicing.js';
import { biasAdd, relu } from '../kernels/elementwise.js';
import { matmul } from '../kernels/matmul.js';
import { seeded, type Split } from '../train/data.js';
import { Trainer, type TrainConfig } from '../train/trainer.js';
import { summarise, trainUntil, type LatencySummary } from './handover-bench.js';

export interface PreemptBenchOptions {
  /** Requests per latency mode. */
  requests: number;
  /** Mean requests per second (Poisson arrivals, one at a time). */
  rate: number;
  /** Layer widths of the request's MLP, input first. */
  requestLayers: number[];
  /** Seconds of training alone per throughput mode. */
  trainSeconds: number;
  pageBytes: number;
  arenaBytes: number;
  seed: number;
  onProgress?: (mode: string, done: number, total: number) => void;
}

export interface PreemptBenchResult {
  /** Requests with no training beside them. */
  alone: LatencySummary;
  unsliced: LatencySummary & { samplesPerSec: number };
  sliced: LatencySummary & { samplesPerSec: number; slices: number; budgetMs: number };
  sloMs: number;
  /**
   * Training alone, samples/s: unsliced; sliced as the gate runs it (no request
   * seen, so full size: what the >= 95% target is about); and sliced all the
   * time (forced: the cost of slicing itself, as when requests keep coming).
   */
  throughput: { unsliced: number; sliced: number; ratio: number; forced: number; forcedRatio: number; slices: number };
}

/** The request: an MLP forward at batch 1 in inference memory, ReLU between layers. */
function requestLaunches(arena: Arena, widths: number[], seed: number): { launches: Launch[]; allocs: InferAllocation[] } {
  const rand = seeded(seed);
  const allocs: InferAllocation[] = [];
  const buf = (n: number, init?: boolean) => {
    const a = arena.allocate('infer', n * 4, 'request');
    allocs.push(a);
    if (init) arena.device.write(a.range(), Float32Array.from({ length: n }, () => rand() * 2 - 1), 'infer');
    return a;
  };
  const launches: Launch[] = [];
  let x = buf(widths[0]!, true);
  for (let i = 1; i < widths.length; i++) {
    const [k, n] = [widths[i - 1]!, widths[i]!];
    const w = buf(k * n, true);
    const b = buf(n, true);
    const y = buf(n);
    launches.push(matmul({ a: x, b: w, c: y, m: 1, n, k }), biasAdd(y, b, 1, n));
    x = y;
    if (i < widths.length - 1) {
      x = buf(n);
      launches.push(relu(y, x, n));
    }
  }
  return { launches: launches.map((l) => ({ ...l, lane: 'infer' as const })), allocs };
}

/** A fresh arena with the request in it, and (with cfg) a gate and trainer beside it. */
function bed(dev: GpuDevice, o: PreemptBenchOptions, cfg: TrainConfig | null, slicing: SlicingPolicy | null) {
  const arena = new Arena(dev, { bytes: o.arenaBytes, pageBytes: o.pageBytes });
  const request = requestLaunches(arena, o.requestLayers, o.seed);
  const gate = new Gate(dev, { maxInFlight: dev.info.software ? 1 : 4, slicing });
  let t: Trainer | null = null;
  if (cfg) {
    t = new Trainer(arena, gate, cfg);
    t.init();
  }
  return { arena, request, gate, t };
}

export async function preemptBench(dev: GpuDevice, cfg: TrainConfig, data: Split, o: PreemptBenchOptions): Promise<PreemptBenchResult> {
  const rand = seeded(o.seed + 1);
  const gap = () => (-Math.log(1 - rand()) / o.rate) * 1000;

  /** Requests one at a time, each through the gate: hold, launch, submit, resume; ms from arrival to done. */
  const requests = async (mode: string, launches: Launch[], gate: Gate | null): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < o.requests; i++) {
      await new Promise((r) => setTimeout(r, gap()));
      const t0 = performance.now();
      gate?.hold();
      try {
        for (const l of launches) dev.launch(l);
        await dev.submit();
      } finally {
        gate?.resume();
      }
      ms.push(performance.now() - t0);
      gate?.slicing?.inferenceRan(ms[ms.length - 1]!);
      o.onProgress?.(mode, i + 1, o.requests);
    }
    return ms;
  };

  const ref = bed(dev, o, null, null);
  for (const l of ref.request.launches) dev.launch(l); // compile before timing
  await dev.submit();
  const alone = summarise(await requests('alone', ref.request.launches, null));
  ref.arena.destroy();
  // SLO = 4x the standalone request (the evaluation's convention); a slice may take a quarter of it.
  const sloMs = 4 * alone.p50Ms;

  const withTraining = async (slicing: SlicingPolicy | null, mode: string) => {
    slicing?.serve('request', sloMs);
    const b = bed(dev, o, cfg, slicing);
    const t = b.t!;
    await trainUntil(t, data, () => t.stats.steps >= 1, async () => {}); // compile and learn costs first
    let stop = false;
    const training = trainUntil(t, data, () => stop, async () => {});
    const ms = await requests(mode, b.request.launches, b.gate);
    stop = true;
    const samplesPerSec = await training;
    await b.gate.idle();
    b.arena.destroy();
    return { ms, samplesPerSec, slices: b.gate.slices };
  };
  const un = await withTraining(null, 'unsliced');
  const slicing = new SlicingPolicy(deviceSlicing(dev));
  const sl = await withTraining(slicing, 'sliced');

  /** Training alone for trainSeconds: full size, sliced as the gate decides, or sliced all the time. */
  const throughputOf = async (policy: SlicingPolicy | null, mode: string, forced = false): Promise<{ sps: number; slices: number }> => {
    policy?.serve('request', sloMs);
    if (policy) policy.forced = forced;
    const b = bed(dev, o, cfg, policy);
    const t = b.t!;
    await trainUntil(t, data, () => t.stats.steps >= 1, async () => {});
    const end = performance.now() + o.trainSeconds * 1000;
    o.onProgress?.(mode, 0, 1);
    const sps = await trainUntil(t, data, () => performance.now() >= end, async () => {});
    o.onProgress?.(mode, 1, 1);
    await b.gate.idle();
    b.arena.destroy();
    return { sps, slices: b.gate.slices };
  };
  const full = await throughputOf(null, 'train full');
  const auto = await throughputOf(new SlicingPolicy(deviceSlicing(dev)), 'train sliced');
  const cut = await throughputOf(new SlicingPolicy(deviceSlicing(dev)), 'train forced', true);
  return {
    alone,
    unsliced: { ...summarise(un.ms), samplesPerSec: un.samplesPerSec },
    sliced: { ...summarise(sl.ms), samplesPerSec: sl.samplesPerSec, slices: sl.slices, budgetMs: slicing.budgetMs },
    sloMs,
    throughput: { unsliced: full.sps, sliced: auto.sps, ratio: auto.sps / full.sps, forced: cut.sps, forcedRatio: cut.sps / full.sps, slices: cut.slices },
  };
}
