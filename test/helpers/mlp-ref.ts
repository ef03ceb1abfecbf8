// A float64 CPU implementation of the same MLP (Linear-ReLU-...-Linear,
// softmax cross-entropy), for checking the GPU trainer's gradients.
import type { MlpLayout } from '../../src/train/mlp.js';

export interface RefGrads {
  loss: number;
  /** Same layout as the parameter allocation (floats). */
  grad: Float64Array;
}

export function mlpGradRef(layout: MlpLayout, params: Float32Array, x: Float32Array, labels: Uint32Array, scale: number): RefGrads {
  const b = labels.length;
  const L = layout.layers.length;
  const acts: Float64Array[] = [Float64Array.from(x)];
  const pres: Float64Array[] = [];
  for (let i = 0; i < L; i++) {
    const l = layout.layers[i]!;
    const a = acts[i]!;
    const z = new Float64Array(b * l.outF);
    for (let r = 0; r < b; r++)
      for (let o = 0; o < l.outF; o++) {
        let s = params[l.b / 4 + o]!;
        for (let k = 0; k < l.inF; k++) s += a[r * l.inF + k]! * params[l.w / 4 + o * l.inF + k]!;
        z[r * l.outF + o] = s;
      }
    pres.push(z);
    acts.push(i < L - 1 ? z.map((v) => Math.max(v, 0)) : z);
  }
  const C = layout.layers[L - 1]!.outF;
  const logits = pres[L - 1]!;
  let dz = new Float64Array(b * C);
  let loss = 0;
  for (let r = 0; r < b; r++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logits[r * C + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[r * C + c]! - mx);
    loss += Math.log(sum) - (logits[r * C + labels[r]!]! - mx);
    for (let c = 0; c < C; c++) dz[r * C + c] = scale * (Math.exp(logits[r * C + c]! - mx) / sum - (labels[r] === c ? 1 : 0));
  }
  const grad = new Float64Array(layout.bytes / 4);
  for (let i = L - 1; i >= 0; i--) {
    const l = layout.layers[i]!;
    const a = acts[i]!;
    for (let o = 0; o < l.outF; o++) {
      let gb = 0;
      for (let r = 0; r < b; r++) gb += dz[r * l.outF + o]!;
      grad[l.b / 4 + o] = gb;
      for (let k = 0; k < l.inF; k++) {
        let gw = 0;
        for (let r = 0; r < b; r++) gw += dz[r * l.outF + o]! * a[r * l.inF + k]!;
        grad[l.w / 4 + o * l.inF + k] = gw;
      }
    }
    if (i > 0) {
      const prev = pres[i - 1]!;
      const next = new Float64Array(b * l.inF);
      for (let r = 0; r < b; r++)
        for (let k = 0; k < l.inF; k++) {
          let s = 0;
          for (let o = 0; o < l.outF; o++) s += dz[r * l.outF + o]! * params[l.w / 4 + o * l.inF + k]!;
          next[r * l.inF + k] = prev[r * l.inF + k]! > 0 ? s : 0;
        }
      dz = next;
    }
  }
  return { loss: loss / b, grad };
}
