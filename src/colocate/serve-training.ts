// Training beside `handover serve`: the colocation system (src/system) on the
// server's arena, with an MLP training on a data set and the handover policy;
// the server answers through the system's request path (SystemStore).
import type { Arena } from '../core/arena.js';
import type { SliceMode } from '../core/slicing.js';
import type { ServableStore } from '../serve/engine.js';
import { buildSystem, mlpTraining, sgdConfig, SystemStore, type ColocationSystem, type GenerationSpec, type ModelSpec, type SystemSpec } from '../system/index.js';
import type { Dataset } from '../train/data.js';
import { loadDataset } from '../train/data-node.js';

export interface ServeTrainingOptions {
  dataset: string | Dataset;
  microBatch: number;
  tIdleMs: number;
  /** The watermark W (default: the largest model). */
  watermarkBytes?: number;
  /** Time-sliced training (default auto: one-queue devices only; 'on' slices on CUDA too, bounding what a REQUIRE waits for). */
  slice?: SliceMode;
  /** Milliseconds between the core's idle checks (null: the caller ticks; tests). */
  tickMs?: number | null;
  now?: () => number;
  /** Pages kept from training for the runs' workspaces (default 0; serve --train keeps one run's at --max-batch rows per --max-runs). */
  workspacePages?: number;
  /** A KV-cache decoder served by generation: the system's one KV cache, beside training. */
  generation?: GenerationSpec;
}

export interface ServeTraining {
  system: ColocationSystem;
  store: ServableStore;
  stop(): Promise<void>;
}

/** The spec of `handover serve --train`'s system: an MLP on the data set beside the served models, handover policy. */
export function serveTrainingSpec(arena: Arena, models: ModelSpec[], o: ServeTrainingOptions): SystemSpec {
  const data = typeof o.dataset === 'string' ? loadDataset(o.dataset).train : o.dataset;
  const hidden = data.name.startsWith('digits') ? [256, 256] : [512, 512];
  return {
    device: arena.device,
    arena: { use: arena },
    maxInFlight: 2,
    workspacePages: o.workspacePages,
    training: mlpTraining(sgdConfig([data.features, ...hidden, data.classes], { microBatch: o.microBatch, effectiveBatch: o.microBatch }), data),
    models,
    generation: o.generation,
    policy: { system: 'handover', tuned: { tIdleMs: o.tIdleMs, watermarkBytes: o.watermarkBytes }, slice: o.slice },
    now: o.now,
  };
}

/** Builds and starts the system; the models are registered cold (loaded by the scheduler on their first request), a decoder loaded now. */
export async function startServeTraining(arena: Arena, models: ModelSpec[], o: ServeTrainingOptions): Promise<ServeTraining> {
  const system = await buildSystem(serveTrainingSpec(arena, models, o));
  system.start({ tickMs: o.tickMs === undefined ? 100 : o.tickMs });
  return { system, store: new SystemStore(system), stop: () => system.destroy() };
}
