// Slice with starts/ends/axes/steps (inputs from opset 10, attributes
// before), clamping and negative steps as ONNX defines them.
import type { OnnxNode } from '../../onnx/graph.js';
import { resolveSlice, stridesOf, type SliceDim } from '../../onnx/shape-util.js';
import { stridedCopy } from '../../kernels/strided-copy.js';
import type { Meta, OpDef } from './types.js';
import { hostInts, req } from './util.js';

function dimsOf(n: OnnxNode, ins: (Meta | undefined)[], opset: number): SliceDim[] {
  const x = req(n, ins, 0, 'data');
  if (opset < 10) return resolveSlice(n, x.dims, n.ints('starts')!, n.ints('ends')!, n.ints('axes'), undefined);
  return resolveSlice(n, x.dims, hostInts(n, req(n, ins, 1, 'starts'), 'starts')!, hostInts(n, req(n, ins, 2, 'ends'), 'ends')!,
    hostInts(n, ins[3], 'axes'), hostInts(n, ins[4], 'steps'));
}

export const Slice: OpDef = {
  kernels: ['strided_copy'],
  hostInputs: [1, 2, 3, 4],
  shape(n, ins, opset) {
    return [{ type: ins[0]?.type ?? 'float32', dims: dimsOf(n, ins, opset).map((s) => s.len) }];
  },
  emit(n, ins, outs, opset) {
    const x = ins[0]!;
    const sl = dimsOf(n, ins, opset);
    const xs = stridesOf(x.dims);
    const off = sl.reduce((o, s, d) => o + (s.len > 0 ? s.start * xs[d]! : 0), 0);
    return [stridedCopy(x.buf, outs[0]!.buf, outs[0]!.dims, sl.map((s, d) => s.step * xs[d]!), stridesOf(outs[0]!.dims), off)];
  },
};
