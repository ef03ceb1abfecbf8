// AdamW with decoupled weight decay, reading the clip coefficient on the GPU
// (docs/gpt-kernels.md).
import { packParams, type Launch } from '../core/device.js';
import type { AdamHyper } from './optimizers.js';
import { KernelShapeError, positive, type Buf } from './shape.js';

/**
 * One torch.optim.AdamW step (t counts from 1) over n parameters, gradient
 * multiplied by clip[1]. Pass weightDecay 0 for tensors that are not decayed.
 */
export function adamw(w: Buf, grad: Buf, m1: Buf, m2: Buf, clip: Buf, n: number, h: AdamHyper, t: number): Launch {
  positive('adamw', { n, t });
  const b1 = h.beta1 ?? 0.9;
  const b2 = h.beta2 ?? 0.999;
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new KernelShapeError('adamw', `betas must be in [0, 1), got ${b1}, ${b2}`);
  return {
    kernel: 'adamw',
    bindings: [w, grad, m1, m2, clip],
    params: packParams([
      n,
      0,
      { f32: h.lr },
      { f32: b1 },
      { f32: b2 },
      { f32: h.eps ?? 1e-8 },
      { f32: 1 - b1 ** t },
      { f32: 1 - b2 ** t },
      { f32: h.weightDecay ?? 0 },
    ]),
    threads: [n],
  };
}
