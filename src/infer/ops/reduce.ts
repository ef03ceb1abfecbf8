// ReduceSum/Mean/Max/Min/Prod/SumSquare/LogSumExp/L1/L2 and the global pools:
// one output per invocation walking the reduced axes (shaders/reduce.wgsl).
import { packParams, type Launch } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import { normAxis, stridesOf } from '../../onnx/shape-util.js';
import type { Meta, OpDef, Tensor } from './types.js';
import { elems, floatInput, hostInts, MAX_RANK, pad8, rankAtMost } from './util.js';

const CODES: Record<string, number> = {
  ReduceSum: 0, ReduceMean: 1, ReduceMax: 2, ReduceMin: 3, ReduceProd: 4, ReduceSumSquare: 5, ReduceLogSumExp: 6, ReduceL1: 7, ReduceL2: 8,
};

/** Opset where `axes` moved from an attribute to input 1. */
function axesAsInputSince(op: string): number {
  return op === 'ReduceSum' ? 13 : 18;
}

function reducedAxes(n: OnnxNode, x: Meta, ins: (Meta | undefined)[], opset: number): Set<number> {
  const axes = opset >= axesAsInputSince(n.op) ? hostInts(n, ins[1], 'axes (input 1)') : n.ints('axes');
  if (!axes || axes.length === 0) {
    if (n.int('noop_with_empty_axes', 0)) return new Set();
    return new Set(x.dims.map((_, i) => i));
  }
  return new Set(axes.map((a) => normAxis(n, a, x.dims.length, 'axes entry')));
}

export function reduceLaunch(x: Tensor, y: Tensor, red: Set<number>, code: number): Launch {
  const st = stridesOf(x.dims);
  const kept = x.dims.map((_, i) => i).filter((i) => !red.has(i));
  const redd = [...red].sort((a, b) => a - b);
  const count = redd.reduce((p, i) => p * x.dims[i]!, 1);
  // Contiguous when every reduced axis comes after every kept axis of size > 1.
  const lastKept = Math.max(-1, ...kept.filter((i) => x.dims[i]! > 1));
  const contiguous = redd.every((i) => i > lastKept) ? 1 : 0;
  const words = [elems(y), count, kept.length, redd.length, code, contiguous, 0, 0,
    ...pad8(kept.map((i) => x.dims[i]!)), ...pad8(kept.map((i) => st[i]!), 0), ...pad8(redd.map((i) => x.dims[i]!)), ...pad8(redd.map((i) => st[i]!), 0)];
  return { kernel: 'reduce', bindings: [x.buf, y.buf], params: packParams(words), threads: [elems(y)] };
}

function reduce(code: number): OpDef {
  return {
    kernels: ['reduce'],
    hostInputs: [1],
    shape(n, ins, opset) {
      const x = floatInput(n, ins, 0, 'data');
      rankAtMost(n, x, MAX_RANK);
      const red = reducedAxes(n, x, ins, opset);
      const keep = n.int('keepdims', 1);
      const dims = keep ? x.dims.map((d, i) => (red.has(i) ? 1 : d)) : x.dims.filter((_, i) => !red.has(i));
      return [{ type: 'float32', dims }];
    },
    emit(n, ins, outs, opset) {
      return [reduceLaunch(ins[0]!, outs[0]!, reducedAxes(n, ins[0]!, ins, opset), code)];
    },
  };
}

export const reduceOps: Record<string, OpDef> = Object.fromEntries(Object.entries(CODES).map(([k, c]) => [k, reduce(c)]));

function globalPool(code: number): OpDef {
  return {
    kernels: ['reduce'],
    shape(n, ins) {
      const x = floatInput(n, ins, 0, 'X');
      if (x.dims.length < 3) throw n.fail(`X has rank ${x.dims.length}; global pooling needs [N, C, spatial...]`);
      rankAtMost(n, x, MAX_RANK);
      return [{ type: 'float32', dims: x.dims.map((d, i) => (i < 2 ? d : 1)) }];
    },
    emit(_n, ins, outs) {
      const x = ins[0]!;
      return [reduceLaunch(x, outs[0]!, new Set(x.dims.map((_, i) => i).slice(2)), code)];
    },
  };
}

export const GlobalAveragePool = globalPool(1);
export const GlobalMaxPool = globalPool(2);
