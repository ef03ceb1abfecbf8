// Token + position embedding: forward and its deterministic scatter-add
// backward (docs/gpt-kernels.md).
import { packParams, type Launch } from '../core/device.js';
import { fitsU32, positive, type Buf } from './shape.js';

/** out [B, T, C] = wte[tokens] + wpe[t]; tokens u32 [B, T], wte [V, C], wpe [>= T, C]. */
export function embeddingForward(tokens: Buf, wte: Buf, wpe: Buf, out: Buf, b: number, t: number, c: number, vocab: number): Launch {
  positive('embedding_forward', { b, t, c, vocab });
  fitsU32('embedding_forward', 'out', b * t * c);
  return { kernel: 'embedding_forward', bindings: [tokens, wte, wpe, out], params: packParams([b * t, t, c, vocab]), threads: [b * t * c] };
}

/** The host-built index embedding_backward_wte walks instead of using atomics. */
export interface EmbeddingIndex {
  /** Row ids sorted by token, stable (rows of one token in row order). */
  order: Uint32Array;
  /** segments[u] .. segments[u + 1]: the run of order holding the u-th distinct token; unique + 1 entries. */
  segments: Uint32Array;
  /** Distinct tokens. */
  unique: number;
}

/** Builds the index of a micro-batch's tokens (upload order and segments beside them). */
export function embeddingIndex(tokens: Uint32Array): EmbeddingIndex {
  // A counting sort (stable, O(rows + vocabulary)): on the trainer's host loop every micro-batch. The comparison
  // sort it replaces took about 1 ms for 32 x 128 tokens on the event loop that requests wait for (round 8).
  let top = 0;
  for (const t of tokens) if (t > top) top = t;
  const next = new Uint32Array(top + 2); // next[v]: where token v's next row goes
  for (const t of tokens) next[t + 1]!++;
  const starts: number[] = [];
  for (let v = 0; v <= top; v++) {
    if (next[v + 1]! > 0) starts.push(next[v]!);
    next[v + 1]! += next[v]!;
  }
  starts.push(tokens.length);
  const order = new Uint32Array(tokens.length);
  for (let row = 0; row < tokens.length; row++) order[next[tokens[row]!]!++] = row;
  return { order, segments: Uint32Array.from(starts), unique: starts.length - 1 };
}

/** dwte [V, C] += the rows of dout [N, C] scattered by token; `order`, `segments` are the uploaded index. */
export function embeddingBackwardWte(dout: Buf, tokens: Buf, order: Buf, segments: Buf, dwte: Buf, unique: number, c: number, vocab: number): Launch {
  positive('embedding_backward_wte', { unique, c, vocab });
  fitsU32('embedding_backward_wte', 'dwte', vocab * c);
  return {
    kernel: 'embedding_backward_wte',
    bindings: [dout, tokens, order, segments, dwte],
    params: packParams([unique, c, vocab]),
    threads: [unique * c],
  };
}

/** dwpe [>= T, C] += the sum over the batch of dout [B, T, C]. */
export function embeddingBackwardWpe(dout: Buf, dwpe: Buf, b: number, t: number, c: number): Launch {
  positive('embedding_backward_wpe', { b, t, c });
  fitsU32('embedding_backward_wpe', 'dout', b * t * c);
  return { kernel: 'embedding_backward_wpe', bindings: [dout, dwpe], params: packParams([b, t, c]), threads: [t * c] };
}
