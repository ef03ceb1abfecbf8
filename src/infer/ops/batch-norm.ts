// BatchNormalization in inference mode (running mean and variance).
import { packParams } from '../../core/device.js';
import type { OpDef } from './types.js';
import { elems, floatInput } from './util.js';

export const BatchNormalization: OpDef = {
  kernels: ['batch_norm'],
  shape(n, ins) {
    const x = floatInput(n, ins, 0, 'X');
    if (x.dims.length < 2) throw n.fail(`X has rank ${x.dims.length}; BatchNormalization needs [N, C, ...]`);
    const c = x.dims[1]!;
    ['scale', 'B', 'input_mean', 'input_var'].forEach((name, k) => {
      const t = floatInput(n, ins, k + 1, name);
      if (elems(t) !== c || t.dims.length !== 1) throw n.fail(`${name} has dims [${t.dims}]; expected [${c}]`);
    });
    if (n.int('training_mode', 0)) throw n.fail('training_mode=1 is not supported (inference only)');
    if (n.outputs.slice(1).some((o) => o)) throw n.fail('only output Y is supported (running mean/var outputs are training-only)');
    return [{ type: 'float32', dims: [...x.dims] }];
  },
  emit(n, ins, outs) {
    const x = ins[0]!;
    const c = x.dims[1]!;
    const spatial = x.dims.slice(2).reduce((p, q) => p * q, 1);
    const params = packParams([elems(x), c, spatial, { f32: n.float('epsilon', 1e-5) }]);
    return [{ kernel: 'batch_norm', bindings: [x.buf, ins[1]!.buf, ins[2]!.buf, ins[3]!.buf, ins[4]!.buf, outs[0]!.buf], params, threads: [elems(x)] }];
  },
};
