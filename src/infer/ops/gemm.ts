// Gemm: Y = alpha op(A) op(B) + beta C, C broadcast to [M, N]. C is first
// copied into Y (strided copy), then the matmul kernel accumulates with beta.
import { matmul } from '../../kernels/matmul.js';
import { broadcastDims, broadcastStrides, stridesOf } from '../../onnx/shape-util.js';
import { stridedCopy } from '../../kernels/strided-copy.js';
import type { OpDef } from './types.js';
import { floatInput } from './util.js';

function dimsOf(n: Parameters<OpDef['shape']>[0], a: { dims: number[] }, b: { dims: number[] }) {
  if (a.dims.length !== 2 || b.dims.length !== 2) throw n.fail(`A [${a.dims}] and B [${b.dims}] must both be 2-D`);
  const transA = n.int('transA', 0) === 1;
  const transB = n.int('transB', 0) === 1;
  const [m, k] = transA ? [a.dims[1]!, a.dims[0]!] : [a.dims[0]!, a.dims[1]!];
  const [k2, nn] = transB ? [b.dims[1]!, b.dims[0]!] : [b.dims[0]!, b.dims[1]!];
  if (k !== k2) throw n.fail(`inner dimensions differ: op(A) is [${m},${k}], op(B) is [${k2},${nn}]`);
  return { m, n: nn, k, transA, transB };
}

export const Gemm: OpDef = {
  kernels: ['matmul', 'strided_copy'],
  shape(n, ins) {
    const d = dimsOf(n, floatInput(n, ins, 0, 'A'), floatInput(n, ins, 1, 'B'));
    if (ins[2]) {
      const c = floatInput(n, ins, 2, 'C');
      const bc = broadcastDims(n, c.dims, [d.m, d.n]);
      if (bc.join() !== `${d.m},${d.n}`) throw n.fail(`C [${c.dims}] does not broadcast to [${d.m}, ${d.n}]`);
    }
    return [{ type: 'float32', dims: [d.m, d.n] }];
  },
  emit(n, ins, outs) {
    const [a, b, c] = [ins[0]!, ins[1]!, ins[2]];
    const y = outs[0]!;
    const d = dimsOf(n, a, b);
    const alpha = n.float('alpha', 1);
    const beta = c ? n.float('beta', 1) : 0;
    const launches = [];
    if (c && beta !== 0) launches.push(stridedCopy(c.buf, y.buf, [d.m, d.n], broadcastStrides(c.dims, [d.m, d.n]), stridesOf([d.m, d.n])));
    launches.push(matmul({ a: a.buf, b: b.buf, c: y.buf, m: d.m, n: d.n, k: d.k, transA: d.transA, transB: d.transB, alpha, beta: beta === 0 ? 0 : beta }));
    return launches;
  },
};
