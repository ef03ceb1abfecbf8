// The server's view of a colocated system: the ServableStore interface that
// the protocol layer (src/serve) talks to, answered by the system's request
// path, so `handover serve --train` is the same system `handover run` measures.
import type { ModelInfo, TensorData } from '../infer/store.js';
import type { RunOptions, ServableStore } from '../serve/engine.js';
import type { ColocationSystem } from './system.js';

export class SystemStore implements ServableStore {
  constructor(readonly system: ColocationSystem) {}

  /** Makes the model resident through the scheduler (memory from the reserve or from training). */
  async load(name: string): Promise<ModelInfo> {
    const store = this.system.store;
    if (!store.get(name)) return store.load(name); // the store's own UnknownModelError
    await this.system.core.admit(name);
    this.system.core.complete(name);
    return store.get(name)!;
  }

  async run(name: string, inputs: Record<string, TensorData>, opts: RunOptions = {}): Promise<Record<string, TensorData>> {
    if (!this.system.store.get(name)) return this.system.store.run(name, inputs); // UnknownModelError
    const r = await this.system.infer(name, inputs, { requests: opts.requests });
    for (const [stage, ms] of [['admit', r.stages.admitMs], ['window', r.stages.windowMs], ['run', r.stages.runMs]] as const) opts.onStage?.(stage, ms);
    return r.outputs;
  }

  get(name: string): ModelInfo | undefined {
    return this.system.store.get(name);
  }

  list(): ModelInfo[] {
    return this.system.store.list();
  }
}
