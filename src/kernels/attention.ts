// Causal multi-head self-attention for training, flash-style: forward saves
// the logsumexp per query row, backward recomputes the probabilities
// (docs/gpt-kernels.md). qkv [B, T, 3C], y and dy [B, T, C], lse and delta [B, H, T].
import { packParams, type Launch } from '../core/device.js';
import { KernelShapeError, fitsU32, positive, type Buf } from './shape.js';

/** The largest head dimension the kernels hold in registers. */
export const MAX_HEAD_DIM = 128;

function attentionParams(kernel: string, b: number, t: number, h: number, d: number): { params: ArrayBuffer; threads: [number, number] } {
  positive(kernel, { b, t, h, d });
  if (d > MAX_HEAD_DIM) throw new KernelShapeError(kernel, `head dimension ${d} is over ${MAX_HEAD_DIM}`);
  if (b * h > 65535) throw new KernelShapeError(kernel, `batch x heads = ${b * h} is over 65535 (one grid row each)`);
  fitsU32(kernel, 'qkv', b * t * 3 * h * d);
  return { params: packParams([b, t, h, d, { f32: 1 / Math.sqrt(d) }]), threads: [t, b * h] };
}

/** y [B, T, C] and lse [B, H, T] from qkv [B, T, 3C]; C = h * d. */
export function attentionForward(qkv: Buf, y: Buf, lse: Buf, b: number, t: number, h: number, d: number): Launch {
  return { kernel: 'attention_forward', bindings: [qkv, y, lse], ...attentionParams('attention_forward', b, t, h, d) };
}

/** The q columns of dqkv, and delta [B, H, T] = rowsum(dy * y) per head. */
export function attentionBackwardDq(qkv: Buf, y: Buf, dy: Buf, lse: Buf, dqkv: Buf, delta: Buf, b: number, t: number, h: number, d: number): Launch {
  return { kernel: 'attention_backward_dq', bindings: [qkv, y, dy, lse, dqkv, delta], ...attentionParams('attention_backward_dq', b, t, h, d) };
}

/** The k and v columns of dqkv; runs after attentionBackwardDq (reads delta). */
export function attentionBackwardDkv(qkv: Buf, dy: Buf, lse: Buf, delta: Buf, dqkv: Buf, b: number, t: number, h: number, d: number): Launch {
  return { kernel: 'attention_backward_dkv', bindings: [qkv, dy, lse, delta, dqkv], ...attentionParams('attention_backward_dkv', b, t, h, d) };
}

/** Both backward launches, in order: dqkv [B, T, 3C] overwritten; delta is scratch [B, H, T]. */
export function attentionBackward(qkv: Buf, y: Buf, dy: Buf, lse: Buf, dqkv: Buf, delta: Buf, b: number, t: number, h: number, d: number): Launch[] {
  return [attentionBackwardDq(qkv, y, dy, lse, dqkv, delta, b, t, h, d), attentionBackwardDkv(qkv, dy, lse, delta, dqkv, b, t, h, d)];
}
