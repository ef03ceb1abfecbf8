// Concat along an axis: one strided copy per input into its slot of the output.
import { normAxis, stridesOf } from '../../onnx/shape-util.js';
import { stridedCopy } from '../../kernels/strided-copy.js';
import type { OpDef } from './types.js';
import { elems, req } from './util.js';

export const Concat: OpDef = {
  kernels: ['strided_copy'],
  shape(n, ins) {
    const first = req(n, ins, 0, 'input 0');
    const axis = normAxis(n, n.int('axis'), first.dims.length);
    const dims = [...first.dims];
    dims[axis] = 0;
    ins.forEach((t, i) => {
      if (!t) throw n.fail(`input ${i} is missing`);
      if (t.type !== first.type) throw n.fail(`input ${i} has type ${t.type}, input 0 has ${first.type}`);
      if (t.dims.length !== dims.length || t.dims.some((d, k) => k !== axis && d !== first.dims[k]))
        throw n.fail(`input ${i} has dims [${t.dims}]; all inputs must match [${first.dims}] except along axis ${axis}`);
      dims[axis]! += t.dims[axis]!;
    });
    return [{ type: first.type, dims }];
  },
  emit(n, ins, outs) {
    const y = outs[0]!;
    const axis = normAxis(n, n.int('axis'), y.dims.length);
    const ys = stridesOf(y.dims);
    let at = 0;
    const launches = [];
    for (const t of ins) {
      if (elems(t!) > 0) launches.push(stridedCopy(t!.buf, y.buf, t!.dims, stridesOf(t!.dims), ys, 0, at * ys[axis]!));
      at += t!.dims[axis]!;
    }
    return launches;
  },
};
