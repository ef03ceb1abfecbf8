// A whole training run: epochs of seeded data order, evaluation, and an
// optional storm of require/release calls that makes elasticity visible.
import { Arena } from '../core/arena.js';
import type { InferAllocation } from '../core/allocation.js';
import type { GpuDevice } from '../core/device.js';
import { OutOfMemoryError } from '../core/errors.js';
import { Gate } from '../core/gate.js';
import { permutation, seeded, type Split } from './data.js';
import { Trainer, type HandoverReport, type TrainConfig } from './trainer.js';

export interface RunOptions {
  epochs: number;
  arenaBytes: number;
  pageBytes?: number;
  /** require/release calls per second (0: none). */
  storm?: number;
  maxInFlight?: number;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  microBatch: number;
  samplesPerSec: number;
}

export interface RunSummary {
  testAccuracy: number;
  testLoss: number;
  trainLoss: number;
  samplesPerSec: number;
  epochs: number;
  discards: number;
  wastedSeconds: number;
  microBatchMin: number;
  microBatchMax: number;
  handovers: number;
  handoverP50Ms: number;
  handoverP99Ms: number;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** The trainer as a storm sees it: any model's. */
export type StormTarget = Pick<Trainer, 'arena' | 'staticBytes' | 'elasticBytes' | 'require' | 'release'>;

/** Random require/release at `rate` per second, each 10%-90% of the elastic memory. */
export function startStorm(t: StormTarget, rate: number, seed: number): () => Promise<void> {
  const rand = seeded(seed);
  const arena = t.arena;
  const lent: InferAllocation[] = [];
  let stopped = false;
  let chain = Promise.resolve();
  const elastic = () => arena.bytes - t.staticBytes;
  const tick = async () => {
    if (lent.length > 0 && rand() < 0.5) {
      const a = lent.pop()!;
      const bytes = a.bytes;
      arena.free(a);
      arena.reclaim(await arena.fence());
      t.release(bytes);
    } else {
      const bytes = Math.max(arena.pageBytes, Math.floor((0.1 + 0.8 * rand()) * elastic() / arena.pageBytes) * arena.pageBytes);
      const room = arena.freeBytes + t.elasticBytes;
      if (bytes > room) return;
      await t.require(bytes);
      if (stopped || arena.freeBytes < bytes) return;
      try {
        lent.push(arena.allocate('infer', bytes, 'storm'));
      } catch (e) {
        // Enough pages are free but not side by side (training runs between them): this request goes unserved.
        if (!(e instanceof OutOfMemoryError)) throw e;
      }
    }
  };
  const loop = () => {
    if (stopped) return;
    const wait = (-Math.log(1 - rand()) / rate) * 1000;
    setTimeout(() => {
      if (stopped) return; // a timer set before stop() must not touch the trainer after the run
      chain = chain.then(tick).then(loop);
    }, wait);
  };
  loop();
  return async () => {
    stopped = true;
    await chain;
    for (const a of lent.splice(0)) {
      arena.free(a);
      arena.reclaim(await arena.fence());
      t.release(a.bytes);
    }
  };
}

export async function trainRun(dev: GpuDevice, cfg: TrainConfig, data: Split, o: RunOptions): Promise<RunSummary> {
  const arena = new Arena(dev, { bytes: o.arenaBytes, pageBytes: o.pageBytes });
  const gate = new Gate(dev, { maxInFlight: o.maxInFlight ?? 4 });
  const t = new Trainer(arena, gate, cfg);
  try {
    t.init();
    const stop = o.storm ? startStorm(t, o.storm, cfg.seed ^ 0x5707) : null;
    const E = cfg.effectiveBatch;
    const steps = Math.ceil(data.train.n / E);
    const t0 = performance.now();
    let trainLoss = NaN;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const order = permutation(data.train.n, seeded(cfg.seed * 1000 + epoch));
      for (let s = 0; s < steps; s++) {
        await t.step(data.train, order.subarray(s * E, Math.min((s + 1) * E, data.train.n)));
        o.onProgress?.({
          epoch: epoch + 1, epochs: o.epochs, step: s + 1, steps,
          microBatch: t.stats.microBatch, samplesPerSec: t.stats.samples / ((performance.now() - t0) / 1000),
        });
      }
      trainLoss = await t.lastLoss();
    }
    const seconds = (performance.now() - t0) / 1000;
    await stop?.();
    const test = await t.evaluate(data.test);
    const ms = t.handovers.filter((h: HandoverReport) => h.freedBytes > 0).map((h) => h.totalMs);
    return {
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      trainLoss,
      samplesPerSec: t.stats.samples / seconds,
      epochs: o.epochs,
      discards: t.stats.discards,
      wastedSeconds: t.stats.wastedMs / 1000,
      microBatchMin: t.stats.microBatchMin,
      microBatchMax: t.stats.microBatchMax,
      handovers: t.handovers.length,
      handoverP50Ms: percentile(ms, 0.5),
      handoverP99Ms: percentile(ms, 0.99),
    };
  } finally {
    await gate.idle().catch(() => {});
    arena.destroy();
  }
}
