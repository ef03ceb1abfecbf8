// The KV plan's deferral bound and the batcher's close, beside a scripted
// trainer whose micro-batch boundary comes every 400 ms (test/llm-boundary-
// training.ts): pages asked at its boundary are slow to come, so a burst's
// admissions wait for them. With a 30 ms bound each waits at most about the
// bound and then REQUIREs its pages (discarding training's micro-batch);
// without one they wait for the boundary. Either way every request ends with
// the tokens it gets alone. After close(), the plan's idle timer gives
// nothing back (the system stops training next).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import type { ModelStore } from '../src/infer/store.js';
import { Batcher, type BatcherOptions } from '../src/llm/batcher.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { GenerateInputError } from '../src/llm/errors.js';
import { Generator } from '../src/llm/generate.js';
import { HostKvCache } from '../src/llm/host-cache.js';
import { PagedKvCache } from '../src/llm/kv-cache.js';
import { BoundaryTraining, expectScriptTokens, PAGE, Timed } from './llm-boundary-training.js';
import { kvArena, promptOf } from './llm-helpers.js';

/** A generator that keeps its longest step. */
class TimedGenerator extends Timed(Generator) {}

let arena: Arena;
let store: ModelStore;
let workspacePages = 0;

beforeAll(async () => {
  ({ arena, store, workspacePages } = await kvArena(24 << 20, PAGE, 40));
  await new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV)).generate(promptOf(4, 1), { maxTokens: 2 }); // kernels compiled before the timed steps
}, 60_000);
afterAll(() => arena?.destroy());

// [arrival ms, prompt tokens, most new tokens]: a burst, a pair, a burst.
const SCRIPT: [number, number, number][] = [[0, 4, 5], [0, 3, 6], [0, 4, 4], [30, 2, 6], [30, 4, 3], [90, 3, 5], [90, 4, 6], [90, 1, 5]];
const BOUND_MS = 30;

async function play(periodMs: number, opts: BatcherOptions) {
  const training = new BoundaryTraining(arena, new Gate(arena.device), 0, periodMs);
  training.fill(workspacePages);
  const cache = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 2, headroomBytes: workspacePages * PAGE });
  const gen = new TimedGenerator(store, 'gpt', cache);
  const batcher = new Batcher(gen, cache, training, { maxBatch: 4, watermarkBytes: 2 * PAGE, ...opts });
  const results = await Promise.all(SCRIPT.map(([at, p, m], i) => new Promise<void>((r) => setTimeout(r, at)).then(() => batcher.submit({ prompt: promptOf(p, 40 + i), maxTokens: m }))));
  return { training, cache, gen, batcher, results };
}

describe('the KV plan\'s deferral bound', () => {
  it('with a 30 ms bound an admission waits at most about the bound for pages on their way, then requires them; the same tokens', async () => {
    const run = await play(400, { maxDeferMs: BOUND_MS, plan: { horizonMs: 100, rateTauMs: 100, releaseAfterMs: 1e6 } });
    const m = run.batcher.metrics;
    console.log(`bound ${BOUND_MS} ms: ${m.deferredAdmissions} deferred admission steps, ${m.deferralsExpired} expired, longest wait ${m.maxDeferWaitMs.toFixed(1)} ms (longest step ${run.gen.maxStepMs.toFixed(1)} ms), ${m.requires} requires, ${run.training.discards} discards, ${m.yields} deferred requires`);
    try {
      expect(run.results.every((r, i) => r.tokens.length === SCRIPT[i]![2] && r.stop === 'length')).toBe(true);
      expect(m.deferredAdmissions).toBeGreaterThan(0);
      expect(m.deferralsExpired).toBeGreaterThan(0);
      // Deferred only while the next check (a step like the last, or the 10 ms stall) falls within the bound;
      // a longer step than the last, or a late timer, can pass it by that much.
      expect(m.maxDeferWaitMs).toBeLessThanOrEqual(BOUND_MS + run.gen.maxStepMs + 25);
      expect(m.requires).toBeGreaterThanOrEqual(1);
      expect(run.training.discards).toBeLessThanOrEqual(m.requires);
      expect(run.cache.stats()).toMatchObject({ pages: 0, liveBlocks: 0 });
      await expectScriptTokens(store, SCRIPT, 40, run.results);
    } finally {
      await run.batcher.close();
      await run.training.stop();
    }
  }, 120_000);

  it('without a bound the admissions wait for training\'s boundary: no require, no discard, waits far past 30 ms; the same tokens', async () => {
    const run = await play(400, { maxDeferMs: 60_000, plan: { horizonMs: 100, rateTauMs: 100, releaseAfterMs: 1e6 } });
    const m = run.batcher.metrics;
    console.log(`no bound: ${m.deferredAdmissions} deferred admission steps, longest wait ${m.maxDeferWaitMs.toFixed(1)} ms (longest step ${run.gen.maxStepMs.toFixed(1)} ms), ${m.requires} requires, ${run.training.discards} discards`);
    try {
      expect(m.requires).toBe(0);
      expect(run.training.discards).toBe(0);
      expect(m.deferralsExpired).toBe(0);
      expect(m.maxDeferWaitMs).toBeGreaterThan(4 * BOUND_MS); // about the boundary's 400 ms
      await expectScriptTokens(store, SCRIPT, 40, run.results);
    } finally {
      await run.batcher.close();
      await run.training.stop();
    }
  }, 120_000);

  it('close() serves what was submitted, then refuses requests, and the plan\'s idle timer gives nothing back', async () => {
    const run = await play(15, { maxDeferMs: BOUND_MS, plan: { horizonMs: 100, rateTauMs: 100, releaseAfterMs: 60 } });
    const m = run.batcher.metrics;
    try {
      expect(m.borrowedBytes).toBeGreaterThan(2 * PAGE); // the loan beyond W that the idle timer would give back
      await run.batcher.close();
      const releases = run.training.releases;
      const borrowed = m.borrowedBytes;
      await new Promise((r) => setTimeout(r, 400)); // several releaseAfterMs
      expect(run.training.releases).toBe(releases);
      expect(m.borrowedBytes).toBe(borrowed);
      expect(() => run.batcher.submit({ prompt: promptOf(2, 1), maxTokens: 1 })).toThrow(GenerateInputError);
      await expectScriptTokens(store, SCRIPT, 40, run.results);
    } finally {
      await run.training.stop();
    }
  }, 120_000);
});
