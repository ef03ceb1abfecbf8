// A whole training run: epochs of seeded data order, evaluation, and an
// optional storm of require/release calls that makes elasticity visible.
import type { InferAllocation } from '../core/allocation.js';
import type { GpuDevice } from '../core/device.js';
import { OutOfMemoryError } from '../core/errors.js';
import { buildSystem, mlpTraining } from '../system/index.js';
import { permutation, seeded, type Split } from './data.js';
import type { HandoverReport, TrainConfig, Trainer } from './trainer.js';

export interface RunOptions {
  epochs: number;
  arenaBytes: number;
  pageBytes?: number;
  /** require/release calls per second (0: none). */
  storm?: number;
  /**
   * A require/release call every this many training steps instead of by the
   * clock (it lands during the next step): the storm happens however fast
   * the device is (tests).
   */
  stormEverySteps?: number;
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
export type StormTarget = Pick<Trainer, 'arena' | 'staticBytes' | 'elasticBytes' | 'require' | 'release' | 'stats'>;

export interface Storm {
  /** Called after each training step: fires a call every `everySteps` steps (step-driven storms). */
  afterStep(): void;
  stop(): Promise<void>;
}

/**
 * Random require/release calls, each 10%-90% of the elastic memory: at `rate`
 * per second by the clock, or every `everySteps` training steps (without
 * waiting: the call meets the next step in flight).
 */
export function startStorm(t: StormTarget, pace: { rate?: number; everySteps?: number }, seed: number): Storm {
  const rand = seeded(seed);
  const arena = t.arena;
  const lent: InferAllocation[] = [];
  let stopped = false;
  let chain = Promise.resolve();
  let steps = 0;
  const elastic = () => arena.bytes - t.staticBytes;
  const giveBack = async () => {
    const a = lent.pop()!;
    arena.free(a);
    arena.reclaim(await arena.fence());
    t.release(a.bytes);
  };
  const tick = async () => {
    if (stopped) return; // a call queued before stop() must not touch the trainer after the run
    if (lent.length > 0 && rand() < 0.5) await giveBack();
    else {
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
    if (stopped || !pace.rate) return;
    const wait = (-Math.log(1 - rand()) / pace.rate) * 1000;
    setTimeout(() => {
      if (stopped) return;
      chain = chain.then(tick).then(loop);
    }, wait);
  };
  loop();
  // Step-driven, nothing else would wake a trainer that the storm left without memory (paused, its
  // step waiting for a release): give memory back as soon as that happens.
  const unpause = pace.everySteps
    ? setInterval(() => {
        if (!stopped && t.stats.paused && lent.length > 0) chain = chain.then(() => (lent.length > 0 && t.stats.paused ? giveBack() : undefined));
      }, 5)
    : null;
  return {
    afterStep() {
      if (!pace.everySteps || ++steps % pace.everySteps !== 0) return;
      chain = chain.then(tick);
    },
    async stop() {
      stopped = true;
      if (unpause) clearInterval(unpause);
      await chain;
      for (const a of lent.splice(0)) {
        arena.free(a);
        arena.reclaim(await arena.fence());
        t.release(a.bytes);
      }
    },
  };
}

export async function trainRun(dev: GpuDevice, cfg: TrainConfig, data: Split, o: RunOptions): Promise<RunSummary> {
  // Training alone on the colocation system: no models; the storm stands in for inference.
  const system = await buildSystem({
    device: dev,
    arena: { bytes: o.arenaBytes, pageBytes: o.pageBytes },
    maxInFlight: o.maxInFlight ?? 4,
    training: mlpTraining(cfg, data.train),
    policy: { system: 'handover' },
  });
  const t = system.trainer!;
  try {
    const storm = o.storm || o.stormEverySteps ? startStorm(t, { rate: o.storm, everySteps: o.stormEverySteps }, cfg.seed ^ 0x5707) : null;
    const E = cfg.effectiveBatch;
    const steps = Math.ceil(data.train.n / E);
    const t0 = performance.now();
    let trainLoss = NaN;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const order = permutation(data.train.n, seeded(cfg.seed * 1000 + epoch));
      for (let s = 0; s < steps; s++) {
        storm?.afterStep();
        await t.step(data.train, order.subarray(s * E, Math.min((s + 1) * E, data.train.n)));
        o.onProgress?.({
          epoch: epoch + 1, epochs: o.epochs, step: s + 1, steps,
          microBatch: t.stats.microBatch, samplesPerSec: t.stats.samples / ((performance.now() - t0) / 1000),
        });
      }
      trainLoss = await t.lastLoss();
    }
    const seconds = (performance.now() - t0) / 1000;
    await storm?.stop();
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
    await system.destroy();
  }
}
