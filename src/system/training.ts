// Training specs for the system: the MLP classifier of src/train as a
// factory over the system's arena and gate. Another model plugs in the same
// way: a TrainingSpec whose create() makes its trainer.
import type { Dataset } from '../train/data.js';
import { MlpModel } from '../train/mlp-model.js';
import type { TrainingModel } from '../train/model.js';
import { Trainer, type TrainConfig, type TrainerOptions } from '../train/trainer.js';
import type { TrainingSpec } from './spec.js';

interface JobOptions {
  lossEvery?: number;
  maxTimeline?: number;
}

/** The MLP classifier; `data` null: the caller drives the trainer (no background job). */
export function mlpTraining(config: TrainConfig, data: Dataset | null, job: JobOptions = {}): TrainingSpec {
  const model = new MlpModel(config.layers, config);
  return {
    label: `MLP ${config.layers.join('-')}${data ? ` on ${data.name}` : ''}`,
    model,
    create: (arena, gate) => new Trainer(arena, gate, config, model),
    data,
    ...job,
  };
}

/** Any model the trainer supports (a GPT, ...), with the options every model shares. */
export function modelTraining<D>(model: TrainingModel<D>, options: TrainerOptions, data: D | null, job: JobOptions = {}): TrainingSpec<D, TrainerOptions> {
  return { label: model.name, model, create: (arena, gate) => Trainer.forModel(arena, gate, options, model), data, ...job };
}

/** Bytes the trainer's static state takes in an arena of `pageBytes` pages: parameters, gradients, micro-batch gradients, optimizer states, scratch, loss. */
export function staticBytesOf(model: TrainingModel<unknown>, pageBytes: number): number {
  const pages = (bytes: number) => Math.ceil(bytes / pageBytes);
  return (pages(model.paramBytes) * (3 + model.optimizerStates) + (model.scratchBytes > 0 ? pages(model.scratchBytes) : 0) + pages(256)) * pageBytes;
}

/** The usual SGD configuration of the colocation runs (momentum 0.9, no weight decay). */
export function sgdConfig(layers: number[], o: { lr?: number; microBatch: number; effectiveBatch: number; seed?: number }): TrainConfig {
  return { layers, optimizer: 'sgd', lr: o.lr ?? 0.05, momentum: 0.9, weightDecay: 0, effectiveBatch: o.effectiveBatch, microBatch: o.microBatch, seed: o.seed ?? 1 };
}
