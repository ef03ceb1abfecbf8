// Two pieces of CudaDevice's launch and copy paths that need no device state:
// the matmul kernel as a cuBLAS call, and an overlapping copy cut into pieces.
import type { CudaAddon, Handle } from './addon.js';
import { InvalidRangeError } from '../../core/errors.js';

/** Whether the CUDA matmul can run a slice of C's rows: not with A transposed (the cuBLAS call takes no leading dimension). */
export function gemmSliceable(params: ArrayBuffer | undefined): boolean {
  return !!params && params.byteLength >= 16 && (new Uint32Array(params, 0, 4)[3]! & 1) === 0;
}

/**
 * The WGSL matmul (params: m, n, k, flags 1 transA / 2 transB, alpha, beta,
 * row0) through cuBLAS on a lane's stream and handle; pointers a, b, c.
 * `rows` (threads.y) of C from row0 on: a time slice of the product.
 */
export function gemm(cu: CudaAddon, ptrs: Handle[], params: ArrayBuffer | undefined, lane: { stream: Handle; blas: Handle }, rows?: number): void {
  if (ptrs.length !== 3 || !params || params.byteLength < 24) throw new InvalidRangeError('kernel matmul takes 3 bindings and 6 param words');
  const u = new Uint32Array(params, 0, 4);
  const f = new Float32Array(params, 16, 2);
  const [mAll, n, k, flags] = [u[0]!, u[1]!, u[2]!, u[3]!];
  const row0 = params.byteLength >= 28 ? new Uint32Array(params, 24, 1)[0]! : 0;
  const m = Math.min(rows ?? mAll, mAll - Math.min(row0, mAll));
  if (m === 0 || n === 0) return;
  if ((row0 !== 0 || m !== mAll) && !gemmSliceable(params)) throw new InvalidRangeError('matmul: a slice of rows with A transposed is not supported on CUDA');
  const [a0, b, c0] = ptrs as [Handle, Handle, Handle];
  const a = a0 + BigInt(row0 * k * 4);
  const c = c0 + BigInt(row0 * n * 4);
  if (k === 0) {
    // C = beta C; cuBLAS needs k >= 1, so scale through an empty product is done by hand.
    if (f[1] !== 0) throw new InvalidRangeError('matmul with k = 0 and beta != 0 is not supported on CUDA');
    cu.zeroAsync(c, m * n * 4, lane.stream);
    return;
  }
  cu.gemm(lane.blas, a, b, c, m, n, k, (flags & 1) !== 0, (flags & 2) !== 0, f[0]!, f[1]!);
}

/**
 * The WGSL batched_gemm (params: m, n, k, flags, alpha, beta, batch, strideA,
 * strideB, strideC) through cublasSgemmStridedBatched on a lane's stream.
 */
export function gemmStridedBatched(cu: CudaAddon, ptrs: Handle[], params: ArrayBuffer | undefined, lane: { stream: Handle; blas: Handle }): void {
  if (ptrs.length !== 3 || !params || params.byteLength < 48) throw new InvalidRangeError('kernel batched_gemm takes 3 bindings and 12 param words');
  const [a, b, c] = ptrs as [Handle, Handle, Handle];
  cu.gemmStridedBatched(lane.blas, a, b, c, params);
}

/**
 * An overlapping move of `bytes` whose ends are `gap` bytes apart, as
 * [offset, length] pieces no longer than the gap, in an order that never reads
 * a word already written (cudaMemcpy does not allow overlap).
 */
export function overlapPieces(bytes: number, gap: number, down: boolean): [bigint, number][] {
  const out: [bigint, number][] = [];
  for (let done = 0; done < bytes; done += gap) {
    const n = Math.min(gap, bytes - done);
    out.push([BigInt(down ? done : bytes - done - n), n]);
  }
  return out;
}
