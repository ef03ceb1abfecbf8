// Ops that only change how a tensor's elements are indexed (Reshape, Flatten,
// Squeeze, Unsqueeze, Identity, Dropout in inference): the output aliases the
// input's storage, no kernel runs.
import type { OnnxNode } from '../../onnx/graph.js';
import { normAxis, resolveReshape, squeezeDims, unsqueezeDims } from '../../onnx/shape-util.js';
import type { Meta, OpDef } from './types.js';
import { hostInts, req } from './util.js';

function view(dimsOf: (n: OnnxNode, ins: (Meta | undefined)[], opset: number) => number[], hostInputs: number[] = []): OpDef {
  return {
    kernels: [],
    alias: true,
    hostInputs,
    shape(n, ins, opset) {
      const x = req(n, ins, 0, 'data');
      return [{ type: x.type, dims: dimsOf(n, ins, opset) }];
    },
    emit: () => [],
  };
}

function axes(n: OnnxNode, ins: (Meta | undefined)[], opset: number): number[] | undefined {
  return opset >= 13 ? hostInts(n, ins[1], 'axes (input 1)') : n.ints('axes');
}

export const Reshape = view((n, ins) => {
  const shape = hostInts(n, req(n, ins, 1, 'shape'), 'shape (input 1)')!;
  return resolveReshape(n, ins[0]!.dims, shape, n.int('allowzero', 0));
}, [1]);

export const Flatten = view((n, ins) => {
  const d = ins[0]!.dims;
  const axis = n.int('axis', 1);
  const a = axis === d.length ? d.length : normAxis(n, axis, d.length + 1);
  const prod = (v: number[]) => v.reduce((p, q) => p * q, 1);
  return [prod(d.slice(0, a)), prod(d.slice(a))];
});

export const Squeeze = view((n, ins, opset) => squeezeDims(n, ins[0]!.dims, axes(n, ins, opset)), [1]);

export const Unsqueeze = view((n, ins, opset) => {
  const ax = axes(n, ins, opset);
  if (!ax) throw n.fail('axes are required');
  return unsqueezeDims(n, ins[0]!.dims, ax);
}, [1]);

export const Identity = view((_n, ins) => [...ins[0]!.dims]);

export const Dropout: OpDef = {
  ...view((n, ins) => {
    if (n.outputs[1]) throw n.fail('the mask output of Dropout is not supported (inference only)');
    return [...ins[0]!.dims];
  }, [1, 2]),
};
