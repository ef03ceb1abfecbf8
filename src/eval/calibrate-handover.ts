// What one handover costs training on this device, measured before the run:
// training runs alone on a fresh arena; then, a few times, inference requires
// the largest model's bytes beyond training's spare (the running micro-batch
// is discarded) and gives them back. The cost is the require's own time plus
// the training work it threw away; the tuner's handover budget uses it
// instead of a guess.
import type { GpuDevice } from '../core/device.js';
import { buildSystem, TrainingStartError } from '../system/index.js';
import { evalTraining } from './train-job.js';
import type { Dataset } from '../train/data.js';
import { SystemRunError } from './errors.js';
import type { TestbedSpec } from './testbed.js';

export interface HandoverCost {
  /** Training milliseconds lost per handover: require time + discarded work (half a micro-batch). */
  handoverMs: number;
  requireMs: number;
  /** The discarded work the price counts: half a micro-batch (a request lands anywhere in the running one). */
  wastedMs: number;
  /** The discarded work measured over the requires (mean), for comparison. */
  measuredWastedMs: number;
  /** Requires measured. */
  count: number;
  /** Training micro-batch time while nothing else ran. */
  microBatchMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function calibrateHandover(dev: GpuDevice, spec: TestbedSpec, data: Dataset, modelBytes: number, requires = 6): Promise<HandoverCost> {
  // Training alone: the system with no models (its trainer is required from directly below).
  const system = await buildSystem({
    device: dev,
    arena: { bytes: spec.arenaPages * spec.pageBytes, pageBytes: spec.pageBytes },
    maxInFlight: spec.maxInFlight,
    training: evalTraining(spec.train, spec.gpt ?? null, spec.seed, data, 1000),
    policy: { system: 'handover' },
  });
  const trainer = system.trainer!;
  try {
    system.start({ tickMs: null });
    await system.trainingStarted().catch((e: unknown) => {
      throw new SystemRunError('calibration', 'training', e instanceof TrainingStartError ? e.message : String(e));
    });
    const s0 = trainer.stats.samples;
    const t1 = performance.now();
    await sleep(300);
    const microBatchMs = (performance.now() - t1) / Math.max(1, (trainer.stats.samples - s0) / Math.max(1, trainer.stats.microBatch));
    let requireMs = 0;
    const wasted0 = trainer.stats.wastedMs;
    for (let i = 0; i < requires; i++) {
      // Land at a random point of a micro-batch, as a request would.
      await sleep(microBatchMs * (0.5 + ((i * 0.618) % 1)));
      // Alone at its micro-batch cap training holds pages to spare, and a require within them discards nothing:
      // at cap 32 on the H200 this measured 0.1 ms a handover and the tuner chose W = 0 (round 7: under BURST
      // nearly every cold start then discarded). The core takes the spare first, so a require that reaches
      // training during contention is one beyond it: ask for the spare and the model.
      const ask = trainer.headroom().spareBytes + modelBytes;
      const r = await trainer.require(ask);
      requireMs += r.totalMs;
      trainer.release(ask);
    }
    const measuredWastedMs = (trainer.stats.wastedMs - wasted0) / requires;
    requireMs /= requires;
    // The mean of a few discards is noisy (round 8 on the H200, micro-batch 21-23 ms: 6.8, 9.9 and 16.1 ms in three
    // calibrations, and the tuner's W followed: 368-490 MiB under BURST): price the expectation, half a micro-batch.
    const wastedMs = microBatchMs / 2;
    return { handoverMs: requireMs + wastedMs, requireMs, wastedMs, measuredWastedMs, count: requires, microBatchMs };
  } finally {
    await system.destroy();
  }
}
