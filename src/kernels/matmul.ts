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

/** Threads of a kernel on 128 x 128 tiles on the matrix's row grid, 16 x 16 a workgroup. */
const onRowGrid = (n: number, row0: number, end: number) => [Math.ceil(n / 128) * 16, (Math.ceil(end / 128) - Math.floor(row0 / 128)) * 16];
/** Threads of a kernel on `tile` x `tile` tiles from row0, 16 x 16 a workgroup. */
const onTiles = (tile: number) => (n: number, row0: number, end: number) => [Math.ceil(n / tile) * 16, Math.ceil((end - row0) / tile) * 16];

/**
 * The WebGPU matmul variants a launch can name (src/devices/webgpu/variants.ts), with their
 * threads for rows [row0, end) of C: 16 x 16 workgroups on 128 x 128 tiles on the matrix's
 * row grid (matmul_tiled, matmul_tiled8u, matmul_tiled16, matmul_slab8), on 64 x 64 tiles (matmul_tiled64),
 * on 32 x 32 (matmul_tiled32); 256 per 2 rows (matmul_narrow); 64 per 256 columns x 4 rows
 * (matmul_rows4, the register set's).
 */
export const MATMUL_VARIANTS = {
  matmul_tiled: onRowGrid,
  matmul_tiled8u: onRowGrid,
  matmul_tiled16: onRowGrid,
  matmul_slab8: onRowGrid,
  matmul_tiled64: onTiles(64),
  matmul_tiled32: onTiles(32),
  matmul_narrow: (_n: number, row0: number, end: number) => [Math.ceil((end - row0) / 2) * 256, 1],
  matmul_rows4: (n: number, row0: number, end: number) => [Math.ceil(n / 256) * 64, Math.ceil((end - row0) / 4)],
} as const;
export type MatmulVariant = keyof typeof MATMUL_VARIANTS;

/**
 * The same product (rows [row0, row0 + rows) of C; rows 0: to the end) on a
 * named variant, launched by name: what `handover bench train-backends`
 * times beside the device's own choice, and what the tests force (WebGPU
 * only). The wide GEMMs (variants.ts WIDE_GEMMS) need vec4-aligned
 * rows (variants.ts vec4Aligned), matmul_narrow at most 16 columns.
 */
export function matmulOn(kernel: MatmulVariant, x: MatmulArgs, row0 = 0, rows = 0): Launch {
  const l = matmul(x);
  const words = new Uint32Array(l.params!.slice(0));
  words[6] = row0;
  words[7] = rows;
  const end = rows ? Math.min(x.m, row0 + rows) : x.m;
  const [tx, ty] = MATMUL_VARIANTS[kernel](x.n, row0, end);
  return { kernel, bindings: l.bindings, params: words.buffer, threads: [tx!, ty!] };
}
