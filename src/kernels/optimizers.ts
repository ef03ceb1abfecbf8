// Model-update kernels, with torch.optim's semantics.
import { packParams, type Bindable, type Launch, type Range } from '../core/device.js';

type Buf = Range | Bindable;

export interface SgdHyper {
  lr: number;
  momentum: number;
  weightDecay?: number;
}

/** One SGD-with-momentum step over n parameters. `first` seeds the velocity with the gradient. */
export function sgdMomentum(w: Buf, grad: Buf, vel: Buf, n: number, h: SgdHyper, first: boolean): Launch {
  return {
    kernel: 'sgd_momentum',
    bindings: [w, grad, vel],
    params: packParams([n, first ? 1 : 0, { f32: h.lr }, { f32: h.momentum }, { f32: h.weightDecay ?? 0 }]),
    threads: [n],
  };
}

export interface AdamHyper {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** One Adam step (t counts from 1) over n parameters. */
export function adam(w: Buf, grad: Buf, m1: Buf, m2: Buf, n: number, h: AdamHyper, t: number): Launch {
  const b1 = h.beta1 ?? 0.9;
  const b2 = h.beta2 ?? 0.999;
  return {
    kernel: 'adam',
    bindings: [w, grad, m1, m2],
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
