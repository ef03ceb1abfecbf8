// The handover benchmark: training runs while REQUIREs arrive at random
// times. Measured twice in one run on the same trainer configuration:
// - handover: trainer.require() (close the gate, discard, reclaim, zero-fill);
// - naive: wait for the running optimizer step to end, then free training's
//   activations and allocate fresh device memory for inference (no arena),
//   the way a framework without the gate would hand memory over.
import type { InferAllocation } from '../core/allocation.js';
import type { GpuDevice } from '../core/device.js';
import { buildSystem, mlpTraining } from '../system/index.js';
import { permutation, seeded, type Split } from '../train/data.js';
import { percentile } from '../train/run.js';
import type { HandoverReport, TrainConfig, Trainer } from '../train/trainer.js';

export interface HandoverBenchOptions {
  requires: number;
  /** Mean REQUIREs per second. */
  rate: number;
  arenaBytes: number;
  pageBytes: number;
  seed: number;
  onProgress?: (mode: string, done: number, total: number) => void;
}

export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export interface HandoverBenchResult {
  handover: LatencySummary & { closeP50Ms: number; discardP50Ms: number; reclaimP50Ms: number; discards: number; samplesPerSec: number };
  naive: LatencySummary & { samplesPerSec: number };
  speedup: number;
}

export function summarise(ms: number[]): LatencySummary {
  return {
    n: ms.length,
    p50Ms: percentile(ms, 0.5),
    p99Ms: percentile(ms, 0.99),
    maxMs: Math.max(...ms),
    meanMs: ms.reduce((s, v) => s + v, 0) / ms.length,
  };
}

/** Runs training steps until `stop()` says so; returns samples/s. */
export async function trainUntil(t: Trainer, data: Split, stop: () => boolean, afterStep: () => Promise<void>): Promise<number> {
  const E = t.config.effectiveBatch;
  const t0 = performance.now();
  const before = t.stats.samples;
  for (let epoch = 0; !stop(); epoch++) {
    const order = permutation(data.train.n, seeded(epoch + 17));
    for (let s = 0; s * E < data.train.n && !stop(); s++) {
      await t.step(data.train, order.subarray(s * E, Math.min((s + 1) * E, data.train.n)));
      await afterStep();
    }
  }
  return (t.stats.samples - before) / ((performance.now() - t0) / 1000);
}

/** Training alone on the colocation system (no models: the benchmark takes inference pages itself). */
async function setup(dev: GpuDevice, cfg: TrainConfig, data: Split, o: HandoverBenchOptions) {
  const system = await buildSystem({
    device: dev,
    arena: { bytes: o.arenaBytes, pageBytes: o.pageBytes },
    maxInFlight: 4,
    training: mlpTraining(cfg, data.train),
    policy: { system: 'handover' },
  });
  return { system, arena: system.arena, gate: system.gate, t: system.trainer! };
}

async function handoverMode(dev: GpuDevice, cfg: TrainConfig, data: Split, o: HandoverBenchOptions) {
  const { system, arena, t } = await setup(dev, cfg, data, o);
  const rand = seeded(o.seed);
  const reports: HandoverReport[] = [];
  let lent: InferAllocation | null = null;
  let done = false;
  const driver = (async () => {
    while (reports.length < o.requires) {
      await new Promise((r) => setTimeout(r, (-Math.log(1 - rand()) / o.rate) * 1000));
      const elastic = t.elasticBytes;
      if (elastic < arena.pageBytes) continue;
      const bytes = Math.max(arena.pageBytes, Math.floor(((0.1 + 0.8 * rand()) * elastic) / arena.pageBytes) * arena.pageBytes);
      // Inference needs the free pages and `bytes` more: training must shrink.
      const need = arena.freeBytes + bytes;
      const r = await t.require(need);
      lent = arena.allocate('infer', Math.min(arena.freeBytes, need), 'request'); // usable now
      reports.push(r);
      o.onProgress?.('handover', reports.length, o.requires);
      await new Promise((res) => setTimeout(res, 5));
      arena.free(lent);
      arena.reclaim(await arena.fence());
      t.release(arena.bytes);
      lent = null;
    }
    done = true;
  })();
  const samplesPerSec = await trainUntil(t, data, () => done, async () => {});
  await driver;
  await system.destroy();
  const real = reports.filter((r) => r.freedBytes > 0);
  return {
    ...summarise(real.map((r) => r.totalMs)),
    closeP50Ms: percentile(real.map((r) => r.closeMs), 0.5),
    discardP50Ms: percentile(real.map((r) => r.discardMs), 0.5),
    reclaimP50Ms: percentile(real.map((r) => r.reclaimMs), 0.5),
    discards: real.filter((r) => r.discarded).length,
    samplesPerSec,
  };
}

async function naiveMode(dev: GpuDevice, cfg: TrainConfig, data: Split, o: HandoverBenchOptions) {
  const { system, arena, gate, t } = await setup(dev, cfg, data, o);
  const rand = seeded(o.seed);
  const ms: number[] = [];
  const pending: { t0: number; bytes: number }[] = [];
  let done = false;
  const driver = (async () => {
    while (ms.length + pending.length < o.requires) {
      await new Promise((r) => setTimeout(r, (-Math.log(1 - rand()) / o.rate) * 1000));
      const elastic = t.elasticBytes;
      if (elastic < arena.pageBytes || pending.length > 0) continue;
      pending.push({ t0: performance.now(), bytes: Math.max(arena.pageBytes, Math.floor((0.1 + 0.8 * rand()) * elastic)) });
    }
  })();
  const afterStep = async () => {
    // The batch has ended: now give memory back to the device and allocate afresh.
    for (const p of pending.splice(0)) {
      await gate.idle();
      const size = Math.ceil(p.bytes / 4) * 4;
      const backing = dev.createBacking(size, 'naive-inference');
      dev.zero({ backing, offset: 0, bytes: size });
      await dev.fence();
      ms.push(performance.now() - p.t0);
      o.onProgress?.('naive', ms.length, o.requires);
      dev.destroyBacking(backing);
    }
    if (ms.length >= o.requires) done = true;
  };
  const samplesPerSec = await trainUntil(t, data, () => done, afterStep);
  await driver;
  await system.destroy();
  return { ...summarise(ms), samplesPerSec };
}

export async function handoverBench(dev: GpuDevice, cfg: TrainConfig, data: Split, o: HandoverBenchOptions): Promise<HandoverBenchResult> {
  const handover = await handoverMode(dev, cfg, data, o);
  const naive = await naiveMode(dev, cfg, data, o);
  return { handover, naive, speedup: naive.p50Ms / handover.p50Ms };
}
