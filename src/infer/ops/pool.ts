// MaxPool and AveragePool over 1-D or 2-D windows (pads, strides, dilations,
// ceil_mode, auto_pad, count_include_pad).
import { packParams } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import { forwardAxes, type Axis } from './conv-geometry.js';
import type { Meta, OpDef } from './types.js';
import { elems, floatInput } from './util.js';

function geometry(n: OnnxNode, x: Meta): Axis[] {
  if (x.dims.length !== 3 && x.dims.length !== 4) throw n.fail(`X has rank ${x.dims.length}; 1-D and 2-D pooling ([N,C,W] or [N,C,H,W]) are supported`);
  const kernel = n.ints('kernel_shape');
  if (!kernel || kernel.length !== x.dims.length - 2) throw n.fail(`kernel_shape must have ${x.dims.length - 2} entries`);
  return forwardAxes(n, x.dims.slice(2), kernel, n.int('ceil_mode', 0) === 1);
}

function pool(mode: 0 | 1): OpDef {
  return {
    kernels: ['pool2d'],
    shape(n, ins) {
      const x = floatInput(n, ins, 0, 'X');
      if (n.outputs[1]) throw n.fail('the Indices output of MaxPool is not supported');
      const axes = geometry(n, x);
      return [{ type: 'float32', dims: [x.dims[0]!, x.dims[1]!, ...axes.map((a) => a.out)] }];
    },
    emit(n, ins, outs) {
      const x = ins[0]!;
      const y = outs[0]!;
      const axes = geometry(n, x);
      const [h, w] = axes.length === 2 ? axes : [{ in: 1, k: 1, s: 1, d: 1, pb: 0, pe: 0, out: 1 }, axes[0]!];
      const words = [x.dims[0]! * x.dims[1]!, h!.in, w!.in, h!.out, w!.out, h!.k, w!.k, h!.s, w!.s, h!.pb, w!.pb, h!.d, w!.d, mode, n.int('count_include_pad', 0), elems(y), h!.pe, w!.pe, 0, 0];
      return [{ kernel: 'pool2d', bindings: [x.buf, y.buf], params: packParams(words), threads: [elems(y)] }];
    },
  };
}

export const MaxPool = pool(0);
export const AveragePool = pool(1);
