// Where(cond, X, Y) with broadcasting over all three inputs.
import { packParams } from '../../core/device.js';
import { broadcastDims, broadcastStrides } from '../../onnx/shape-util.js';
import type { OpDef } from './types.js';
import { elems, MAX_RANK, pad8, rankAtMost, req, same } from './util.js';

export const Where: OpDef = {
  kernels: ['where'],
  shape(n, ins) {
    const c = req(n, ins, 0, 'condition');
    const x = req(n, ins, 1, 'X');
    const y = req(n, ins, 2, 'Y');
    if (c.type !== 'bool') throw n.fail(`condition must be bool, got ${c.type}`);
    same(n, x, y, 'X and Y');
    const dims = broadcastDims(n, c.dims, x.dims, y.dims);
    rankAtMost(n, { type: x.type, dims }, MAX_RANK, 'the broadcast output');
    return [{ type: x.type, dims }];
  },
  emit(n, ins, outs) {
    const [c, x, y] = [ins[0]!, ins[1]!, ins[2]!];
    const o = outs[0]!;
    const s = (t: { dims: number[] }) => pad8(broadcastStrides(t.dims, o.dims), 0);
    return [{ kernel: 'where', bindings: [c.buf, x.buf, y.buf, o.buf], params: packParams([elems(o), o.dims.length, 0, 0, ...pad8(o.dims), ...s(c), ...s(x), ...s(y)]), threads: [elems(o)] }];
  },
};
