// Elementwise binary ops with numpy broadcasting: binary (f32 arithmetic),
// binary_int (i32 arithmetic) and compare (comparisons and logic, bool out).
import { packParams } from '../../core/device.js';
import { broadcastDims, broadcastStrides } from '../../onnx/shape-util.js';
import { isFloat, type DType } from '../../onnx/tensor.js';
import type { OpDef } from './types.js';
import { elems, MAX_RANK, pad8, rankAtMost, req, same } from './util.js';

type Kind = 'arith' | 'compare' | 'logic';
const SPECS: Record<string, [number, Kind]> = {
  Add: [0, 'arith'], Sub: [1, 'arith'], Mul: [2, 'arith'], Div: [3, 'arith'], Pow: [4, 'arith'],
  Min: [5, 'arith'], Max: [6, 'arith'],
  Equal: [7, 'compare'], Less: [8, 'compare'], Greater: [9, 'compare'], LessOrEqual: [10, 'compare'], GreaterOrEqual: [11, 'compare'],
  And: [12, 'logic'], Or: [13, 'logic'], Xor: [14, 'logic'],
};

/** `dims` (leading 1s dropped) equals the trailing dims of `out`: flat index mod size works. */
function isSuffix(dims: readonly number[], out: readonly number[]): boolean {
  let k = 0;
  while (k < dims.length && dims[k] === 1 && dims.length - k > 0) k++;
  const d = dims.slice(k);
  return d.length <= out.length && d.every((v, i) => v === out[out.length - d.length + i]);
}

function binary(op: string, code: number, kind: Kind): OpDef {
  return {
    kernels: kind !== 'arith' ? ['compare'] : ['binary', 'binary_int'],
    shape(n, ins) {
      if (ins.length !== 2) throw n.fail(`${op} takes exactly 2 inputs here, got ${ins.length}`);
      const a = req(n, ins, 0, 'A');
      const b = req(n, ins, 1, 'B');
      if (op !== 'Pow') same(n, a, b, op);
      if (a.type === 'uint32' || b.type === 'uint32') throw n.fail(`${op} on uint32 is not supported (uint32 tensors move through Cast, Tile, Where, Concat, Reshape, Transpose, Slice and Gather; cast to int32 or float32 for arithmetic)`);
      if (kind === 'logic' ? a.type !== 'bool' : a.type === 'bool' && op !== 'Equal')
        throw n.fail(`${op} does not take ${a.type} inputs`);
      if (op === 'Pow' && (a.type === 'bool' || b.type === 'bool' || (!isFloat(a.type) && isFloat(b.type))))
        throw n.fail(`Pow of ${a.type} by ${b.type} is not supported (float32 or integer base with an integer exponent, float32 by float32 are)`);
      const dims = broadcastDims(n, a.dims, b.dims);
      rankAtMost(n, { type: a.type, dims }, MAX_RANK, 'the broadcast output');
      const type: DType = kind === 'arith' ? a.type : 'bool';
      return [{ type, dims }];
    },
    emit(n, ins, outs) {
      const [a, b] = [ins[0]!, ins[1]!];
      const y = outs[0]!;
      const isInt = isFloat(a.type) ? 0 : 1;
      const kernel = kind !== 'arith' ? 'compare' : isInt ? 'binary_int' : 'binary';
      // Rank 0 selects the kernel's fast path: both operands are suffixes of the output shape.
      const rank = isSuffix(a.dims, y.dims) && isSuffix(b.dims, y.dims) ? 0 : y.dims.length;
      const params = packParams([elems(y), code, isInt, rank, ...pad8(y.dims), ...pad8(broadcastStrides(a.dims, y.dims), 0), ...pad8(broadcastStrides(b.dims, y.dims), 0),
        Math.max(1, elems(a)), Math.max(1, elems(b)), !isInt && !isFloat(b.type) ? 1 : 0]);
      return [{ kernel, bindings: [a.buf, b.buf, y.buf], params, threads: [elems(y)] }];
    },
  };
}

export const binaryOps: Record<string, OpDef> = Object.fromEntries(Object.entries(SPECS).map(([k, [c, kind]]) => [k, binary(k, c, kind)]));
