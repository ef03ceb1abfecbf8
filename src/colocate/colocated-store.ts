// The server's view of a model store when training shares the GPU: every
// request goes through the colocation core (which makes the model resident,
// taking memory from the reserve or from training), and holds the gate
// while it runs, so inference is first-class in memory and in compute.
import type { Gate } from '../core/gate.js';
import type { ModelInfo, ModelStore, TensorData } from '../infer/store.js';
import type { ColocationCore } from '../sched/core.js';
import type { ServableStore } from '../serve/engine.js';

export class ColocatedStore implements ServableStore {
  constructor(readonly store: ModelStore, readonly core: ColocationCore, readonly gate: Gate) {}

  async load(name: string): Promise<ModelInfo> {
    if (!this.store.get(name)) return this.store.load(name); // the store's own UnknownModelError
    await this.core.admit(name);
    this.core.complete(name);
    return this.store.get(name)!;
  }

  async run(name: string, inputs: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    if (!this.store.get(name)) return this.store.run(name, inputs);
    await this.core.admit(name);
    this.gate.hold();
    try {
      return await this.store.run(name, inputs);
    } finally {
      this.gate.resume();
      this.core.complete(name);
    }
  }

  get(name: string): ModelInfo | undefined {
    return this.store.get(name);
  }

  list(): ModelInfo[] {
    return this.store.list();
  }
}
