// What one handover costs training on this device, measured before the run:
// training runs alone on a fresh arena; then, a few times, inference requires
// the largest model's bytes (the running micro-batch is discarded) and gives
// them back. The cost is the require's own time plus the training work it
// threw away; the tuner's handover budget uses it instead of a guess.
import { Arena } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import { Gate } from '../core/gate.js';
import { TrainingJob } from '../colocate/training-job.js';
import type { Dataset } from '../train/data.js';
import { Trainer } from '../train/trainer.js';
import { SystemRunError } from './errors.js';
import type { TestbedSpec } from './testbed.js';

export interface HandoverCost {
  /** Training milliseconds lost per handover: require time + discarded work. */
  handoverMs: number;
  requireMs: number;
  wastedMs: number;
  /** Requires measured. */
  count: number;
  /** Training micro-batch time while nothing else ran. */
  microBatchMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function calibrateHandover(dev: GpuDevice, spec: TestbedSpec, data: Dataset, modelBytes: number, requires = 6): Promise<HandoverCost> {
  const arena = new Arena(dev, { bytes: spec.arenaPages * spec.pageBytes, pageBytes: spec.pageBytes });
  const gate = new Gate(dev, { maxInFlight: spec.maxInFlight });
  const t = spec.train;
  const trainer = new Trainer(arena, gate, { layers: t.layers, optimizer: 'sgd', lr: t.lr, momentum: 0.9, weightDecay: 0, effectiveBatch: t.effectiveBatch, microBatch: t.microBatch, seed: spec.seed });
  const job = new TrainingJob(trainer, data, { maxTimeline: 1000 });
  try {
    trainer.init();
    job.start();
    const t0 = performance.now();
    while (trainer.stats.steps < 1 && !job.error && performance.now() - t0 < 120_000) await sleep(10);
    if (job.error || trainer.stats.steps < 1) throw new SystemRunError('calibration', 'training', String((job.error as Error | null)?.message ?? 'no step within 120 s'));
    const s0 = trainer.stats.samples;
    const t1 = performance.now();
    await sleep(300);
    const microBatchMs = (performance.now() - t1) / Math.max(1, (trainer.stats.samples - s0) / Math.max(1, trainer.stats.microBatch));
    let requireMs = 0;
    const wasted0 = trainer.stats.wastedMs;
    for (let i = 0; i < requires; i++) {
      // Land at a random point of a micro-batch, as a request would.
      await sleep(microBatchMs * (0.5 + ((i * 0.618) % 1)));
      const r = await trainer.require(modelBytes);
      requireMs += r.totalMs;
      trainer.release(modelBytes);
    }
    const wastedMs = (trainer.stats.wastedMs - wasted0) / requires;
    requireMs /= requires;
    return { handoverMs: requireMs + wastedMs, requireMs, wastedMs, count: requires, microBatchMs };
  } finally {
    trainer.release(arena.bytes);
    await job.stop();
    await gate.idle().catch(() => undefined);
    arena.destroy();
  }
}
