// The LLM workload: trace token counts scaled to the model's context,
// nearest-rank percentiles, and a small trace replayed against the
// continuous batch with TTFT/TBT percentiles and SLO compliance (SLO = 4x
// the standalone average).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { Batcher } from '../src/llm/batcher.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { GenerateInputError } from '../src/llm/errors.js';
import { Generator } from '../src/llm/generate.js';
import { PagedKvCache } from '../src/llm/kv-cache.js';
import { percentiles, replay, scaleRequests, standalone } from '../src/llm/workload.js';
import { NoTraining } from '../src/sched/systems.js';
import { testDevice } from './helpers/gpu.js';
import { KV_MODEL } from './llm-helpers.js';

let arena: Arena;
let store: ModelStore;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 32 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena);
  store.register('gpt', KV_MODEL);
  await store.load('gpt');
}, 60_000);
afterAll(() => arena?.destroy());

describe('LLM workload', () => {
  it('scales token counts by one factor so the P99 request fits the context, clipping longer ones', () => {
    const trace = [
      { t: 0, contextTokens: 374, generatedTokens: 44 },
      { t: 1, contextTokens: 1000, generatedTokens: 600 },
      { t: 2, contextTokens: 3, generatedTokens: 1 },
    ];
    const { requests, scaling } = scaleRequests(trace, 32);
    expect(scaling.factor).toBeCloseTo(32 / 1600, 12);
    expect(requests.map((r) => [r.prompt.length, r.maxTokens])).toEqual([[7, 1], [20, 12], [1, 1]]);
    expect(requests.every((r) => r.prompt.length + r.maxTokens <= 32 && r.prompt.every((x) => x >= 0 && x < 2048))).toBe(true);
    expect(scaling.text).toMatch(/x0\.0200 .*1600 tokens -> 32 positions/);
    // At the median, the longest request is clipped to the context.
    const median = scaleRequests(trace, 32, { quantile: 0.5 });
    expect(median.scaling.factor).toBeCloseTo(32 / 418, 12);
    expect(median.requests.map((r) => [r.prompt.length, r.maxTokens])).toEqual([[29, 3], [31, 1], [1, 1]]);
    expect(scaleRequests([{ t: 0, contextTokens: 4, generatedTokens: 2 }], 32).scaling.factor).toBe(1);
    expect(() => scaleRequests(trace, 1)).toThrow(GenerateInputError);
  });

  it('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(xs)).toEqual({ n: 100, mean: 50.5, p50: 50, p99: 99 });
    expect(percentiles([7])).toEqual({ n: 1, mean: 7, p50: 7, p99: 7 });
    expect(percentiles([]).n).toBe(0);
  });

  it('replays a small trace against the continuous batch: TTFT and TBT percentiles and SLO compliance', async () => {
    const cache = new PagedKvCache(arena, TINY_GPT_KV);
    const gen = new Generator(store, 'gpt', cache);
    const base = await standalone(gen, [1, 2, 3, 4], 3);
    const slo = { ttftMs: 4 * base.ttftMs, tbtMs: 4 * base.tbtMs };
    const trace = [0, 0.02, 0.04, 0.06, 0.3].map((t, i) => ({ t, contextTokens: 40 + 10 * i, generatedTokens: 30 }));
    const { requests, scaling } = scaleRequests(trace, 12);
    const batcher = new Batcher(gen, cache, new NoTraining(), { maxBatch: 4 });
    const r = await replay(batcher, requests, slo);
    console.log(`workload (${scaling.text}): standalone TTFT ${base.ttftMs.toFixed(1)} ms, TBT ${base.tbtMs.toFixed(1)} ms; replay TTFT p50 ${r.ttft.p50.toFixed(1)} p99 ${r.ttft.p99.toFixed(1)} ms, TBT p50 ${r.tbt.p50.toFixed(1)} p99 ${r.tbt.p99.toFixed(1)} ms; compliance TTFT ${r.ttftCompliance.toFixed(2)} TBT ${r.tbtCompliance.toFixed(2)}; ${r.tokensPerSec.toFixed(1)} tokens/s`);
    expect(r.requests).toBe(5);
    expect(r.ttft.n).toBe(5);
    expect(r.tbt.n).toBe(requests.reduce((n, q) => n + q.maxTokens - 1, 0));
    expect(r.ttft.p50).toBeGreaterThan(0);
    expect(r.ttftCompliance).toBeGreaterThanOrEqual(0);
    expect(r.ttftCompliance).toBeLessThanOrEqual(1);
    expect(r.tbtCompliance).toBeGreaterThanOrEqual(0);
    expect(r.tbtCompliance).toBeLessThanOrEqual(1);
    expect(cache.stats().pages).toBe(0);
  }, 60_000);
});
