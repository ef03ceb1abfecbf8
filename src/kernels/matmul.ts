import { packParams, type Bindable, type Launch, type Range } from '../core/device.js';

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

/** C = alpha * op(A) op(B) + beta * C, row-major f32. */
export function matmul(x: MatmulArgs): Launch {
  const flags = (x.transA ? 1 : 0) | (x.transB ? 2 : 0);
  return {
    kernel: 'matmul',
    bindings: [x.a, x.b, x.c],
    params: packParams([x.m, x.n, x.k, flags, { f32: x.alpha ?? 1 }, { f32: x.beta ?? 0 }]),
    threads: [Math.ceil(x.n / 4), x.m],
  };
}
