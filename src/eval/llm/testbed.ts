// One system of the LLM evaluation on a device: the colocation system
// (src/system) with the generation side (KV model, paged KV cache, continuous
// batcher) and the elastic trainer beside it (except Infer-Only). The KV
// capacity policy is the system:
//   handover    no cap: blocks that run out REQUIRE from training (shortfall + W)
//               and go back when the burst ends (the batcher's path);
//   sp50, sp75  a fixed KV cap (pages) with the rest of the arena given to
//               training once, at the start; requests queue when the cap is full;
//   infer-only  no training: the whole arena is inference's.
import type { GpuDevice } from '../../core/device.js';
import { TINY_GPT_KV } from '../../llm/cache.js';
import { buildSystem, SystemSizeError, TrainingStartError, type ColocationSystem } from '../../system/index.js';
import { evalTraining, type GptTrain } from '../train-job.js';
import type { KvShape } from '../../llm/cache.js';
import type { Generation } from '../../system/generation.js';
import type { Dataset } from '../../train/data.js';
import { SystemRunError } from '../errors.js';
import type { LlmSystemName } from './result.js';

export interface LlmTestbedSpec {
  modelPath: string;
  pageBytes: number;
  arenaPages: number;
  /** Most sequences in one step. */
  maxBatch: number;
  blockTokens: number;
  /** Positions of the longest request; also the prefill budget (prompt tokens per step), which bounds a run's workspace. */
  maxContext: number;
  /** Free bytes kept after a require (the batcher's watermark W). */
  watermarkBytes: number;
  train: { layers: number[]; microBatch: number; effectiveBatch: number; lr: number };
  /** Train this GPT instead of the MLP (src/eval/train-job.ts); train's batch sizes apply. */
  gpt?: GptTrain | null;
  /** The KV model's attention geometry (default: tiny_gpt_kv's; kvShapeOf reads it from the file). */
  kv?: KvShape;
  maxInFlight: number;
  priorityMs: number;
  seed: number;
  /** Elastic KV: most ms an admission waits for pages leaving training at its boundary (the evaluation: a quarter of the TTFT SLO when unset). */
  maxDeferMs?: number;
  /** Elastic KV: ms of arriving demand the KV plan's reserve covers. */
  kvHorizonMs?: number;
  /** fixed: every system in arenaPages; peak: Infer-Only in arenaPages, the others in the contended arena sized from its KV peak (arena-size.ts). */
  arenaFit?: 'fixed' | 'peak';
}

export const DEFAULT_LLM_TESTBED: Omit<LlmTestbedSpec, 'modelPath'> = {
  pageBytes: 64 << 10,
  arenaPages: 192,
  maxBatch: 8,
  blockTokens: 16,
  maxContext: 128,
  watermarkBytes: 2 * (64 << 10),
  train: { layers: [64, 256, 256, 10], microBatch: 1024, effectiveBatch: 2048, lr: 0.05 },
  maxInFlight: 1,
  priorityMs: 30,
  seed: 1,
  // The KV plan's reserve covers 250 ms of arriving demand (the plan's default 500 kept ~12 pages planned but unused in
  // LLM round 6; at its load 250 ms is about one median prompt, and the rest is asked ahead within a micro-batch).
  kvHorizonMs: 250,
  arenaFit: 'fixed',
};

export interface LlmTestbed {
  system: ColocationSystem;
  generation: Generation;
}

/** `kvCapPages`: the fixed KV capacity of a static partition (sp50, sp75); ignored otherwise. Started, training past its first step. */
export async function buildLlmTestbed(dev: GpuDevice, system: LlmSystemName, spec: LlmTestbedSpec, data: Dataset, kvCapPages: number | null = null): Promise<LlmTestbed> {
  let sys: ColocationSystem;
  try {
    sys = await buildSystem({
      device: dev,
      arena: { bytes: spec.arenaPages * spec.pageBytes, pageBytes: spec.pageBytes },
      maxInFlight: spec.maxInFlight,
      training: evalTraining(spec.train, spec.gpt ?? null, spec.seed, data),
      generation: { modelFile: spec.modelPath, kv: spec.kv ?? TINY_GPT_KV, blockTokens: spec.blockTokens, maxBatch: spec.maxBatch, maxContext: spec.maxContext, watermarkBytes: spec.watermarkBytes, kvCapPages, maxDeferMs: spec.maxDeferMs, kvHorizonMs: spec.kvHorizonMs },
      policy: { system, priorityMs: spec.priorityMs },
    });
  } catch (e) {
    if (e instanceof SystemSizeError) throw e;
    throw new SystemRunError(system, 'setup', (e as Error).message);
  }
  sys.start({ tickMs: null });
  try {
    await sys.trainingStarted();
  } catch (e) {
    await sys.destroy();
    throw new SystemRunError(system, e instanceof TrainingStartError ? 'training' : 'setup', (e as Error).message);
  }
  return { system: sys, generation: sys.generation! };
}
