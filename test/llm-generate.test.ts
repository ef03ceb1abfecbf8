// Generation with tiny_gpt_kv through the engine: prefill plus decode steps
// equal one full pass and onnxruntime-node step by step, at batch 1 and with
// sequences of different lengths batched together; greedy and seeded
// sampling; stop on length and on the end token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { GenerateInputError } from '../src/llm/errors.js';
import { Generator } from '../src/llm/generate.js';
import { HostKvCache } from '../src/llm/host-cache.js';
import { testDevice } from './helpers/gpu.js';
import { argmaxRow, checkSteps, KV_MODEL, ortSteps, promptOf } from './llm-helpers.js';

let arena: Arena;
let gen: Generator;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 64 << 20, pageBytes: 64 << 10 });
  const store = new ModelStore(arena, { poison: true });
  store.register('gpt', KV_MODEL);
  await store.load('gpt');
  gen = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
}, 60_000);
afterAll(() => arena?.destroy());

describe('generation (prefill + decode steps)', () => {
  it('batch 1: prefill + 3 decode steps equal one full pass and onnxruntime step by step', async () => {
    const r = await checkSteps(gen, [promptOf(5, 1)], 3);
    console.log(`batch 1: relErr vs onnxruntime ${r.vsOrt.toExponential(2)}, vs full pass ${r.vsFullPass.toExponential(2)}`);
    expect(r.vsOrt).toBeLessThanOrEqual(1e-4);
    expect(r.vsFullPass).toBeLessThanOrEqual(1e-4);
  }, 60_000);

  it('sequences of lengths 3, 3 and 6 batched together (equal lengths share a run) match onnxruntime at batch 1', async () => {
    const r = await checkSteps(gen, [promptOf(3, 2), promptOf(3, 3), promptOf(6, 4)], 2);
    console.log(`batched: relErr vs onnxruntime ${r.vsOrt.toExponential(2)}, vs full pass ${r.vsFullPass.toExponential(2)}`);
    expect(r.vsOrt).toBeLessThanOrEqual(1e-4);
    expect(r.vsFullPass).toBeLessThanOrEqual(1e-4);
  }, 60_000);

  it('greedy generate gives onnxruntime greedy tokens; stops on length and on the end token', async () => {
    const prompt = promptOf(4, 5);
    const res = await gen.generate(prompt, { maxTokens: 3 });
    expect(res.stop).toBe('length');
    expect(res.tokens).toHaveLength(3);
    const ref = await ortSteps([prompt, ...res.tokens.slice(0, 2).map((t) => [t])]);
    expect(res.tokens).toEqual(ref.map((l) => argmaxRow(l.subarray(l.length - 2048))));
    expect(res.ttftMs).toBeGreaterThan(0);
    expect(res.tbtMs).toHaveLength(2);
    const cut = await gen.generate(prompt, { maxTokens: 3, endToken: res.tokens[1] });
    expect(cut).toMatchObject({ stop: 'end', tokens: res.tokens.slice(0, 2) });
  }, 60_000);

  it('seeded sampling repeats with its seed; top-k 1 is greedy', async () => {
    const prompt = promptOf(3, 6);
    const a = await gen.generate(prompt, { maxTokens: 2, temperature: 1.5, topK: 50, seed: 7 });
    const b = await gen.generate(prompt, { maxTokens: 2, temperature: 1.5, topK: 50, seed: 7 });
    expect(b.tokens).toEqual(a.tokens);
    const greedy = await gen.generate(prompt, { maxTokens: 2 });
    expect((await gen.generate(prompt, { maxTokens: 2, temperature: 1, topK: 1, seed: 3 })).tokens).toEqual(greedy.tokens);
  }, 60_000);

  it('bad prompts and options are GenerateInputErrors', async () => {
    await expect(gen.generate([], { maxTokens: 1 })).rejects.toBeInstanceOf(GenerateInputError);
    await expect(gen.generate([5000], { maxTokens: 1 })).rejects.toThrow(/vocabulary/);
    await expect(gen.generate([1], { maxTokens: 600 })).rejects.toThrow(/positions/);
    await expect(gen.generate([1], { maxTokens: 1, temperature: -1 })).rejects.toBeInstanceOf(GenerateInputError);
  });
});
