// The elastic KV cache beside the real elastic Trainer, through the
// scheduler's TrainerMemory adapter (the same require path as model loads):
// a burst whose KV blocks do not fit beside training takes them from
// training, asked ahead at its micro-batch boundary by the KV plan (a
// REQUIRE, which discards the running micro-batch, only where an admission
// waited longer than maxDeferMs or a running sequence needs a page now);
// inference never holds a page training's limit covers, and the pages go
// back to training (RELEASE) once the cache is quiet, while training keeps
// stepping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import { ModelStore } from '../src/infer/store.js';
import { Batcher } from '../src/llm/batcher.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { Generator } from '../src/llm/generate.js';
import { PagedKvCache } from '../src/llm/kv-cache.js';
import { TrainerMemory } from '../src/sched/adapters.js';
import type { Dataset } from '../src/train/data.js';
import { Trainer } from '../src/train/trainer.js';
import { randn, rng, testDevice } from './helpers/gpu.js';
import { loadKvModel, promptOf } from './llm-helpers.js';

const PAGE = 64 << 10;
let arena: Arena;
let store: ModelStore;
let trainer: Trainer;
let stop = false;
let training: Promise<void>;
let workspacePages = 0;

beforeAll(async () => {
  const dev = await testDevice();
  arena = new Arena(dev, { bytes: 20 << 20, pageBytes: PAGE });
  // Compile and size the run workspace before training launches anything.
  ({ store, workspacePages } = await loadKvModel(arena, 60, 1));
  const r = rng(5);
  trainer = new Trainer(arena, new Gate(dev, { maxInFlight: 3 }), { layers: [32, 512, 10], optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0, effectiveBatch: 2048, microBatch: 2048, seed: 3 });
  trainer.init();
  const n = 2048;
  const data: Dataset = { name: 'random', x: randn(n * 32, r), labels: Uint32Array.from({ length: n }, (_, i) => i % 10), n, features: 32, classes: 10 };
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  training = (async () => {
    while (!stop) await trainer.step(data, idx);
  })();
  const t0 = performance.now();
  while (trainer.stats.steps < 1 && performance.now() - t0 < 60_000) await new Promise((res) => setTimeout(res, 10));
}, 120_000);

afterAll(async () => {
  stop = true;
  trainer?.release(arena.pageCount * PAGE);
  await training;
  arena?.destroy();
});

describe('elastic KV cache beside the real trainer', () => {
  it('a burst requires from training through TrainerMemory and releases when it ends', async () => {
    // As buildSystem does: training's limit leaves the run workspace (inference's share starts at the model and it),
    // sized for this burst's largest run (8 prompts of 24 tokens: 12 pages; loadKvModel measured 4 of 4).
    const headroom = Math.max(workspacePages, 16);
    await trainer.require(headroom * PAGE);
    const s0 = arena.stats();
    console.log(`before: train ${s0.train} pages (limit ${s0.trainLimit}), infer ${s0.infer}, free ${s0.free}, workspace ${workspacePages} pages, trainer micro-batch ${trainer.stats.microBatch}`);
    const memory = new TrainerMemory(trainer);
    const cache = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 16, headroomBytes: headroom * PAGE });
    const batcher = new Batcher(new Generator(store, 'gpt', cache), cache, memory, { maxBatch: 8, watermarkBytes: 2 * PAGE, plan: { horizonMs: 100, rateTauMs: 100, releaseAfterMs: 20 } });
    let overCommitted = 0;
    const off = arena.onEvent((e) => {
      const s = arena.stats();
      if (e.kind === 'allocate' && e.owner === 'infer' && s.infer > s.pages - s.trainLimit && overCommitted++ === 0) console.log(`over-committed: ${JSON.stringify(e)} ${JSON.stringify(s)}`);
    });
    const steps0 = trainer.stats.steps;
    const discards0 = trainer.stats.discards;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit({ prompt: promptOf(24, 80 + i), maxTokens: 10 })));
    const m = batcher.metrics;
    const s1 = arena.stats();
    console.log(`burst: ${m.requires} requires (${m.requiredBytes / PAGE} pages), ${m.yields} deferred requires (${m.yieldedBytes / PAGE} pages), ${m.deferredAdmissions} deferred admissions, ${m.releases} releases (${m.releasedBytes / PAGE} pages), peak KV pages ${Math.max(...m.kvPages.map((p) => p[1]))}, trainer discards ${trainer.stats.discards - discards0}, micro-batch ${trainer.stats.microBatchMin}..${trainer.stats.microBatchMax}; after: train ${s1.train}, infer ${s1.infer}, free ${s1.free}`);
    expect(results.every((r) => r.tokens.length === 10)).toBe(true);
    expect(m.requires + m.yields).toBeGreaterThan(0);
    expect(memory.reports.length).toBe(m.requires);
    expect(trainer.stats.discards - discards0).toBeLessThanOrEqual(m.requires); // only a require discards
    expect(overCommitted).toBe(0);
    expect(cache.stats().pages).toBe(0);
    // Quiet: the loan goes back, all but W, lazily.
    const q0 = performance.now();
    while (m.borrowedBytes > 2 * PAGE && performance.now() - q0 < 20_000) await new Promise((res) => setTimeout(res, 20));
    off();
    expect(m.releases).toBeGreaterThan(0);
    expect(m.borrowedBytes).toBeLessThanOrEqual(2 * PAGE);
    const t0 = performance.now();
    while (trainer.stats.steps <= steps0 + 1 && performance.now() - t0 < 60_000) await new Promise((res) => setTimeout(res, 10));
    expect(trainer.stats.steps).toBeGreaterThan(steps0 + 1); // training went on
  }, 120_000);
});
