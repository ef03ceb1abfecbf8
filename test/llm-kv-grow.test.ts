// The KV cache growing beside a training job whose micro-batch boundaries
// come on a timer (a scripted trainer: it holds its limit in pages, a REQUIRE
// that takes pages it holds discards its micro-batch, a deferred require
// frees them at the next boundary). A scripted burst of requests is played
// twice: without the KV plan (a require per shortfall + W, release when the
// burst ends) and with it (pages asked ahead at the boundary for each
// sequence's reach plus a reserve, admissions that wait for pages on their
// way, lazy release). Counted: requires, discards, deferred requires; checked:
// inference never holds a page training's limit still covers, every request
// ends with the tokens it gets alone, and the plan gives back what it
// borrowed beyond W once the cache is quiet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import type { ModelStore } from '../src/infer/store.js';
import { Batcher, type BatcherOptions } from '../src/llm/batcher.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { BlocksExhaustedError } from '../src/llm/errors.js';
import { Generator } from '../src/llm/generate.js';
import { PagedKvCache } from '../src/llm/kv-cache.js';
import { BoundaryTraining, expectScriptTokens, PAGE, RequireOnly } from './llm-boundary-training.js';
import { kvArena, promptOf } from './llm-helpers.js';

let arena: Arena;
let store: ModelStore;
let workspacePages = 0;

beforeAll(async () => ({ arena, store, workspacePages } = await kvArena(24 << 20, PAGE, 40)), 60_000);
afterAll(() => arena?.destroy());

// The script: [arrival ms, prompt tokens, most new tokens]; 9 requests in three groups.
const SCRIPT: [number, number, number][] = [[0, 4, 6], [0, 3, 5], [0, 4, 7], [40, 2, 6], [40, 4, 4], [120, 3, 6], [120, 4, 5], [120, 1, 6], [200, 4, 6]];

async function play(withPlan: boolean, opts: BatcherOptions = {}) {
  const gate = new Gate(arena.device);
  const training = new BoundaryTraining(arena, gate, 0, 15);
  training.fill(workspacePages);
  const before = training.pages.length;
  const cache = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 2, headroomBytes: workspacePages * PAGE });
  const memory = withPlan ? training : new RequireOnly(training);
  const batcher = new Batcher(new Generator(store, 'gpt', cache), cache, memory, { maxBatch: 4, watermarkBytes: 2 * PAGE, maxDeferMs: 60_000, ...opts });
  // Inference never holds a page training's limit covers (checked at every page the arena hands out).
  let overCommitted = 0;
  const off = arena.onEvent((e) => {
    const s = arena.stats();
    if (e.kind === 'allocate' && e.owner === 'infer' && s.infer > s.pages - s.trainLimit) overCommitted++;
  });
  const t0 = performance.now();
  const results = await Promise.all(SCRIPT.map(([at, p, m], i) => new Promise<void>((r) => setTimeout(r, at)).then(() => batcher.submit({ prompt: promptOf(p, 70 + i), maxTokens: m }))));
  const wallMs = performance.now() - t0;
  return { training, gate, cache, batcher, results, before, overCommitted, off, wallMs };
}

describe('the KV cache grows in few steps beside training (the KV plan)', () => {
  it('within inference\'s share, the cache does not take a free page that training\'s limit still covers', async () => {
    const gate = new Gate(arena.device);
    const training = new BoundaryTraining(arena, gate, 0, 1e6); // no boundary during this test
    try {
      training.fill(workspacePages + 3);
      arena.limitTraining(training.pages.length + 3); // 3 free pages training may still grow into: not inference's
      const shared = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 2, headroomBytes: workspacePages * PAGE });
      shared.withinShare = true;
      shared.start(1);
      expect(shared.shortfallBytes(1)).toBe(2 * PAGE); // a block page and the block table's page
      expect(() => shared.reserve(1, 2)).toThrow(BlocksExhaustedError);
      arena.limitTraining(training.pages.length + 1); // training gives two pages: the cache takes them, and no more
      const pageTokens = 2 * shared.blocksPerPage;
      shared.reserve(1, pageTokens);
      expect(shared.stats()).toMatchObject({ pages: 1, tablePages: 1 });
      expect(() => shared.reserve(1, pageTokens + 2)).toThrow(BlocksExhaustedError); // (reserve counts from the cached length: 0)
      await shared.end(1);
      arena.limitTraining(training.pages.length + 3);
      const anyFree = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 2, headroomBytes: workspacePages * PAGE });
      anyFree.start(1);
      anyFree.reserve(1, 2 * pageTokens); // without the share rule it takes the free pages training's limit covers
      expect(anyFree.stats()).toMatchObject({ pages: 2, tablePages: 1 });
      await anyFree.end(1);
    } finally {
      await training.stop();
    }
  }, 60_000);

  it('without the plan: a require per shortfall, discarding micro-batches', async () => {
    const run = await play(false);
    const m = run.batcher.metrics;
    console.log(`no plan: ${m.requires} requires (${m.requiredBytes / PAGE} pages), ${run.training.discards} discards, ${m.releases} releases, ${m.steps} steps, peak KV ${Math.max(...m.kvPages.map((p) => p[1]))} pages, ${run.wallMs.toFixed(0)} ms`);
    run.off();
    expect(run.results.every((r, i) => r.tokens.length === SCRIPT[i]![2])).toBe(true);
    expect(m.requires).toBeGreaterThan(2);
    expect(run.training.discards).toBeGreaterThan(0);
    expect(m.yields).toBe(0);
    await expectScriptTokens(store, SCRIPT, 70, run.results);
    await run.training.stop();
  }, 120_000);

  it('with the plan: pages asked ahead at the boundary, no discard, nothing over-committed, the same tokens, the loan back once quiet', async () => {
    const run = await play(true, { plan: { horizonMs: 100, rateTauMs: 100, releaseAfterMs: 30 } });
    const m = run.batcher.metrics;
    const peak = Math.max(...m.kvPages.map((p) => p[1]));
    console.log(`plan: ${m.requires} requires, ${m.yields} deferred requires (${m.yieldedBytes / PAGE} pages), ${run.training.discards} discards, ${m.deferredAdmissions} deferred admissions, ${m.releases} releases (${m.releasedBytes / PAGE} pages), ${m.steps} steps, peak KV ${peak} pages, ${run.wallMs.toFixed(0)} ms`);
    expect(run.results.every((r, i) => r.tokens.length === SCRIPT[i]![2] && r.stop === 'length')).toBe(true);
    expect(run.overCommitted).toBe(0);
    expect(m.requires).toBe(0);
    expect(run.training.discards).toBe(0);
    expect(m.yields).toBeGreaterThan(0);
    expect(m.yields).toBeLessThanOrEqual(SCRIPT.length + 2); // a few large steps: about one per arrival, not one per page
    expect(m.yieldedBytes / PAGE).toBeGreaterThanOrEqual(peak);
    expect(run.cache.stats()).toMatchObject({ pages: 0, liveBlocks: 0 });
    await expectScriptTokens(store, SCRIPT, 70, run.results);
    // Quiet: the reserve decays (100 ms time constant) and what was borrowed beyond W goes back.
    const t0 = performance.now();
    while (m.borrowedBytes > 2 * PAGE && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    run.off();
    expect(m.borrowedBytes).toBeLessThanOrEqual(2 * PAGE);
    expect(m.releases).toBeGreaterThan(0);
    expect(m.yieldedBytes - m.releasedBytes).toBe(m.borrowedBytes);
    await new Promise((r) => setTimeout(r, 50)); // a boundary: training grows back into what it got
    expect(run.training.pages.length).toBeGreaterThanOrEqual(run.before - 2);
    await run.training.stop();
  }, 120_000);
});
