// A training session for any model: effective batches in a seeded order,
// a loss check after every one (a NaN or infinite loss stops the run),
// validation every few steps, checkpoints every N effective batches and on
// SIGTERM/SIGINT, and resuming from the last checkpoint.
import { HandoverError } from '../core/errors.js';
import { checkResumable, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { permutation, seeded } from './data.js';
import type { Trainer } from './trainer.js';
import type { TrainerOptions } from './trainer-types.js';

/** The loss became NaN or infinite: training stops rather than corrupt its parameters further. */
export class NonFiniteLossError extends HandoverError {
  override name = 'NonFiniteLossError';
  constructor(readonly step: number, readonly loss: number) {
    super(`the training loss is ${loss} at effective batch ${step}: stopping (lower --lr, or resume from the last checkpoint)`);
  }
}

export interface CheckpointOptions {
  dir: string;
  /** Effective batches between checkpoints (0: only on a stop signal and at the end). */
  every: number;
  resume: boolean;
  /** The run's configuration; a resume must match it. */
  config: Record<string, unknown>;
}

export interface SessionOptions<D> {
  train: D;
  /** Validation data, scored every `evalEvery` steps and at the end. */
  validation?: D;
  evalEvery?: number;
  /** Effective batches in all, counting those a resumed checkpoint had done. */
  steps: number;
  seed: number;
  /** Tokens per sample, for tokens/s (1 for models whose samples are not sequences). */
  tokensPerSample?: number;
  checkpoint?: CheckpointOptions;
  /** Load beside training (the system's inference storm): told before each step, stopped at the end. */
  storm?: { afterStep(): void; stop(): Promise<void> } | null;
  stopSignals?: NodeJS.Signals[];
  onStep?: (r: StepRecord) => void;
}

export interface StepRecord {
  step: number;
  steps: number;
  epoch: number;
  loss: number;
  validationLoss: number | null;
  tokensPerSec: number;
  microBatch: number;
  seconds: number;
}

export interface SessionResult {
  /** Effective batches done in all (after a resume: counting the earlier ones). */
  steps: number;
  /** 'signal' when a stop signal ended the run early (after checkpointing). */
  ended: 'done' | 'signal';
  signal: NodeJS.Signals | null;
  loss: number;
  validationLoss: number | null;
  resumedFrom: number | null;
  checkpoints: number;
  tokensPerSec: number;
  records: StepRecord[];
}

export async function runSession<D>(t: Trainer<D, TrainerOptions>, o: SessionOptions<D>): Promise<SessionResult> {
  const E = t.config.effectiveBatch;
  const n = t.model.samples(o.train);
  const perEpoch = Math.ceil(n / E);
  const ck = o.checkpoint;
  let resumedFrom: number | null = null;
  if (ck?.resume) {
    const { header, snapshot } = loadCheckpoint(ck.dir);
    checkResumable(ck.dir, header, ck.config);
    t.restore(snapshot);
    resumedFrom = snapshot.steps;
  }
  let signal: NodeJS.Signals | null = null;
  const signals = o.stopSignals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = (s: NodeJS.Signals) => {
    if (signal === null) {
      signal = s;
      return;
    }
    // A second signal while the effective batch finishes: stop now, as without the handler.
    for (const x of signals) process.off(x, onSignal);
    process.kill(process.pid, s);
  };
  for (const s of signals) process.on(s, onSignal);
  let checkpoints = 0;
  const save = async () => {
    if (!ck) return;
    const step = t.stats.steps;
    saveCheckpoint(ck.dir, ck.config, { epoch: Math.floor(step / perEpoch), step: step % perEpoch, samples: step * E }, await t.snapshot());
    checkpoints++;
  };
  const storm = o.storm ?? null;
  const records: StepRecord[] = [];
  const t0 = performance.now();
  const samples0 = t.stats.samples;
  let loss = NaN;
  let validationLoss: number | null = null;
  try {
    let order: Uint32Array | null = null;
    let orderEpoch = -1;
    while (t.stats.steps < o.steps && signal === null) {
      const g = t.stats.steps;
      const epoch = Math.floor(g / perEpoch);
      if (epoch !== orderEpoch) {
        order = permutation(n, seeded(o.seed * 1000 + epoch));
        orderEpoch = epoch;
      }
      const s = g % perEpoch;
      storm?.afterStep();
      await t.step(o.train, order!.subarray(s * E, Math.min((s + 1) * E, n)));
      loss = await t.lastLoss();
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(t.stats.steps, loss);
      const step = t.stats.steps;
      const last = step === o.steps;
      if (o.validation && ((o.evalEvery && step % o.evalEvery === 0) || last)) validationLoss = (await t.evaluate(o.validation)).loss;
      const seconds = (performance.now() - t0) / 1000;
      const rec: StepRecord = {
        step, steps: o.steps, epoch, loss, validationLoss, microBatch: t.stats.microBatch, seconds,
        tokensPerSec: ((t.stats.samples - samples0) * (o.tokensPerSample ?? 1)) / seconds,
      };
      records.push(rec);
      o.onStep?.(rec);
      if (ck && ck.every > 0 && step % ck.every === 0 && !last) await save();
    }
    await storm?.stop();
    if (ck && (signal !== null || t.stats.steps > (resumedFrom ?? 0))) await save();
  } finally {
    await storm?.stop();
    for (const s of signals) process.off(s, onSignal);
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    steps: t.stats.steps, ended: signal ? 'signal' : 'done', signal, loss, validationLoss, resumedFrom, checkpoints,
    tokensPerSec: ((t.stats.samples - samples0) * (o.tokensPerSample ?? 1)) / seconds, records,
  };
}
