// Gather along an axis with int32/int64 indices (negative counts from the end).
import { packParams } from '../../core/device.js';
import { normAxis } from '../../onnx/shape-util.js';
import type { OpDef } from './types.js';
import { elems, req } from './util.js';

export const Gather: OpDef = {
  kernels: ['gather'],
  shape(n, ins) {
    const x = req(n, ins, 0, 'data');
    const idx = req(n, ins, 1, 'indices');
    if (idx.type !== 'int64' && idx.type !== 'int32') throw n.fail(`indices must be int32 or int64, got ${idx.type}`);
    const axis = normAxis(n, n.int('axis', 0), x.dims.length);
    if (idx.value) {
      const len = x.dims[axis]!;
      for (const v of idx.value.data) if (v < -len || v >= len) throw n.fail(`index ${v} is out of range for axis ${axis} of size ${len}`);
    }
    return [{ type: x.type, dims: [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)] }];
  },
  emit(n, ins, outs) {
    const [x, idx] = [ins[0]!, ins[1]!];
    const axis = normAxis(n, n.int('axis', 0), x.dims.length);
    const inner = x.dims.slice(axis + 1).reduce((p, q) => p * q, 1);
    const total = elems(outs[0]!);
    return [{ kernel: 'gather', bindings: [x.buf, idx.buf, outs[0]!.buf], params: packParams([total, x.dims[axis]!, Math.max(1, elems(idx)), Math.max(1, inner)]), threads: [total] }];
  },
};
