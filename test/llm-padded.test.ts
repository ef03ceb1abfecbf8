// Padded batching (src/llm/padded.ts): sequences of different cached lengths
// share one run of a decoder with an attention bias input. Checked against a
// float64 CPU forward of the same random weights (test/llm-padded-model.ts),
// on a NaN-poisoned workspace, through the paged KV cache, with prefills and
// decodes mixed and sequences joining mid-way; the blocks on the GPU hold what
// the host mirror holds; the planner's bounds and the bias rows are exact.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import type { KvShape } from '../src/llm/cache.js';
import { Batcher } from '../src/llm/batcher.js';
import { Generator } from '../src/llm/generate.js';
import { NoTraining } from '../src/sched/systems.js';
import { PagedKvCache } from '../src/llm/kv-cache.js';
import { NEG, paddedInputs, planRuns, runShape, type PaddedEntry } from '../src/llm/padded.js';
import { rng, testDevice } from './helpers/gpu.js';
import { argmaxRow } from './llm-helpers.js';
import { randomPaddedGpt, referenceLogits, writePaddedGpt, type PaddedGpt } from './llm-padded-model.js';

const SHAPE: KvShape = { layers: 2, heads: 2, headDim: 8 };
const VOCAB = 37;
let arena: Arena;
let store: ModelStore;
let gpt: PaddedGpt;

beforeAll(async () => {
  gpt = randomPaddedGpt(rng(Date.now() & 0xffff), SHAPE, VOCAB, 96);
  const file = join(mkdtempSync(join(tmpdir(), 'handover-padded-')), 'padded_gpt.onnx');
  writePaddedGpt(gpt, file);
  arena = new Arena(await testDevice(), { bytes: 32 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena, { poison: true });
  store.register('gpt', file);
  await store.load('gpt');
});
afterAll(() => arena?.destroy());

function relErr64(ours: Float32Array, ref: Float64Array): number {
  let d2 = 0;
  let r2 = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = ours[i]! - ref[i]!;
    d2 += Number.isNaN(d) ? Infinity : d * d;
    r2 += ref[i]! ** 2;
  }
  return ours.length === ref.length ? Math.sqrt(d2 / r2) : Infinity;
}

describe('padded batching', () => {
  it('the bias lets row b, token t see its past and new tokens up to t, nothing padded', () => {
    const run = { entries: [{ seq: 1, tokens: [5, 6, 7], past: 2 }, { seq: 2, tokens: [9], past: 0 }], B: 4, T: 4, P: 64 };
    const inp = paddedInputs(run);
    const bias = inp.attn_bias!.data as Float32Array;
    const S = run.P + run.T;
    const open = (b: number, t: number) => Array.from({ length: S }, (_, j) => j).filter((j) => bias[(b * run.T + t) * S + j] === 0);
    expect(open(0, 0)).toEqual([0, 1, 64]);
    expect(open(0, 2)).toEqual([0, 1, 64, 65, 66]);
    expect(open(1, 0)).toEqual([64]);
    expect(open(3, 0)).toEqual([64]); // a padding row sees only its first slot: finite softmax
    expect(bias.every((v) => v === 0 || v === NEG)).toBe(true);
    expect(Array.from(inp.last_index!.data as BigInt64Array, Number)).toEqual([2, 4, 8, 12]);
    expect(Array.from(inp.position_ids!.data as BigInt64Array, Number).slice(0, 4)).toEqual([2, 3, 4, 0]);
  });

  it('planned runs cover every entry once, keep decode and prefill apart and stay within the bounds', () => {
    const entry = fc.record({ n: fc.integer({ min: 1, max: 40 }), past: fc.integer({ min: 0, max: 300 }) });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 64, max: 2048 }), (es, maxBatch, bound) => {
        const entries: PaddedEntry[] = es.map((e, i) => ({ seq: i, tokens: Array(e.n).fill(1), past: e.past }));
        const runs = planRuns(entries, maxBatch, bound);
        expect(runs.flatMap((r) => r.entries.map((e) => e.seq)).sort((a, b) => a - b)).toEqual(entries.map((e) => e.seq));
        for (const r of runs) {
          expect(new Set(r.entries.map((e) => e.tokens.length === 1)).size).toBe(1);
          expect(r.entries.length).toBeLessThanOrEqual(Math.min(maxBatch, r.B));
          expect(r).toMatchObject(runShape(r.entries, maxBatch));
          if (r.entries.length > 1) expect(r.B * Math.max(r.P, r.T)).toBeLessThanOrEqual(bound);
          for (const e of r.entries) expect(e.past <= r.P && e.tokens.length <= r.T).toBe(true);
        }
      }),
      { numRuns: 200, seed: 2026 },
    );
  });

  it('sequences of different lengths decode in one run and equal the float64 forward; blocks hold what the mirror holds', async () => {
    const cache = new PagedKvCache(arena, SHAPE, { blockTokens: 4 });
    const gen = new Generator(store, 'gpt', cache, { vocab: VOCAB, maxPositions: 96, maxBatch: 8, runPositions: 512 });
    expect(gen.isPadded).toBe(true);
    const r = rng(7);
    const prompts = [9, 3, 14, 1, 6].map((n) => Array.from({ length: n }, () => Math.floor(r() * VOCAB)));
    const seqs = prompts.map(() => gen.open());
    const text = prompts.map((p) => [...p]);
    const next: (number[] | null)[] = prompts.map((p, i) => (i < 3 ? p : null)); // two join later
    let worst = 0;
    let runs = 0;
    const origRun = store.run.bind(store);
    store.run = (async (...a: Parameters<ModelStore['run']>) => (runs++, origRun(...a))) as ModelStore['run'];
    try {
      for (let step = 0; step < 6; step++) {
        if (step === 2) (next[3] = prompts[3]!), (next[4] = prompts[4]!);
        const entries = seqs.flatMap((seq, i) => (next[i] ? [{ seq, tokens: next[i]! }] : []));
        const before = runs;
        const logits = await gen.step(entries);
        const kinds = new Set(entries.map((e) => e.tokens.length === 1)).size;
        expect(runs - before).toBe(kinds); // one run for the decodes, one for the prefills: not one per length
        for (const [i, seq] of seqs.entries()) {
          if (!next[i]) continue;
          const row = logits.get(seq)!;
          const ref = referenceLogits(gpt, text[i]!);
          worst = Math.max(worst, relErr64(row, ref[ref.length - 1]!));
          const tok = argmaxRow(row);
          text[i]!.push(tok);
          next[i] = [tok];
        }
      }
      for (const [i, seq] of seqs.entries()) {
        const gpu = await cache.readSequence(seq);
        const past = await cache.past([seq]);
        const { heads: H, headDim: D, layers } = SHAPE;
        const L = cache.length(seq);
        expect(L).toBe(text[i]!.length - 1);
        for (let p = 0; p < layers * 2; p++) {
          const plane = past[`past_${p % 2 === 0 ? 'k' : 'v'}_${p >> 1}`]!.data as Float32Array;
          for (let t = 0; t < L; t++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++)
            expect(gpu[((t * layers * 2 + p) * H + h) * D + d]).toBe(plane[(h * L + t) * D + d]);
        }
      }
    } finally {
      store.run = origRun;
      for (const s of seqs) await cache.end(s);
    }
    console.log(`padded generator: worst relErr vs float64 ${worst.toExponential(2)} over 6 steps of 5 sequences`);
    expect(worst).toBeLessThanOrEqual(1e-4);
    expect(cache.stats()).toMatchObject({ liveBlocks: 0, liveTokens: 0 });
  }, 120_000);

  it('continuous batching over the padded decoder: requests of different lengths arriving apart give the float64 greedy tokens', async () => {
    const cache = new PagedKvCache(arena, SHAPE, { blockTokens: 4 });
    const gen = new Generator(store, 'gpt', cache, { vocab: VOCAB, maxPositions: 96, maxBatch: 4, runPositions: 256 });
    const batcher = new Batcher(gen, cache, new NoTraining(), { maxBatch: 4, maxPrefillTokens: 24 });
    const r = rng(11);
    const prompts = [7, 2, 12, 5, 1, 9].map((n) => Array.from({ length: n }, () => Math.floor(r() * VOCAB)));
    const maxTokens = [5, 8, 3, 6, 7, 4];
    const pending = prompts.map(async (prompt, i) => {
      // Request i arrives once the batcher ran i steps: while the first ones still decode, however fast the device is.
      while (batcher.metrics.steps < i) await new Promise((res) => setTimeout(res, 1));
      return batcher.submit({ prompt, maxTokens: maxTokens[i]! });
    });
    const results = await Promise.all(pending);
    let ties = 0;
    for (const [i, res] of results.entries()) {
      // Greedy decoding with the float64 forward; a near-tie (top two within 1e-4) may break either way in float32.
      const text = [...prompts[i]!];
      for (let k = 0; k < maxTokens[i]!; k++) {
        const row = referenceLogits(gpt, text).at(-1)!;
        const sorted = [...row].sort((a, b) => b - a);
        if (sorted[0]! - sorted[1]! < 1e-4) ties++;
        text.push(res.tokens[k]!);
        expect(row[res.tokens[k]!]).toBeGreaterThanOrEqual(sorted[0]! - 1e-4);
      }
      expect(res.tokens).toHaveLength(maxTokens[i]!);
    }
    expect(batcher.metrics.maxRunning).toBeGreaterThan(1);
    console.log(`padded batcher: ${results.length} requests, ${batcher.metrics.steps} steps, at most ${batcher.metrics.maxRunning} running, ${ties} near-ties`);
    expect(cache.stats()).toMatchObject({ liveBlocks: 0, liveTokens: 0 });
  }, 120_000);
});
