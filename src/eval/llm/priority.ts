// Inference priority on the one queue, as the vision testbed gives it: each
// generation step holds training launches while it runs and until
// `priorityMs` after it (so the next step of a busy batch does not queue
// behind training kernels launched in the gap).
//
// A require must never meet a held gate: training's close would drop gradient
// kernels that were queued but never launched, and the trainer, waiting for
// them, would only wake after the gate reopened and go on with freed
// activations. `unheld` lifts every hold this generator placed for the
// duration of a require (the memory side calls it).
import type { Gate } from '../../core/gate.js';
import type { ModelStore } from '../../infer/store.js';
import type { KvCache } from '../../llm/cache.js';
import { Generator, type StepEntry } from '../../llm/generate.js';

export class PriorityGenerator extends Generator {
  private holds = 0;
  private stepping = false;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    store: ModelStore,
    model: string,
    cache: KvCache,
    readonly gate: Gate,
    readonly priorityMs: number,
  ) {
    super(store, model, cache);
  }

  override async step(entries: StepEntry[]): Promise<Map<number, Float32Array>> {
    this.hold();
    this.stepping = true;
    try {
      return await super.step(entries);
    } finally {
      this.stepping = false;
      if (this.priorityMs > 0) {
        const t = setTimeout(() => (this.timers.delete(t), this.unhold()), this.priorityMs);
        this.timers.add(t);
      } else this.unhold();
    }
  }

  /** Runs `fn` with none of this generator's holds on the gate (a step in progress holds again after). */
  async unheld<T>(fn: () => Promise<T>): Promise<T> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    while (this.holds > 0) this.unhold();
    try {
      return await fn();
    } finally {
      if (this.stepping) this.hold();
    }
  }

  private hold(): void {
    this.gate.hold();
    this.holds++;
  }

  private unhold(): void {
    if (this.holds === 0) return;
    this.holds--;
    this.gate.resume();
  }
}
