// Copy: not an ONNX op; the planner inserts it when one range would be bound
// twice in a launch (WebGPU forbids aliasing read_write bindings).
import { stridedCopy } from '../../kernels/strided-copy.js';
import type { OpDef } from './types.js';
import { elems, req } from './util.js';

export const copyDef: OpDef = {
  kernels: ['strided_copy'],
  shape(n, ins) {
    const x = req(n, ins, 0, 'input');
    return [{ type: x.type, dims: [...x.dims] }];
  },
  emit(_n, ins, outs) {
    return [stridedCopy(ins[0]!.buf, outs[0]!.buf, [elems(ins[0]!)], [1], [1])];
  },
};
