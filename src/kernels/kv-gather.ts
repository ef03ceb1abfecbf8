// Wrapper of shaders/kv_gather.wgsl (CUDA: native-cuda/kv_gather.cu): one
// (layer, k|v) plane of a decoder's padded past [rows, heads, past, headDim]
// gathered from the paged KV cache's token-major blocks through a block table
// on the GPU (src/llm/device-past.ts builds the table and the launches).
import { packParams, type Bindable, type Launch, type Range } from '../core/device.js';
import { InvalidRangeError } from '../core/errors.js';

/** A table entry for a block outside the launch's src range: another launch writes its positions. */
export const KV_SKIP = 0xffffffff;

export interface KvGatherGeometry {
  /** Rows of the padded past (the run's batch, padding rows included). */
  rows: number;
  heads: number;
  /** Positions per row of the padded past. */
  past: number;
  headDim: number;
  blockTokens: number;
  /** Words one token takes in a block: layers x 2 x heads x headDim. */
  tokenWords: number;
  /** Block slots per row in the table. */
  maxBlocks: number;
}

/** Words of a block table for this geometry: the rows' lengths, then rows x maxBlocks block offsets. */
export const kvTableWords = (g: KvGatherGeometry): number => g.rows + g.rows * g.maxBlocks;

/**
 * Writes dst [rows, heads, past, headDim] (float words) from src: row b's
 * position t < table[b] is word planeWord + h * headDim + d of token t % blockTokens
 * of the block at word offset table[rows + b * maxBlocks + t / blockTokens]
 * of src (KV_SKIP: left as it is); positions at or past table[b] are 0.
 */
export function kvGather(table: Range | Bindable, src: Range | Bindable, dst: Range | Bindable, g: KvGatherGeometry, planeWord: number): Launch {
  const n = g.rows * g.heads * g.past * g.headDim;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new InvalidRangeError(`kv_gather: ${n} elements exceed the kernel's u32 index`);
  if (g.blockTokens < 1 || g.maxBlocks * g.blockTokens < g.past) throw new InvalidRangeError(`kv_gather: ${g.maxBlocks} blocks of ${g.blockTokens} tokens cannot cover ${g.past} positions`);
  if (planeWord + g.heads * g.headDim > g.tokenWords) throw new InvalidRangeError(`kv_gather: plane word ${planeWord} is outside a token of ${g.tokenWords} words`);
  return {
    kernel: 'kv_gather',
    bindings: [table, src, dst],
    params: packParams([n, g.heads, g.past, g.headDim, g.blockTokens, g.tokenWords, planeWord, g.maxBlocks, g.rows]),
    threads: [n],
    lane: 'infer',
  };
}
