// Helpers shared by the op files: input checks with messages a user can act on.
import type { OnnxNode } from '../../onnx/graph.js';
import { sizeOf, type DType } from '../../onnx/tensor.js';
import type { Meta } from './types.js';

export const MAX_RANK = 8;

export function req<T extends Meta>(n: OnnxNode, ins: (T | undefined)[], i: number, what = `input ${i}`): T {
  const t = ins[i];
  if (!t) throw n.fail(`${what} is required but was not given`);
  return t;
}

export function floatInput<T extends Meta>(n: OnnxNode, ins: (T | undefined)[], i: number, what = `input ${i}`): T {
  const t = req(n, ins, i, what);
  if (t.type !== 'float32') throw n.fail(`${what} must be float32, got ${t.type} (only float32 is supported for this op)`);
  return t;
}

export function rankAtMost(n: OnnxNode, m: Meta, max: number, what = 'input'): void {
  if (m.dims.length > max) throw n.fail(`${what} has rank ${m.dims.length}; at most ${max} is supported`);
}

/** Host values of a constant input (shape, axes, pads...). */
export function hostInts(n: OnnxNode, m: Meta | undefined, what: string): number[] | undefined {
  if (!m) return undefined;
  if (!m.value) throw n.fail(`${what} must be a constant known at load time (computed from shapes or initializers)`);
  return Array.from(m.value.data as ArrayLike<number>);
}

/**
 * The device type code used by the type-generic kernels: 0 f32, 1 i32 (int32,
 * int64), 2 bool (u32 0/1), 3 u32, 4 float16 (held as f32; a cast to it rounds
 * to float16).
 */
export function typeCode(t: DType): number {
  return { float32: 0, int32: 1, int64: 1, bool: 2, uint32: 3, float16: 4 }[t];
}

/** Pads a list to 8 entries (uniform arrays of 2 x vec4). */
export function pad8(v: readonly number[], fill = 1): number[] {
  const out = [...v];
  while (out.length < 8) out.push(fill);
  return out;
}

export function elems(m: Meta): number {
  return sizeOf(m.dims);
}

export function same(n: OnnxNode, a: Meta, b: Meta, what: string): void {
  if (a.type !== b.type) throw n.fail(`${what}: input types differ (${a.type} and ${b.type}); ONNX requires them to match`);
}
