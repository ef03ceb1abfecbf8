// ConstantOfShape on the GPU (when the result is too large to fold on the host).
import { fill } from '../../kernels/elementwise.js';
import type { OpDef } from './types.js';
import { elems, hostInts, req } from './util.js';

export const ConstantOfShape: OpDef = {
  kernels: ['fill'],
  hostInputs: [0],
  shape(n, ins) {
    const dims = hostInts(n, req(n, ins, 0, 'input'), 'shape (input 0)')!;
    if (dims.some((d) => d < 0)) throw n.fail(`shape [${dims}] has a negative entry`);
    return [{ type: n.tensor('value')?.type ?? 'float32', dims }];
  },
  emit(n, _ins, outs) {
    const v = n.tensor('value');
    const x = v ? v.data[0]! : 0;
    const bits = (v?.type ?? 'float32') === 'float32' ? new Uint32Array(new Float32Array([x]).buffer)[0]! : (x | 0) >>> 0;
    return [fill(outs[0]!.buf, elems(outs[0]!), bits)];
  },
};
