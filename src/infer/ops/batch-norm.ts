// BatchNormalization in inference mode (running mean and variance).
import { packParams } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import type { OpDef } from './types.js';
import { elems, floatInput } from './util.js';

/** Channels the parameters cover: C (spatial), or C x D1 x ... (opset < 9 with spatial = 0). Rank-1 X has C = 1. */
function channels(n: OnnxNode, dims: number[], opset: number): { c: number; spatial: boolean } {
  const spatial = opset >= 9 || n.int('spatial', 1) === 1;
  return { c: spatial ? dims[1] ?? 1 : dims.slice(1).reduce((p, q) => p * q, 1), spatial };
}

export const BatchNormalization: OpDef = {
  kernels: ['batch_norm'],
  shape(n, ins, opset) {
    const x = floatInput(n, ins, 0, 'X');
    if (x.dims.length < 1) throw n.fail('X must have rank >= 1 ([N, C, ...])');
    const { c, spatial } = channels(n, x.dims, opset);
    const want = spatial ? [x.dims[1] ?? 1] : x.dims.slice(1);
    ['scale', 'B', 'input_mean', 'input_var'].forEach((name, k) => {
      const t = floatInput(n, ins, k + 1, name);
      if (elems(t) !== c || t.dims.join() !== want.join()) throw n.fail(`${name} has dims [${t.dims}]; expected [${want}]`);
    });
    if (n.int('training_mode', 0)) throw n.fail('training_mode=1 is not supported (inference only)');
    if (n.outputs.slice(1).some((o) => o)) throw n.fail('only output Y is supported (running mean/var outputs are training-only)');
    return [{ type: 'float32', dims: [...x.dims] }];
  },
  emit(n, ins, outs, opset) {
    const x = ins[0]!;
    const { c, spatial } = channels(n, x.dims, opset);
    const plane = spatial ? x.dims.slice(2).reduce((p, q) => p * q, 1) : 1;
    const params = packParams([elems(x), c, plane, { f32: n.float('epsilon', 1e-5) }]);
    return [{ kernel: 'batch_norm', bindings: [x.buf, ins[1]!.buf, ins[2]!.buf, ins[3]!.buf, ins[4]!.buf, outs[0]!.buf], params, threads: [elems(x)] }];
  },
};
