// Tile: the input repeated along each axis, as one strided copy over the
// interleaved shape [r0, d0, r1, d1, ...] (the repeat axes read with stride 0).
import { stridesOf } from '../../onnx/shape-util.js';
import { stridedCopy } from '../../kernels/strided-copy.js';
import type { OpDef } from './types.js';
import { hostInts, req } from './util.js';

export const Tile: OpDef = {
  kernels: ['strided_copy'],
  hostInputs: [1],
  shape(n, ins) {
    const x = req(n, ins, 0, 'input');
    const reps = hostInts(n, req(n, ins, 1, 'repeats'), 'repeats (input 1)')!;
    if (reps.length !== x.dims.length || reps.some((r) => r < 0)) throw n.fail(`repeats [${reps}] must have one non-negative entry per axis of [${x.dims}]`);
    return [{ type: x.type, dims: x.dims.map((d, i) => d * reps[i]!) }];
  },
  emit(n, ins, outs) {
    const x = ins[0]!;
    const reps = hostInts(n, ins[1], 'repeats')!;
    const xs = stridesOf(x.dims);
    const ys = stridesOf(outs[0]!.dims);
    const dims = x.dims.flatMap((d, i) => [reps[i]!, d]);
    const xStr = x.dims.flatMap((_, i) => [0, xs[i]!]);
    const yStr = x.dims.flatMap((d, i) => [d * ys[i]!, ys[i]!]);
    return [stridedCopy(x.buf, outs[0]!.buf, dims, xStr, yStr)];
  },
};
