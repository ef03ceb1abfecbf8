// `handover train --model gpt`: a GPT trained elastically on text, printing
// training and validation loss, tokens/s and the micro-batch over time.
import { UsageError } from '../core/errors.js';
import { gptActivationBytes } from '../train/gpt/activations.js';
import { GPT_HYPER, gptLayout, type GptConfig, type GptHyper } from '../train/gpt/layout.js';
import { GptModel } from '../train/gpt/model.js';
import { tokenDataset, type TokenDataset } from '../train/gpt/text.js';
import { loadText } from '../train/gpt/text-node.js';
import { percentile } from '../train/run.js';
import type { TrainerOptions } from '../train/trainer.js';
import { modelTraining } from '../system/index.js';
import { intFlag, type Flags } from './args.js';
import { arenaBytes, commonRun, stormSummary, trainWithSession } from './train-cmd.js';
import { openDevice } from './open-device.js';
import { printJson } from './output.js';

const mib = (b: number) => (b / 2 ** 20).toFixed(2);

export async function trainGpt(f: Flags): Promise<number> {
  const dataset = String(f.dataset ?? 'brown');
  const run = commonRun(f, 8, 64);
  const cfg: GptConfig = {
    layers: f.layers === undefined ? 2 : Number(f.layers),
    width: intFlag(f, 'width'),
    heads: intFlag(f, 'heads'),
    context: intFlag(f, 'context'),
    vocab: 256,
    recompute: Boolean(f.recompute),
  };
  if (!Number.isInteger(cfg.layers) || cfg.layers < 1) throw new UsageError(`--layers must be a positive integer for --model gpt, got ${f.layers}`);
  const layout = gptLayout(cfg); // checks width, heads and head size
  const lr = (f.lr as number | undefined) ?? 1e-3;
  const clip = Number(f['grad-clip']);
  if (!(clip >= 0)) throw new UsageError(`--grad-clip must be >= 0 (0: no clipping), got ${f['grad-clip']}`);
  const hyper: GptHyper = { ...GPT_HYPER, lr, weightDecay: Number(f['weight-decay'] ?? GPT_HYPER.weightDecay), gradClip: clip > 0 ? clip : Infinity };
  if (!(lr > 0)) throw new UsageError(`--lr must be positive, got ${lr}`);
  if (!(hyper.weightDecay >= 0)) throw new UsageError(`--weight-decay must be >= 0, got ${hyper.weightDecay}`);
  const steps = intFlag(f, 'steps');
  const evalEvery = intFlag(f, 'eval-every', 0);
  const evalSamples = intFlag(f, 'eval-samples');
  const text = loadText(dataset, cfg.context);
  const v = text.validation;
  const validation: TokenDataset = tokenDataset(v.name, v.tokens.subarray(0, Math.min(v.tokens.length, evalSamples * cfg.context + 1)), cfg.context, v.vocab);
  const opts: TrainerOptions = { effectiveBatch: run.effectiveBatch, microBatch: run.microBatch, seed: Number(f.seed) };
  const model = new GptModel(cfg, hyper);
  const staticBytes = layout.bytes * 5 + model.scratchBytes + 256;
  const bytes = arenaBytes(f, staticBytes + gptActivationBytes(cfg, run.microBatch) + 8 * run.pageBytes, run.pageBytes);

  const dev = await openDevice(String(f.backend), (l) => console.error(l));
  console.error(
    `train: ${model.name}, ${(layout.count / 1e6).toFixed(3)} M parameters, on ${dataset} (${text.train.tokens.length} training tokens, ` +
      `${validation.n} validation samples), AdamW lr ${lr}, E=${opts.effectiveBatch} samples of ${cfg.context} tokens, micro-batch <= ${opts.microBatch} ` +
      `(${mib(gptActivationBytes(cfg, 1))} MiB of activations each), arena ${mib(bytes)} MiB in ${run.pageBytes / 1024} KiB pages` + (f.storm ? `, storm ${f.storm}/s` : ''),
  );
  const config = { model: 'gpt', dataset, ...cfg, ...hyper, gradClip: clip, effectiveBatch: opts.effectiveBatch, seed: opts.seed };
  const ran = await trainWithSession<TokenDataset>(
    dev, run, f, bytes, config, modelTraining(model, opts, null),
    {
      train: text.train, validation, steps, evalEvery, tokensPerSample: cfg.context,
      detail: (r) => `loss ${r.loss.toFixed(3)}${r.validationLoss === null ? '' : ` val ${r.validationLoss.toFixed(3)}`} b=${r.microBatch} ${r.tokensPerSec.toFixed(0)} tok/s`,
    },
  );
  const { result, trainer, handoverMs } = ran;
  for (const r of result.records.filter((x) => x.step % Math.max(1, evalEvery) === 0 || x.step === result.steps))
    console.error(`step ${r.step}: loss ${r.loss.toFixed(4)}${r.validationLoss === null ? '' : `, validation ${r.validationLoss.toFixed(4)}`}, ${r.tokensPerSec.toFixed(0)} tokens/s, micro-batch ${r.microBatch}`);
  const s = trainer.stats;
  await ran.finish();
  if (f.json)
    printJson(dev, String(f.backend), {
      model: 'gpt', dataset, config: cfg, parameters: layout.count, steps: result.steps, ended: result.ended,
      resumedFrom: result.resumedFrom, loss: result.loss, validationLoss: result.validationLoss, tokensPerSec: result.tokensPerSec,
      microBatchMin: s.microBatchMin, microBatchMax: s.microBatchMax, discards: s.discards, handovers: trainer.handovers.length,
      handoverP50Ms: percentile(handoverMs, 0.5), handoverP99Ms: percentile(handoverMs, 0.99), checkpoints: result.checkpoints, ...stormSummary(ran),
      curve: result.records.map((r) => ({ step: r.step, loss: r.loss, validationLoss: r.validationLoss, tokensPerSec: r.tokensPerSec, microBatch: r.microBatch })),
    });
  dev.destroy();
  return 0;
}
