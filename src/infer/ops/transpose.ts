// Transpose by perm (default: reverse the axes).
import { stridesOf } from '../../onnx/shape-util.js';
import { stridedCopy } from '../../kernels/strided-copy.js';
import type { OnnxNode } from '../../onnx/graph.js';
import type { Meta, OpDef } from './types.js';
import { req } from './util.js';

function perm(n: OnnxNode, x: Meta): number[] {
  const r = x.dims.length;
  const p = n.ints('perm') ?? x.dims.map((_, i) => r - 1 - i);
  if (p.length !== r || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) throw n.fail(`perm [${p}] is not a permutation of the ${r} axes`);
  return p;
}

export const Transpose: OpDef = {
  kernels: ['strided_copy'],
  shape(n, ins) {
    const x = req(n, ins, 0, 'data');
    return [{ type: x.type, dims: perm(n, x).map((i) => x.dims[i]!) }];
  },
  emit(n, ins, outs) {
    const x = ins[0]!;
    const p = perm(n, x);
    const xs = stridesOf(x.dims);
    // Iterate the output: output axis i reads input axis p[i].
    return [stridedCopy(x.buf, outs[0]!.buf, outs[0]!.dims, p.map((i) => xs[i]!), stridesOf(outs[0]!.dims))];
  },
};
