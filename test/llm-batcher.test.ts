// Continuous batching over the paged KV cache beside a training job that
// holds arena pages: a burst whose KV demand exceeds the free pages REQUIREs
// from training, and the borrowed pages are RELEASEd when the burst ends;
// with training at its minimum, new requests queue (and say so) instead of
// failing; batched tokens equal each request generated alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation } from '../src/core/allocation.js';
import type { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import { ModelStore } from '../src/infer/store.js';
import type { MemorySide } from '../src/sched/core.js';
import { NoTraining } from '../src/sched/systems.js';
import { Batcher } from '../src/llm/batcher.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { BlocksExhaustedError } from '../src/llm/errors.js';
import { Generator } from '../src/llm/generate.js';
import { HostKvCache } from '../src/llm/host-cache.js';
import { PagedKvCache } from '../src/llm/kv-cache.js';
import { kvArena, promptOf } from './llm-helpers.js';

const PAGE = 4 << 10; // one 2-token block a page: KV demand shows page by page

/** Training as the arena sees it: one train allocation a page; require frees pages (gate-drained), release regrows. */
class ArenaTraining implements MemorySide {
  readonly pages: Allocation<'train'>[] = [];
  readonly requires: number[] = [];
  readonly releases: number[] = [];
  constructor(private readonly arena: Arena, private readonly gate: Gate, readonly minPages: number) {}
  fill(leaveFreeBytes: number): void {
    while (this.arena.freeBytes - PAGE >= leaveFreeBytes) this.pages.push(this.arena.allocate('train', PAGE, 'train-page'));
  }
  async require(bytes: number): Promise<{ freedBytes: number }> {
    this.requires.push(bytes);
    const n = Math.min(Math.ceil(bytes / PAGE), this.pages.length - this.minPages);
    if (n <= 0) return { freedBytes: 0 };
    this.arena.limitTraining(this.pages.length - n);
    for (const a of this.pages.splice(this.pages.length - n)) this.arena.free(a);
    this.arena.reclaim(await this.gate.drain());
    return { freedBytes: n * PAGE };
  }
  release(bytes: number): number {
    this.releases.push(bytes);
    this.arena.release(bytes);
    const n = Math.floor(bytes / PAGE); // training grows back at its next micro-batch (here: at once)
    for (let i = 0; i < n && this.arena.freeBytes > 0; i++) this.pages.push(this.arena.allocate('train', PAGE, 'train-page'));
    return bytes;
  }
  atMinimum(): boolean {
    return this.pages.length <= this.minPages;
  }
}

let arena: Arena;
let store: ModelStore;
let workspacePages = 0;

// The largest run workspace of the burst below (4 prefills of 4 tokens in one run).
beforeAll(async () => ({ arena, store, workspacePages } = await kvArena(24 << 20, PAGE, 40)), 60_000);
afterAll(() => arena?.destroy());

async function burst(training: MemorySide, n: number, maxTokens: number, maxPrefillTokens?: number) {
  const cache = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 2, headroomBytes: workspacePages * PAGE });
  const gen = new Generator(store, 'gpt', cache);
  const batcher = new Batcher(gen, cache, training, { maxBatch: 4, watermarkBytes: 2 * PAGE, maxPrefillTokens });
  const prompts = Array.from({ length: n }, (_, i) => promptOf(4, 40 + i));
  const results = await Promise.all(prompts.map((prompt) => batcher.submit({ prompt, maxTokens })));
  return { cache, gen, batcher, prompts, results };
}

describe('continuous batching with an elastic KV cache', () => {
  it('a burst whose KV demand exceeds the free pages requires from training and releases when it ends', async () => {
    const gate = new Gate(arena.device);
    // Free: the workspace plus 3 pages (3 blocks = 6 tokens); the burst needs 4 x 10 tokens = 20 blocks.
    const training = new ArenaTraining(arena, gate, 0);
    training.fill((workspacePages + 3) * PAGE);
    const before = training.pages.length;
    const { batcher, results, cache } = await burst(training, 4, 6);
    const m = batcher.metrics;
    console.log(`burst: ${m.requires} requires (${m.requiredBytes / PAGE} pages), ${m.releases} releases (${m.releasedBytes / PAGE} pages), ${m.steps} steps, max ${m.maxRunning} running, peak KV pages ${Math.max(...m.kvPages.map((p) => p[1]))}; TTFT ${results.map((r) => r.ttftMs.toFixed(0)).join('/')} ms, mean TBT ${(results.flatMap((r) => r.tbtMs).reduce((a, b) => a + b, 0) / results.flatMap((r) => r.tbtMs).length).toFixed(1)} ms`);
    expect(results.every((r) => r.tokens.length === 6 && r.stop === 'length')).toBe(true);
    expect(m.requires).toBeGreaterThan(0);
    expect(training.requires.length).toBe(m.requires);
    expect(m.releases).toBeGreaterThan(0);
    expect(m.borrowedBytes).toBe(0);
    expect(training.pages.length).toBe(before); // every borrowed page went back
    expect(cache.stats()).toMatchObject({ pages: 0, liveBlocks: 0 });
    expect(m.maxRunning).toBe(4);
    // Batched tokens equal each request generated alone (greedy).
    const alone = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
    for (const [i, r] of results.entries()) expect(r.tokens).toEqual((await alone.generate(promptOf(4, 40 + i), { maxTokens: 6 })).tokens);
    for (const a of training.pages.splice(0)) arena.free(a);
    arena.reclaim(await gate.drain());
    arena.limitTraining(arena.pageCount);
  }, 90_000);

  it('with training at its minimum, requests queue (counted) and still finish, preempting when a sequence cannot grow', async () => {
    const gate = new Gate(arena.device);
    const training = new ArenaTraining(arena, gate, Infinity); // nothing to give
    training.fill((workspacePages + 6) * PAGE);
    const { batcher, results } = await burst(training, 5, 5);
    const m = batcher.metrics;
    console.log(`at minimum: ${m.queuedAtMinimum} queued at minimum, ${m.preemptions} preemptions, ${m.requires} requires, queued ms ${results.map((r) => r.queuedMs.toFixed(0)).join('/')}`);
    expect(results.every((r) => r.tokens.length === 5)).toBe(true);
    expect(m.queuedAtMinimum).toBeGreaterThan(0);
    expect(m.requires).toBe(0);
    const alone = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
    for (const [i, r] of results.entries()) expect(r.tokens).toEqual((await alone.generate(promptOf(4, 40 + i), { maxTokens: 5 })).tokens);
    for (const a of training.pages.splice(0)) arena.free(a);
    arena.reclaim(await gate.drain());
  }, 90_000);

  it('a prefill budget admits one 4-token prompt a step: first tokens come one step apart, running sequences keep decoding', async () => {
    const { batcher, results } = await burst(new NoTraining(), 3, 3, 4);
    const m = batcher.metrics;
    expect(m.maxStepPrefillTokens).toBe(4);
    expect(m.maxRunning).toBe(3);
    expect(results[0]!.ttftMs).toBeLessThan(results[1]!.ttftMs);
    expect(results[1]!.ttftMs).toBeLessThan(results[2]!.ttftMs);
    const alone = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
    for (const [i, r] of results.entries()) expect(r.tokens).toEqual((await alone.generate(promptOf(4, 40 + i), { maxTokens: 3 })).tokens);
  }, 60_000);

  it('a request that can never fit fails alone with BlocksExhaustedError; the others are served', async () => {
    const cache = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 2, maxPages: 3 }); // 6 tokens at most
    const batcher = new Batcher(new Generator(store, 'gpt', cache), cache, new NoTraining());
    const [big, small] = await Promise.allSettled([batcher.submit({ prompt: promptOf(8, 1), maxTokens: 1 }), batcher.submit({ prompt: promptOf(2, 2), maxTokens: 2 })]);
    expect(big.status === 'rejected' && big.reason).toBeInstanceOf(BlocksExhaustedError);
    expect(small.status === 'fulfilled' && small.value.tokens).toHaveLength(2);
    expect(batcher.metrics.rejected).toBe(1);
    expect(cache.stats().pages).toBe(0);
  }, 60_000);
});
