import type { SliceableLaunch } from '../core/cost.js';
import { packParams, type Bindable, type Launch, type Range } from '../core/device.js';

type Buf = Range | Bindable;

/**
 * probs = softmax(logits) per row, loss[r] = -log probs[r, labels[r]]; logits [m, c], labels u32 [m].
 * Rows are independent: the launch can be cut into row slices (the gate's time slicing).
 */
export function softmaxXent(logits: Buf, labels: Buf, probs: Buf, loss: Buf, m: number, c: number): SliceableLaunch {
  const at = (row0: number, rows: number): Launch => ({ kernel: 'softmax_xent', bindings: [logits, labels, probs, loss], params: packParams([m, c, row0, 0]), threads: [rows * 64] });
  return { ...at(0, m), slice: { rows: m, at } };
}

/** dlogits = scale * (probs - onehot(labels)). */
export function softmaxXentBackward(probs: Buf, labels: Buf, dlogits: Buf, m: number, c: number, scale: number): Launch {
  return {
    kernel: 'softmax_xent_backward',
    bindings: [probs, labels, dlogits],
    params: packParams([m, c, { f32: scale }]),
    threads: [m * c],
  };
}
