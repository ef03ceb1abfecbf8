// The server's view of a colocated system: the ServableStore interface that
// the protocol layer (src/serve) talks to, answered by the system's request
// path, so `handover serve --train` is the same system `handover run` measures.
import type { ModelInfo, TensorData } from '../infer/store.js';
import type { GenerativeEngine, RunOptions, ServableStore } from '../serve/engine.js';
import { BadRequestError } from '../serve/errors.js';
import type { ColocationSystem } from './system.js';

export class SystemStore implements ServableStore {
  constructor(readonly system: ColocationSystem) {}

  /** Makes the model resident through the scheduler (memory from the reserve or from training). */
  async load(name: string): Promise<ModelInfo> {
    const store = this.system.store;
    if (!store.get(name)) return store.load(name); // the store's own UnknownModelError
    await this.system.core.admit(name);
    try {
      // With pipelined cold starts admit() returns once the load is issued: a load request waits for the weights.
      if (store.get(name)!.state === 'loading') await store.load(name);
    } finally {
      this.system.core.complete(name);
    }
    return store.get(name)!;
  }

  async run(name: string, inputs: Record<string, TensorData>, opts: RunOptions = {}): Promise<Record<string, TensorData>> {
    if (!this.system.store.get(name)) return this.system.store.run(name, inputs); // UnknownModelError
    if (name === this.system.generation?.gen.model)
      throw new BadRequestError(`model '${name}' is the system's decoder: its KV cache lives in the batch, ask /v2/models/${name}/generate or /v1/completions`);
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

/**
 * The system's decoder as the server's generative model: /generate and the
 * OpenAI routes submit to the system's batcher (KV blocks by REQUIRE from
 * training through the scheduler, steps under the priority window), the one
 * KV cache in the arena.
 */
export function systemGenerative(system: Pick<ColocationSystem, 'generation' | 'generate'>): Map<string, GenerativeEngine> {
  const g = system.generation;
  if (!g) return new Map();
  const engine: GenerativeEngine = {
    submit: (req) => system.generate(req),
    gen: g.gen,
    get metrics() {
      return g.batcher.metrics;
    },
  };
  return new Map([[g.gen.model, engine]]);
}
