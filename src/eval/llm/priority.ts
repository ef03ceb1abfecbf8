// Inference priority on the one queue, as the vision testbed gives it: each
// generation step holds training launches while it runs and until
// `priorityMs` after it (so the next step of a busy batch does not queue
// behind training kernels launched in the gap). A run workspace that does not
// fit asks training for memory with the hold lifted: training's close waits
// for its model update, whose kernels must be able to launch.
import type { Gate } from '../../core/gate.js';
import type { ModelStore } from '../../infer/store.js';
import type { KvCache } from '../../llm/cache.js';
import { Generator, type StepEntry } from '../../llm/generate.js';

export class PriorityGenerator extends Generator {
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
    const outer = this.onOutOfMemory;
    if (outer) {
      this.onOutOfMemory = async (e) => {
        this.gate.resume();
        try {
          return await outer(e);
        } finally {
          this.gate.hold();
        }
      };
    }
    this.gate.hold();
    try {
      return await super.step(entries);
    } finally {
      this.onOutOfMemory = outer;
      if (this.priorityMs > 0) setTimeout(() => this.gate.resume(), this.priorityMs);
      else this.gate.resume();
    }
  }
}
