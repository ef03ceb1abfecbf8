// What generation needs from a KV cache: each sequence's past keys and values
// as the graph's past_k_l / past_v_l inputs, and the new tokens' slice of
// present_k_l / present_v_l appended after a step. HostKvCache keeps them in
// host arrays (the reference); PagedKvCache keeps them in arena blocks.
import type { DeviceInputs, TensorData } from '../infer/store.js';

/** The attention geometry of a decoder exported with an explicit KV cache. */
export interface KvShape {
  layers: number;
  heads: number;
  headDim: number;
}

/** tiny_gpt_kv.onnx: 2 layers, 4 heads of 32. */
export const TINY_GPT_KV: KvShape = { layers: 2, heads: 4, headDim: 32 };

export const pastName = (kv: 'k' | 'v', layer: number): string => `past_${kv}_${layer}`;
export const presentName = (kv: 'k' | 'v', layer: number): string => `present_${kv}_${layer}`;

export interface KvCache {
  readonly shape: KvShape;
  /** A new, empty sequence. */
  start(seq: number): void;
  /** Tokens cached for the sequence. */
  length(seq: number): number;
  /** Ensures room for `tokens` more (may take blocks); throws before any state changes when it cannot. */
  reserve(seq: number, tokens: number): void;
  /**
   * Past tensors [B, heads, P, headDim] for sequences of equal length P, in order.
   * With `pad`: [pad.rows, heads, pad.P, headDim], row b holding seqs[b]'s cached
   * tokens at [0, length) and finite values after, which the attention bias masks
   * (padded batching, src/llm/padded.ts); valid until the next padded past().
   */
  past(seqs: number[], pad?: { rows: number; P: number }): Promise<Record<string, TensorData>>;
  /** 'device': runs take devicePast() (the keys and values live on the GPU); otherwise past(). */
  readonly pastOn?: 'device' | 'host';
  /**
   * The same past as inputs written on the GPU (a cache whose keys and values
   * live there: PagedKvCache with past 'device'); undefined: use past().
   */
  devicePast?(seqs: number[], pad: { rows: number; P: number }): DeviceInputs;
  /**
   * Appends new tokens from the present tensors [B, heads, L, headDim] (row b is
   * seqs[b]): `tokens` of them (one count for all rows, or one per row), read
   * from position `from` (default L - tokens: a present of past + new).
   */
  append(seqs: number[], present: Record<string, TensorData>, tokens: number | readonly number[], from?: number): Promise<void>;
  /** The sequence ended: its memory goes back (after the GPU is done with it). */
  end(seq: number): Promise<void>;
}

/** Row b's new-token count and where they start in a present tensor of `L` positions. */
export function newTokens(tokens: number | readonly number[], b: number, L: number, from?: number): { n: number; at: number } {
  const n = typeof tokens === 'number' ? tokens : tokens[b]!;
  return { n, at: from ?? L - n };
}

/** Copies positions [from, from+n) of row b of a [B, H, L, D] tensor into `dst` [H, cap, D] at position `at`. */
export function copyTokens(shape: KvShape, src: Float32Array, b: number, srcLen: number, from: number, n: number, dst: Float32Array, dstCap: number, at: number): void {
  const { heads: H, headDim: D } = shape;
  for (let h = 0; h < H; h++) {
    const s = ((b * H + h) * srcLen + from) * D;
    dst.set(src.subarray(s, s + n * D), (h * dstCap + at) * D);
  }
}
