// AdamW with decoupled weight decay, reading the clip coefficient on the GPU
// (docs/gpt-kernels.md). Its Params are adam's (shaders/adam.wgsl).
import type { Launch } from '../core/device.js';
import { adam, type AdamHyper } from './optimizers.js';
import { KernelShapeError, positive, type Buf } from './shape.js';

/**
 * One torch.optim.AdamW step (t counts from 1) over n parameters, gradient
 * multiplied by clip[1]. Pass weightDecay 0 for tensors that are not decayed.
 */
export function adamw(w: Buf, grad: Buf, m1: Buf, m2: Buf, clip: Buf, n: number, h: AdamHyper, t: number): Launch {
  positive('adamw', { n, t });
  const [b1, b2] = [h.beta1 ?? 0.9, h.beta2 ?? 0.999];
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new KernelShapeError('adamw', `betas must be in [0, 1), got ${b1}, ${b2}`);
  const same = adam(w, grad, m1, m2, n, h, t);
  return { ...same, kernel: 'adamw', bindings: [w, grad, m1, m2, clip] };
}
