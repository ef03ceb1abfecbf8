// Split along an axis into parts given by `split` (input 1 from opset 13,
// an attribute before), num_outputs (opset 18) or equal parts.
import type { OnnxNode } from '../../onnx/graph.js';
import { normAxis, stridesOf } from '../../onnx/shape-util.js';
import { stridedCopy } from '../../kernels/strided-copy.js';
import type { Meta, OpDef } from './types.js';
import { elems, hostInts, req } from './util.js';

function parts(n: OnnxNode, ins: (Meta | undefined)[], opset: number): { axis: number; sizes: number[] } {
  const x = req(n, ins, 0, 'input');
  const axis = normAxis(n, n.int('axis', 0), x.dims.length);
  const len = x.dims[axis]!;
  const k = n.outputs.length;
  // From opset 13 `split` is input 1; the attribute is still honoured when the input is absent.
  let sizes = (opset >= 13 ? hostInts(n, ins[1], 'split (input 1)') : undefined) ?? n.ints('split');
  if (!sizes || sizes.length === 0) {
    const num = opset >= 18 ? n.int('num_outputs', k) : k;
    // As ONNX Runtime: before opset 18 the parts must be equal; from 18 each part must be non-empty.
    if (opset < 18 && len % num !== 0) throw n.fail(`axis ${axis} of size ${len} cannot be split evenly into ${num} parts`);
    if (num < 1 || num > len) throw n.fail(`num_outputs ${num} must be in 1..${len} (the size of axis ${axis})`);
    const chunk = Math.ceil(len / num);
    sizes = Array.from({ length: num }, (_, i) => Math.max(0, Math.min(chunk, len - i * chunk)));
  }
  if (sizes.length !== k) throw n.fail(`split gives ${sizes.length} parts for ${k} outputs`);
  if (sizes.reduce((a, b) => a + b, 0) !== len) throw n.fail(`split sizes [${sizes}] do not add up to ${len} along axis ${axis}`);
  return { axis, sizes };
}

export const Split: OpDef = {
  kernels: ['strided_copy'],
  hostInputs: [1],
  shape(n, ins, opset) {
    const x = ins[0]!;
    const { axis, sizes } = parts(n, ins, opset);
    return sizes.map((s) => ({ type: x.type, dims: x.dims.map((d, i) => (i === axis ? s : d)) }));
  },
  emit(n, ins, outs, opset) {
    const x = ins[0]!;
    const { axis } = parts(n, ins, opset);
    const xs = stridesOf(x.dims);
    let at = 0;
    const launches = [];
    for (const y of outs) {
      if (elems(y) > 0) launches.push(stridedCopy(x.buf, y.buf, y.dims, xs, stridesOf(y.dims), at * xs[axis]!, 0));
      at += y.dims[axis]!;
    }
    return launches;
  },
};
