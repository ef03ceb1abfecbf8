// The elastic part of training memory: one micro-batch's activations and
// gradients, laid out per sample count b in one training allocation.
import type { Bindable } from '../core/device.js';
import type { ActivationMemory } from './activation-memory.js';
import { align256, type MlpLayout } from './mlp.js';
import { largestFitting } from './model.js';

export interface ActivationViews {
  b: number;
  input: Bindable; // [b, in]
  labels: Bindable; // u32 [b]
  /** Pre-activations Z_l [b, out_l] per layer; the last is the logits. */
  pre: Bindable[];
  /** Post-activations A_l = relu(Z_l) for hidden layers. */
  post: Bindable[];
  probs: Bindable;
  loss: Bindable;
  /** Two ping-pong gradient buffers [b, widest]. */
  gradA: Bindable;
  gradB: Bindable;
}

/** The byte sizes of the views, in allocation order. */
export function activationPlan(layout: MlpLayout, b: number): number[] {
  const widest = Math.max(...layout.sizes);
  const classes = layout.sizes[layout.sizes.length - 1]!;
  const hidden = layout.sizes.slice(1, -1);
  return [
    b * layout.sizes[0]! * 4,
    b * 4,
    ...layout.sizes.slice(1).map((w) => b * w * 4),
    ...hidden.map((w) => b * w * 4),
    b * classes * 4,
    b * 4,
    b * widest * 4,
    b * widest * 4,
  ];
}

/** Bytes of the activation allocation for b samples (with alignment padding). */
export function activationBytes(layout: MlpLayout, b: number): number {
  return activationPlan(layout, b).reduce((s, n) => s + align256(n), 0);
}

/** The largest b whose activations fit in `bytes` (0 when none fits). */
export function largestMicroBatch(layout: MlpLayout, bytes: number, cap: number): number {
  return largestFitting((b) => activationBytes(layout, b), bytes, cap);
}

export function activationViews(layout: MlpLayout, b: number, a: ActivationMemory): ActivationViews {
  const s = activationPlan(layout, b);
  let at = 0;
  const next = (i: number): Bindable => {
    const v = a.view(at, s[i]!);
    at += align256(s[i]!);
    return v;
  };
  const L = layout.layers.length;
  const input = next(0);
  const labels = next(1);
  const pre = Array.from({ length: L }, (_, l) => next(2 + l));
  const post = Array.from({ length: L - 1 }, (_, l) => next(2 + L + l));
  const probs = next(2 + 2 * L - 1);
  const loss = next(2 + 2 * L);
  const gradA = next(3 + 2 * L);
  const gradB = next(4 + 2 * L);
  return { b, input, labels, pre, post, probs, loss, gradA, gradB };
}
