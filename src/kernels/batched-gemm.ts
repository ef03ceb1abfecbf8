// Strided-batched GEMM (docs/gpt-kernels.md): cublasSgemmStridedBatched on
// CUDA (src/devices/cuda/gemm.ts), shaders/batched_gemm.wgsl on WebGPU.
import { packParams, type Launch } from '../core/device.js';
import type { MatmulArgs } from './matmul.js';
import { KernelShapeError, fitsU32, positive } from './shape.js';

/** matmul's arguments (op(A_i) [m, k], op(B_i) [k, n], C_i [m, n]) for `batch` entries. */
export interface BatchedGemmArgs extends MatmulArgs {
  batch: number;
  /** Element strides between batch entries; 0 broadcasts one operand to every entry (not for C). */
  strideA: number;
  strideB: number;
  strideC: number;
}

/** C_i = alpha op(A_i) op(B_i) + beta C_i for i < batch, row-major f32. */
export function batchedGemm(x: BatchedGemmArgs): Launch {
  const { m, n, k, batch } = x;
  positive('batched_gemm', { m, n, k, batch, strideC: x.strideC });
  for (const [name, v] of [['strideA', x.strideA], ['strideB', x.strideB]] as const)
    if (!Number.isInteger(v) || v < 0) throw new KernelShapeError('batched_gemm', `${name} must be an integer >= 0, got ${v}`);
  if (x.strideC < m * n) throw new KernelShapeError('batched_gemm', `strideC ${x.strideC} is less than m * n = ${m * n}: outputs would overlap`);
  if (batch > 65535) throw new KernelShapeError('batched_gemm', `batch ${batch} is over 65535 (one grid layer each)`);
  fitsU32('batched_gemm', 'C', x.strideC * batch);
  fitsU32('batched_gemm', 'A', x.strideA * batch + m * k);
  fitsU32('batched_gemm', 'B', x.strideB * batch + k * n);
  const flags = (x.transA ? 1 : 0) | (x.transB ? 2 : 0);
  return {
    kernel: 'batched_gemm',
    bindings: [x.a, x.b, x.c],
    params: packParams([m, n, k, flags, { f32: x.alpha ?? 1 }, { f32: x.beta ?? 0 }, batch, x.strideA, x.strideB, x.strideC]),
    threads: [n, m, batch],
  };
}
