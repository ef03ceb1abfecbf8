// One system of the LLM evaluation on a device: a fresh arena, gate, KV model,
// paged KV cache and continuous batcher, with the elastic trainer beside it
// (except Infer-Only). The KV capacity policy is the system:
//   handover    no cap: blocks that run out REQUIRE from training (shortfall + W)
//               and go back when the burst ends (the batcher's path);
//   sp50, sp75  a fixed KV cap (pages) with the rest of the arena given to
//               training once, at the start; requests queue when the cap is full;
//   infer-only  no training: the whole arena is inference's.
import { Arena } from '../../core/arena.js';
import type { GpuDevice } from '../../core/device.js';
import { Gate } from '../../core/gate.js';
import { TrainingJob } from '../../colocate/training-job.js';
import { ModelStore } from '../../infer/store.js';
import { Batcher } from '../../llm/batcher.js';
import { TINY_GPT_KV } from '../../llm/cache.js';
import { Generator } from '../../llm/generate.js';
import { HostKvCache } from '../../llm/host-cache.js';
import { PagedKvCache } from '../../llm/kv-cache.js';
import { TrainerMemory } from '../../sched/adapters.js';
import { NoTraining } from '../../sched/systems.js';
import type { Dataset } from '../../train/data.js';
import { Trainer } from '../../train/trainer.js';
import { SystemRunError, TestbedSizeError } from '../errors.js';
import { RecordedMemory } from './memory.js';
import { PriorityGenerator } from './priority.js';
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
  maxInFlight: number;
  priorityMs: number;
  seed: number;
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
};

export interface LlmTestbed {
  system: LlmSystemName;
  arena: Arena;
  gate: Gate;
  store: ModelStore;
  cache: PagedKvCache;
  gen: Generator;
  batcher: Batcher;
  memory: RecordedMemory;
  trainer: Trainer | null;
  job: TrainingJob | null;
  modelBytes: number;
  workspacePages: number;
  destroy(): Promise<void>;
}

/**
 * Loads the KV model and compiles it with the largest runs the batcher can
 * make: a prefill of the prefill budget (maxContext tokens in one run) and a
 * decode step of maxBatch sequences; returns the most infer pages beyond the
 * weights that a run held at once.
 */
async function loadAndSize(arena: Arena, store: ModelStore, spec: LlmTestbedSpec): Promise<{ modelBytes: number; workspacePages: number }> {
  store.register('gpt', spec.modelPath);
  await store.load('gpt');
  const modelPages = arena.stats().infer;
  let peak = modelPages;
  const off = arena.onEvent((e) => {
    if (e.kind === 'allocate' && e.owner === 'infer') peak = Math.max(peak, arena.stats().infer);
  });
  try {
    const gen = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
    const seqs = Array.from({ length: spec.maxBatch }, () => gen.open());
    await gen.step([{ seq: seqs[0]!, tokens: Array.from({ length: spec.maxContext - 1 }, (_, k) => k % 2048) }]);
    if (seqs.length > 1) await gen.step(seqs.slice(1).map((seq, i) => ({ seq, tokens: [i + 1, 2, 3, 4] })));
    await gen.step(seqs.map((seq) => ({ seq, tokens: [1] })));
    for (const s of seqs) await gen.cache.end(s);
  } finally {
    off();
  }
  // One page of margin: the runs' workspaces need a contiguous run of free pages.
  return { modelBytes: store.get('gpt')!.bytes, workspacePages: peak - modelPages + 1 };
}

async function startTraining(system: LlmSystemName, trainer: Trainer, data: Dataset): Promise<TrainingJob> {
  const job = new TrainingJob(trainer, data, { lossEvery: 50, maxTimeline: 100_000 });
  job.start();
  const t0 = performance.now();
  while (trainer.stats.steps < 1 && job.error === null) {
    if (performance.now() - t0 > 120_000) throw new SystemRunError(system, 'training', 'no training step finished within 120 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  if (job.error) throw new SystemRunError(system, 'training', String((job.error as Error).message ?? job.error));
  return job;
}

/** `kvCapPages`: the fixed KV capacity of a static partition (sp50, sp75); ignored otherwise. */
export async function buildLlmTestbed(dev: GpuDevice, system: LlmSystemName, spec: LlmTestbedSpec, data: Dataset, kvCapPages: number | null = null): Promise<LlmTestbed> {
  const page = spec.pageBytes;
  const arena = new Arena(dev, { bytes: spec.arenaPages * page, pageBytes: page });
  try {
    const gate = new Gate(dev, { maxInFlight: spec.maxInFlight });
    const store = new ModelStore(arena);
    const { modelBytes, workspacePages } = await loadAndSize(arena, store, spec);
    const fixed = system === 'sp50' || system === 'sp75';
    if (fixed && !(kvCapPages !== null && Number.isInteger(kvCapPages) && kvCapPages >= 1)) throw new SystemRunError(system, 'setup', `a static partition needs a KV cap of at least one page, got ${kvCapPages}`);
    let trainer: Trainer | null = null;
    let inner: TrainerMemory | NoTraining = new NoTraining();
    if (system !== 'infer-only') {
      const t = spec.train;
      trainer = new Trainer(arena, gate, { layers: t.layers, optimizer: 'sgd', lr: t.lr, momentum: 0.9, weightDecay: 0, effectiveBatch: t.effectiveBatch, microBatch: t.microBatch, seed: spec.seed });
      trainer.init();
      const inferPages = arena.stats().infer + workspacePages + (fixed ? kvCapPages! : 0);
      if (arena.stats().train + inferPages > arena.pageCount) throw new TestbedSizeError(`the KV model, its workspace${fixed ? ` and ${kvCapPages} KV pages` : ''} beside training's static state`, (arena.stats().train + inferPages) * page, arena.bytes);
      // Training's limit starts at the whole arena, above what it could ever hold: a require would
      // then only lower the limit and free nothing. Bring it down to the free pages less the run
      // workspace (and, for a static partition, less the KV cap: inference's share, given once, for good).
      await trainer.require((workspacePages + (fixed ? kvCapPages! : 0)) * page);
      if (system === 'handover') inner = new TrainerMemory(trainer);
    }
    const cache = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: spec.blockTokens, headroomBytes: workspacePages * page, maxPages: fixed ? kvCapPages! : undefined });
    const gen = new PriorityGenerator(store, 'gpt', cache, gate, trainer ? spec.priorityMs : 0);
    const memory = new RecordedMemory(inner, (fn) => gen.unheld(fn));
    const batcher = new Batcher(gen, cache, memory, { maxBatch: spec.maxBatch, watermarkBytes: spec.watermarkBytes, maxPrefillTokens: spec.maxContext });
    const job = trainer ? await startTraining(system, trainer, data) : null;
    return {
      system, arena, gate, store, cache, gen, batcher, memory, trainer, job, modelBytes, workspacePages,
      async destroy() {
        if (trainer) {
          trainer.release(arena.bytes); // never leave it paused
          await job!.stop();
        }
        await gate.idle().catch(() => undefined);
        await store.unload('gpt').catch(() => undefined);
        arena.destroy();
      },
    };
  } catch (e) {
    arena.destroy();
    if (e instanceof SystemRunError || e instanceof TestbedSizeError) throw e;
    throw new SystemRunError(system, 'setup', (e as Error).message);
  }
}
