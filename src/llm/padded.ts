// Padded batching for a decoder exported with an attention bias input
// (scripts/models/export_tiny_gpt_kv.py with GPT_PADDED=1): sequences of
// different cached lengths share one run. Each row's past is padded to the
// run's past length and its new tokens to the run's token count; the bias
// input [B, 1, T, P+T] masks the padding and the future (0 or NEG), so a row
// attends to exactly its own positions. `last_index` [B] picks the row of
// x [B*T, width] whose logits come out (each row's last real token), so the
// run computes and returns one vocabulary row per sequence, and the model's
// present_* outputs hold only the new tokens' keys and values.
//
// Shapes are bucketed (batch to a power of two, past to a multiple of
// PAST_BUCKET, new tokens to a power of two) so the store's plans and CUDA
// graph recordings are reused from step to step instead of built anew for
// every cached length.
import type { TensorData } from '../infer/store.js';

/** The graph inputs that make a decoder padded-batchable. */
export const BIAS_INPUT = 'attn_bias';
export const LAST_INPUT = 'last_index';

/** Added to a masked score: exp() of it is 0 in float32, and a row of only masked scores still softmaxes to finite values. */
export const NEG = -1e9;

/** Past lengths are padded to a multiple of this. */
export const PAST_BUCKET = 64;

export interface PaddedEntry {
  seq: number;
  tokens: number[];
  /** Tokens cached for the sequence before this step. */
  past: number;
}

export interface PaddedRun {
  entries: PaddedEntry[];
  /** Rows, new tokens per row and past positions per row of the run (padded). */
  B: number;
  T: number;
  P: number;
}

export const nextPow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** The padded shape of a run over `entries` (batch at most `maxBatch` rows where that is not a power of two). */
export function runShape(entries: readonly PaddedEntry[], maxBatch: number): { B: number; T: number; P: number } {
  const n = entries.length;
  const tMax = Math.max(...entries.map((e) => e.tokens.length));
  const pMax = Math.max(...entries.map((e) => e.past));
  return { B: Math.min(nextPow2(n), Math.max(n, maxBatch)), T: tMax === 1 ? 1 : nextPow2(tMax), P: pMax === 0 ? 0 : roundUp(pMax, PAST_BUCKET) };
}

/**
 * The run bound the generation side uses: a quarter of every row at the full
 * context (a decode run of maxBatch rows past a quarter of the context, or a
 * quarter of the rows at the full context), at least two full prompts.
 */
export function defaultRunPositions(maxBatch: number, maxContext: number): number {
  const full = roundUp(maxContext, PAST_BUCKET);
  return Math.max(2 * full, Math.floor(maxBatch / 4) * full);
}

/**
 * Splits a step's entries into runs: decode entries (one token) apart from
 * prefills, each kind sorted by past length, cut so that a run's padded
 * rows x max(past, new) positions stay within `maxPositions` (its workspace
 * bound; an entry larger than that runs alone).
 */
export function planRuns(entries: readonly PaddedEntry[], maxBatch: number, maxPositions: number): PaddedRun[] {
  const runs: PaddedRun[] = [];
  for (const kind of [entries.filter((e) => e.tokens.length === 1), entries.filter((e) => e.tokens.length > 1)]) {
    const sorted = [...kind].sort((a, b) => a.past - b.past || a.tokens.length - b.tokens.length);
    let cur: PaddedEntry[] = [];
    for (const e of sorted) {
      const next = [...cur, e];
      const s = runShape(next, maxBatch);
      if (cur.length > 0 && (next.length > maxBatch || s.B * Math.max(s.P, s.T) > maxPositions)) {
        runs.push({ entries: cur, ...runShape(cur, maxBatch) });
        cur = [e];
      } else cur = next;
    }
    if (cur.length > 0) runs.push({ entries: cur, ...runShape(cur, maxBatch) });
  }
  return runs;
}

/**
 * The run's token inputs: ids and positions (padding: token 0 at position 0),
 * the attention bias (row b, new token t sees its past [0, past_b) and new
 * tokens [0, t]; padding rows see only their first new slot) and the index of
 * each row's last real token in the flattened [B*T] rows.
 */
export function paddedInputs(run: PaddedRun): Record<string, TensorData> {
  const { B, T, P } = run;
  const S = P + T;
  const ids = new BigInt64Array(B * T);
  const pos = new BigInt64Array(B * T);
  const bias = new Float32Array(B * T * S).fill(NEG);
  const last = new BigInt64Array(B);
  for (let b = 0; b < B; b++) {
    const e = run.entries[b];
    const n = e ? e.tokens.length : 1;
    const past = e ? e.past : 0;
    for (let t = 0; t < T; t++) {
      if (e && t < n) {
        ids[b * T + t] = BigInt(e.tokens[t]!);
        pos[b * T + t] = BigInt(past + t);
      }
      const row = (b * T + t) * S;
      bias.fill(0, row, row + past);
      bias.fill(0, row + P, row + P + Math.min(t, n - 1) + 1);
    }
    last[b] = BigInt(b * T + n - 1);
  }
  return {
    input_ids: { type: 'int64', dims: [B, T], data: ids },
    position_ids: { type: 'int64', dims: [B, T], data: pos },
    [BIAS_INPUT]: { type: 'float32', dims: [B, 1, T, S], data: bias },
    [LAST_INPUT]: { type: 'int64', dims: [B], data: last },
  };
}
