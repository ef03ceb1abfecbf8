// The elastic trainer: a model (model.ts; the MLP by default) trained through
// the gate with gradient accumulation over micro-batches whose size follows
// the memory that inference leaves it. require()/release() are the handover
// interface (training-memory.ts holds what training holds and hands it over;
// train-state.ts the static state). This file is the step loop.
import type { Arena } from '../core/arena.js';
import type { Launch } from '../core/device.js';
import { GateClosedError, UsageError } from '../core/errors.js';
import type { Gate } from '../core/gate.js';
import { axpy } from '../kernels/elementwise.js';
import type { Dataset } from './data.js';
import type { MlpLayout } from './mlp.js';
import { MlpModel } from './mlp-model.js';
import type { TrainingModel } from './model.js';
import { TrainState } from './train-state.js';
import { TrainingMemory } from './training-memory.js';
import type { GradientReduce, HandoverReport, MicroBatchRecord, TrainConfig, TrainerOptions, TrainerSnapshot, TrainerStats, TrainerTuning } from './trainer-types.js';

export type { GradientReduce, HandoverReport, MicroBatchRecord, TrainConfig, TrainerOptions, TrainerSnapshot, TrainerStats, TrainerTuning } from './trainer-types.js';

export class Trainer<D = Dataset, C extends TrainerOptions = TrainConfig> {
  readonly model: TrainingModel<D>;
  /** Parameters, gradients, optimizer states and the loss (train-state.ts); made by init(). */
  private state!: TrainState;
  /** The last step's loss, read with its update (a step of one micro-batch), or null. */
  private lossRead: Promise<number> | null = null;
  /** Static pages, the micro-batch's activations and the handovers (training-memory.ts). */
  private readonly memory: TrainingMemory<D>;
  readonly handovers: HandoverReport[];
  /** Compute sharing on a device with one queue and no preemption: while set, a micro-batch runs at most this
   * many rows, so a request waits behind shorter training kernels. Memory (the activations held) is unchanged. */
  private rowCap: number | null = null;

  /** Caps the rows of the next micro-batches (null: no cap); see rowCap. */
  shareCompute(rows: number | null): void {
    if (rows !== null && !(Number.isInteger(rows) && rows >= 1)) throw new UsageError(`compute share must be a positive number of rows, got ${rows}`);
    this.rowCap = rows;
  }
  /** How steps reach the GPU (trainer-types.ts); benchmarks compare settings. */
  readonly tuning: TrainerTuning = { launchesPerSubmit: null, mergePhases: true, pipelineUpdates: null, fuseSingleMicroBatch: null, startWhenUnheld: false };
  readonly stats: TrainerStats = { samples: 0, steps: 0, discards: 0, microBatches: 0, wastedMs: 0, microBatchMs: 0, microBatchMin: Infinity, microBatchMax: 0, microBatch: 0, paused: false };
  /** Called with each micro-batch's sample indices once committed (tests, progress). */
  onCommit: ((indices: Uint32Array) => void) | null = null;
  /** Called as each micro-batch ends, committed or discarded (the evaluation splits their time). */
  onMicroBatch: ((m: MicroBatchRecord) => void) | null = null;
  /** Set for data-parallel training: the all-reduce between the last micro-batch and the update. */
  gradientReduce: GradientReduce | null = null;

  /**
   * Trains `model`; without one, the MLP that `config` (a TrainConfig)
   * describes.
   */
  constructor(readonly arena: Arena, readonly gate: Gate, readonly config: NoInfer<C>, model?: TrainingModel<D>) {
    this.model = model ?? (new MlpModel((config as unknown as TrainConfig).layers, config as unknown as TrainConfig) as unknown as TrainingModel<D>);
    this.memory = new TrainingMemory(arena, gate, this.model, config, this.stats);
    this.handovers = this.memory.handovers;
    if (!Number.isInteger(config.effectiveBatch) || config.effectiveBatch < 1) throw new UsageError(`effective batch must be a positive integer`);
    if (!Number.isInteger(config.microBatch) || config.microBatch < 1) throw new UsageError(`micro-batch must be a positive integer`);
  }

  /** A trainer of any model, configured with the options every model shares. */
  static forModel<D>(arena: Arena, gate: Gate, options: TrainerOptions, model: TrainingModel<D>): Trainer<D, TrainerOptions> {
    return new Trainer<D, TrainerOptions>(arena, gate, options, model);
  }

  /** The MLP's layout (the default model). */
  get layout(): MlpLayout {
    if (!(this.model instanceof MlpModel)) throw new UsageError(`the trainer trains a ${this.model.name}, not an MLP`);
    return this.model.layout;
  }

  /** Allocates the static state (parameters, gradients, optimizer state) and initialises it. */
  init(): void {
    this.state = new TrainState(this.arena, this.model, this.config.seed);
    this.memory.init(this.state);
  }

  /** Parameters, optimizer states and step count, for a checkpoint. */
  async snapshot(): Promise<TrainerSnapshot> {
    await this.gate.idle();
    return this.state.snapshot(this.stats.steps);
  }

  /** Restores a snapshot taken from a trainer of the same model (after init, before any step). */
  restore(s: TrainerSnapshot): void {
    this.state.restore(s);
    this.stats.steps = s.steps;
  }

  get staticBytes(): number {
    return this.memory.staticPages * this.arena.pageBytes;
  }

  /** Activation bytes one sample needs (measured from the layout, with padding). */
  get bytesPerSample(): number {
    return this.model.activationBytes(1024) / 1024;
  }

  /** Bytes training holds beyond its static state: what a require can take. */
  get elasticBytes(): number {
    return this.memory.activationPagesHeld() * this.arena.pageBytes;
  }

  /** One optimizer step over `indices` of `data`; `splits` forces the micro-batch sizes (tests). */
  async step(data: D, indices: Uint32Array, splits?: number[]): Promise<void> {
    const n = indices.length;
    const scale = 1 / (this.gradientReduce?.total(n) ?? n);
    const merge = this.tuning.mergePhases && !this.gradientReduce;
    const pipeline = this.tuning.pipelineUpdates ?? !this.arena.device.info.capabilities.lanes;
    const fuse = merge && (this.tuning.fuseSingleMicroBatch ?? !this.arena.device.info.capabilities.lanes);
    this.lossRead = null;
    if (!merge) await this.atomic(this.state.zeroFill(false));
    let done = 0;
    let part = 0;
    let updated = false;
    while (done < n) {
      if (this.tuning.startWhenUnheld) await this.memory.whileHeld();
      const b = await this.memory.ready();
      const take = Math.min(b, n - done, this.rowCap ?? Infinity, splits?.[part] ?? Infinity);
      const batch = indices.subarray(done, done + take);
      // One micro-batch is the whole step: its gradient is the step's (no accumulator, no axpy), and its loss sum
      // goes with the gradient (the fill of the loss reruns with a discarded attempt), read while the update runs.
      const single = fuse && take === n;
      const zero = merge && done === 0 ? this.state.zeroFill(single) : [];
      const t0 = performance.now();
      try {
        this.gate.beginCompute();
        const act = this.memory.act!;
        act.upload(this.arena.device, data, batch);
        const gradient = [...act.gradient(take, scale), ...(single ? [act.lossSum(take, scale, this.state.lossAcc)] : [])];
        if (this.memory.compile) {
          await this.arena.device.prepare([...new Set([...this.state.zeroFill(false), ...gradient].map((l) => l.kernel))]);
          this.memory.compile = false;
          if (this.memory.act !== act) continue; // a require took the activations while the kernels compiled: nothing ran, bind again
        }
        if (zero.length) this.gate.enqueue(zero);
        this.enqueueGrouped(gradient);
        await this.gate.beginUpdate(); // the GPU has finished this micro-batch's gradients
        if (single) this.lossRead = this.state.readLoss(); // ordered before the update's kernels, after the loss sum
        else {
          this.gate.enqueue(axpy(this.state.micro, this.state.grad, this.state.micro.bytes / 4));
          this.gate.enqueue(act.lossSum(take, scale, this.state.lossAcc));
        }
        this.state.stepGrad = single ? this.state.micro : this.state.grad;
        if (merge && done + take === n) {
          for (const l of this.update()) this.gate.enqueue(l);
          updated = true;
        }
        await this.gate.endUpdate({ wait: !pipeline });
      } catch (e) {
        if (!(e instanceof GateClosedError)) throw e;
        const t1 = performance.now();
        this.stats.discards++;
        this.stats.microBatches++;
        this.stats.wastedMs += t1 - t0;
        this.stats.microBatchMs += t1 - t0;
        this.onMicroBatch?.({ samples: take, startMs: t0, endMs: t1, discarded: true });
        continue; // the same samples again, with whatever micro-batch now fits
      }
      done += take;
      part++;
      const t1 = performance.now();
      this.stats.samples += take;
      this.stats.microBatches++;
      this.stats.microBatchMs += t1 - t0;
      this.onMicroBatch?.({ samples: take, startMs: t0, endMs: t1, discarded: false });
      this.onCommit?.(batch);
      if (!this.memory.withinLimit()) await this.memory.returnActivations(); // a deferred require: the boundary is here
    }
    if (!updated) {
      const reduce = this.gradientReduce;
      await reduce?.agree();
      await this.atomic(this.update(), reduce ? () => reduce.launch(this.state.grad.range()) : undefined);
    }
    this.stats.steps++;
  }

  /**
   * Mean loss of the last step (reads the GPU). After a step of one micro-batch
   * (tuning.fuseSingleMicroBatch) the read was issued with the update and
   * this only waits for it; otherwise it reads after the step's work.
   */
  async lastLoss(): Promise<number> {
    if (this.lossRead) return this.lossRead;
    await this.gate.issued();
    return this.state.readLoss();
  }

  /** Accuracy (NaN for a model without classes) and mean loss on a data set, forward only, through the gate. */
  async evaluate(data: D): Promise<{ accuracy: number; loss: number }> {
    let correct = 0;
    let loss = 0;
    const n = this.model.samples(data);
    for (let done = 0; done < n; ) {
      const b = await this.memory.ready();
      const take = Math.min(b, n - done);
      const batch = Uint32Array.from({ length: take }, (_, i) => done + i);
      let score: { loss: number; correct: number | null };
      try {
        this.gate.beginCompute();
        const act = this.memory.act!;
        act.upload(this.arena.device, data, batch);
        for (const l of act.forward(take)) this.gate.enqueue(l);
        await this.gate.beginUpdate();
        score = await act.score(this.arena.device, data, batch);
        await this.gate.endUpdate();
      } catch (e) {
        if (!(e instanceof GateClosedError)) throw e;
        continue;
      }
      correct += score.correct ?? NaN;
      loss += score.loss;
      done += take;
    }
    return { accuracy: correct / n, loss: loss / n };
  }

  /** Inference needs `bytes` more (training-memory.ts): resolves once the freed pages are zero-filled and free for inference. */
  require(bytes: number): Promise<HandoverReport> {
    return this.memory.require(bytes);
  }

  /** A deferred require (training-memory.ts): the limit drops now; `free` resolves once training is within it. */
  yieldAtBoundary(bytes: number): Promise<{ givenPages: number; free: Promise<void> }> {
    return this.memory.yieldAtBoundary(bytes);
  }

  /** Inference gives `bytes` back; the micro-batch may grow at the next micro-batch. */
  release(bytes: number): void {
    this.memory.release(bytes);
  }

  async readParameters(): Promise<Float32Array> {
    await this.gate.idle();
    return this.state.read(this.state.params);
  }

  /** The effective batch's gradient, then each optimizer state. */
  async readState(): Promise<Float32Array[]> {
    await this.gate.idle();
    return Promise.all([this.state.stepGrad, ...this.state.states].map((a) => this.state.read(a)));
  }

  /** The micro-batch gradient of the last committed micro-batch (tests). */
  async readMicroGradient(): Promise<Float32Array> {
    await this.gate.idle();
    return this.state.read(this.state.micro);
  }

  private update(): Launch[] {
    return this.state.update(this.stats.steps + 1);
  }

  /** Gradient work to the gate, a few kernels a command buffer on a hardware GPU (fewer submissions and completion
   * polls), one on a CPU device (each kernel is long; a close waits for K command buffers of work). */
  private enqueueGrouped(launches: Launch[]): void {
    const group = this.tuning.launchesPerSubmit ?? (this.arena.device.info.software ? 1 : 4);
    for (let i = 0; i < launches.length; i += group) this.gate.enqueue(launches.slice(i, i + group));
  }

  /** Runs launches as one atomic update phase, retrying after an adjustment. */
  private async atomic(launches: Launch[], first?: () => void): Promise<void> {
    for (;;) {
      await this.memory.adjusted;
      try {
        await this.gate.beginUpdate();
      } catch (e) {
        if (e instanceof GateClosedError) continue;
        throw e;
      }
      first?.();
      for (const l of launches) this.gate.enqueue(l);
      await this.gate.endUpdate();
      return;
    }
  }

  /**
   * Whether memory holds training back: its largest micro-batch
   * (config.microBatch) does not fit in what the arena lets it hold now, so
   * pages released to it would make its micro-batches larger.
   */
  get memoryBound(): boolean {
    return this.memory.fit() < this.config.microBatch;
  }

  /** Training's room against its largest micro-batch (activation-room.ts). */
  headroom(): { spareBytes: number; nextBytes: number; capBytes: number } {
    return this.memory.headroom();
  }
}
