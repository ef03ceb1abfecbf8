// The MLP's forward and backward passes as lists of kernel launches. The
// trainer feeds them through the gate one operator at a time.
import type { Bindable, Launch } from '../core/device.js';
import type { TrainAllocation } from '../core/allocation.js';
import { biasAdd, relu, reluBackward } from '../kernels/elementwise.js';
import { matmul } from '../kernels/matmul.js';
import { reduceRows } from '../kernels/reduce-rows.js';
import { softmaxXent, softmaxXentBackward } from '../kernels/softmax-xent.js';
import type { ActivationViews } from './activations.js';
import type { MlpLayout } from './mlp.js';

export interface ParamViews {
  w: Bindable[];
  b: Bindable[];
}

export function paramViews(layout: MlpLayout, a: TrainAllocation): ParamViews {
  return {
    w: layout.layers.map((l) => a.view(l.w, l.inF * l.outF * 4)),
    b: layout.layers.map((l) => a.view(l.b, l.outF * 4)),
  };
}

/** Forward: Z_l = A_{l-1} W_l^T + b_l, A_l = relu(Z_l); then softmax cross-entropy. */
export function forward(layout: MlpLayout, p: ParamViews, act: ActivationViews, withLoss = true): Launch[] {
  const out: Launch[] = [];
  const b = act.b;
  const L = layout.layers.length;
  layout.layers.forEach((l, i) => {
    const x = i === 0 ? act.input : act.post[i - 1]!;
    out.push(matmul({ a: x, b: p.w[i]!, c: act.pre[i]!, m: b, n: l.outF, k: l.inF, transB: true }));
    out.push(biasAdd(act.pre[i]!, p.b[i]!, b, l.outF));
    if (i < L - 1) out.push(relu(act.pre[i]!, act.post[i]!, b * l.outF));
  });
  if (withLoss) {
    const classes = layout.layers[L - 1]!.outF;
    out.push(softmaxXent(act.pre[L - 1]!, act.labels, act.probs, act.loss, b, classes));
  }
  return out;
}

/**
 * Backward into the micro-batch gradient g (overwritten, beta = 0).
 * `scale` is 1 / (samples in the effective batch), so committed micro-batch
 * gradients add up to the gradient of the batch mean loss.
 */
export function backward(layout: MlpLayout, p: ParamViews, g: ParamViews, act: ActivationViews, scale: number): Launch[] {
  const out: Launch[] = [];
  const b = act.b;
  const L = layout.layers.length;
  const classes = layout.layers[L - 1]!.outF;
  const dZ = act.gradA;
  const spare = act.gradB;
  out.push(softmaxXentBackward(act.probs, act.labels, dZ, b, classes, scale));
  for (let i = L - 1; i >= 0; i--) {
    const l = layout.layers[i]!;
    const x = i === 0 ? act.input : act.post[i - 1]!;
    // dW_l = dZ_l^T A_{l-1};  db_l = sum over the batch of dZ_l.
    out.push(matmul({ a: dZ, b: x, c: g.w[i]!, m: l.outF, n: l.inF, k: b, transA: true }));
    out.push(reduceRows(dZ, g.b[i]!, b, l.outF));
    if (i > 0) {
      // dA_{l-1} = dZ_l W_l;  dZ_{l-1} = dA_{l-1} * (Z_{l-1} > 0).
      out.push(matmul({ a: dZ, b: p.w[i]!, c: spare, m: b, n: l.inF, k: l.outF }));
      out.push(reluBackward(act.pre[i - 1]!, spare, dZ, b * l.inF));
    }
  }
  return out;
}
