// Expand: broadcast the input to a shape (bidirectional, as numpy).
import { broadcastDims, broadcastStrides, stridesOf } from '../../onnx/shape-util.js';
import { stridedCopy } from '../../kernels/strided-copy.js';
import type { OpDef } from './types.js';
import { hostInts, req } from './util.js';

export const Expand: OpDef = {
  kernels: ['strided_copy'],
  hostInputs: [1],
  shape(n, ins) {
    const x = req(n, ins, 0, 'input');
    const shape = hostInts(n, req(n, ins, 1, 'shape'), 'shape (input 1)')!;
    return [{ type: x.type, dims: broadcastDims(n, x.dims, shape) }];
  },
  emit(_n, ins, outs) {
    const y = outs[0]!;
    return [stridedCopy(ins[0]!.buf, y.buf, y.dims, broadcastStrides(ins[0]!.dims, y.dims), stridesOf(y.dims))];
  },
};
