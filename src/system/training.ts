// Training specs for the system: the MLP classifier of src/train as a
// factory over the system's arena and gate. Another model plugs in the same
// way: a TrainingSpec whose create() makes its trainer.
import type { Dataset } from '../train/data.js';
import { Trainer, type TrainConfig } from '../train/trainer.js';
import type { TrainingSpec } from './spec.js';

export function mlpTraining(config: TrainConfig, data: Dataset, job: { lossEvery?: number; maxTimeline?: number } = {}): TrainingSpec {
  return {
    label: `MLP ${config.layers.join('-')} on ${data.name}`,
    create: (arena, gate) => new Trainer(arena, gate, config),
    data,
    ...job,
  };
}

/** The usual SGD configuration of the colocation runs (momentum 0.9, no weight decay). */
export function sgdConfig(layers: number[], o: { lr?: number; microBatch: number; effectiveBatch: number; seed?: number }): TrainConfig {
  return { layers, optimizer: 'sgd', lr: o.lr ?? 0.05, momentum: 0.9, weightDecay: 0, effectiveBatch: o.effectiveBatch, microBatch: o.microBatch, seed: o.seed ?? 1 };
}
