// The elastic KV cache beside the real elastic Trainer, through the
// scheduler's TrainerMemory adapter (the same require path as model loads):
// a burst whose KV blocks do not fit beside training REQUIREs (training
// discards its micro-batch and shrinks), and the pages go back to training
// (RELEASE) when the burst ends, while training keeps stepping.
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
    const s0 = arena.stats();
    console.log(`before: train ${s0.train} pages, infer ${s0.infer}, free ${s0.free}, workspace ${workspacePages} pages, trainer micro-batch ${trainer.stats.microBatch}`);
    const memory = new TrainerMemory(trainer);
    const cache = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 16, headroomBytes: workspacePages * PAGE });
    const batcher = new Batcher(new Generator(store, 'gpt', cache), cache, memory, { maxBatch: 8, watermarkBytes: 2 * PAGE });
    const steps0 = trainer.stats.steps;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit({ prompt: promptOf(24, 80 + i), maxTokens: 10 })));
    const m = batcher.metrics;
    const s1 = arena.stats();
    console.log(`burst: ${m.requires} requires (${m.requiredBytes / PAGE} pages), ${m.releases} releases (${m.releasedBytes / PAGE} pages), peak KV pages ${Math.max(...m.kvPages.map((p) => p[1]))}, trainer discards ${trainer.stats.discards}, micro-batch ${trainer.stats.microBatchMin}..${trainer.stats.microBatchMax}; after: train ${s1.train}, infer ${s1.infer}, free ${s1.free}`);
    expect(results.every((r) => r.tokens.length === 10)).toBe(true);
    expect(m.requires).toBeGreaterThan(0);
    expect(memory.reports.length).toBe(m.requires);
    expect(m.releases).toBeGreaterThan(0);
    expect(m.borrowedBytes).toBe(0);
    expect(cache.stats().pages).toBe(0);
    const t0 = performance.now();
    while (trainer.stats.steps <= steps0 + 1 && performance.now() - t0 < 60_000) await new Promise((res) => setTimeout(res, 10));
    expect(trainer.stats.steps).toBeGreaterThan(steps0 + 1); // training went on
  }, 120_000);
});
