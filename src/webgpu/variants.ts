// Kernel variants of the WebGPU backend, chosen per adapter when the device is
// created. Wrappers (src/kernels/, src/infer/ops/) name the portable kernel
// and its thread grid; on a hardware adapter the device runs the tiled kernel
// that replaces it instead, on its own grid. SwiftShader keeps the
// register-only kernels: there every workgroupBarrier is a fiber switch, and
// shared-memory tiling made them several times slower.
import { UsageError } from '../core/errors.js';

/** Which kernels a device runs: 'auto' picks by adapter; the others force one set (tests, benchmarks). */
export type KernelSet = 'auto' | 'tiled' | 'register';
export const KERNEL_SETS: readonly KernelSet[] = ['auto', 'tiled', 'register'];

export interface Variant {
  /** The replacement kernel (shaders/<kernel>.wgsl). */
  kernel: string;
  /** Workgroups of the replacement, from the wrapper's threads and params. */
  groups(threads: readonly [number, number, number], params: ArrayBuffer | undefined): [number, number, number];
}

const TILE = 64;
const word = (params: ArrayBuffer | undefined, i: number) => new Uint32Array(params!)[i]!;

export const tiledVariants: Readonly<Record<string, Variant>> = {
  // matmul: threads [ceil(n/4), rows]; params m, n, k, flags, alpha, beta, row0, rows (a time slice)
  // (matmul_tiled's tiles are 128 x 128: the trainer's GEMMs are large)
  matmul: { kernel: 'matmul_tiled', groups: (_t, p) => [Math.ceil(word(p, 1) / (2 * TILE)), Math.ceil((word(p, 7) || word(p, 0)) / (2 * TILE)), 1] },
  // batched_matmul: threads [ceil(n/8), ceil(m/4), batch]
  batched_matmul: { kernel: 'batched_matmul_tiled', groups: (t, p) => [Math.ceil(word(p, 1) / TILE), Math.ceil(word(p, 0) / TILE), t[2]] },
  // conv2d: conv_params.wgsl (n, cin, h, w, cout, oh, ow, groups, ...)
  conv2d: {
    kernel: 'conv2d_tiled',
    groups: (_t, p) => {
      const groups = word(p, 7);
      return [Math.ceil((word(p, 0) * word(p, 5) * word(p, 6)) / TILE), Math.ceil(word(p, 4) / groups / TILE), groups];
    },
  },
};

/** The kernel set asked for by HANDOVER_WEBGPU_KERNELS (default 'auto'). */
export function kernelSetFromEnv(env: Record<string, string | undefined> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {}): KernelSet {
  const v = env.HANDOVER_WEBGPU_KERNELS ?? 'auto';
  if (!(KERNEL_SETS as readonly string[]).includes(v)) throw new UsageError(`HANDOVER_WEBGPU_KERNELS='${v}': use ${KERNEL_SETS.join(', ')}`);
  return v as KernelSet;
}

/** The variants a device with this adapter runs. */
export function variantsFor(set: KernelSet, software: boolean): Readonly<Record<string, Variant>> {
  const tiled = set === 'tiled' || (set === 'auto' && !software);
  return tiled ? tiledVariants : {};
}
