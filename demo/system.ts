// The whole colocated system, in the page: the same composition root
// (src/system) as the CLI, the server and the evaluation, on the page's
// WebGPU device.
import type { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import type { Gate } from '../src/core/gate.js';
import { mlpOnnx } from '../src/colocate/mlp-model.js';
import type { TrainingJob } from '../src/colocate/training-job.js';
import type { ModelStore, TensorData } from '../src/infer/store.js';
import type { TrainerMemory } from '../src/sched/adapters.js';
import type { ColocationCore } from '../src/sched/core.js';
import type { SystemName } from '../src/sched/systems.js';
import { buildSystem as buildColocation, mlpTraining, sgdConfig, type ColocationSystem } from '../src/system/index.js';
import type { Split } from '../src/train/data.js';
import type { Trainer } from '../src/train/trainer.js';

export const PAGE_BYTES = 128 * 1024;
export const ARENA_PAGES = 72;
export const MODEL_SIZES = [64, 512, 512, 10];
export const MODELS = ['mlp-a', 'mlp-b', 'mlp-c'];

export interface DemoSystem {
  kind: SystemName;
  system: ColocationSystem;
  arena: Arena;
  gate: Gate;
  trainer: Trainer;
  memory: TrainerMemory | null;
  job: TrainingJob;
  store: ModelStore;
  core: ColocationCore;
  /** ONNX bytes of each model (the verify action runs the same file in onnxruntime-web). */
  files: Map<string, Uint8Array>;
  request(model: string, inputs: Record<string, TensorData>): Promise<{ outputs: Record<string, TensorData>; latencyMs: number }>;
  destroy(): Promise<void>;
}

export async function buildSystem(dev: GpuDevice, kind: SystemName, data: Split): Promise<DemoSystem> {
  const files = new Map(MODELS.map((name, i) => [name, mlpOnnx({ sizes: MODEL_SIZES, seed: 100 + i, name })]));
  const system = await buildColocation({
    device: dev,
    arena: { bytes: ARENA_PAGES * PAGE_BYTES, pageBytes: PAGE_BYTES },
    maxInFlight: 2,
    training: mlpTraining(sgdConfig([64, 256, 256, 10], { microBatch: 512, effectiveBatch: 256 }), data.train, { lossEvery: 1 }),
    models: MODELS.map((name) => ({ name, onnx: files.get(name)! })),
    policy: { system: kind, tuned: { tIdleMs: 4000 } }, // W: one model
  });
  system.start({ tickMs: 250 });
  return {
    kind, system, files,
    arena: system.arena, gate: system.gate, trainer: system.trainer!, memory: system.trainerMemory, job: system.job!, store: system.store, core: system.core,
    async request(model, inputs) {
      const r = await system.infer(model, inputs);
      return { outputs: r.outputs, latencyMs: r.latencyMs };
    },
    destroy: () => system.destroy(),
  };
}
