// The system's LLM side: the decoder in the model store, the paged KV cache in
// the arena and the continuous batcher over it. The generation request path
// is the batcher's (queue → KV blocks, by REQUIRE from training when they run
// out → step → RELEASE when the burst ends); each step runs under the
// system's priority window, like a vision request.
import type { Arena } from '../core/arena.js';
import type { ModelStore } from '../infer/store.js';
import { Batcher } from '../llm/batcher.js';
import type { KvCache } from '../llm/cache.js';
import { Generator, type GeneratorOptions, type StepEntry } from '../llm/generate.js';
import { HostKvCache } from '../llm/host-cache.js';
import { PagedKvCache } from '../llm/kv-cache.js';
import { defaultRunPositions, PAST_BUCKET } from '../llm/padded.js';
import type { MemorySide, ModelSide } from '../sched/core.js';
import type { PriorityWindow } from '../sched/priority.js';
import type { GenerationSpec } from './spec.js';

/** The generation model's name in the system's store, unless its spec names it. */
export const GENERATION_MODEL = 'gpt';

/** A generator whose every step holds training back (the window), as a request does. */
export class WindowedGenerator extends Generator {
  constructor(store: ModelStore, model: string, cache: KvCache, readonly window: PriorityWindow, shape: GeneratorOptions = {}) {
    super(store, model, cache, shape);
  }

  override step(entries: StepEntry[]): Promise<Map<number, Float32Array>> {
    return this.window.run(() => super.step(entries));
  }
}

export interface Generation {
  cache: PagedKvCache;
  gen: WindowedGenerator;
  batcher: Batcher;
  modelBytes: number;
  /** Infer pages beyond the weights that the largest run held at once (plus one of margin). */
  workspacePages: number;
}

/**
 * Loads the decoder (a decision of the system, logged) and compiles it with the
 * largest runs the batcher can make: a prefill of the prefill budget and a
 * decode step of maxBatch sequences; measures the run workspace they held.
 */
export async function loadGenerationModel(arena: Arena, store: ModelStore, models: ModelSide, spec: GenerationSpec): Promise<{ modelBytes: number; workspacePages: number }> {
  const name = spec.name ?? GENERATION_MODEL;
  store.register(name, spec.modelFile);
  await models.load(name, { pipelined: false });
  const modelPages = arena.stats().infer;
  let peak = modelPages;
  const off = arena.onEvent((e) => {
    if (e.kind === 'allocate' && e.owner === 'infer') peak = Math.max(peak, arena.stats().infer);
  });
  try {
    const gen = new Generator(store, name, new HostKvCache(spec.kv), generatorOptions(spec));
    const seqs = Array.from({ length: spec.maxBatch }, () => gen.open());
    // The longest prompts one run takes (padded batching: as many full contexts as the run bound allows), then short ones, then a decode step of all.
    const long = gen.isPadded ? Math.min(spec.maxBatch, Math.max(1, Math.floor(gen.runPositions / roundUp(spec.maxContext, PAST_BUCKET)))) : 1;
    const prompt = (n: number, at: number) => Array.from({ length: n }, (_, k) => (k + at) % gen.vocab);
    await gen.step(seqs.slice(0, long).map((seq, i) => ({ seq, tokens: prompt(spec.maxContext - 1, i) })));
    if (seqs.length > long) await gen.step(seqs.slice(long).map((seq, i) => ({ seq, tokens: prompt(4, i + 1) })));
    await gen.step(seqs.map((seq) => ({ seq, tokens: [1] })));
    for (const s of seqs) await gen.cache.end(s);
  } finally {
    off();
  }
  // One page of margin: the runs' workspaces need a contiguous run of free pages.
  return { modelBytes: store.get(name)!.bytes, workspacePages: peak - modelPages + 1 };
}

/** The generator's shape and run bound from the spec (padded runs: defaultRunPositions). */
function generatorOptions(spec: GenerationSpec): GeneratorOptions {
  return { vocab: spec.vocab, maxPositions: spec.maxPositions, maxBatch: spec.maxBatch, runPositions: defaultRunPositions(spec.maxBatch, spec.maxContext) };
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

export function makeGeneration(arena: Arena, store: ModelStore, memory: MemorySide, window: PriorityWindow, spec: GenerationSpec, sized: { modelBytes: number; workspacePages: number }): Generation {
  const cache = new PagedKvCache(arena, spec.kv, { blockTokens: spec.blockTokens, headroomBytes: sized.workspacePages * arena.pageBytes, maxPages: spec.kvCapPages ?? undefined });
  const gen = new WindowedGenerator(store, spec.name ?? GENERATION_MODEL, cache, window, generatorOptions(spec));
  const batcher = new Batcher(gen, cache, memory, {
    maxBatch: spec.maxBatch, watermarkBytes: spec.watermarkBytes, maxPrefillTokens: spec.maxContext,
    maxDeferMs: spec.maxDeferMs, plan: spec.kvHorizonMs === undefined ? undefined : { horizonMs: spec.kvHorizonMs },
    // A wait for pages on their way lifts the window's hold (training's held micro-batch reaches its boundary) and,
    // as a run of the window, holds again as it ends: training begins no micro-batch in between (startWhenUnheld).
    unheld: (fn) => window.run(() => window.unheld(fn)),
  });
  return { cache, gen, batcher, ...sized };
}
