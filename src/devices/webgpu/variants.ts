// Kernel variants of the WebGPU backend, chosen per adapter when the device is
// created. Wrappers (src/kernels/, src/infer/ops/) name the portable kernel
// and its thread grid; on a hardware adapter the device runs the tiled kernel
// that replaces it instead, on its own grid. SwiftShader keeps the
// register-only kernels: there every workgroupBarrier is a fiber switch, and
// shared-memory tiling made them several times slower; only matmuls of many
// rows change there, to a register-blocked kernel (registerVariants).
import { UsageError } from '../../core/errors.js';

/** Which kernels a device runs: 'auto' picks by adapter; the others force one set (tests, benchmarks). */
export type KernelSet = 'auto' | 'tiled' | 'register';
export const KERNEL_SETS: readonly KernelSet[] = ['auto', 'tiled', 'register'];

export interface Variant {
  /** The replacement kernel (shaders/<kernel>.wgsl). */
  kernel: string;
  /** Workgroups of the replacement, from the wrapper's threads and params. */
  groups(threads: readonly [number, number, number], params: ArrayBuffer | undefined): [number, number, number];
  /**
   * Whether this replacement takes a launch (absent: every launch). Decided
   * from the whole problem's params, never a time slice's, so every slice of
   * one launch runs the same kernel (slices stay bit-identical to the whole).
   */
  when?(params: ArrayBuffer | undefined): boolean;
  /**
   * Floats of the device's scratch buffer this launch needs (split-k partial
   * sums), bound after the launch's ranges; absent: none.
   */
  scratch?(params: ArrayBuffer | undefined): number;
  /** What the replacement binds: 1-based indices into the launch's ranges followed by the scratch (absent: the ranges as given, bindings 1..n). */
  binds?: readonly number[];
  /** A second kernel the device runs right after the replacement, with the same params (a split-k sum). */
  then?: { kernel: string; binds: readonly number[]; groups(params: ArrayBuffer | undefined): [number, number, number] };
}

/** Replacements of one portable kernel, the first whose `when` holds wins; none: the portable kernel runs. */
export type Variants = Readonly<Record<string, readonly Variant[]>>;

/** Every kernel a launch of `portable` may run: its replacements, and itself unless one always applies. */
export function kernelsFor(variants: Variants, portable: string): string[] {
  const list = variants[portable] ?? [];
  const always = list.some((v) => !v.when);
  return [...new Set([...list.flatMap((v) => (v.then ? [v.kernel, v.then.kernel] : [v.kernel])), ...(always ? [] : [portable])])];
}

/** The replacement of `portable` for a launch with these params, if any. */
export function pickVariant(variants: Variants, portable: string, params: ArrayBuffer | undefined): Variant | undefined {
  return variants[portable]?.find((v) => !v.when || v.when(params));
}

const TILE = 64;
const word = (params: ArrayBuffer | undefined, i: number) => new Uint32Array(params!)[i]!;

/** matmul_skinny takes matmuls of at most this many rows (its MAX_ROWS). */
export const SKINNY_ROWS = 8;
/** conv2d_tiled32 takes convolutions whose 64 x 64 grid has fewer workgroups than this (about two per SM of a large GPU: one wave would leave most idle)... */
export const SMALL_CONV_GROUPS = 256;
/** ...or at most this many output channels per group (a 64-row tile would compute more than half padding). */
export const NARROW_CONV_CHANNELS = 32;

/** Workgroups of conv2d_tiled (tile 64) or conv2d_tiled32 (tile 32): x pixels, y output channels of a group, z groups. */
function convGroups(p: ArrayBuffer | undefined, tile: number): [number, number, number] {
  const groups = word(p, 7);
  return [Math.ceil((word(p, 0) * word(p, 5) * word(p, 6)) / tile), Math.ceil(word(p, 4) / groups / tile), groups];
}

/** conv2d_splitk takes convolutions whose 32 x 32 grid still has fewer workgroups than this... */
export const TINY_CONV_GROUPS = 128;
/** ...and a reduction (input channels per group x kernel window) at least this long. */
export const LONG_CONV_K = 128;

const product = (v: number[]) => v.reduce((a, b) => a * b, 1);

function tinyLongConv(p: ArrayBuffer | undefined): boolean {
  return product(convGroups(p, TILE / 2)) < TINY_CONV_GROUPS && (word(p, 1) / word(p, 7)) * word(p, 8) * word(p, 9) >= LONG_CONV_K;
}

function smallConv(p: ArrayBuffer | undefined): boolean {
  return word(p, 4) / word(p, 7) <= NARROW_CONV_CHANNELS || product(convGroups(p, TILE)) < SMALL_CONV_GROUPS;
}

/**
 * Split-k convolutions (conv2d_splitk64 / conv2d_splitk32, then
 * conv2d_splitk_sum): for a convolution whose 64 x 64 grid has fewer than
 * SMALL_CONV_GROUPS workgroups and more than NARROW_CONV_CHANNELS channels per
 * group, the reduction is cut into S slices (workgroups along z) so the grid
 * reaches SPLIT_TARGET_GROUPS: on 64 x 64 tiles when that grid reaches it
 * with slices of at least SPLIT_MIN_K64 of k, else on 32 x 32 tiles with
 * slices of at least SPLIT_MIN_K32; at most MAX_SPLIT slices, and at most
 * MAX_SPLIT_FLOATS partial sums (S x the output's elements).
 */
export const SPLIT_TARGET_GROUPS = 256;
export const SPLIT_MIN_K64 = 256;
export const SPLIT_MIN_K32 = 64;
export const MAX_SPLIT = 16;
export const MAX_SPLIT_FLOATS = 16 << 20;

/** HANDOVER_WEBGPU_CONV_SPLIT=0 turns the split-k convolutions off (benchmarks: before/after in one call). */
const SPLIT_ON = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.HANDOVER_WEBGPU_CONV_SPLIT !== '0';

/** The split of a convolution launch (conv_params words), or undefined when it runs unsplit. */
export function convSplit(p: ArrayBuffer | undefined): { tile: 64 | 32; slices: number } | undefined {
  const tiles64 = product(convGroups(p, TILE));
  if (!SPLIT_ON || word(p, 4) / word(p, 7) <= NARROW_CONV_CHANNELS || tiles64 >= SMALL_CONV_GROUPS) return undefined;
  const k = (word(p, 1) / word(p, 7)) * word(p, 8) * word(p, 9);
  const total = word(p, 0) * word(p, 4) * word(p, 5) * word(p, 6);
  const slices = (tiles: number, minK: number) => Math.min(MAX_SPLIT, Math.ceil(SPLIT_TARGET_GROUPS / tiles), Math.floor(k / minK), Math.floor(MAX_SPLIT_FLOATS / total));
  const s64 = slices(tiles64, SPLIT_MIN_K64);
  if (s64 >= 2 && tiles64 * s64 >= SPLIT_TARGET_GROUPS) return { tile: 64, slices: s64 };
  const s32 = slices(product(convGroups(p, TILE / 2)), SPLIT_MIN_K32);
  return s32 >= 2 ? { tile: 32, slices: s32 } : undefined;
}

/** conv2d_splitk64 / conv2d_splitk32 of `tile`: x pixels, y channels of a group, z = group x slice; then conv2d_splitk_sum. */
export function splitConvVariant(kernel: string, tile: 64 | 32, when?: (p: ArrayBuffer | undefined) => boolean, slicesOf: (p: ArrayBuffer | undefined) => number = (p) => convSplit(p)!.slices): Variant {
  return {
    kernel,
    when,
    groups: (_t, p) => {
      const [x, y, z] = convGroups(p, tile);
      return [x, y, z * slicesOf(p)];
    },
    scratch: (p) => slicesOf(p) * word(p, 17),
    binds: [1, 2, 5], // x, W, partial
    then: { kernel: 'conv2d_splitk_sum', binds: [3, 4, 5], groups: (p) => [Math.ceil(word(p, 17) / 256), 1, 1] }, // bias, Y, partial
  };
}

/** matmul_narrow takes matmuls of at most this many columns (its MAX_COLS), ROWS rows a workgroup. */
export const NARROW_COLS = 16;
const NARROW_ROWS = 2;

function narrowMatmul(p: ArrayBuffer | undefined): boolean {
  return word(p, 1) <= NARROW_COLS && Math.ceil(word(p, 0) / NARROW_ROWS) <= 65535;
}

/** matmul_tiled takes matmuls whose 128 x 128 grid has at least this many workgroups (about one per SM of a large GPU)... */
export const WIDE_MATMUL_GROUPS = 128;
/** matmul_tiled32 takes the other matmuls whose 64 x 64 grid has fewer workgroups than this. */
export const SMALL_MATMUL_GROUPS = 128;

/**
 * The kernels that can run the large vec4-aligned GEMMs (all on 128 x 128
 * tiles, shaders/include/matmul_wide_io.wgsl): matmul_tiled (8 deep a step,
 * in a loop), matmul_tiled8u (the same steps written out), matmul_tiled16
 * (16 deep, written out), all three reading their workgroup tiles at
 * computed indices (matmul_tiled_body.wgsl); matmul_slab8 (8 deep, written
 * out) reading them through one pointer a step at constant indices, so that Dawn's bounds checks clamp once a step rather than at
 * every read (matmul_slab_body.wgsl). HANDOVER_WEBGPU_WIDE_GEMM picks one
 * (benchmarks); the default is WIDE_GEMM.
 */
export const WIDE_GEMMS = ['matmul_tiled', 'matmul_tiled8u', 'matmul_tiled16', 'matmul_slab8'] as const;
export type WideGemm = (typeof WIDE_GEMMS)[number];
/** matmul_slab8: 3-4% above matmul_tiled8u at the trainer's three large GEMMs on the H200 with Dawn's default toggles (docs/webgpu-training.md, 2026-12-03 05:05 UTC). */
export const WIDE_GEMM: WideGemm = 'matmul_slab8';

/** The wide GEMM kernel asked for by HANDOVER_WEBGPU_WIDE_GEMM (default WIDE_GEMM). */
export function wideGemmFromEnv(env: Record<string, string | undefined> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {}): WideGemm {
  const v = env.HANDOVER_WEBGPU_WIDE_GEMM || WIDE_GEMM;
  if (!(WIDE_GEMMS as readonly string[]).includes(v)) throw new UsageError(`HANDOVER_WEBGPU_WIDE_GEMM='${v}': use ${WIDE_GEMMS.join(', ')}`);
  return v as WideGemm;
}

/**
 * Whether a matmul variant launched by name (matmulOn) can compute this
 * problem: the wide GEMMs need vec4-aligned rows, matmul_narrow at most
 * NARROW_COLS columns; the others take any shape.
 */
export function namedMatmulFits(kernel: string, p: ArrayBuffer | undefined): boolean {
  if ((WIDE_GEMMS as readonly string[]).includes(kernel)) return vec4Aligned(p);
  return kernel !== 'matmul_narrow' || word(p, 1) <= NARROW_COLS;
}

/** Workgroups of matmul_tiled64 (tile 64) or matmul_tiled32 (tile 32) for a launch's rows. */
function tileGroups(p: ArrayBuffer | undefined, tile: number): [number, number, number] {
  return [Math.ceil(word(p, 1) / tile), Math.ceil((sliceEnd(p) - word(p, 6)) / tile), 1];
}

/** Whether the whole problem's 64 x 64 grid (not a slice's) is small (matmul_tiled32). */
function smallMatmul(p: ArrayBuffer | undefined): boolean {
  return Math.ceil(word(p, 0) / TILE) * Math.ceil(word(p, 1) / TILE) < SMALL_MATMUL_GROUPS;
}

/**
 * ...and whose rows, as matmul_tiled reads them (vec4s), start on 16 bytes:
 * the contiguous dimension of A's and B's stored layouts and C's n are
 * multiples of 4 (params m, n, k, flags).
 */
export function vec4Aligned(p: ArrayBuffer | undefined): boolean {
  const [m, n, k, flags] = [word(p, 0), word(p, 1), word(p, 2), word(p, 3)];
  return n % 4 === 0 && (flags & 1 ? m : k) % 4 === 0 && (flags & 2 ? k : n) % 4 === 0;
}

/** One past the last row of C a matmul launch computes (params m, ..., row0, rows; rows 0: to the end). */
function sliceEnd(p: ArrayBuffer | undefined): number {
  const [m, row0, rows] = [word(p, 0), word(p, 6), word(p, 7)];
  return rows ? Math.min(m, row0 + rows) : m;
}

/** Workgroups of matmul_tiled: its tiles sit on the whole matrix's 128-row grid, so a slice spans the tiles its rows touch. */
export function tiledMatmulGroups(p: ArrayBuffer | undefined): [number, number, number] {
  return [Math.ceil(word(p, 1) / (2 * TILE)), Math.ceil(sliceEnd(p) / (2 * TILE)) - Math.floor(word(p, 6) / (2 * TILE)), 1];
}

/** Whether the whole problem (not a slice) is a large vec4-aligned GEMM: at least WIDE_MATMUL_GROUPS tiles of 128 x 128. */
function wideMatmul(p: ArrayBuffer | undefined): boolean {
  return vec4Aligned(p) && Math.ceil(word(p, 0) / (2 * TILE)) * Math.ceil(word(p, 1) / (2 * TILE)) >= WIDE_MATMUL_GROUPS;
}

/**
 * A large GEMM whose k is at most SHALLOW_K (the MLP's first layer, k = 64)
 * runs SHALLOW_GEMM whatever the wide GEMM: its 8 written-out steps at
 * computed indices measured 0.040 ms there against matmul_slab8's 0.055 on
 * the H200 (docs/webgpu-training.md, 2026-12-03 05:05 UTC; 0.047 against
 * 0.041 at 08:38 UTC: within the noise of single probes), where the
 * prologue and epilogue of each workgroup weigh most.
 */
export const SHALLOW_K = 64;
export const SHALLOW_GEMM: WideGemm = 'matmul_tiled8u';

/**
 * The elementwise training kernels four elements an invocation (16-byte
 * loads and stores, a quarter of the bounds clamps) where n, word 0 of
 * their params, is a multiple of 4: axpy_vec4 (a micro-batch gradient into
 * the accumulator), sgd_momentum_vec4, fill_vec4 (the accumulator's
 * zero-fill), relu_vec4, relu_backward_vec4; each element computed by the
 * portable kernel's expression (bit-identical results).
 */
export const VEC4_ELEMENTWISE = ['axpy', 'sgd_momentum', 'fill', 'relu', 'relu_backward'] as const;

function vec4Elementwise(kernel: string): Variant {
  return { kernel: `${kernel}_vec4`, when: (p) => word(p, 0) >= 4 && word(p, 0) % 4 === 0, groups: (_t, p) => [Math.ceil(word(p, 0) / 4 / 256), 1, 1] };
}

/**
 * Split-k matmuls (matmul_splitk32, then matmul_splitk_sum): a matmul on the
 * matmul_tiled32 path (its 64 x 64 grid has fewer than SMALL_MATMUL_GROUPS
 * workgroups) with k of at least SPLIT_MATMUL_MIN_K (the MLP trainer's weight
 * gradients of its first and last layers, k = the micro-batch) cuts k into S
 * slices of at least SPLIT_MATMUL_SLICE_K so that its 32 x 32 grid reaches
 * SPLIT_MATMUL_TARGET workgroups; at most MAX_SPLIT slices and MAX_SPLIT_FLOATS
 * partial sums (S x m x n).
 */
export const SPLIT_MATMUL_MIN_K = 512;
export const SPLIT_MATMUL_SLICE_K = 128;
export const SPLIT_MATMUL_TARGET = 1024;

/** The slices of a matmul launch's reduction on matmul_splitk32 (from the whole problem's m, n, k), or 0: unsplit. */
export function matmulSplit(p: ArrayBuffer | undefined): number {
  const [m, n, k] = [word(p, 0), word(p, 1), word(p, 2)];
  if (!smallMatmul(p) || k < SPLIT_MATMUL_MIN_K) return 0;
  const grid = Math.ceil(m / (TILE / 2)) * Math.ceil(n / (TILE / 2));
  const s = Math.min(MAX_SPLIT, Math.floor(k / SPLIT_MATMUL_SLICE_K), Math.ceil(SPLIT_MATMUL_TARGET / grid), Math.floor(MAX_SPLIT_FLOATS / (m * n)));
  return s >= 2 ? s : 0;
}

const shallowMatmul: Variant = { kernel: SHALLOW_GEMM, when: (p) => wideMatmul(p) && word(p, 2) <= SHALLOW_K, groups: (_t, p) => tiledMatmulGroups(p) };

/** matmul_splitk32 (x columns, y rows of the launch, z slices; binds A, B, the partial sums), then matmul_splitk_sum (C, the partial sums). */
const splitMatmul: Variant = {
  kernel: 'matmul_splitk32',
  when: (p) => matmulSplit(p) > 0,
  groups: (_t, p) => [...tileGroups(p, TILE / 2).slice(0, 2), matmulSplit(p)] as [number, number, number],
  scratch: (p) => matmulSplit(p) * word(p, 0) * word(p, 1),
  binds: [1, 2, 4],
  then: { kernel: 'matmul_splitk_sum', binds: [3, 4], groups: (p) => [Math.ceil(((sliceEnd(p) - word(p, 6)) * word(p, 1)) / 256), 1, 1] },
};

/**
 * HANDOVER_WEBGPU_TRAIN_VARIANTS=0 leaves out the training variants added on
 * 2026-12-03 (SHALLOW_GEMM, split-k matmuls, the vec4 elementwise kernels):
 * benchmarks measure before and after in one process kind, one call.
 */
export function trainVariantsFromEnv(env: Record<string, string | undefined> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {}): boolean {
  const v = env.HANDOVER_WEBGPU_TRAIN_VARIANTS;
  if (v === undefined || v === '') return true;
  if (v !== '0' && v !== '1') throw new UsageError(`HANDOVER_WEBGPU_TRAIN_VARIANTS='${v}': use 1 or 0`);
  return v === '1';
}

/** The hardware adapters' variants, with `wide` for the large vec4-aligned GEMMs (`train`: with the training variants of trainVariantsFromEnv). */
function tiledVariantsWith(wide: WideGemm, train = true): Variants {
  return {
    // matmul: threads [ceil(n/4), rows]; params m, n, k, flags, alpha, beta, row0, rows (a time slice).
    // Few rows: matmul_skinny, 8 columns per workgroup when B is stored [n,k], else 32.
    // At most 16 columns (an output layer): matmul_narrow, 2 rows per workgroup, k split 128 ways.
    // Large and vec4-aligned (the trainer's GEMMs): `wide` (128 x 128 tiles, vec4 loads, double-buffered);
    // else matmul_tiled64 (64 x 64 tiles, any shape), or matmul_tiled32 where that grid is small
    // (split along k on matmul_splitk32 + matmul_splitk_sum where k is long: matmulSplit).
    matmul: [
      { kernel: 'matmul_skinny', when: (p) => word(p, 0) <= SKINNY_ROWS, groups: (_t, p) => [Math.ceil(word(p, 1) / (word(p, 3) & 2 ? 8 : 32)), 1, 1] },
      { kernel: 'matmul_narrow', when: narrowMatmul, groups: (_t, p) => [Math.ceil((sliceEnd(p) - word(p, 6)) / NARROW_ROWS), 1, 1] },
      ...(train ? [shallowMatmul] : []),
      { kernel: wide, when: wideMatmul, groups: (_t, p) => tiledMatmulGroups(p) },
      ...(train ? [splitMatmul] : []),
      { kernel: 'matmul_tiled32', when: smallMatmul, groups: (_t, p) => tileGroups(p, TILE / 2) },
      { kernel: 'matmul_tiled64', groups: (_t, p) => tileGroups(p, TILE) },
    ],
    // batched_matmul: threads [ceil(n/8), ceil(m/4), batch]
    batched_matmul: [{ kernel: 'batched_matmul_tiled', groups: (t, p) => [Math.ceil(word(p, 1) / TILE), Math.ceil(word(p, 0) / TILE), t[2]] }],
    // conv2d: conv_params.wgsl (n, cin, h, w, cout, oh, ow, groups, ...)
    // Few tiles, long reduction: split-k on 64 x 64 or 32 x 32 tiles (convSplit), then conv2d_splitk_sum;
    // tiny output, reduction too short to split in whole steps: conv2d_splitk (2 channels x 8 pixels per workgroup, k split 16 ways);
    // small or narrow: conv2d_tiled32; else conv2d_tiled.
    conv2d: [
      splitConvVariant('conv2d_splitk64', 64, (p) => convSplit(p)?.tile === 64),
      splitConvVariant('conv2d_splitk32', 32, (p) => convSplit(p)?.tile === 32),
      { kernel: 'conv2d_splitk', when: tinyLongConv, groups: (_t, p) => [Math.ceil((word(p, 0) * word(p, 5) * word(p, 6)) / 8), Math.ceil(word(p, 4) / word(p, 7) / 2), word(p, 7)] },
      { kernel: 'conv2d_tiled32', when: smallConv, groups: (_t, p) => convGroups(p, TILE / 2) },
      { kernel: 'conv2d_tiled', groups: (_t, p) => convGroups(p, TILE) },
    ],
    // reduce_rows (the bias gradients): params m, n, alpha, beta; 16 columns x 16 row-lanes a workgroup.
    reduce_rows: [{ kernel: 'reduce_rows_tall', groups: (_t, p) => [Math.ceil(word(p, 1) / 16), 1, 1] }],
    ...(train ? vec4Variants : {}),
  };
}

/** The vec4 elementwise variants (VEC4_ELEMENTWISE; bias_add: params m, n, four columns an invocation where n is a multiple of 4). */
const vec4Variants: Variants = {
  ...Object.fromEntries(VEC4_ELEMENTWISE.map((k) => [k, [vec4Elementwise(k)]])),
  bias_add: [{ kernel: 'bias_add_vec4', when: (p) => word(p, 1) >= 4 && word(p, 1) % 4 === 0, groups: (_t, p) => [Math.ceil((word(p, 0) * word(p, 1)) / 4 / 256), 1, 1] }],
};

export const tiledVariants: Variants = tiledVariantsWith(WIDE_GEMM);
const otherTables = new Map<string, Variants>();

/** matmul_rows4 takes matmuls of at least this many rows on the register kernel set. */
export const ROWS4_MIN_ROWS = 16;

/** softmax_xent_rows takes rows of at most this many classes on the register kernel set. */
export const XENT_ROWS_MAX_CLASSES = 64;

export const registerVariants: Variants = {
  // softmax_xent: one invocation per row, no barriers, when a row is short (the MLP's 10 classes); the launch's threads are 64 per row.
  softmax_xent: [{ kernel: 'softmax_xent_rows', when: (p) => word(p, 1) <= XENT_ROWS_MAX_CLASSES, groups: (t) => [Math.ceil(t[0] / 64 / 64), 1, 1] }],
  // matmul: 4 rows x 4 columns per invocation (the trainer's micro-batch GEMMs); a request's few rows keep matmul.
  matmul: [{ kernel: 'matmul_rows4', when: (p) => word(p, 0) >= ROWS4_MIN_ROWS, groups: (_t, p) => [Math.ceil(word(p, 1) / 256), Math.ceil((word(p, 7) || word(p, 0)) / 4), 1] }],
};

/** The kernel set asked for by HANDOVER_WEBGPU_KERNELS (default 'auto'). */
export function kernelSetFromEnv(env: Record<string, string | undefined> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {}): KernelSet {
  const v = env.HANDOVER_WEBGPU_KERNELS ?? 'auto';
  if (!(KERNEL_SETS as readonly string[]).includes(v)) throw new UsageError(`HANDOVER_WEBGPU_KERNELS='${v}': use ${KERNEL_SETS.join(', ')}`);
  return v as KernelSet;
}

/** The variants a device with this adapter runs (tiled: with the wide GEMM kernel `wide`). */
export function variantsFor(set: KernelSet, software: boolean, wide: WideGemm = wideGemmFromEnv(), train = trainVariantsFromEnv()): Variants {
  const tiled = set === 'tiled' || (set === 'auto' && !software);
  if (!tiled) return registerVariants;
  if (wide === WIDE_GEMM && train) return tiledVariants;
  const key = `${wide}|${train}`;
  if (!otherTables.has(key)) otherTables.set(key, tiledVariantsWith(wide, train));
  return otherTables.get(key)!;
}
