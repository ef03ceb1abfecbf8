// `handover train`: elastic MLP training through the gate, with an optional
// storm of require/release calls.
import { UsageError } from '../core/errors.js';
import { loadDataset } from '../train/data-node.js';
import { trainRun } from '../train/run.js';
import type { TrainConfig } from '../train/trainer.js';
import { ARENA_MB_MAX, intFlag, parseFlags, usage, type FlagSpec } from './args.js';
import { printJson } from './output.js';
import { openDevice } from './open-device.js';
import { ProgressBar } from './progress.js';

export const trainSpec: FlagSpec = {
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda', choices: ['webgpu', 'cuda'] },
  dataset: { type: 'string', default: 'digits', help: 'digits or fashion-mnist', choices: ['digits', 'fashion-mnist'] },
  epochs: { type: 'number', default: 10, help: 'passes over the training set', int: true, min: 1, max: 100_000 },
  'effective-batch': { type: 'number', default: 32, help: 'samples per optimizer step (E), at most the training set', int: true, min: 1, max: 1_000_000 },
  'micro-batch': { type: 'number', default: 32, help: 'largest micro-batch (memory may lower it)', int: true, min: 1, max: 65_536 },
  layers: { type: 'string', help: 'hidden layer sizes, e.g. 512-512 (default: 128 for digits, 512-512 for fashion-mnist)' },
  optimizer: { type: 'string', default: 'sgd', help: 'sgd (with momentum) or adam', choices: ['sgd', 'adam'] },
  lr: { type: 'number', help: 'learning rate (default 0.1 for sgd, 0.001 for adam)', min: 0, above: true, max: 10 },
  momentum: { type: 'number', default: 0.9, help: 'SGD momentum', min: 0, max: 0.999 },
  'weight-decay': { type: 'number', default: 0, help: 'L2 weight decay', min: 0, max: 1 },
  seed: { type: 'number', default: 1, help: 'seed of the initialisation and data order', int: true, min: 0 },
  storm: { type: 'number', default: 0, help: 'random require/release calls per second (0: none)', min: 0, max: 10_000 },
  'arena-mb': { type: 'number', help: 'arena size in MiB (default: what the model needs at the full micro-batch, plus 50%)', min: 0, above: true, max: ARENA_MB_MAX },
  'page-kb': { type: 'number', help: 'page size in KiB (default 2048, or 4 for digits so elasticity shows)', int: true, min: 1, max: 1_048_576 },
  'max-in-flight': { type: 'number', default: 4, help: 'command buffers the gate lets run at once (a huge value: ungated)', int: true, min: 1 },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device, backend, ...the summary}; progress goes to stderr' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export async function trainCommand(argv: string[]): Promise<number> {
  const { flags: f } = parseFlags(argv, trainSpec);
  if (f.help) {
    console.log(usage('train', trainSpec));
    return 0;
  }
  const positive = (k: string) => intFlag(f, k);
  const split = loadDataset(String(f.dataset), Number(f.seed));
  const hidden = f.layers ? String(f.layers).split('-').map(Number) : f.dataset === 'digits' ? [128] : [512, 512];
  if (hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new UsageError(`--layers must look like 512-512, got ${f.layers}`);
  const optimizer = String(f.optimizer);
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw new UsageError(`--optimizer must be sgd or adam`);
  const cfg: TrainConfig = {
    layers: [split.train.features, ...hidden, split.train.classes],
    optimizer,
    lr: (f.lr as number | undefined) ?? (optimizer === 'sgd' ? 0.1 : 0.001),
    momentum: Number(f.momentum),
    weightDecay: Number(f['weight-decay']),
    effectiveBatch: positive('effective-batch'),
    microBatch: positive('micro-batch'),
    seed: Number(f.seed),
  };
  const epochs = positive('epochs');
  if (cfg.effectiveBatch > split.train.n) throw new UsageError(`--effective-batch ${cfg.effectiveBatch} is more than the ${split.train.n} training samples of ${f.dataset}: no optimizer step would ever run; use at most ${split.train.n}`);
  const pageBytes = ((f['page-kb'] as number | undefined) ?? (f.dataset === 'digits' ? 4 : 2048)) * 1024;
  const dev = await openDevice(String(f.backend), (l) => console.error(l));
  const { mlpLayout } = await import('../train/mlp.js');
  const { activationBytes } = await import('../train/activations.js');
  const layout = mlpLayout(cfg.layers);
  const need = layout.bytes * (optimizer === 'adam' ? 5 : 4) + activationBytes(layout, cfg.microBatch) + 4 * pageBytes;
  const arenaBytes = f['arena-mb'] ? Number(f['arena-mb']) * 2 ** 20 : Math.ceil((need * 1.5) / pageBytes) * pageBytes;
  console.error(
    `train: ${cfg.layers.join('-')} MLP on ${f.dataset} (${split.train.n} train / ${split.test.n} test), ${optimizer}, ` +
      `E=${cfg.effectiveBatch}, micro-batch <= ${cfg.microBatch}, arena ${(arenaBytes / 2 ** 20).toFixed(2)} MiB in ${pageBytes / 1024} KiB pages` +
      (f.storm ? `, storm ${f.storm}/s` : ''),
  );
  const bar = new ProgressBar('train');
  const summary = await trainRun(dev, cfg, split, {
    epochs,
    arenaBytes,
    pageBytes,
    storm: Number(f.storm),
    maxInFlight: positive('max-in-flight'),
    onProgress: (p) =>
      bar.update((p.epoch - 1) * p.steps + p.step, p.epochs * p.steps, `epoch ${p.epoch}/${p.epochs} b=${p.microBatch} ${p.samplesPerSec.toFixed(0)} samples/s`),
  });
  bar.done();
  console.error(
    `test accuracy ${(summary.testAccuracy * 100).toFixed(2)}%, ${summary.samplesPerSec.toFixed(0)} samples/s, ` +
      `${summary.discards} discards (${summary.wastedSeconds.toFixed(2)} s wasted), micro-batch ${summary.microBatchMin}..${summary.microBatchMax}, ` +
      `${summary.handovers} handovers (p50 ${summary.handoverP50Ms.toFixed(2)} ms, p99 ${summary.handoverP99Ms.toFixed(2)} ms)`,
  );
  if (f.json) printJson(dev, String(f.backend), { dataset: f.dataset, maxInFlight: f['max-in-flight'], storm: f.storm, ...summary });
  dev.destroy();
  return 0;
}
