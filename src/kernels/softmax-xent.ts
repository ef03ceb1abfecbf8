import { packParams, type Bindable, type Launch, type Range } from '../core/device.js';

type Buf = Range | Bindable;

/** probs = softmax(logits) per row, loss[r] = -log probs[r, labels[r]]; logits [m, c], labels u32 [m]. */
export function softmaxXent(logits: Buf, labels: Buf, probs: Buf, loss: Buf, m: number, c: number): Launch {
  return { kernel: 'softmax_xent', bindings: [logits, labels, probs, loss], params: packParams([m, c]), threads: [m * 64] };
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
