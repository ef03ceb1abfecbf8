// The GPT's configuration and parameter layout (nanoGPT's names), and its
// GPT-2 initialisation. Weight-decayed tensors (the 2-D ones) come first and
// the others (LayerNorm gains and biases) after, so AdamW runs as two
// launches over two contiguous ranges.
import { UsageError } from '../../core/errors.js';
import { seeded } from '../data.js';
import { align256 } from '../mlp.js';

export interface GptConfig {
  layers: number;
  /** Embedding width C. */
  width: number;
  heads: number;
  /** Context T (tokens per sample). */
  context: number;
  vocab: number;
  /** Recompute each block's activations in backward instead of keeping them. */
  recompute: boolean;
}

export interface GptHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** AdamW's decoupled weight decay, on 2-D weights only. */
  weightDecay: number;
  /** Global gradient-norm clip (Infinity: none). */
  gradClip: number;
}

export const GPT_HYPER: GptHyper = { lr: 6e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };

export interface Tensor {
  name: string;
  shape: number[];
  /** Byte offset in a parameter-shaped allocation. */
  at: number;
  /** Elements. */
  size: number;
  decay: boolean;
}

export interface BlockTensors {
  ln1w: Tensor; ln1b: Tensor; attnW: Tensor; attnB: Tensor; projW: Tensor; projB: Tensor;
  ln2w: Tensor; ln2b: Tensor; fcW: Tensor; fcB: Tensor; fcProjW: Tensor; fcProjB: Tensor;
}

export interface GptLayout {
  config: GptConfig;
  /** Every tensor in nanoGPT's state_dict order (lm_head is wte: tied). */
  tensors: Tensor[];
  wte: Tensor;
  wpe: Tensor;
  blocks: BlockTensors[];
  lnfW: Tensor;
  lnfB: Tensor;
  /** Bytes of the decayed range [0, decayBytes); the rest up to `bytes` is not decayed. */
  decayBytes: number;
  bytes: number;
  count: number;
}

export function checkGptConfig(c: GptConfig): void {
  for (const k of ['layers', 'width', 'heads', 'context', 'vocab'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new UsageError(`GPT ${k} must be a positive integer, got ${c[k]}`);
  if (c.width % c.heads !== 0) throw new UsageError(`GPT width ${c.width} is not a multiple of heads ${c.heads}`);
  if (c.width / c.heads > 128) throw new UsageError(`GPT head size ${c.width / c.heads} (width / heads) is over 128`);
}

export function gptLayout(config: GptConfig): GptLayout {
  checkGptConfig(config);
  const { layers: L, width: C, context: T, vocab: V } = config;
  const named = (name: string, shape: number[]): Tensor => ({ name, shape, at: 0, size: shape.reduce((a, b) => a * b, 1), decay: shape.length >= 2 });
  const wte = named('transformer.wte.weight', [V, C]);
  const wpe = named('transformer.wpe.weight', [T, C]);
  const blocks: BlockTensors[] = Array.from({ length: L }, (_, l) => {
    const h = `transformer.h.${l}.`;
    return {
      ln1w: named(`${h}ln_1.weight`, [C]), ln1b: named(`${h}ln_1.bias`, [C]),
      attnW: named(`${h}attn.c_attn.weight`, [3 * C, C]), attnB: named(`${h}attn.c_attn.bias`, [3 * C]),
      projW: named(`${h}attn.c_proj.weight`, [C, C]), projB: named(`${h}attn.c_proj.bias`, [C]),
      ln2w: named(`${h}ln_2.weight`, [C]), ln2b: named(`${h}ln_2.bias`, [C]),
      fcW: named(`${h}mlp.c_fc.weight`, [4 * C, C]), fcB: named(`${h}mlp.c_fc.bias`, [4 * C]),
      fcProjW: named(`${h}mlp.c_proj.weight`, [C, 4 * C]), fcProjB: named(`${h}mlp.c_proj.bias`, [C]),
    };
  });
  const lnfW = named('transformer.ln_f.weight', [C]);
  const lnfB = named('transformer.ln_f.bias', [C]);
  const tensors = [wte, wpe, ...blocks.flatMap((b) => Object.values(b) as Tensor[]), lnfW, lnfB];
  let at = 0;
  for (const t of [...tensors.filter((x) => x.decay), ...tensors.filter((x) => !x.decay)]) {
    t.at = at;
    at = align256(at + t.size * 4);
  }
  const decayBytes = Math.max(0, ...tensors.filter((x) => x.decay).map((t) => align256(t.at + t.size * 4)));
  return { config, tensors, wte, wpe, blocks, lnfW, lnfB, decayBytes, bytes: at, count: tensors.reduce((s, t) => s + t.size, 0) };
}

/** A seeded standard normal sampler (Box-Muller over Mulberry32). */
export function gaussian(seed: number): () => number {
  const rand = seeded(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * GPT-2's initialisation (nanoGPT's _init_weights): weights and embeddings
 * N(0, 0.02), the residual projections (attn.c_proj, mlp.c_proj)
 * N(0, 0.02 / sqrt(2 L)), biases 0, LayerNorm gain 1 and bias 0.
 * Returns the whole parameter allocation (padding zero).
 */
export function gptInitialParameters(layout: GptLayout, seed: number): Float32Array {
  const out = new Float32Array(layout.bytes / 4);
  const normal = gaussian(seed);
  const residual = 0.02 / Math.sqrt(2 * layout.config.layers);
  for (const t of layout.tensors) {
    const view = out.subarray(t.at / 4, t.at / 4 + t.size);
    if (t.decay) {
      const std = /c_proj\.weight$/.test(t.name) ? residual : 0.02;
      for (let i = 0; i < t.size; i++) view[i] = normal() * std;
    } else if (/ln_\w+\.weight$/.test(t.name)) view.fill(1);
  }
  return out;
}
