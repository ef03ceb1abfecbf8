// Trilu: upper or lower triangle of the trailing two dims, offset k (input 1).
import { packParams } from '../../core/device.js';
import type { OpDef } from './types.js';
import { elems, hostInts, req } from './util.js';

export const Trilu: OpDef = {
  kernels: ['trilu'],
  hostInputs: [1],
  shape(n, ins) {
    const x = req(n, ins, 0, 'input');
    if (x.dims.length < 2) throw n.fail(`input has rank ${x.dims.length}; Trilu needs at least 2`);
    hostInts(n, ins[1], 'k (input 1)');
    return [{ type: x.type, dims: [...x.dims] }];
  },
  emit(n, ins, outs) {
    const x = ins[0]!;
    const k = hostInts(n, ins[1], 'k')?.[0] ?? 0;
    const [rows, cols] = x.dims.slice(-2) as [number, number];
    const kk = Math.max(-1e9, Math.min(1e9, k));
    return [{ kernel: 'trilu', bindings: [x.buf, outs[0]!.buf], params: packParams([elems(x), rows, cols, n.int('upper', 1), { i32: kk }]), threads: [elems(x)] }];
  },
};
