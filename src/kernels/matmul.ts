import { packParams, type Bindable, type Launch, type Range } from '../core/device.js';
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

/**
 * The same product on matmul_tiled64 (64 x 64 tiles, 4 x 4 outputs per
 * invocation), launched by name: the candidate kernel that `handover bench
 * train-backends` times beside the device's own choice (WebGPU only).
 */
export function matmulTiled64(x: MatmulArgs, row0 = 0, rows = 0): Launch {
  const l = matmul(x);
  const words = new Uint32Array(l.params!.slice(0));
  words[6] = row0;
  words[7] = rows;
  return { kernel: 'matmul_tiled64', bindings: l.bindings, params: words.buffer, threads: [Math.ceil(x.n / 64) * 16, Math.ceil((rows || x.m) / 64) * 16] };
}
