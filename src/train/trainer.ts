// The elastic trainer: a model (model.ts; the MLP by default) trained through
// the gate with gradient accumulation over micro-batches whose size follows
// the memory that inference leaves it. require()/release() are the handover
// interface.
import type { Arena } from '../core/arena.js';
import type { TrainAllocation } from '../core/allocation.js';
import type { Launch } from '../core/device.js';
import { GateClosedError, UsageError } from '../core/errors.js';
import type { Gate } from '../core/gate.js';
import { axpy, fill } from '../kernels/elementwise.js';
import { ChunkedActivations } from './activation-memory.js';
import { ActivationRoom, type Held } from './activation-room.js';
import { BoundaryWaiters, handoverReport, lowerLimit } from './boundary.js';
import type { Dataset } from './data.js';
import type { MlpLayout } from './mlp.js';
import { MlpModel } from './mlp-model.js';
import { largestFitting, type BoundMicroBatch, type TrainingModel } from './model.js';
import type { GradientReduce, HandoverReport, MicroBatchRecord, TrainConfig, TrainerOptions, TrainerSnapshot, TrainerStats, TrainerTuning } from './trainer-types.js';

export type { GradientReduce, HandoverReport, MicroBatchRecord, TrainConfig, TrainerOptions, TrainerSnapshot, TrainerStats, TrainerTuning } from './trainer-types.js';

/** How often a trainer that begins no micro-batch under inference's hold looks again (tuning.startWhenUnheld). */
const HELD_POLL_MS = 2;

export class Trainer<D = Dataset, C extends TrainerOptions = TrainConfig> {
  readonly model: TrainingModel<D>;
  private params!: TrainAllocation;
  private grad!: TrainAllocation;
  private micro!: TrainAllocation;
  private states: TrainAllocation[] = [];
  private scratch: TrainAllocation | null = null;
  private lossAcc!: TrainAllocation;
  /** The allocation holding the last step's gradient: the accumulator, or the micro-batch gradient when one was the step. */
  private stepGrad!: TrainAllocation;
  /** The last step's loss, read with its update (a step of one micro-batch), or null. */
  private lossRead: Promise<number> | null = null;
  /** The micro-batch's activations: one allocation, or several when they exceed what one may be. */
  private acts: TrainAllocation[] | null = null;
  private act: BoundMicroBatch<D> | null = null;
  private staticPages = 0;
  /** A micro-batch was bound: compile its kernels together (WebGPU: async pipelines) before its first launch. */
  private compile = false;
  private adjustChain: Promise<void> = Promise.resolve();
  private resumeWaiters: (() => void)[] = [];
  private readonly boundary = new BoundaryWaiters();
  /** The activations' room in the arena and the micro-batch that fits (activation-room.ts). */
  private readonly room: ActivationRoom<D>;
  readonly handovers: HandoverReport[] = [];
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
    this.room = new ActivationRoom(arena, this.model, config);
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
    const bytes = this.model.paramBytes;
    const dev = this.arena.device;
    this.params = this.arena.allocate('train', bytes, 'parameters');
    this.grad = this.arena.allocate('train', bytes, 'gradients');
    this.micro = this.arena.allocate('train', bytes, 'micro-batch gradients');
    this.states = Array.from({ length: this.model.optimizerStates }, (_, i) => this.arena.allocate('train', bytes, `optimizer state ${i + 1}`));
    this.scratch = this.model.scratchBytes > 0 ? this.arena.allocate('train', this.model.scratchBytes, 'optimizer scratch') : null;
    this.lossAcc = this.arena.allocate('train', 256, 'loss');
    this.stepGrad = this.grad;
    const all = [this.params, this.grad, this.micro, ...this.states, this.scratch, this.lossAcc];
    this.staticPages = all.reduce((s, a) => s + (a?.pageCount ?? 0), 0);
    dev.write(this.params.range(), this.model.initialParameters(this.config.seed));
    for (const a of all.slice(1)) if (a) dev.launch(fill(a, a.bytes / 4, 0));
  }

  /** Parameters, optimizer states and step count, for a checkpoint. */
  async snapshot(): Promise<TrainerSnapshot> {
    await this.gate.idle();
    return { steps: this.stats.steps, params: await this.readAll(this.params), states: await Promise.all(this.states.map((s) => this.readAll(s))) };
  }

  /** Restores a snapshot taken from a trainer of the same model (after init, before any step). */
  restore(s: TrainerSnapshot): void {
    const words = this.model.paramBytes / 4;
    if (s.params.length !== words || s.states.length !== this.states.length || s.states.some((x) => x.length !== words))
      throw new UsageError(`the checkpoint does not fit this ${this.model.name} (${s.params.length} parameter words and ${s.states.length} optimizer states; it needs ${words} and ${this.states.length})`);
    const dev = this.arena.device;
    dev.write(this.params.range(), s.params);
    this.states.forEach((a, i) => dev.write(a.range(), s.states[i]!));
    this.stats.steps = s.steps;
  }

  get staticBytes(): number {
    return this.staticPages * this.arena.pageBytes;
  }

  /** Activation bytes one sample needs (measured from the layout, with padding). */
  get bytesPerSample(): number {
    return this.model.activationBytes(1024) / 1024;
  }

  /** Bytes training holds beyond its static state: what a require can take. */
  get elasticBytes(): number {
    return this.activationPagesHeld() * this.arena.pageBytes;
  }

  /** One optimizer step over `indices` of `data`; `splits` forces the micro-batch sizes (tests). */
  async step(data: D, indices: Uint32Array, splits?: number[]): Promise<void> {
    const n = indices.length;
    const scale = 1 / (this.gradientReduce?.total(n) ?? n);
    const merge = this.tuning.mergePhases && !this.gradientReduce;
    const pipeline = this.tuning.pipelineUpdates ?? !this.arena.device.info.capabilities.lanes;
    const fuse = merge && (this.tuning.fuseSingleMicroBatch ?? !this.arena.device.info.capabilities.lanes);
    this.lossRead = null;
    if (!merge) await this.atomic(this.zeroFill(false));
    let done = 0;
    let part = 0;
    let updated = false;
    while (done < n) {
      if (this.tuning.startWhenUnheld) await this.whileHeld();
      const b = await this.ready();
      const take = Math.min(b, n - done, this.rowCap ?? Infinity, splits?.[part] ?? Infinity);
      const batch = indices.subarray(done, done + take);
      // One micro-batch is the whole step: its gradient is the step's (no accumulator, no axpy), and its loss sum
      // goes with the gradient (the fill of the loss reruns with a discarded attempt), read while the update runs.
      const single = fuse && take === n;
      const zero = merge && done === 0 ? this.zeroFill(single) : [];
      const t0 = performance.now();
      try {
        this.gate.beginCompute();
        const act = this.act!;
        act.upload(this.arena.device, data, batch);
        const gradient = [...act.gradient(take, scale), ...(single ? [act.lossSum(take, scale, this.lossAcc)] : [])];
        if (this.compile) {
          await this.arena.device.prepare([...new Set([...this.zeroFill(false), ...gradient].map((l) => l.kernel))]);
          this.compile = false;
          if (this.act !== act) continue; // a require took the activations while the kernels compiled: nothing ran, bind again
        }
        if (zero.length) this.gate.enqueue(zero);
        this.enqueueGrouped(gradient);
        await this.gate.beginUpdate(); // the GPU has finished this micro-batch's gradients
        if (single) this.lossRead = this.readLoss(); // ordered before the update's kernels, after the loss sum
        else {
          this.gate.enqueue(axpy(this.micro, this.grad, this.micro.bytes / 4));
          this.gate.enqueue(act.lossSum(take, scale, this.lossAcc));
        }
        this.stepGrad = single ? this.micro : this.grad;
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
      if (!this.withinLimit()) await this.returnActivations(); // a deferred require: the boundary is here
    }
    if (!updated) {
      const reduce = this.gradientReduce;
      await reduce?.agree();
      await this.atomic(this.update(), reduce ? () => reduce.launch(this.grad.range()) : undefined);
    }
    this.stats.steps++;
  }

  /** The step's zero-fills: the loss, and the gradient accumulator unless one micro-batch is the step. */
  private zeroFill(single: boolean): Launch[] {
    return [...(single ? [] : [fill(this.grad, this.grad.bytes / 4, 0)]), fill(this.lossAcc, 1, 0)];
  }

  /** Reads the loss sum: after the training lane's work launched so far (the gate's queue is empty here). */
  private readLoss(): Promise<number> {
    const read = this.arena.device.read({ ...this.lossAcc.range(), bytes: 4 }).then((r) => new Float32Array(r.buffer, r.byteOffset, 1)[0]!);
    read.catch(() => undefined); // not awaited when nobody asks for the loss: the error surfaces through the gate
    return read;
  }

  /**
   * Mean loss of the last step (reads the GPU). After a step of one micro-batch
   * (tuning.fuseSingleMicroBatch) the read was issued with the update and
   * this only waits for it; otherwise it reads after the step's work.
   */
  async lastLoss(): Promise<number> {
    if (this.lossRead) return this.lossRead;
    await this.gate.issued();
    return this.readLoss();
  }

  /** Accuracy (NaN for a model without classes) and mean loss on a data set, forward only, through the gate. */
  async evaluate(data: D): Promise<{ accuracy: number; loss: number }> {
    let correct = 0;
    let loss = 0;
    const n = this.model.samples(data);
    for (let done = 0; done < n; ) {
      const b = await this.ready();
      const take = Math.min(b, n - done);
      const batch = Uint32Array.from({ length: take }, (_, i) => done + i);
      let score: { loss: number; correct: number | null };
      try {
        this.gate.beginCompute();
        const act = this.act!;
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

  /**
   * Inference needs `bytes` more. Resolves once training holds no more than
   * its new limit and the freed pages are zero-filled and free for inference.
   */
  require(bytes: number): Promise<HandoverReport> {
    const job = this.adjustChain.then(() => this.shrink(bytes));
    this.adjustChain = job.then(
      () => undefined,
      () => undefined,
    );
    return job;
  }

  /**
   * A deferred require: the limit drops now (givenPages), nothing is discarded; the running micro-batch
   * commits, the next is sized to the limit. `free` resolves once training is within it (the pages are free).
   */
  async yieldAtBoundary(bytes: number): Promise<{ givenPages: number; free: Promise<void> }> {
    await this.adjustChain;
    const t0 = performance.now();
    const held = this.staticPages + this.activationPagesHeld();
    const lowered = lowerLimit(this.arena, this.staticPages, held, bytes);
    this.arena.limitTraining(lowered.limit);
    const free = this.boundary.wait(this.withinLimit());
    // Logged like a require once the pages are free (the running micro-batch committed; nothing discarded).
    const report = handoverReport(this.arena, bytes, lowered, this.stats.microBatch);
    const logged = (): void => {
      report.freedBytes = Math.max(0, held - this.staticPages - this.activationPagesHeld()) * this.arena.pageBytes;
      report.totalMs = performance.now() - t0;
      this.handovers.push(report);
    };
    free.then(logged, () => {});
    return { givenPages: lowered.givenPages, free };
  }

  /**
   * Waits while inference holds the gate (tuning.startWhenUnheld), handing
   * back at once the activations a deferred require lowered the limit below.
   * It first lets the work already due run (one macrotask): a hold that a
   * deferred require's waiter puts back as it wakes is then seen.
   */
  private async whileHeld(): Promise<void> {
    await new Promise<void>((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));
    while (this.gate.held || this.gate.paused) {
      if (this.acts && !this.withinLimit()) await this.returnActivations();
      await new Promise<void>((r) => setTimeout(r, HELD_POLL_MS));
    }
  }

  private readonly withinLimit = (): boolean => this.staticPages + this.activationPagesHeld() <= this.arena.trainLimit;

  /** The activations go back once the GPU is done with them; deferred requires waiting on them wake. */
  private async returnActivations(): Promise<void> {
    this.freeActivations();
    this.arena.reclaim(await this.gate.drain());
    this.boundary.settle(this.withinLimit());
  }

  /** Inference gives `bytes` back; the micro-batch may grow at the next micro-batch. */
  release(bytes: number): void {
    this.arena.limitTraining(Math.min(this.arena.pageCount, this.arena.trainLimit + this.arena.pagesFor(bytes)));
    this.boundary.settle(this.withinLimit()); // a deferred require that this release covers: inference's pages are not training's
    const w = this.resumeWaiters;
    this.resumeWaiters = [];
    w.forEach((f) => f());
  }

  async readParameters(): Promise<Float32Array> {
    await this.gate.idle();
    return this.readAll(this.params);
  }

  /** The effective batch's gradient, then each optimizer state. */
  async readState(): Promise<Float32Array[]> {
    await this.gate.idle();
    return Promise.all([this.stepGrad, ...this.states].map((a) => this.readAll(a)));
  }

  /** The micro-batch gradient of the last committed micro-batch (tests). */
  async readMicroGradient(): Promise<Float32Array> {
    await this.gate.idle();
    return this.readAll(this.micro);
  }

  private async readAll(a: TrainAllocation): Promise<Float32Array> {
    const r = await this.arena.device.read(a.range());
    return new Float32Array(r.buffer.slice(r.byteOffset, r.byteOffset + r.byteLength));
  }

  private update(): Launch[] {
    return this.model.update({ params: this.params, grad: this.stepGrad, states: this.states, scratch: this.scratch }, this.stats.steps + 1);
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
      await this.adjustChain;
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

  private activationPagesHeld(): number {
    return (this.acts ?? []).reduce((s, a) => s + a.pageCount, 0);
  }

  /**
   * Whether memory holds training back: its largest micro-batch
   * (config.microBatch) does not fit in what the arena lets it hold now, so
   * pages released to it would make its micro-batches larger.
   */
  get memoryBound(): boolean {
    return this.fit() < this.config.microBatch;
  }

  /** Training's room against its largest micro-batch (activation-room.ts). */
  headroom(): { spareBytes: number; nextBytes: number; capBytes: number } {
    return this.room.headroom(this.held());
  }

  private held(): Held {
    return { staticPages: this.staticPages, activationPages: this.activationPagesHeld() };
  }

  /** The largest micro-batch the arena lets training hold now. */
  private fit(): number {
    return this.room.fit(this.held());
  }

  private freeActivations(): void {
    for (const a of this.acts ?? []) this.arena.free(a);
    this.acts = null;
    this.act = null;
  }

  /** Waits until a micro-batch can run; (re)allocates activations for the size that fits. */
  private async ready(): Promise<number> {
    for (;;) {
      await this.adjustChain;
      this.boundary.settle(this.withinLimit());
      const b = this.fit();
      this.stats.paused = b === 0;
      if (b === 0 && !this.acts) {
        await new Promise<void>((res) => this.resumeWaiters.push(res));
        continue;
      }
      if (this.acts && this.act!.b === b && this.withinLimit()) return b;
      if (this.acts) {
        await this.returnActivations(); // a smaller micro-batch fits now (or none)
        continue;
      }
      const bytes = this.model.activationBytes(b);
      const biggest = Math.max(...this.room.plan(b).chunks.map((c) => this.arena.pagesFor(c)));
      if (biggest > this.arena.largestTrainingPlacement()) {
        // Enough free pages, but not side by side (an arena that cannot remap):
        // pack inference runs first, then take the micro-batch that fits.
        this.arena.compactInference();
        const run = this.arena.largestTrainingPlacement() * this.arena.pageBytes;
        const smaller = largestFitting((x) => this.model.activationBytes(x), Math.min(run, bytes), b);
        if (smaller === 0) {
          this.stats.paused = true;
          await new Promise<void>((res) => this.resumeWaiters.push(res));
          continue;
        }
        if (smaller < b) return this.take(smaller);
      }
      return this.take(b);
    }
  }

  /** Allocates activations for micro-batch b (the caller checked that they fit). */
  private take(b: number): number {
    const { acts, plan } = this.room.allocate(b);
    this.acts = acts;
    this.act = this.model.bind(this.params, this.micro, acts.length === 1 ? acts[0]! : new ChunkedActivations(acts, plan), b);
    this.compile = true;
    this.stats.microBatch = b;
    this.stats.microBatchMin = Math.min(this.stats.microBatchMin, b);
    this.stats.microBatchMax = Math.max(this.stats.microBatchMax, b);
    return b;
  }

  /**
   * Training gives up `bytes` of what it could hold: its limit drops by that
   * much below its current quota (never below its static state, which it
   * cannot give).
   * If it then holds too much, the gate closes, the running micro-batch is
   * discarded and the activations go back, zero-filled.
   */
  private async shrink(bytes: number): Promise<HandoverReport> {
    const t0 = performance.now();
    const arena = this.arena;
    const held = this.staticPages + this.activationPagesHeld();
    const lowered = lowerLimit(arena, this.staticPages, held, bytes);
    arena.limitTraining(lowered.limit);
    const report = handoverReport(arena, bytes, lowered, this.stats.microBatch);
    if (held > lowered.limit) {
      const closed = await this.gate.close();
      const t1 = performance.now();
      report.discarded = closed.phaseAtClose === 'gc';
      report.waitedForUpdate = closed.waitedForUpdate;
      this.freeActivations();
      const t2 = performance.now();
      report.freedBytes = arena.reclaim(this.gate.proof(), { zero: true }) * arena.pageBytes;
      // The zero-fill has run: training's lane waits for it (GpuDevice.zero orders it before all later work),
      // so a fence of that lane alone proves it. Before round 6 this fenced both lanes, and a REQUIRE waited
      // for inference runs already queued too. No fence at all broke TaskSwitch on WebGPU (round 6: "Command
      // encoding already finished" in a request's fence), so the host still waits for the fill.
      await arena.device.fenceLane('train');
      const t3 = performance.now();
      this.gate.open();
      Object.assign(report, { closeMs: t1 - t0, discardMs: t2 - t1, reclaimMs: t3 - t2 });
    }
    this.boundary.settle(this.withinLimit());
    report.totalMs = performance.now() - t0;
    report.microBatch = this.fit();
    this.handovers.push(report);
    return report;
  }
}
