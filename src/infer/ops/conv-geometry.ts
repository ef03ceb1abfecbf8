// Spatial geometry of Conv, ConvTranspose and the pools: kernel, strides,
// dilations, begin/end pads (auto_pad resolved) and output sizes per axis.
import type { OnnxNode } from '../../onnx/graph.js';

export interface Axis {
  in: number;
  k: number;
  s: number;
  d: number;
  pb: number;
  pe: number;
  out: number;
}

function attrs(n: OnnxNode, rank: number, kernel: number[]) {
  const strides = n.ints('strides') ?? kernel.map(() => 1);
  const dil = n.ints('dilations') ?? kernel.map(() => 1);
  const pads = n.ints('pads') ?? kernel.flatMap(() => [0]).concat(kernel.map(() => 0));
  if (strides.length !== rank || dil.length !== rank || pads.length !== 2 * rank)
    throw n.fail(`strides [${strides}], dilations [${dil}] and pads [${pads}] must have ${rank}, ${rank} and ${2 * rank} entries`);
  // ONNX Runtime refuses these at session creation; a zero-size window would read nothing (MaxPool: -FLT_MAX).
  if (kernel.some((k) => !Number.isInteger(k) || k < 1)) throw n.fail(`kernel_shape [${kernel}] must hold positive integers`);
  if (strides.some((s) => s < 1) || dil.some((d) => d < 1) || pads.some((p) => p < 0)) throw n.fail('strides and dilations must be >= 1 and pads >= 0');
  return { strides, dil, pads, autoPad: n.string('auto_pad', 'NOTSET') };
}

/** Conv and pooling: out = floor or ceil((in + pads - effective kernel) / stride) + 1. */
export function forwardAxes(n: OnnxNode, spatial: number[], kernel: number[], ceilMode = false): Axis[] {
  const r = spatial.length;
  const { strides, dil, pads, autoPad } = attrs(n, r, kernel);
  return spatial.map((inp, i) => {
    const k = kernel[i]!;
    const s = strides[i]!;
    const d = dil[i]!;
    const eff = (k - 1) * d + 1;
    let pb = pads[i]!;
    let pe = pads[i + r]!;
    let out: number;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out = Math.ceil(inp / s);
      const total = Math.max(0, (out - 1) * s + eff - inp);
      pb = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pe = total - pb;
    } else {
      if (autoPad === 'VALID') pb = pe = 0;
      else if (autoPad !== 'NOTSET') throw n.fail(`auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
      const span = inp + pb + pe - eff;
      if (span < 0) throw n.fail(`kernel ${k} (dilation ${d}) is larger than the padded input ${inp + pb + pe} along spatial axis ${i}`);
      out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
      if (ceilMode && (out - 1) * s >= inp + pb) out -= 1;
    }
    return { in: inp, k, s, d, pb, pe, out };
  });
}

/** ConvTranspose: out = s*(in-1) + output_padding + eff - pads, or output_shape. */
export function transposeAxes(n: OnnxNode, spatial: number[], kernel: number[]): Axis[] {
  const r = spatial.length;
  const { strides, dil, pads, autoPad } = attrs(n, r, kernel);
  const outPad = n.ints('output_padding') ?? kernel.map(() => 0);
  const outShape = n.ints('output_shape');
  return spatial.map((inp, i) => {
    const k = kernel[i]!;
    const s = strides[i]!;
    const d = dil[i]!;
    const eff = (k - 1) * d + 1;
    let pb = pads[i]!;
    let pe = pads[i + r]!;
    const natural = s * (inp - 1) + (outPad[i] ?? 0) + eff;
    let out: number;
    if (outShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out = outShape ? outShape[outShape.length - r + i]! : inp * s;
      const total = natural - out;
      if (total < 0) throw n.fail(`output_shape ${out} along axis ${i} is larger than the ${natural} this ConvTranspose can produce`);
      // As ONNX Runtime does: SAME_UPPER puts the odd pad at the tail; SAME_LOWER and
      // an explicit output_shape put it at the head.
      pb = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pe = total - pb;
    } else {
      if (autoPad === 'VALID') pb = pe = 0;
      out = natural - pb - pe;
    }
    if (out <= 0) throw n.fail(`output size ${out} along spatial axis ${i} is not positive`);
    return { in: inp, k, s, d, pb, pe, out };
  });
}
