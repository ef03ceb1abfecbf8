// Training as a face of the colocation system: `handover train` (the MLP or
// a GPT, with checkpoints, resume, the NaN stop and stop signals) runs its
// session on a system from buildSystem, and `--storm` sends inference
// requests through the system's request path, so the requires and releases
// the run shows are the scheduler's decisions (DecisionLog). Node only (the
// session writes checkpoints): not exported to the browser's entry.
import { DEFAULT_PAGE_BYTES } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import { percentile } from '../train/run.js';
import type { Split } from '../train/data.js';
import { runSession, type SessionOptions, type SessionResult } from '../train/session.js';
import type { Trainer, TrainConfig, TrainerOptions } from '../train/trainer.js';
import { buildSystem } from './build.js';
import type { DecisionKind } from './decisions.js';
import type { TrainingSpec } from './spec.js';
import { InferenceStorm, type StormCounts, type StormPace } from './storm.js';
import type { ColocationSystem } from './system.js';
import { mlpTraining, staticBytesOf } from './training.js';

export interface TrainOnSystemOptions<D, C extends TrainerOptions> {
  device: GpuDevice;
  /** The model to train (its data, if any, is not used: the session steps over `session.train`). */
  training: TrainingSpec<D, C>;
  arena: { bytes: number; pageBytes: number };
  /** Training launches in flight on the gate (default 4). */
  maxInFlight?: number;
  /** Inference requests beside training (null: training alone). */
  storm?: StormPace | null;
  session: Omit<SessionOptions<D>, 'storm'>;
}

export interface SystemTraining<D, C extends TrainerOptions> {
  /** Stopped, not destroyed: the caller evaluates on `trainer`, then calls `system.destroy()`. */
  system: ColocationSystem<D, C>;
  trainer: Trainer<D, C>;
  result: SessionResult;
  storm: StormCounts | null;
  /** The scheduler's decisions by kind. */
  decisions: Record<DecisionKind, number>;
  /** Milliseconds of each handover (require) that freed memory. */
  handoverMs: number[];
}

export async function trainOnSystem<D, C extends TrainerOptions>(o: TrainOnSystemOptions<D, C>): Promise<SystemTraining<D, C>> {
  const page = o.arena.pageBytes;
  const arenaBytes = Math.floor(o.arena.bytes / page) * page;
  const model = o.training.model;
  const storm = o.storm ? new InferenceStorm(o.storm, arenaBytes - staticBytesOf(model, page), model.activationBytes(1) + page, page, o.session.seed) : null;
  const system = await buildSystem<D, C>({
    device: o.device,
    arena: o.arena,
    maxInFlight: o.maxInFlight ?? 4,
    training: { ...o.training, data: null },
    models: storm?.models,
    workspacePages: storm?.workspacePages,
    policy: storm?.policy() ?? { system: 'handover' },
    now: storm?.now,
  });
  try {
    system.start({ tickMs: storm?.tickMs ?? null });
    const trainer = system.trainer!;
    const result = await runSession(trainer, { ...o.session, storm: storm?.start(system) });
    await system.stop();
    const decisions: Record<DecisionKind, number> = { load: 0, unload: 0, require: 0, release: 0, discard: 0 };
    for (const d of system.decisions.entries) decisions[d.kind]++;
    const handoverMs = trainer.handovers.filter((h) => h.freedBytes > 0).map((h) => h.totalMs);
    return { system, trainer, result, storm: storm ? { ...storm.counts } : null, decisions, handoverMs };
  } catch (e) {
    await system.destroy();
    throw e;
  }
}

export interface RunOptions {
  epochs: number;
  arenaBytes: number;
  pageBytes?: number;
  /** Storm requests per second (0: none). */
  storm?: number;
  /** A storm request every this many training steps instead of by the clock (tests: the storm happens however fast the device is). */
  stormEverySteps?: number;
  maxInFlight?: number;
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
  decisions: Record<DecisionKind, number>;
  storm: StormCounts | null;
}

/** The MLP for `epochs` over a split on the colocation system (optionally beside a storm), then its test accuracy. */
export async function trainRun(dev: GpuDevice, cfg: TrainConfig, data: Split, o: RunOptions): Promise<RunSummary> {
  const pace = o.stormEverySteps ? { everySteps: o.stormEverySteps } : o.storm ? { rate: o.storm } : null;
  const steps = o.epochs * Math.ceil(data.train.n / cfg.effectiveBatch);
  const run = await trainOnSystem({
    device: dev, training: mlpTraining(cfg, null), arena: { bytes: o.arenaBytes, pageBytes: o.pageBytes ?? DEFAULT_PAGE_BYTES },
    maxInFlight: o.maxInFlight, storm: pace, session: { train: data.train, steps, seed: cfg.seed, stopSignals: [] },
  });
  try {
    const t = run.trainer;
    const test = await t.evaluate(data.test);
    return {
      testAccuracy: test.accuracy, testLoss: test.loss, trainLoss: run.result.loss, samplesPerSec: run.result.tokensPerSec, epochs: o.epochs,
      discards: t.stats.discards, wastedSeconds: t.stats.wastedMs / 1000, microBatchMin: t.stats.microBatchMin, microBatchMax: t.stats.microBatchMax,
      handovers: t.handovers.length, handoverP50Ms: percentile(run.handoverMs, 0.5), handoverP99Ms: percentile(run.handoverMs, 0.99),
      decisions: run.decisions, storm: run.storm,
    };
  } finally {
    await run.system.destroy();
  }
}
