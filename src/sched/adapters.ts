// The core's two interfaces over the real parts: the elastic Trainer (memory
// side) and the ModelStore (model side). This is the one place where the
// core's bytes meet the arena's pages, and the arena converts (pagesFor,
// pagesWithin, bytesOf): every byte count crossing here is whole pages, and
// what a require gained is the pages that left training's limit as the
// trainer set it (HandoverReport.givenPages), so the core's ledger and the
// arena's page limit never drift apart.
import type { ModelStore } from '../infer/store.js';
import type { HandoverReport, Trainer } from '../train/trainer.js';
import type { Headroom, MemorySide, ModelSide } from './core.js';
import { UnknownSchedModelError } from './errors.js';

export class TrainerMemory implements MemorySide {
  readonly reports: HandoverReport[] = [];
  /** Milliseconds spent waiting for a batch to end before a require (naive handover). */
  readonly waitedMs: number[] = [];
  /** Deferred requires (yieldAtBoundary): milliseconds until the pages were free. */
  readonly deferredMs: number[] = [];

  constructor(
    readonly trainer: Trainer,
    /** 'discard': the Sirius handover; 'wait-for-batch': naive (and task switching). */
    readonly mode: 'discard' | 'wait-for-batch' = 'discard',
  ) {}

  /** Bytes training could still give: its page limit beyond its static state. */
  givable(): number {
    const a = this.trainer.arena;
    return Math.max(0, a.bytesOf(a.trainLimit) - this.trainer.staticBytes);
  }

  /** `bytes` as whole pages, no more than training can give. */
  private asked(bytes: number): number {
    const a = this.trainer.arena;
    return Math.min(Number.isFinite(bytes) ? a.bytesOf(a.pagesFor(bytes)) : Infinity, this.givable());
  }

  async require(bytes: number): Promise<{ freedBytes: number; discarded: boolean }> {
    const want = this.asked(bytes);
    if (want <= 0) return { freedBytes: 0, discarded: false };
    if (this.mode === 'wait-for-batch' && !this.trainer.stats.paused) {
      const t0 = performance.now();
      await this.trainer.gate.unpaused(() => this.nextBatchEnd()); // a burst pause must not keep the batch from ending
      this.waitedMs.push(performance.now() - t0);
    }
    const r = await this.trainer.require(want);
    this.reports.push(r);
    // A trainer may drop its limit to what it holds: pages it held no claim on become inference's too (more than `want`).
    return { freedBytes: this.trainer.arena.bytesOf(r.givenPages), discarded: r.discarded };
  }

  /** The next micro-batch is sized without `bytes`; nothing running is discarded. */
  async yieldAtBoundary(bytes: number): Promise<{ freedBytes: number; free: Promise<void> }> {
    const want = this.asked(bytes);
    if (want <= 0) return { freedBytes: 0, free: Promise.resolve() };
    const t0 = performance.now();
    const r = await this.trainer.yieldAtBoundary(want);
    void r.free.then(() => this.deferredMs.push(performance.now() - t0));
    return { freedBytes: this.trainer.arena.bytesOf(r.givenPages), free: r.free };
  }

  /** Gives training the whole pages within `bytes`; returns the bytes it took (the rest stays with inference). */
  release(bytes: number): number {
    const a = this.trainer.arena;
    const given = a.bytesOf(a.pagesWithin(bytes));
    if (given > 0) this.trainer.release(given);
    return given;
  }

  atMinimum(): boolean {
    return this.givable() <= 0;
  }

  wantsMemory(): boolean {
    return this.trainer.memoryBound;
  }

  headroom(): Headroom {
    return this.trainer.headroom();
  }

  /** Resolves at the next committed micro-batch (or at once if training is paused). */
  private nextBatchEnd(): Promise<void> {
    return new Promise<void>((resolve) => {
      const prev = this.trainer.onCommit;
      const poll = setInterval(() => {
        if (this.trainer.stats.paused) done();
      }, 5);
      const done = () => {
        clearInterval(poll);
        if (this.trainer.onCommit === hook) this.trainer.onCommit = prev;
        resolve();
      };
      const hook = (indices: Uint32Array) => {
        prev?.(indices);
        done();
      };
      this.trainer.onCommit = hook;
    });
  }
}

export class StoreModels implements ModelSide {
  constructor(readonly store: ModelStore) {}

  bytes(model: string): number {
    const info = this.store.get(model);
    if (!info) throw new UnknownSchedModelError(model);
    const a = this.store.arena;
    return a.bytesOf(a.pagesFor(info.bytes));
  }

  /** The store runs a loading model layer by layer as its weights arrive; store.load starts the load before it returns. */
  readonly runsWhileLoading = true;

  load(model: string, opts: { pipelined: boolean }): Promise<void> {
    return this.store.load(model, { pipelined: opts.pipelined }).then(() => undefined);
  }

  async unload(model: string): Promise<void> {
    await this.store.unload(model);
  }
}
