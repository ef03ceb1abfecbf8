import { packParams, type Bindable, type Range } from '../core/device.js';
import type { SliceableLaunch } from '../core/cost.js';

type Buf = Range | Bindable;

export interface MatmulArgs {
  /** op(A) is [m, k]; stored [k, m] when transA. */
  a: Buf;
  /** op(B) is [k, n]; stored [n, k] when transB. */
  b: Buf;
  /** C is [m, n]. */
  c: Buf;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** 0 overwrites C; 1 accumulates into it (gradient accumulation). */
  beta?: number;
}

/**
 * C = alpha * op(A) op(B) + beta * C, row-major f32. The launch can be cut
 * into slices of C's rows (the gate's time slicing); a slice computes its
 * rows exactly as the whole launch does.
 */
export function matmul(x: MatmulArgs): SliceableLaunch {
  const at = (row0: number, rows: number): SliceableLaunch => {
    const flags = (x.transA ? 1 : 0) | (x.transB ? 2 : 0);
    return {
      kernel: 'matmul',
      bindings: [x.a, x.b, x.c],
      params: packParams([x.m, x.n, x.k, flags, { f32: x.alpha ?? 1 }, { f32: x.beta ?? 0 }, row0, rows]),
      threads: [Math.ceil(x.n / 4), rows],
    };
  };
  return { ...at(0, x.m), slice: { rows: x.m, at } };
}
