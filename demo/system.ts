// The whole colocated system, in the page: the same core, arena, trainer,
// inference engine and scheduler as in Node, on the page's WebGPU device.
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { Colocation, type SystemKind } from '../src/colocate/system.js';
import { mlpOnnx } from '../src/colocate/mlp-model.js';
import { TrainingJob } from '../src/colocate/training-job.js';
import { ModelStore } from '../src/infer/store.js';
import type { Split } from '../src/train/data.js';
import { Trainer } from '../src/train/trainer.js';

export const PAGE_BYTES = 128 * 1024;
export const ARENA_PAGES = 72;
export const MODEL_SIZES = [64, 512, 512, 10];
export const MODELS = ['mlp-a', 'mlp-b', 'mlp-c'];

export interface DemoSystem {
  kind: SystemKind;
  arena: Arena;
  trainer: Trainer;
  job: TrainingJob;
  store: ModelStore;
  colo: Colocation;
  /** ONNX bytes of each model (the verify action runs the same file in onnxruntime-web). */
  files: Map<string, Uint8Array>;
  destroy(): Promise<void>;
}

export function buildSystem(dev: GpuDevice, kind: SystemKind, data: Split): DemoSystem {
  const arena = new Arena(dev, { bytes: ARENA_PAGES * PAGE_BYTES, pageBytes: PAGE_BYTES });
  const gate = new Gate(dev, { maxInFlight: 3 });
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
  const colo = new Colocation(kind, arena, trainer, store, { tIdleMs: 4000, watermarkBytes: store.get('mlp-a')!.bytes });
  // Static partitions take their share before training starts.
  trainer.init();
  MODELS.forEach((m) => colo.register(m));
  colo.core.startTicking(250);
  const job = new TrainingJob(trainer, data.train, { lossEvery: 1 });
  job.start();
  return {
    kind, arena, trainer, job, store, colo, files,
    async destroy() {
      colo.core.stopTicking();
      trainer.release(arena.bytes);
      await job.stop();
      await gate.idle().catch(() => undefined);
      for (const m of MODELS) if (store.get(m)?.state === 'warm') await store.unload(m);
      arena.destroy();
    },
  };
}
