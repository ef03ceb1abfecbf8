// Cast between float32, float16 (held as f32 on the device), int32/int64 (held
// as i32), uint32 (u32) and bool.
import { packParams } from '../../core/device.js';
import { TYPE_OF_CODE } from '../../onnx/fold.js';
import type { OpDef } from './types.js';
import { elems, req, typeCode } from './util.js';

export const Cast: OpDef = {
  kernels: ['cast'],
  shape(n, ins) {
    const x = req(n, ins, 0, 'input');
    const to = TYPE_OF_CODE[n.int('to')];
    if (!to) throw n.fail(`Cast to element type ${n.int('to')} is not supported (float, float16, double, int64, int32, uint32, int8, uint8, bool are)`);
    return [{ type: to, dims: [...x.dims] }];
  },
  emit(_n, ins, outs) {
    const x = ins[0]!;
    const y = outs[0]!;
    return [{ kernel: 'cast', bindings: [x.buf, y.buf], params: packParams([elems(x), typeCode(x.type), typeCode(y.type)]), threads: [elems(x)] }];
  },
};
