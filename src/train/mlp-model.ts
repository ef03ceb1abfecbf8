// The MLP as a training model: layout and init from mlp.ts, launch lists
// from passes.ts, activation layout from activations.ts, and torch.optim's
// SGD with momentum or Adam as its update.
import type { TrainAllocation } from '../core/allocation.js';
import type { Bindable, GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import { adam, sgdMomentum } from '../kernels/optimizers.js';
import { reduceRows } from '../kernels/reduce-rows.js';
import type { ActivationMemory } from './activation-memory.js';
import { activationBytes, activationPlan, activationViews } from './activations.js';
import type { Dataset } from './data.js';
import { initParameters, mlpLayout, type MlpLayout } from './mlp.js';
import type { BoundMicroBatch, OptimizerBuffers, TrainingModel } from './model.js';
import { backward, forward, paramViews } from './passes.js';

export interface MlpHyper {
  optimizer: 'sgd' | 'adam';
  lr: number;
  momentum: number;
  weightDecay: number;
}

export class MlpModel implements TrainingModel<Dataset> {
  readonly layout: MlpLayout;
  readonly name: string;
  readonly scratchBytes = 0;

  constructor(
    layers: number[],
    readonly hyper: MlpHyper,
  ) {
    this.layout = mlpLayout(layers);
    this.name = `${layers.join('-')} MLP`;
  }

  get paramBytes(): number {
    return this.layout.bytes;
  }

  get paramCount(): number {
    return this.layout.count;
  }

  get optimizerStates(): number {
    return this.hyper.optimizer === 'adam' ? 2 : 1;
  }

  initialParameters(seed: number): Float32Array {
    return initParameters(this.layout, seed);
  }

  activationBytes(b: number): number {
    return activationBytes(this.layout, b);
  }

  activationPlan(b: number): number[] {
    return activationPlan(this.layout, b);
  }

  samples(data: Dataset): number {
    return data.n;
  }

  bind(params: TrainAllocation, microGrad: TrainAllocation, acts: ActivationMemory, b: number): BoundMicroBatch<Dataset> {
    const layout = this.layout;
    const p = paramViews(layout, params);
    const g = paramViews(layout, microGrad);
    const act = activationViews(layout, b, acts);
    const classes = layout.sizes[layout.sizes.length - 1]!;
    const sized = (take: number) => ({ ...act, b: take });
    return {
      b,
      upload(dev: GpuDevice, data: Dataset, batch: Uint32Array) {
        const f = data.features;
        if (f !== layout.sizes[0]) throw new UsageError(`data has ${f} features, the model expects ${layout.sizes[0]}`);
        const x = new Float32Array(batch.length * f);
        const y = new Uint32Array(batch.length);
        batch.forEach((s, i) => {
          x.set(data.x.subarray(s * f, (s + 1) * f), i * f);
          y[i] = data.labels[s]!;
        });
        dev.write({ ...act.input.range(), bytes: x.byteLength }, x);
        dev.write({ ...act.labels.range(), bytes: y.byteLength }, y);
      },
      gradient: (take, scale) => [...forward(layout, p, sized(take)), ...backward(layout, p, g, sized(take), scale)],
      forward: (take) => forward(layout, p, sized(take)),
      lossSum: (take: number, scale: number, acc: Bindable) => reduceRows(act.loss, acc, take, 1, scale, 1),
      async score(dev, data, batch) {
        const take = batch.length;
        const [pr, lo] = await Promise.all([
          dev.read({ ...act.probs.range(), bytes: take * classes * 4 }),
          dev.read({ ...act.loss.range(), bytes: take * 4 }),
        ]);
        const probs = new Float32Array(pr.buffer, pr.byteOffset, take * classes);
        const losses = new Float32Array(lo.buffer, lo.byteOffset, take);
        let correct = 0;
        let loss = 0;
        for (let i = 0; i < take; i++) {
          let best = 0;
          for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
          if (best === data.labels[batch[i]!]) correct++;
          loss += losses[i]!;
        }
        return { loss, correct };
      },
    };
  }

  update(buf: OptimizerBuffers, t: number) {
    const n = buf.params.bytes / 4;
    const h = this.hyper;
    const [s1, s2] = buf.states;
    if (h.optimizer === 'adam') return [adam(buf.params, buf.grad, s1!, s2!, n, { lr: h.lr, weightDecay: h.weightDecay }, t)];
    return [sgdMomentum(buf.params, buf.grad, s1!, n, { lr: h.lr, momentum: h.momentum, weightDecay: h.weightDecay }, t === 1)];
  }
}
