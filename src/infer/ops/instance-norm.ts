// InstanceNormalization: per (n, c) plane statistics, per-channel scale and bias.
import { packParams } from '../../core/device.js';
import type { OpDef } from './types.js';
import { elems, floatInput } from './util.js';

export const InstanceNormalization: OpDef = {
  kernels: ['instance_norm'],
  shape(n, ins) {
    const x = floatInput(n, ins, 0, 'input');
    if (x.dims.length < 3) throw n.fail(`input has rank ${x.dims.length}; InstanceNormalization needs [N, C, spatial...]`);
    for (const [i, name] of [[1, 'scale'], [2, 'B']] as const) {
      const t = floatInput(n, ins, i, name);
      if (t.dims.join() !== `${x.dims[1]}`) throw n.fail(`${name} has dims [${t.dims}]; expected [${x.dims[1]}]`);
    }
    return [{ type: 'float32', dims: [...x.dims] }];
  },
  emit(n, ins, outs) {
    const x = ins[0]!;
    const planes = x.dims[0]! * x.dims[1]!;
    const spatial = planes === 0 ? 0 : elems(x) / planes;
    const params = packParams([planes, x.dims[1]!, spatial, { f32: n.float('epsilon', 1e-5) }]);
    return [{ kernel: 'instance_norm', bindings: [x.buf, ins[1]!.buf, ins[2]!.buf, outs[0]!.buf], params, threads: [planes] }];
  },
};
