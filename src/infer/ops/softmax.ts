// Softmax and LogSoftmax. Opset 13+: along `axis`. Before 13: the input is
// flattened to 2-D at `axis` (default 1) and normalised over the second part.
import { packParams } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import { normAxis } from '../../onnx/shape-util.js';
import type { Meta, OpDef } from './types.js';
import { floatInput } from './util.js';

function rows(n: OnnxNode, x: Meta, opset: number): { outer: number; len: number; inner: number } {
  const rank = x.dims.length;
  if (rank === 0) throw n.fail('input must have rank >= 1');
  const axis = normAxis(n, n.int('axis', opset >= 13 ? -1 : 1), rank);
  const prod = (a: number[]) => a.reduce((p, q) => p * q, 1);
  if (opset >= 13) return { outer: prod(x.dims.slice(0, axis)), len: x.dims[axis]!, inner: prod(x.dims.slice(axis + 1)) };
  return { outer: prod(x.dims.slice(0, axis)), len: prod(x.dims.slice(axis)), inner: 1 };
}

function softmax(log: 0 | 1): OpDef {
  return {
    kernels: ['softmax'],
    shape(n, ins, opset) {
      const x = floatInput(n, ins, 0);
      rows(n, x, opset);
      return [{ type: 'float32', dims: [...x.dims] }];
    },
    emit(n, ins, outs, opset) {
      const r = rows(n, ins[0]!, opset);
      const count = r.outer * r.inner;
      return [{ kernel: 'softmax', bindings: [ins[0]!.buf, outs[0]!.buf], params: packParams([count, r.len, r.inner, log]), threads: [count] }];
    },
  };
}

export const Softmax = softmax(0);
export const LogSoftmax = softmax(1);
