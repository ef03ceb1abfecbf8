// What a trainer holds and how it hands it over: its static pages, the
// micro-batch's activations and the micro-batch bound to them, and the
// handover interface with inference: require (now: the gate closes, the
// running micro-batch is discarded), the deferred require (at the next
// micro-batch boundary) and release. The step loop (trainer.ts) asks here for
// a micro-batch that fits (ready) and hands the activations back where a
// deferred require waits for them.
import type { Arena } from '../core/arena.js';
import type { TrainAllocation } from '../core/allocation.js';
import type { Gate } from '../core/gate.js';
import { ChunkedActivations } from './activation-memory.js';
import { ActivationRoom, type Held } from './activation-room.js';
import { BoundaryWaiters, handoverReport, lowerLimit } from './boundary.js';
import { largestFitting, type BoundMicroBatch, type TrainingModel } from './model.js';
import type { TrainState } from './train-state.js';
import type { HandoverReport, TrainerOptions, TrainerStats } from './trainer-types.js';

/** How often a trainer that begins no micro-batch under inference's hold looks again (tuning.startWhenUnheld). */
const HELD_POLL_MS = 2;

export class TrainingMemory<D> {
  /** Pages of the static state (train-state.ts), set at init. */
  staticPages = 0;
  private state!: TrainState;
  /** The micro-batch's activations: one allocation, or several when they exceed what one may be. */
  private acts: TrainAllocation[] | null = null;
  private bound: BoundMicroBatch<D> | null = null;
  /** A micro-batch was bound: compile its kernels together (WebGPU: async pipelines) before its first launch. */
  compile = false;
  private adjustChain: Promise<void> = Promise.resolve();
  private resumeWaiters: (() => void)[] = [];
  private readonly boundary = new BoundaryWaiters();
  /** The activations' room in the arena and the micro-batch that fits (activation-room.ts). */
  private readonly room: ActivationRoom<D>;
  readonly handovers: HandoverReport[] = [];

  constructor(
    private readonly arena: Arena,
    private readonly gate: Gate,
    private readonly model: TrainingModel<D>,
    private readonly config: TrainerOptions,
    private readonly stats: TrainerStats,
  ) {
    this.room = new ActivationRoom(arena, model, config);
  }

  /** The static state is allocated: micro-batches bind to its parameters and micro-batch gradient. */
  init(state: TrainState): void {
    this.state = state;
    this.staticPages = state.pages;
  }

  /** The micro-batch bound to the activations held (null: none held). */
  get act(): BoundMicroBatch<D> | null {
    return this.bound;
  }

  /** The requires queued so far have run (what an update phase waits for before it begins). */
  get adjusted(): Promise<void> {
    return this.adjustChain;
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
  async whileHeld(): Promise<void> {
    await new Promise<void>((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));
    while (this.gate.held || this.gate.paused) {
      if (this.acts && !this.withinLimit()) await this.returnActivations();
      await new Promise<void>((r) => setTimeout(r, HELD_POLL_MS));
    }
  }

  readonly withinLimit = (): boolean => this.staticPages + this.activationPagesHeld() <= this.arena.trainLimit;

  /** The activations go back once the GPU is done with them; deferred requires waiting on them wake. */
  async returnActivations(): Promise<void> {
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

  activationPagesHeld(): number {
    return (this.acts ?? []).reduce((s, a) => s + a.pageCount, 0);
  }

  /** Training's room against its largest micro-batch (activation-room.ts). */
  headroom(): { spareBytes: number; nextBytes: number; capBytes: number } {
    return this.room.headroom(this.held());
  }

  private held(): Held {
    return { staticPages: this.staticPages, activationPages: this.activationPagesHeld() };
  }

  /** The largest micro-batch the arena lets training hold now. */
  fit(): number {
    return this.room.fit(this.held());
  }

  private freeActivations(): void {
    for (const a of this.acts ?? []) this.arena.free(a);
    this.acts = null;
    this.bound = null;
  }

  /** Waits until a micro-batch can run; (re)allocates activations for the size that fits. */
  async ready(): Promise<number> {
    for (;;) {
      await this.adjustChain;
      this.boundary.settle(this.withinLimit());
      const b = this.fit();
      this.stats.paused = b === 0;
      if (b === 0 && !this.acts) {
        await new Promise<void>((res) => this.resumeWaiters.push(res));
        continue;
      }
      if (this.acts && this.bound!.b === b && this.withinLimit()) return b;
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
    this.bound = this.model.bind(this.state.params, this.state.micro, acts.length === 1 ? acts[0]! : new ChunkedActivations(acts, plan), b);
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
