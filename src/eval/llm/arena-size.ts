// The contended arena of the LLM evaluation (issue 21: memory is the
// contended resource). Infer-Only runs first in the arena it is given; the
// systems that train beside the decoder then run in the smallest arena that
// holds, at once, the decoder, its run workspace, Infer-Only's peak KV pages
// and training at its least (its static state and one sample's
// activations). Inference's peak and training's minimum just fit together,
// while training wants many times more (its largest micro-batch): every page
// one side holds is a page the other lacks. The rule reads only Infer-Only's
// run and the two jobs' sizes, none of the systems compared, so it favours no
// system: SP-75 still holds its fixed share (75% of the same peak) and
// Infer-Only would have served its run alike in it (the arena beyond the
// decoder and the workspace holds its peak with training's share to spare).
import type { GpuDevice } from '../../core/device.js';
import { planPages } from '../../train/activation-memory.js';
import { GPT_HYPER } from '../../train/gpt/layout.js';
import { GptModel } from '../../train/gpt/model.js';
import { MlpModel } from '../../train/mlp-model.js';
import type { TrainingModel } from '../../train/model.js';
import { sgdConfig } from '../../system/index.js';
import type { GptTrain, TrainShape } from '../train-job.js';

/** Pages of slack for allocations split across backings (each split can round up one more page). */
export const ARENA_SLACK_PAGES = 2;

/** The most one training allocation may be on `dev` with `pageBytes` pages (one backing, one binding: the arena's pagesPerBacking). */
export function allocationCapOf(dev: GpuDevice, pageBytes: number): number {
  const lim = dev.info.limits;
  return Math.floor(Math.min(lim.maxBackingBytes, lim.maxBindingBytes) / pageBytes) * pageBytes;
}

/** Activation pages of a micro-batch of `b` (its chunks of at most `capBytes`, each whole pages). */
export function activationPages(model: TrainingModel<unknown>, b: number, pageBytes: number, capBytes: number): number {
  return planPages(model.activationPlan(b), capBytes, pageBytes);
}

/**
 * Pages training holds at its least: parameters, gradients, micro-batch
 * gradients, optimizer states, scratch, the loss word (each its own
 * allocation), one sample's activations.
 */
export function trainingMinimumPages(model: TrainingModel<unknown>, pageBytes: number, capBytes: number): number {
  const pages = (bytes: number) => Math.ceil(bytes / pageBytes);
  const state = (3 + model.optimizerStates) * pages(model.paramBytes) + (model.scratchBytes > 0 ? pages(model.scratchBytes) : 0) + 1;
  return state + activationPages(model, 1, pageBytes, capBytes);
}

/** The evaluation's training model (the GPT when given, else the MLP), for its sizes. */
export function evalTrainingModel(train: TrainShape, gpt: GptTrain | null): TrainingModel<unknown> {
  if (gpt) return new GptModel(gpt.config, { ...GPT_HYPER, lr: gpt.lr }) as TrainingModel<unknown>;
  return new MlpModel(train.layers, sgdConfig(train.layers, { lr: train.lr, microBatch: train.microBatch, effectiveBatch: train.effectiveBatch })) as TrainingModel<unknown>;
}

export interface ArenaParts {
  /** Pages the decoder's weights take. */
  decoderPages: number;
  /** The decoder's run workspace (pages kept free for its largest run). */
  workspacePages: number;
  /** Infer-Only's peak KV pages at the load. */
  peakKvPages: number;
  /** Training at its least (trainingMinimumPages). */
  trainMinPages: number;
  /** Pages training's largest micro-batch would add to its static state (what it wants). */
  trainWantPages: number;
}

export interface ContendedArena {
  pages: number;
  /** The sizing in words, with its numbers. */
  text: string;
}

/** The smallest arena that holds inference's peak beside training at its least (plus ARENA_SLACK_PAGES). */
export function contendedArena(p: ArenaParts): ContendedArena {
  for (const [k, v] of Object.entries(p)) if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`contendedArena: ${k} must be a whole number of pages >= 0, got ${v}`);
  const pages = p.decoderPages + p.workspacePages + p.peakKvPages + p.trainMinPages + ARENA_SLACK_PAGES;
  const room = pages - p.decoderPages - p.workspacePages - p.trainMinPages;
  const text =
    `arena ${pages} pages = decoder ${p.decoderPages} + workspace ${p.workspacePages} + Infer-Only's KV peak ${p.peakKvPages} + training at its least ${p.trainMinPages} (state and one sample) + ${ARENA_SLACK_PAGES} of slack; ` +
    `the KV peak is ${room > 0 ? Math.round((100 * p.peakKvPages) / room) : 100}% of the ${room} pages training could grow into beyond one sample, and training's largest micro-batch wants ${p.trainWantPages} pages more than its least`;
  return { pages, text };
}
