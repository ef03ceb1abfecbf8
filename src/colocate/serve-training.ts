// Training beside `handover serve`: an elastic trainer on the server's arena,
// the colocation core (Algorithm 1, handover policy) between it and the
// models, and the store the server should use.
import type { Arena } from '../core/arena.js';
import { Gate } from '../core/gate.js';
import { slicingFor } from '../core/slicing.js';
import type { ModelStore } from '../infer/store.js';
import { StoreModels, TrainerMemory } from '../sched/adapters.js';
import type { ColocationCore } from '../sched/core.js';
import { buildCore, systemPolicy } from '../sched/systems.js';
import { loadDataset } from '../train/data-node.js';
import { Trainer } from '../train/trainer.js';
import { ColocatedStore } from './colocated-store.js';
import { TrainingJob } from './training-job.js';

export interface ServeTraining {
  store: ColocatedStore;
  core: ColocationCore;
  trainer: Trainer;
  job: TrainingJob;
  stop(): Promise<void>;
}

export async function startServeTraining(
  arena: Arena,
  store: ModelStore,
  models: string[],
  o: { dataset: string; microBatch: number; tIdleMs: number },
): Promise<ServeTraining> {
  const data = loadDataset(o.dataset);
  const hidden = o.dataset === 'digits' ? [256, 256] : [512, 512];
  const gate = new Gate(arena.device, { maxInFlight: 2, slicing: slicingFor(arena.device, 'auto') });
  const trainer = new Trainer(arena, gate, {
    layers: [data.train.features, ...hidden, data.train.classes], optimizer: 'sgd', lr: 0.05, momentum: 0.9,
    weightDecay: 0, effectiveBatch: o.microBatch, microBatch: o.microBatch, seed: 1,
  });
  trainer.init();
  const watermark = Math.max(...models.map((m) => store.get(m)!.bytes));
  const policy = systemPolicy('handover', { tIdleMs: o.tIdleMs, watermarkBytes: watermark });
  const core = await buildCore(policy, new TrainerMemory(trainer), new StoreModels(store), arena.bytes, { pageBytes: arena.pageBytes });
  models.forEach((m) => core.register(m));
  core.startTicking(100);
  const job = new TrainingJob(trainer, data.train);
  job.start();
  return {
    store: new ColocatedStore(store, core, gate),
    core,
    trainer,
    job,
    async stop() {
      core.stopTicking();
      trainer.release(arena.bytes);
      await job.stop();
      await gate.idle().catch(() => undefined);
    },
  };
}
