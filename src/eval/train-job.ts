// The evaluation's training job, the same for the vision and LLM testbeds:
// the MLP on the digits (the small runs and CI) or, with a GPT shape given,
// the GPT of src/train/gpt on text (the GPU-scale runs: GPT-2-small's shape
// or whatever fits), each a TrainingSpec whose create() makes its trainer
// over the system's arena and gate. Either trainer is elastic: its
// micro-batch is the largest the pages training holds allow (up to the
// configured one), so it uses the memory inference does not hold.
import type { FlagSpec } from '../cli/args.js';
import { UsageError } from '../core/errors.js';
import { mlpTraining, modelTraining, sgdConfig, type TrainingSpec } from '../system/index.js';
import type { Dataset } from '../train/data.js';
import { gptActivationBytes } from '../train/gpt/activations.js';
import { GPT_HYPER, gptLayout, type GptConfig } from '../train/gpt/layout.js';
import { GptModel } from '../train/gpt/model.js';
import type { TextSplit } from '../train/gpt/text.js';
import { loadText } from '../train/gpt/text-node.js';

/** The MLP's widths and the batch sizes every job uses. */
export interface TrainShape {
  layers: number[];
  microBatch: number;
  effectiveBatch: number;
  lr: number;
}

/** The GPT in place of the MLP: its shape and the text it trains on (brown, kjv, fixture). */
export interface GptTrain {
  config: GptConfig;
  dataset: string;
  lr: number;
}

/** `6x512x8x128`: layers x width x heads x context (vocabulary 256: bytes). */
export function parseGptShape(s: string): GptConfig {
  const n = s.split('x').map(Number);
  if (n.length !== 4 || n.some((x) => !Number.isInteger(x) || x < 1))
    throw new UsageError(`--train-gpt must be LAYERSxWIDTHxHEADSxCONTEXT like 12x768x12x128, got '${s}'`);
  const cfg: GptConfig = { layers: n[0]!, width: n[1]!, heads: n[2]!, context: n[3]!, vocab: 256, recompute: false };
  gptLayout(cfg); // checks width, heads and head size
  return cfg;
}

/** How reports name the training job. */
export function jobLabel(train: TrainShape, gpt: GptTrain | null): string {
  if (!gpt) return `MLP ${train.layers.join('-')} on the digits`;
  const g = gpt.config;
  return `GPT ${g.layers}x${g.width} (${g.heads} heads, context ${g.context}, ${(gptLayout(g).count / 1e6).toFixed(1)} M parameters) on ${gpt.dataset}`;
}

/** Bytes the GPT needs at its least (weights, gradients, AdamW state, scratch and one sample's activations). */
export function gptMinimumBytes(gpt: GptTrain): number {
  const model = new GptModel(gpt.config, GPT_HYPER);
  return gptLayout(gpt.config).bytes * 5 + model.scratchBytes + gptActivationBytes(gpt.config, 1);
}

/**
 * The GPT's activations in chunks of 64 MiB (TrainerOptions.activationChunkBytes): under handover the micro-batch
 * changes with every require and release, and one allocation of 0.9 GiB took a fresh view of scattered pages each
 * time (round 8). HANDOVER_ACTIVATION_CHUNK_MIB sets the size; 0 gives one allocation as before (an A/B switch).
 */
export function activationChunkBytes(env: Record<string, string | undefined> = process.env): number | undefined {
  const raw = env.HANDOVER_ACTIVATION_CHUNK_MIB;
  const mib = raw === undefined || raw === '' ? 64 : Number(raw);
  if (!(Number.isFinite(mib) && mib >= 0)) throw new UsageError(`HANDOVER_ACTIVATION_CHUNK_MIB must be a number of MiB (0: one allocation), got '${raw}'`);
  return mib === 0 ? undefined : mib * 2 ** 20;
}

const texts = new Map<string, TextSplit>();

/** The text split, loaded once per data set and context: every system of a run trains on the same windows. */
function textOf(gpt: GptTrain): TextSplit {
  const key = `${gpt.dataset}/${gpt.config.context}`;
  let t = texts.get(key);
  if (!t) texts.set(key, (t = loadText(gpt.dataset, gpt.config.context)));
  return t;
}

/** The system's TrainingSpec of the evaluation's job (`digits` feeds the MLP). */
export function evalTraining(train: TrainShape, gpt: GptTrain | null, seed: number, digits: Dataset, maxTimeline = 100_000): TrainingSpec {
  if (!gpt) return mlpTraining(sgdConfig(train.layers, { lr: train.lr, microBatch: train.microBatch, effectiveBatch: train.effectiveBatch, seed }), digits, { lossEvery: 50, maxTimeline });
  const model = new GptModel(gpt.config, { ...GPT_HYPER, lr: gpt.lr });
  const options = { effectiveBatch: train.effectiveBatch, microBatch: train.microBatch, seed, activationChunkBytes: activationChunkBytes() };
  // The system's job is typed for the digits' Dataset; the GPT's TrainingSpec
  // (modelTraining) carries token windows, which the job only counts and hands back.
  const spec = modelTraining(model, options, textOf(gpt).train, { lossEvery: 50, maxTimeline });
  return { ...spec, label: jobLabel(train, gpt) } as unknown as TrainingSpec;
}

/** `handover run`'s --train-gpt, --train-text and --train-lr (null without --train-gpt). */
export function gptFromFlags(flags: Record<string, unknown>): GptTrain | null {
  if (flags['train-gpt'] === undefined) {
    for (const f of ['train-text', 'train-lr']) if (flags[f] !== undefined) throw new UsageError(`--${f} is for the GPT training job: give --train-gpt too`);
    return null;
  }
  const lr = Number(flags['train-lr'] ?? 3e-4);
  if (!(lr > 0)) throw new UsageError(`--train-lr must be positive, got ${flags['train-lr']}`);
  return { config: parseGptShape(String(flags['train-gpt'])), dataset: String(flags['train-text'] ?? 'brown'), lr };
}

/** The flags above, for `handover run`'s flag table. */
export const GPT_JOB_FLAGS: FlagSpec = {
  'train-gpt': { type: 'string', help: 'train a GPT instead of the MLP: LAYERSxWIDTHxHEADSxCONTEXT, e.g. 12x768x12x128 (GPT-2-small\'s shape, byte vocabulary)' },
  'train-text': { type: 'string', help: 'the GPT\'s text: brown, kjv or fixture (default brown)' },
  'train-lr': { type: 'number', help: 'the GPT\'s AdamW learning rate (default 3e-4)', min: 0, above: true },
  'effective-batch': { type: 'number', help: 'training samples per optimizer step (default 512; the micro-batch is what memory allows up to --micro-batch)', int: true, min: 1, max: 1_000_000 },
};

/** --effective-batch, or the default. */
export function effectiveBatchOf(flags: Record<string, unknown>, fallback: number): number {
  return flags['effective-batch'] === undefined ? fallback : Number(flags['effective-batch']);
}
