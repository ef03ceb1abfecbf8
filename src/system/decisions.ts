// The system's ordered log of scheduler decisions, in pages: every model load
// and unload, every REQUIRE from training and RELEASE to it, and every
// training micro-batch a require discarded. Tests compare these sequences
// between faces (the evaluation's path and the server's); reports plot them.
// Both sides are wrapped here, so nothing reaches training or the model store
// without leaving a line.
import type { Headroom, MemorySide, ModelSide } from '../sched/core.js';
import type { PriorityWindow } from '../sched/priority.js';

export type DecisionKind = 'load' | 'unload' | 'require' | 'release' | 'discard';

export interface Decision {
  /** Milliseconds on the system's clock. */
  t: number;
  kind: DecisionKind;
  /** The model loaded or unloaded, or the one whose request caused a require (null otherwise). */
  model: string | null;
  /** Arena pages the decision moved (require: pages training gave). */
  pages: number;
}

export class DecisionLog {
  readonly entries: Decision[] = [];
  constructor(readonly pageBytes: number, readonly now: () => number) {}

  push(kind: DecisionKind, model: string | null, bytes: number): void {
    this.entries.push({ t: this.now(), kind, model, pages: Math.ceil(bytes / this.pageBytes) });
  }

  /** Entries from index `from` on (a face's own part of a long-lived system). */
  since(from: number): Decision[] {
    return this.entries.slice(from);
  }
}

/** Training's side with every require (and discard) and release logged, and requires run with inference's holds lifted. */
export class LoggedMemory implements MemorySide {
  /** Present when the inner side can defer: the watermark refill at the next micro-batch, logged as a require. */
  readonly yieldAtBoundary?: (bytes: number) => Promise<{ freedBytes: number; free: Promise<void> }>;

  constructor(readonly inner: MemorySide, readonly log: DecisionLog, readonly window: PriorityWindow) {
    const yieldAt = inner.yieldAtBoundary?.bind(inner);
    if (yieldAt)
      this.yieldAtBoundary = async (bytes) => {
        const r = await yieldAt(bytes);
        this.log.push('require', null, r.freedBytes);
        return r;
      };
    const headroom = inner.headroom?.bind(inner);
    if (headroom) this.headroom = headroom;
  }

  async require(bytes: number): Promise<{ freedBytes: number; discarded?: boolean }> {
    const r: { freedBytes: number; discarded?: boolean } = await this.window.unheld(() => this.inner.require(bytes));
    if (r.discarded) this.log.push('discard', null, 0);
    this.log.push('require', null, r.freedBytes);
    return r;
  }

  release(bytes: number): number {
    const given = this.inner.release(bytes);
    this.log.push('release', null, given);
    return given;
  }

  atMinimum(): boolean {
    return this.inner.atMinimum();
  }

  wantsMemory(): boolean | undefined {
    return this.inner.wantsMemory?.();
  }

  /** Present when the inner side has it (the core then takes training's spare first and trims only what training can use). */
  readonly headroom?: () => Headroom;
}

/** The model side with every load and unload logged. */
export class LoggedModels implements ModelSide {
  constructor(readonly inner: ModelSide, readonly log: DecisionLog) {}

  bytes(model: string): number {
    return this.inner.bytes(model);
  }

  get runsWhileLoading(): boolean | undefined {
    return this.inner.runsWhileLoading;
  }

  load(model: string, opts: { pipelined: boolean }): Promise<void> {
    return this.inner.load(model, opts).then(() => this.log.push('load', model, this.inner.bytes(model)));
  }

  async unload(model: string): Promise<void> {
    await this.inner.unload(model);
    this.log.push('unload', model, this.inner.bytes(model));
  }
}
