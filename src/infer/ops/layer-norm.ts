// LayerNormalization over the trailing dims from `axis`, with scale and
// optional bias (each broadcast over the normalised dims). Only output Y.
import { packParams } from '../../core/device.js';
import { normAxis } from '../../onnx/shape-util.js';
import { alloc } from '../../onnx/tensor.js';
import type { OpDef } from './types.js';
import { elems, floatInput } from './util.js';

export const LayerNormalization: OpDef = {
  kernels: ['layer_norm'],
  defaults: () => ({ 2: alloc('float32', [1]) }),
  shape(n, ins) {
    const x = floatInput(n, ins, 0, 'X');
    const axis = normAxis(n, n.int('axis', -1), x.dims.length);
    const len = x.dims.slice(axis).reduce((p, q) => p * q, 1);
    for (const [i, name] of [[1, 'Scale'], [2, 'B']] as const) {
      const t = ins[i];
      if (!t) continue;
      const m = elems(t);
      if (m !== len && m !== 1) throw n.fail(`${name} has ${m} elements; it must match the normalised dims [${x.dims.slice(axis)}] (${len} elements)`);
    }
    floatInput(n, ins, 1, 'Scale');
    if (n.outputs.slice(1).some((o) => o)) throw n.fail('the Mean and InvStdDev outputs are not supported (only Y)');
    return [{ type: 'float32', dims: [...x.dims] }];
  },
  emit(n, ins, outs) {
    const [x, s, b] = [ins[0]!, ins[1]!, ins[2]];
    const axis = normAxis(n, n.int('axis', -1), x.dims.length);
    const len = x.dims.slice(axis).reduce((p, q) => p * q, 1);
    const rows = len === 0 ? 0 : elems(x) / len;
    const params = packParams([rows, len, { f32: n.float('epsilon', 1e-5) }, b ? 1 : 0, elems(s), b ? elems(b) : 1, 0, 0]);
    return [{ kernel: 'layer_norm', bindings: [x.buf, s.buf, b!.buf, outs[0]!.buf], params, threads: [rows] }];
  },
};
