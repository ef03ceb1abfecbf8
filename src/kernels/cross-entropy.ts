// Softmax cross-entropy over a large vocabulary: per-row loss and logsumexp,
// the fused in-place backward, and the mean (docs/gpt-kernels.md).
import { packParams, type Launch } from '../core/device.js';
import { fitsU32, positive, type Buf } from './shape.js';

/** A target that is not one (padding): loss 0, gradient 0. */
export const IGNORE_TARGET = 0xffffffff;

/** loss [n] and lse [n] for logits [n, v] and u32 targets [n]. */
export function crossEntropyForward(logits: Buf, targets: Buf, loss: Buf, lse: Buf, n: number, v: number): Launch {
  positive('cross_entropy_forward', { n, v });
  fitsU32('cross_entropy_forward', 'logits', n * v);
  return { kernel: 'cross_entropy_forward', bindings: [logits, targets, loss, lse], params: packParams([n, v]), threads: [n * 256] };
}

/** Overwrites logits [n, v] with dlogits = scale (softmax - onehot(targets)), from forward's lse. */
export function crossEntropyBackward(logits: Buf, targets: Buf, lse: Buf, n: number, v: number, scale: number): Launch {
  positive('cross_entropy_backward', { n, v });
  fitsU32('cross_entropy_backward', 'logits', n * v);
  return {
    kernel: 'cross_entropy_backward',
    bindings: [logits, targets, lse],
    params: packParams([n, v, { f32: scale }]),
    threads: [n * v],
  };
}

/** out[0] = alpha * sum(x[0 .. n]) (the mean loss: alpha = 1 / target tokens). */
export function sumScaled(x: Buf, out: Buf, n: number, alpha: number): Launch {
  positive('sum_scaled', { n });
  return { kernel: 'sum_scaled', bindings: [x, out], params: packParams([n, { f32: alpha }]), threads: [256] };
}
