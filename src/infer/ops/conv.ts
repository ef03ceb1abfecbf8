// Conv (1-D and 2-D; groups, dilations, pads, strides, auto_pad). Groups with
// several output channels compute 8 channels x 4 pixels per invocation (conv2d.wgsl);
// depthwise and other narrow groups one output per invocation (conv2d_direct.wgsl).
import { packParams } from '../../core/device.js';
import { forwardAxes } from './conv-geometry.js';
import { alloc } from '../../onnx/tensor.js';
import type { OpDef } from './types.js';
import { FUSED_HI, FUSED_LO } from '../fuse.js';

const F32_MAX = 3.4028234663852886e38;
import { elems, floatInput } from './util.js';

/** Below this many output channels per group the direct kernel wins. */
const DIRECT_BELOW = 4;

function geometry(n: Parameters<OpDef['shape']>[0], x: { dims: number[] }, w: { dims: number[] }) {
  if (x.dims.length !== 3 && x.dims.length !== 4) throw n.fail(`X has rank ${x.dims.length}; Conv supports 1-D and 2-D inputs ([N,C,W] or [N,C,H,W])`);
  if (w.dims.length !== x.dims.length) throw n.fail(`W has rank ${w.dims.length}, X has rank ${x.dims.length}; they must match`);
  const group = n.int('group', 1);
  const [N, C] = x.dims as [number, number];
  const [M, cg] = w.dims as [number, number];
  if (group < 1 || C % group !== 0 || M % group !== 0) throw n.fail(`group ${group} must divide the input channels ${C} and output channels ${M}`);
  if (cg * group !== C) throw n.fail(`W expects ${cg * group} input channels (W [${w.dims}] with group ${group}), X has ${C}`);
  const kernel = w.dims.slice(2);
  const ks = n.ints('kernel_shape');
  if (ks && ks.join() !== kernel.join()) throw n.fail(`kernel_shape [${ks}] does not match W [${w.dims}]`);
  const axes = forwardAxes(n, x.dims.slice(2), kernel);
  return { N, C, M, group, axes };
}

export const Conv: OpDef = {
  kernels: ['conv2d', 'conv2d_direct'],
  defaults: (n, ins) => ({ 2: alloc('float32', [ins[1]?.dims[0] ?? 1]) }),
  shape(n, ins) {
    const x = floatInput(n, ins, 0, 'X');
    const w = floatInput(n, ins, 1, 'W');
    const { N, M, axes } = geometry(n, x, w);
    if (ins[2] && (ins[2].dims.length !== 1 || ins[2].dims[0] !== M)) throw n.fail(`B has dims [${ins[2].dims}]; expected [${M}]`);
    return [{ type: 'float32', dims: [N, M, ...axes.map((a) => a.out)] }];
  },
  emit(n, ins, outs) {
    const [x, w, b] = [ins[0]!, ins[1]!, ins[2]];
    const y = outs[0]!;
    const { N, C, M, group, axes } = geometry(n, x, w);
    const [ah, aw] = axes.length === 2 ? axes : [{ in: 1, k: 1, s: 1, d: 1, pb: 0, pe: 0, out: 1 }, axes[0]!];
    const lo = { f32: n.float(FUSED_LO, -F32_MAX) };
    const hi = { f32: n.float(FUSED_HI, F32_MAX) };
    const words = [N, C, ah!.in, aw!.in, M, ah!.out, aw!.out, group, ah!.k, aw!.k, ah!.s, aw!.s, ah!.pb, aw!.pb, ah!.d, aw!.d, 1, elems(y), lo, hi];
    const bindings = [x.buf, w.buf, b!.buf, y.buf];
    const coutG = M / group;
    if (coutG < DIRECT_BELOW) return [{ kernel: 'conv2d_direct', bindings, params: packParams(words), threads: [N * M * ah!.out * Math.ceil(aw!.out / 4)] }];
    const quads = N * ah!.out * Math.ceil(aw!.out / 4);
    return [{ kernel: 'conv2d', bindings, params: packParams(words), threads: [quads, Math.ceil(coutG / 8) * group] }];
  },
};
