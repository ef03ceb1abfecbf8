// The whole colocated system, in the page: the same core, arena, trainer,
// inference engine and scheduler as in Node, on the page's WebGPU device.
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { slicingFor } from '../src/core/slicing.js';
import { mlpOnnx } from '../src/colocate/mlp-model.js';
import { TrainingJob } from '../src/colocate/training-job.js';
import { ModelStore, type TensorData } from '../src/infer/store.js';
import type { ColocationCore } from '../src/sched/core.js';
import { StoreModels, TrainerMemory } from '../src/sched/adapters.js';
import { buildCore, systemPolicy, type SystemName } from '../src/sched/systems.js';
import type { Split } from '../src/train/data.js';
import { Trainer } from '../src/train/trainer.js';

export const PAGE_BYTES = 128 * 1024;
export const ARENA_PAGES = 72;
export const MODEL_SIZES = [64, 512, 512, 10];
export const MODELS = ['mlp-a', 'mlp-b', 'mlp-c'];

export interface DemoSystem {
  kind: SystemName;
  arena: Arena;
  gate: Gate;
  trainer: Trainer;
  memory: TrainerMemory;
  job: TrainingJob;
  store: ModelStore;
  core: ColocationCore;
  /** ONNX bytes of each model (the verify action runs the same file in onnxruntime-web). */
  files: Map<string, Uint8Array>;
  request(model: string, inputs: Record<string, TensorData>): Promise<{ outputs: Record<string, TensorData>; latencyMs: number }>;
  destroy(): Promise<void>;
}

export async function buildSystem(dev: GpuDevice, kind: SystemName, data: Split): Promise<DemoSystem> {
  const arena = new Arena(dev, { bytes: ARENA_PAGES * PAGE_BYTES, pageBytes: PAGE_BYTES });
  const gate = new Gate(dev, { maxInFlight: 2, slicing: slicingFor(dev, 'auto') });
  const trainer = new Trainer(arena, gate, {
    layers: [64, 256, 256, 10], optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0,
    effectiveBatch: 256, microBatch: 512, seed: 1,
  });
  const store = new ModelStore(arena);
  const files = new Map<string, Uint8Array>();
  MODELS.forEach((name, i) => {
    const bytes = mlpOnnx({ sizes: MODEL_SIZES, seed: 100 + i, name });
    files.set(name, bytes);
    store.registerBytes(name, bytes);
  });
  trainer.init();
  const policy = systemPolicy(kind, { tIdleMs: 4000, watermarkBytes: store.get(MODELS[0]!)!.bytes });
  const memory = new TrainerMemory(trainer, policy.handover === 'wait-for-batch' ? 'wait-for-batch' : 'discard');
  const core = await buildCore(policy, memory, new StoreModels(store), arena.bytes, { pageBytes: arena.pageBytes });
  MODELS.forEach((m) => core.register(m));
  core.startTicking(250);
  const job = new TrainingJob(trainer, data.train, { lossEvery: 1 });
  job.start();
  return {
    kind, arena, gate, trainer, memory, job, store, core, files,
    async request(model, inputs) {
      const t0 = performance.now();
      await core.admit(model);
      gate.hold(); // inference first: no new training kernels until this run is done
      try {
        const outputs = await store.run(model, inputs);
        return { outputs, latencyMs: performance.now() - t0 };
      } finally {
        gate.resume();
        core.complete(model);
      }
    },
    async destroy() {
      core.stopTicking();
      trainer.release(arena.bytes);
      await job.stop();
      await gate.idle().catch(() => undefined);
      for (const m of MODELS) if (store.get(m)?.state === 'warm') await store.unload(m);
      arena.destroy();
    },
  };
}
