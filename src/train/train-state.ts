// A trainer's static state: the parameters, the gradient accumulator, the
// micro-batch gradient, the optimizer states and scratch, and the loss sum.
// Allocated and initialised once (Trainer.init); here too are the step's
// zero-fills, the optimizer update's launches, the loss read and the reads a
// checkpoint or a test makes of the state.
import type { Arena } from '../core/arena.js';
import type { TrainAllocation } from '../core/allocation.js';
import type { Launch } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import { fill } from '../kernels/elementwise.js';
import type { TrainingModel } from './model.js';
import type { TrainerSnapshot } from './trainer-types.js';

export class TrainState {
  readonly params: TrainAllocation;
  readonly grad: TrainAllocation;
  readonly micro: TrainAllocation;
  readonly states: TrainAllocation[];
  readonly scratch: TrainAllocation | null;
  readonly lossAcc: TrainAllocation;
  /** The allocation holding the last step's gradient: the accumulator, or the micro-batch gradient when one was the step. */
  stepGrad: TrainAllocation;
  /** Pages all of it takes. */
  readonly pages: number;

  /** Allocates the static state (parameters, gradients, optimizer state) and initialises it. */
  constructor(private readonly arena: Arena, private readonly model: TrainingModel<unknown>, seed: number) {
    const bytes = model.paramBytes;
    const dev = arena.device;
    this.params = arena.allocate('train', bytes, 'parameters');
    this.grad = arena.allocate('train', bytes, 'gradients');
    this.micro = arena.allocate('train', bytes, 'micro-batch gradients');
    this.states = Array.from({ length: model.optimizerStates }, (_, i) => arena.allocate('train', bytes, `optimizer state ${i + 1}`));
    this.scratch = model.scratchBytes > 0 ? arena.allocate('train', model.scratchBytes, 'optimizer scratch') : null;
    this.lossAcc = arena.allocate('train', 256, 'loss');
    this.stepGrad = this.grad;
    const all = [this.params, this.grad, this.micro, ...this.states, this.scratch, this.lossAcc];
    this.pages = all.reduce((s, a) => s + (a?.pageCount ?? 0), 0);
    dev.write(this.params.range(), model.initialParameters(seed));
    for (const a of all.slice(1)) if (a) dev.launch(fill(a, a.bytes / 4, 0));
  }

  /** Parameters and optimizer states, for a checkpoint (the caller waited for the GPU). */
  async snapshot(steps: number): Promise<TrainerSnapshot> {
    return { steps, params: await this.read(this.params), states: await Promise.all(this.states.map((s) => this.read(s))) };
  }

  /** Writes a snapshot's parameters and optimizer states, after checking that it was taken from the same model. */
  restore(s: TrainerSnapshot): void {
    const words = this.model.paramBytes / 4;
    if (s.params.length !== words || s.states.length !== this.states.length || s.states.some((x) => x.length !== words))
      throw new UsageError(`the checkpoint does not fit this ${this.model.name} (${s.params.length} parameter words and ${s.states.length} optimizer states; it needs ${words} and ${this.states.length})`);
    const dev = this.arena.device;
    dev.write(this.params.range(), s.params);
    this.states.forEach((a, i) => dev.write(a.range(), s.states[i]!));
  }

  /** The step's zero-fills: the loss, and the gradient accumulator unless one micro-batch is the step. */
  zeroFill(single: boolean): Launch[] {
    return [...(single ? [] : [fill(this.grad, this.grad.bytes / 4, 0)]), fill(this.lossAcc, 1, 0)];
  }

  /** The optimizer step `t` (counting from 1) over the last step's gradient. */
  update(t: number): Launch[] {
    return this.model.update({ params: this.params, grad: this.stepGrad, states: this.states, scratch: this.scratch }, t);
  }

  /** Reads the loss sum: after the training lane's work launched so far (the gate's queue is empty here). */
  readLoss(): Promise<number> {
    const read = this.arena.device.read({ ...this.lossAcc.range(), bytes: 4 }).then((r) => new Float32Array(r.buffer, r.byteOffset, 1)[0]!);
    read.catch(() => undefined); // not awaited when nobody asks for the loss: the error surfaces through the gate
    return read;
  }

  async read(a: TrainAllocation): Promise<Float32Array> {
    const r = await this.arena.device.read(a.range());
    return new Float32Array(r.buffer.slice(r.byteOffset, r.byteOffset + r.byteLength));
  }
}
