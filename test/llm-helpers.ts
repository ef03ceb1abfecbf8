// Shared by the LLM suites: the tiny_gpt_kv fixture and onnxruntime-node run
// step by step (its own presents fed back as the next pasts), the oracle.
import { fileURLToPath } from 'node:url';
import { loadOrt } from '../src/infer/ort.js';
import type { TensorData } from '../src/infer/store.js';
import { pastName, presentName, TINY_GPT_KV } from '../src/llm/cache.js';

export const KV_MODEL = fileURLToPath(new URL('./fixtures/tiny_gpt_kv.onnx', import.meta.url));
export const VOCAB = 2048;

type Session = { run(feeds: Record<string, unknown>): Promise<Record<string, { dims: readonly number[]; data: unknown }>> };
let session: Promise<Session> | null = null;

/**
 * onnxruntime's logits for each step of one sequence at batch 1: the prompt
 * first, then one token per step; returns one Float32Array [T * vocab] per step.
 */
export async function ortSteps(steps: number[][]): Promise<Float32Array[]> {
  const ort = await loadOrt();
  session ??= ort.InferenceSession.create(KV_MODEL) as Promise<Session>;
  const s = await session;
  const { heads: H, headDim: D, layers } = TINY_GPT_KV;
  let past: Record<string, TensorData> = {};
  for (let l = 0; l < layers; l++) for (const kv of ['k', 'v'] as const) past[pastName(kv, l)] = { type: 'float32', dims: [1, H, 0, D], data: new Float32Array(0) };
  let P = 0;
  const out: Float32Array[] = [];
  for (const tokens of steps) {
    const T = tokens.length;
    const feeds: Record<string, unknown> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, T]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.map((_, t) => BigInt(P + t))), [1, T]),
    };
    for (const [k, t] of Object.entries(past)) feeds[k] = new ort.Tensor('float32', t.data, t.dims);
    const res = await s.run(feeds);
    out.push(res.logits!.data as Float32Array);
    const next: Record<string, TensorData> = {};
    for (let l = 0; l < layers; l++) for (const kv of ['k', 'v'] as const) {
      const r = res[presentName(kv, l)]!;
      next[pastName(kv, l)] = { type: 'float32', dims: [...r.dims], data: r.data as Float32Array };
    }
    past = next;
    P += T;
  }
  return out;
}

export function relErr(ours: Float32Array, ref: Float32Array): number {
  if (ours.length !== ref.length) return Infinity;
  let d2 = 0;
  let r2 = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = ours[i]! - ref[i]!;
    d2 += Number.isNaN(d) ? Infinity : d * d;
    r2 += ref[i]! * ref[i]!;
  }
  return Math.sqrt(d2 / r2);
}

export function argmaxRow(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Seeded prompt tokens. */
export function promptOf(len: number, seed: number): number[] {
  let a = seed * 2654435761 >>> 0;
  return Array.from({ length: len }, () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) >>> 8) % VOCAB);
}

export interface StepCheck {
  /** Worst relErr of our step logits against onnxruntime's step-by-step logits. */
  vsOrt: number;
  /** Worst relErr of our step logits against our own one full pass. */
  vsFullPass: number;
  /** Tokens decoded per sequence (greedy). */
  decoded: number[][];
}

/**
 * Prefills the prompts together (one run per equal length), decodes `steps`
 * greedy tokens for all of them in each step, and compares every step's
 * logits with onnxruntime step by step at batch 1 and with one full pass.
 */
export async function checkSteps(gen: import('../src/llm/generate.js').Generator, prompts: number[][], steps: number): Promise<StepCheck> {
  const seqs = prompts.map(() => gen.open());
  const ours: Float32Array[][] = prompts.map(() => []);
  const decoded: number[][] = prompts.map(() => []);
  let entries = seqs.map((seq, i) => ({ seq, tokens: prompts[i]! }));
  for (let s = 0; s <= steps; s++) {
    const logits = await gen.step(entries);
    entries = seqs.map((seq, i) => {
      const l = logits.get(seq)!;
      ours[i]!.push(l);
      const tok = argmaxRow(gen.lastRow(l));
      decoded[i]!.push(tok);
      return { seq, tokens: [tok] };
    });
  }
  let vsOrt = 0;
  let vsFullPass = 0;
  for (const [i, prompt] of prompts.entries()) {
    const toks = decoded[i]!.slice(0, steps);
    const ref = await ortSteps([prompt, ...toks.map((t) => [t])]);
    ref.forEach((r, s) => (vsOrt = Math.max(vsOrt, relErr(ours[i]![s]!, r))));
    const full = gen.open();
    const all = (await gen.step([{ seq: full, tokens: [...prompt, ...toks] }])).get(full)!;
    await gen.cache.end(full);
    const concat = new Float32Array(all.length);
    let at = 0;
    for (const l of ours[i]!) (concat.set(l, at), (at += l.length));
    vsFullPass = Math.max(vsFullPass, relErr(concat, all));
  }
  for (const seq of seqs) await gen.cache.end(seq);
  return { vsOrt, vsFullPass, decoded };
}

/**
 * Loads the KV model into `arena` as 'gpt', compiles it with a burst of four
 * 4-token prefills (plus `decodeSteps` one-token steps) and returns the
 * largest run workspace, in pages, that the burst allocated.
 */
export async function loadKvModel(arena: import('../src/core/arena.js').Arena, seed: number, decodeSteps = 0): Promise<{ store: import('../src/infer/store.js').ModelStore; workspacePages: number }> {
  const { ModelStore } = await import('../src/infer/store.js');
  const { Generator } = await import('../src/llm/generate.js');
  const { HostKvCache } = await import('../src/llm/host-cache.js');
  const store = new ModelStore(arena);
  store.register('gpt', KV_MODEL);
  await store.load('gpt');
  let workspacePages = 0;
  const off = arena.onEvent((e) => {
    if (e.kind === 'allocate' && e.owner === 'infer') workspacePages = Math.max(workspacePages, e.pages);
  });
  const gen = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
  const seqs = [1, 2, 3, 4].map(() => gen.open());
  await gen.step(seqs.map((seq, i) => ({ seq, tokens: promptOf(4, seed + i) })));
  for (let k = 0; k < decodeSteps; k++) await gen.step(seqs.map((seq) => ({ seq, tokens: [1] })));
  for (const s of seqs) await gen.cache.end(s);
  off();
  return { store, workspacePages };
}

/** A fresh arena of `bytes` in pages of `pageBytes` on the test device, with the KV model loaded and its run workspace measured (loadKvModel). */
export async function kvArena(bytes: number, pageBytes: number, seed: number, decodeSteps = 0) {
  const { Arena } = await import('../src/core/arena.js');
  const { testDevice } = await import('./helpers/gpu.js');
  const arena = new Arena(await testDevice(), { bytes, pageBytes });
  return { arena, ...(await loadKvModel(arena, seed, decodeSteps)) };
}

/**
 * The KV model served as 'gpt' from a fresh 32 MiB arena: the store, a
 * continuous batch over a paged cache (no training), a host-cache generator
 * to compare with, and a server (not listening) with the batch as 'gpt'.
 */
export async function servedGpt() {
  const { Arena } = await import('../src/core/arena.js');
  const { testDevice } = await import('./helpers/gpu.js');
  const { createServer } = await import('../src/serve/server.js');
  const arena = new Arena(await testDevice(), { bytes: 32 << 20, pageBytes: 64 << 10 });
  const { ModelStore } = await import('../src/infer/store.js');
  const { Batcher } = await import('../src/llm/batcher.js');
  const { Generator } = await import('../src/llm/generate.js');
  const { HostKvCache } = await import('../src/llm/host-cache.js');
  const { PagedKvCache } = await import('../src/llm/kv-cache.js');
  const { NoTraining } = await import('../src/sched/systems.js');
  const store = new ModelStore(arena);
  store.register('gpt', KV_MODEL);
  await store.load('gpt');
  const cache = new PagedKvCache(arena, TINY_GPT_KV);
  const batcher = new Batcher(new Generator(store, 'gpt', cache), cache, new NoTraining());
  const alone = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
  const app = createServer({ store, arena, generative: new Map([['gpt', batcher]]) });
  return { arena, store, batcher, alone, app };
}
