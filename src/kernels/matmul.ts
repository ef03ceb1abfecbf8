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

/** The WebGPU matmul variants a launch can name (src/devices/webgpu/variants.ts), with their output tile edges. */
export const MATMUL_VARIANTS = { matmul_tiled: 128, matmul_tiled64: 64 } as const;
export type MatmulVariant = keyof typeof MATMUL_VARIANTS;

/**
 * The same product (rows [row0, row0 + rows) of C; rows 0: to the end) on a
 * named tiled variant, launched by name: what `handover bench
 * train-backends` times beside the device's own choice, and what the tests
 * force (WebGPU only). matmul_tiled's tiles sit on the matrix's 128-row
 * grid (a slice spans the tiles its rows touch) and it needs vec4-aligned
 * rows (variants.ts vec4Aligned).
 */
export function matmulOn(kernel: MatmulVariant, x: MatmulArgs, row0 = 0, rows = 0): Launch {
  const l = matmul(x);
  const words = new Uint32Array(l.params!.slice(0));
  words[6] = row0;
  words[7] = rows;
  const t = MATMUL_VARIANTS[kernel];
  const end = rows ? Math.min(x.m, row0 + rows) : x.m;
  const tilesY = kernel === 'matmul_tiled' ? Math.ceil(end / t) - Math.floor(row0 / t) : Math.ceil((rows || x.m) / t);
  return { kernel, bindings: l.bindings, params: words.buffer, threads: [Math.ceil(x.n / t) * 16, tilesY * 16] };
}
