// The core's two interfaces over the real parts: the elastic Trainer (memory
// side) and the ModelStore (model side). This is the one place where the
// core's bytes meet the arena's pages: every byte count crossing here is whole
// pages, so the core's ledger and the arena's page limit never drift apart
// (the limit itself changes only through the arena's methods, which the
// trainer calls).
import type { ModelStore } from '../infer/store.js';
import type { HandoverReport, Trainer } from '../train/trainer.js';
import type { MemorySide, ModelSide } from './core.js';
import { UnknownSchedModelError } from './errors.js';

function roundUp(bytes: number, page: number): number {
  return Math.ceil(bytes / page) * page;
}

export class TrainerMemory implements MemorySide {
  readonly reports: HandoverReport[] = [];
  /** Milliseconds spent waiting for a batch to end before a require (naive handover). */
  readonly waitedMs: number[] = [];

  constructor(
    readonly trainer: Trainer,
    /** 'discard': the Sirius handover; 'wait-for-batch': naive (and task switching). */
    readonly mode: 'discard' | 'wait-for-batch' = 'discard',
  ) {}

  /** Bytes training could still give: its page limit beyond its static state. */
  givable(): number {
    const a = this.trainer.arena;
    return Math.max(0, a.trainLimit * a.pageBytes - this.trainer.staticBytes);
  }

  async require(bytes: number): Promise<{ freedBytes: number; discarded: boolean }> {
    const page = this.trainer.arena.pageBytes;
    const want = Math.min(Number.isFinite(bytes) ? roundUp(bytes, page) : Infinity, this.givable());
    if (want <= 0) return { freedBytes: 0, discarded: false };
    if (this.mode === 'wait-for-batch' && !this.trainer.stats.paused) {
      const t0 = performance.now();
      await this.trainer.gate.unpaused(() => this.nextBatchEnd()); // a burst pause must not keep the batch from ending
      this.waitedMs.push(performance.now() - t0);
    }
    // What inference gained is what left training's page limit: a trainer may drop its limit to
    // what it holds, so pages it held no claim on become inference's too (more than `want`).
    const arena = this.trainer.arena;
    const before = arena.trainLimit;
    const r = await this.trainer.require(want);
    this.reports.push(r);
    return { freedBytes: Math.max(0, before - arena.trainLimit) * page, discarded: r.discarded };
  }

  release(bytes: number): void {
    const page = this.trainer.arena.pageBytes;
    this.trainer.release(Math.floor(bytes / page) * page);
  }

  atMinimum(): boolean {
    return this.givable() <= 0;
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
    return roundUp(info.bytes, this.store.arena.pageBytes);
  }

  async load(model: string, opts: { pipelined: boolean }): Promise<void> {
    await this.store.load(model, { pipelined: opts.pipelined });
  }

  async unload(model: string): Promise<void> {
    await this.store.unload(model);
  }
}
