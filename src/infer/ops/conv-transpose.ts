// ConvTranspose (1-D and 2-D; groups, dilations, pads, strides,
// output_padding, output_shape, auto_pad): one output per invocation.
import { packParams } from '../../core/device.js';
import { transposeAxes } from './conv-geometry.js';
import { alloc } from '../../onnx/tensor.js';
import type { OpDef } from './types.js';
import { elems, floatInput } from './util.js';

function geometry(n: Parameters<OpDef['shape']>[0], x: { dims: number[] }, w: { dims: number[] }) {
  if (x.dims.length !== 3 && x.dims.length !== 4) throw n.fail(`X has rank ${x.dims.length}; ConvTranspose supports 1-D and 2-D inputs`);
  if (w.dims.length !== x.dims.length) throw n.fail(`W has rank ${w.dims.length}, X has rank ${x.dims.length}; they must match`);
  const group = n.int('group', 1);
  const [N, C] = x.dims as [number, number];
  if (w.dims[0] !== C) throw n.fail(`W [${w.dims}] expects ${w.dims[0]} input channels, X has ${C}`);
  if (C % group !== 0) throw n.fail(`group ${group} must divide the input channels ${C}`);
  const M = w.dims[1]! * group;
  const axes = transposeAxes(n, x.dims.slice(2), w.dims.slice(2));
  return { N, C, M, group, axes };
}

export const ConvTranspose: OpDef = {
  kernels: ['conv_transpose2d'],
  defaults: (n, ins) => ({ 2: alloc('float32', [(ins[1]?.dims[1] ?? 1) * n.int('group', 1)]) }),
  shape(n, ins) {
    const x = floatInput(n, ins, 0, 'X');
    const w = floatInput(n, ins, 1, 'W');
    const { N, M, axes } = geometry(n, x, w);
    if (ins[2] && ins[2].dims.join() !== `${M}`) throw n.fail(`B has dims [${ins[2].dims}]; expected [${M}]`);
    return [{ type: 'float32', dims: [N, M, ...axes.map((a) => a.out)] }];
  },
  emit(n, ins, outs) {
    const [x, w, b] = [ins[0]!, ins[1]!, ins[2]];
    const y = outs[0]!;
    const { N, C, M, group, axes } = geometry(n, x, w);
    const [ah, aw] = axes.length === 2 ? axes : [{ in: 1, k: 1, s: 1, d: 1, pb: 0, pe: 0, out: 1 }, axes[0]!];
    const words = [N, C, ah!.in, aw!.in, M, ah!.out, aw!.out, group, ah!.k, aw!.k, ah!.s, aw!.s, ah!.pb, aw!.pb, ah!.d, aw!.d, 1, elems(y), 0, 0];
    return [{ kernel: 'conv_transpose2d', bindings: [x.buf, w.buf, b!.buf, y.buf], params: packParams(words), threads: [elems(y)] }];
  },
};
