// `handover train`: elastic training through the gate, of the MLP (the
// default) or a GPT on text (train-gpt.ts), with an optional storm of
// require/release calls, checkpoints and resume.
import type { GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import type { Dataset } from '../train/data.js';
import { loadDataset } from '../train/data-node.js';
import { percentile } from '../train/run.js';
import type { CheckpointOptions, StepRecord } from '../train/session.js';
import type { TrainConfig, TrainerOptions } from '../train/trainer.js';
import { mlpTraining, type TrainingSpec } from '../system/index.js';
import { trainOnSystem, type SystemTraining } from '../system/train.js';
import { ARENA_MB_MAX, intFlag, parseFlags, usage, type FlagSpec, type Flags } from './args.js';
import { printJson } from './output.js';
import { openDevice } from './open-device.js';
import { ProgressBar } from './progress.js';

export const trainSpec: FlagSpec = {
  model: { type: 'string', default: 'mlp', help: 'mlp or gpt', choices: ['mlp', 'gpt'] },
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda', choices: ['webgpu', 'cuda'] },
  dataset: { type: 'string', help: 'mlp: digits (default) or fashion-mnist; gpt: brown (default), kjv or fixture', choices: ['digits', 'fashion-mnist', 'brown', 'kjv', 'fixture'] },
  epochs: { type: 'number', default: 10, help: 'mlp: passes over the training set', int: true, min: 1, max: 100_000 },
  steps: { type: 'number', default: 40, help: 'gpt: effective batches to train (in all, when resuming)', int: true, min: 1, max: 100_000_000 },
  'effective-batch': { type: 'number', help: 'samples per optimizer step, E (default 32 for mlp, 8 for gpt), at most the training set', int: true, min: 1, max: 1_000_000 },
  'micro-batch': { type: 'number', help: 'largest micro-batch (memory may lower it; default E)', int: true, min: 1, max: 65_536 },
  layers: { type: 'string', help: 'mlp: hidden sizes, e.g. 512-512 (default 128 for digits, 512-512 for fashion-mnist); gpt: blocks (default 2)' },
  width: { type: 'number', default: 32, help: 'gpt: embedding width', int: true, min: 1, max: 65_536 },
  heads: { type: 'number', default: 2, help: 'gpt: attention heads (width / heads <= 128)', int: true, min: 1, max: 1024 },
  context: { type: 'number', default: 32, help: 'gpt: tokens per sample', int: true, min: 1, max: 1_048_576 },
  recompute: { type: 'boolean', default: false, help: 'gpt: recompute each block in backward instead of keeping its activations' },
  'grad-clip': { type: 'number', default: 1, help: 'gpt: global gradient-norm clip (0: none)', min: 0, max: 1e6 },
  'eval-every': { type: 'number', default: 10, help: 'gpt: effective batches between validation losses', int: true, min: 1, max: 100_000_000 },
  'eval-samples': { type: 'number', default: 16, help: 'gpt: validation samples scored each time', int: true, min: 1, max: 1_000_000 },
  optimizer: { type: 'string', default: 'sgd', help: 'mlp: sgd (with momentum) or adam (gpt: always AdamW)', choices: ['sgd', 'adam'] },
  lr: { type: 'number', help: 'learning rate (default 0.1 for sgd, 0.001 for adam and gpt)', min: 0, above: true, max: 10 },
  momentum: { type: 'number', default: 0.9, help: 'mlp: SGD momentum', min: 0, max: 0.999 },
  'weight-decay': { type: 'number', help: 'weight decay (default 0 for mlp, 0.1 for gpt: AdamW on 2-D weights)', min: 0, max: 1 },
  seed: { type: 'number', default: 1, help: 'seed of the initialisation and data order', int: true, min: 0 },
  storm: { type: 'number', default: 0, help: 'random require/release calls per second (0: none)', min: 0, max: 10_000 },
  checkpoint: { type: 'string', help: 'folder for checkpoints (parameters, optimizer state, data position)' },
  'checkpoint-every': { type: 'number', default: 0, help: 'effective batches between checkpoints (0: at the end and on SIGTERM/SIGINT only)', int: true, min: 0, max: 100_000_000 },
  resume: { type: 'boolean', default: false, help: 'continue from the checkpoint in --checkpoint' },
  'arena-mb': { type: 'number', help: 'arena size in MiB (default: what the model needs at the full micro-batch, plus 50%)', min: 0, above: true, max: ARENA_MB_MAX },
  'page-kb': { type: 'number', help: 'page size in KiB (default 2048, or 4 for digits and 64 for gpt so elasticity shows)', int: true, min: 1, max: 1_048_576 },
  'max-in-flight': { type: 'number', default: 4, help: 'command buffers the gate lets run at once (a huge value: ungated)', int: true, min: 1 },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device, backend, ...the summary}; progress goes to stderr' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

/** The parts every model's run shares, checked before the device opens. */
export interface CommonRun {
  effectiveBatch: number;
  microBatch: number;
  pageBytes: number;
  checkpoint: Omit<CheckpointOptions, 'config'> | null;
}

export function commonRun(f: Flags, defaultE: number, defaultPageKb: number): CommonRun {
  const effectiveBatch = f['effective-batch'] === undefined ? defaultE : intFlag(f, 'effective-batch');
  const microBatch = f['micro-batch'] === undefined ? effectiveBatch : intFlag(f, 'micro-batch');
  const pageBytes = (f['page-kb'] === undefined ? defaultPageKb : intFlag(f, 'page-kb')) * 1024;
  intFlag(f, 'max-in-flight');
  intFlag(f, 'checkpoint-every', 0);
  if (!(Number(f.storm) >= 0)) throw new UsageError(`--storm must be >= 0 requires per second, got ${f.storm}`);
  if (f['arena-mb'] !== undefined && !(Number(f['arena-mb']) > 0)) throw new UsageError(`--arena-mb must be positive, got ${f['arena-mb']}`);
  if (f.resume && !f.checkpoint) throw new UsageError(`--resume needs --checkpoint DIR (the folder to resume from)`);
  const checkpoint = f.checkpoint ? { dir: String(f.checkpoint), every: Number(f['checkpoint-every']), resume: Boolean(f.resume) } : null;
  return { effectiveBatch, microBatch, pageBytes, checkpoint };
}

/** Arena bytes: --arena-mb, or the static state plus the full micro-batch's activations, plus 50%. */
export function arenaBytes(f: Flags, needBytes: number, pageBytes: number): number {
  return f['arena-mb'] ? Number(f['arena-mb']) * 2 ** 20 : Math.ceil((needBytes * 1.5) / pageBytes) * pageBytes;
}

/** What every model's run returns from the system: the session, the trainer, its handovers, the scheduler's decisions. */
export type SessionRun<D> = SystemTraining<D, TrainerOptions> & { finish: () => Promise<void> };

/** Runs a session of `training` on a colocation system (with the run's storm, checkpoints and a progress bar); `finish` frees it. */
export async function trainWithSession<D>(
  dev: GpuDevice, run: CommonRun, f: Flags, bytes: number, config: Record<string, unknown>, training: TrainingSpec<D, TrainerOptions>,
  session: { train: D; validation?: D; steps: number; evalEvery?: number; tokensPerSample?: number; detail: (r: StepRecord) => string },
): Promise<SessionRun<D>> {
  const bar = new ProgressBar('train');
  try {
    const r = await trainOnSystem({
      device: dev, training, arena: { bytes, pageBytes: run.pageBytes }, maxInFlight: intFlag(f, 'max-in-flight'),
      storm: Number(f.storm) > 0 ? { rate: Number(f.storm) } : null,
      session: {
        ...session, seed: Number(f.seed),
        checkpoint: run.checkpoint ? { ...run.checkpoint, config } : undefined,
        onStep: (rec) => bar.update(rec.step, rec.steps, session.detail(rec)),
      },
    });
    bar.done();
    const { result } = r;
    if (result.resumedFrom !== null) console.error(`train: resumed from the checkpoint after effective batch ${result.resumedFrom}`);
    if (result.ended === 'signal') console.error(`train: stopped by ${result.signal} after effective batch ${result.steps}${run.checkpoint ? `; checkpoint in ${run.checkpoint.dir}` : ''}`);
    if (r.storm) {
      const d = r.decisions;
      console.error(`train: storm of ${r.storm.requests} requests (${r.storm.unserved} unserved); the scheduler's decisions: ${d.require} requires, ${d.discard} discards, ${d.release} releases, ${d.load} loads, ${d.unload} unloads`);
    }
    return { ...r, finish: () => r.system.destroy() };
  } catch (e) {
    bar.done();
    throw e;
  }
}

/** The system's part of the JSON summary: the storm's requests (null without one) and the scheduler's decisions by kind. */
export function stormSummary(r: SessionRun<unknown>): { stormRequests: SessionRun<unknown>['storm']; decisions: SessionRun<unknown>['decisions'] } {
  return { stormRequests: r.storm, decisions: r.decisions };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { flags: f } = parseFlags(argv, trainSpec);
  if (f.help) {
    console.log(usage('train', trainSpec));
    return 0;
  }
  if (f.model === 'gpt') return (await import('./train-gpt.js')).trainGpt(f);
  if (f.model !== 'mlp') throw new UsageError(`--model must be mlp or gpt, got '${f.model}'`);
  return trainMlp(f);
}

async function trainMlp(f: Flags): Promise<number> {
  const dataset = String(f.dataset ?? 'digits');
  const run = commonRun(f, 32, dataset === 'digits' ? 4 : 2048);
  const epochs = intFlag(f, 'epochs');
  const split = loadDataset(dataset, Number(f.seed));
  const hidden = f.layers ? String(f.layers).split('-').map(Number) : dataset === 'digits' ? [128] : [512, 512];
  if (hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new UsageError(`--layers must look like 512-512, got ${f.layers}`);
  const optimizer = String(f.optimizer);
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw new UsageError(`--optimizer must be sgd or adam`);
  const cfg: TrainConfig = {
    layers: [split.train.features, ...hidden, split.train.classes],
    optimizer,
    lr: (f.lr as number | undefined) ?? (optimizer === 'sgd' ? 0.1 : 0.001),
    momentum: Number(f.momentum),
    weightDecay: Number(f['weight-decay'] ?? 0),
    effectiveBatch: run.effectiveBatch,
    microBatch: run.microBatch,
    seed: Number(f.seed),
  };
  if (cfg.effectiveBatch > split.train.n) throw new UsageError(`--effective-batch ${cfg.effectiveBatch} is more than the ${split.train.n} training samples of ${dataset}: no optimizer step would ever run; use at most ${split.train.n}`);
  const dev = await openDevice(String(f.backend), (l) => console.error(l));
  const { mlpLayout } = await import('../train/mlp.js');
  const { activationBytes } = await import('../train/activations.js');
  const layout = mlpLayout(cfg.layers);
  const bytes = arenaBytes(f, layout.bytes * (optimizer === 'adam' ? 5 : 4) + activationBytes(layout, cfg.microBatch) + 4 * run.pageBytes, run.pageBytes);
  console.error(
    `train: ${cfg.layers.join('-')} MLP on ${dataset} (${split.train.n} train / ${split.test.n} test), ${optimizer}, ` +
      `E=${cfg.effectiveBatch}, micro-batch <= ${cfg.microBatch}, arena ${(bytes / 2 ** 20).toFixed(2)} MiB in ${run.pageBytes / 1024} KiB pages` +
      (f.storm ? `, storm ${f.storm}/s` : ''),
  );
  const steps = epochs * Math.ceil(split.train.n / cfg.effectiveBatch);
  const perEpoch = Math.ceil(split.train.n / cfg.effectiveBatch);
  const config = { model: 'mlp', dataset, ...cfg };
  const ran = await trainWithSession<Dataset>(dev, run, f, bytes, config, mlpTraining(cfg, null), {
    train: split.train, steps,
    detail: (r) => `epoch ${r.epoch + 1}/${epochs} step ${(r.step - 1) % perEpoch + 1}/${perEpoch} b=${r.microBatch} ${r.tokensPerSec.toFixed(0)} samples/s`,
  });
  const { result, trainer, handoverMs } = ran;
  const test = await trainer.evaluate(split.test);
  const s = trainer.stats;
  const summary = {
    testAccuracy: test.accuracy, testLoss: test.loss, trainLoss: result.loss, samplesPerSec: result.tokensPerSec, epochs,
    steps: result.steps, ended: result.ended, discards: s.discards, wastedSeconds: s.wastedMs / 1000, microBatchMin: s.microBatchMin, microBatchMax: s.microBatchMax,
    handovers: trainer.handovers.length, handoverP50Ms: percentile(handoverMs, 0.5), handoverP99Ms: percentile(handoverMs, 0.99), checkpoints: result.checkpoints,
    ...stormSummary(ran),
  };
  await ran.finish();
  console.error(
    `test accuracy ${(summary.testAccuracy * 100).toFixed(2)}%, ${summary.samplesPerSec.toFixed(0)} samples/s, ` +
      `${summary.discards} discards (${summary.wastedSeconds.toFixed(2)} s wasted), micro-batch ${summary.microBatchMin}..${summary.microBatchMax}, ` +
      `${summary.handovers} handovers (p50 ${summary.handoverP50Ms.toFixed(2)} ms, p99 ${summary.handoverP99Ms.toFixed(2)} ms)`,
  );
  if (f.json) printJson(dev, String(f.backend), { model: 'mlp', dataset, maxInFlight: f['max-in-flight'], storm: f.storm, ...summary });
  dev.destroy();
  return 0;
}
