// Loads native-cuda/build/handover_cuda.node and types its functions. Every
// call goes through a wrapper that turns the addon's errors into CudaError.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CudaUnavailableError, fromAddon } from './errors.js';

/** A device pointer, stream, event or allocation handle. */
export type Handle = bigint;

export interface CudaDeviceProps {
  name: string;
  totalBytes: number;
  granularity: number;
  smCount: number;
  major: number;
  minor: number;
  driverVersion: number;
  runtimeVersion: number;
}

export interface KernelSpec {
  name: string;
  bindings: number;
  paramBytes: number;
}

export interface CudaAddon {
  open(ordinal: number): CudaDeviceProps;
  pageCreate(bytes: number, ordinal: number): Handle;
  pageRelease(page: Handle): void;
  addressReserve(bytes: number, alignment: number): Handle;
  addressFree(va: Handle, bytes: number): void;
  pageMap(va: Handle, bytes: number, page: Handle): void;
  pageUnmap(va: Handle, bytes: number): void;
  accessSet(va: Handle, bytes: number, ordinal: number): void;
  hostAlloc(bytes: number): ArrayBuffer;
  /** Frees a hostAlloc buffer now and detaches it; no copy from or to it may be in flight. */
  hostFree(host: ArrayBuffer): void;
  zeroAsync(ptr: Handle, bytes: number, stream: Handle): void;
  copyAsync(dst: Handle, src: Handle, bytes: number, stream: Handle): void;
  uploadAsync(dst: Handle, host: ArrayBuffer, hostOffset: number, bytes: number, stream: Handle): void;
  downloadAsync(host: ArrayBuffer, hostOffset: number, src: Handle, bytes: number, stream: Handle): void;
  streamCreate(priority: number): Handle;
  streamDestroy(stream: Handle): void;
  eventCreate(timing: boolean): Handle;
  eventDestroy(event: Handle): void;
  eventRecord(event: Handle, stream: Handle): void;
  eventQuery(event: Handle): boolean;
  eventElapsed(start: Handle, end: Handle): number;
  streamWaitEvent(stream: Handle, event: Handle): void;
  synchronize(): void;
  kernels(): KernelSpec[];
  prepare(index: number): void;
  launch(index: number, bindings: BigUint64Array, params: ArrayBuffer, tx: number, ty: number, tz: number, stream: Handle): void;
  blasCreate(stream: Handle): Handle;
  blasDestroy(blas: Handle): void;
  blasSetWorkspace(blas: Handle, ptr: Handle, bytes: number): void;
  gemm(blas: Handle, a: Handle, b: Handle, c: Handle, m: number, n: number, k: number,
    transA: boolean, transB: boolean, alpha: number, beta: number): void;
  /** Row-major strided-batched GEMM (cublasSgemmStridedBatched); params as shaders/batched_gemm.wgsl's. */
  gemmStridedBatched(blas: Handle, a: Handle, b: Handle, c: Handle, params: ArrayBuffer): void;
  // graph.cpp, stream_priority.cpp
  /** Numerically, greatest <= least (lower number = higher priority). */
  streamPriorityRange(): { least: number; greatest: number };
  captureBegin(stream: Handle): void;
  /** Returns the captured graph; throws (leaving none) when the capture was invalidated. */
  captureEnd(stream: Handle): Handle;
  graphInstantiate(graph: Handle): Handle;
  graphDestroy(graph: Handle): void;
  graphLaunch(exec: Handle, stream: Handle): void;
  graphExecDestroy(exec: Handle): void;
}

/**
 * The folder of the handover package this file belongs to: the nearest folder
 * above it whose package.json names "handover" (src/devices/cuda/ in a clone,
 * dist/src/devices/cuda/ in an installed package). The search never walks past it.
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'handover') return dir;
      } catch {
        // an unreadable package.json is not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new CudaUnavailableError(`no package.json named "handover" above ${from}; set HANDOVER_CUDA_ADDON to the addon's path`);
    dir = up;
  }
}

/** Where the addon is looked for: HANDOVER_CUDA_ADDON, else native-cuda/build/ in the package root. */
export function addonPath(): string {
  if (process.env.HANDOVER_CUDA_ADDON) return process.env.HANDOVER_CUDA_ADDON;
  return join(packageRoot(), 'native-cuda', 'build', 'handover_cuda.node');
}

let loaded: CudaAddon | null = null;

export function loadAddon(): CudaAddon {
  if (loaded) return loaded;
  const path = addonPath();
  if (!existsSync(path)) throw new CudaUnavailableError(`the CUDA addon is not built (${path}); run 'npm run build:cuda' in ${dirname(dirname(dirname(path)))} (needs nvcc), or use --backend webgpu`);
  let raw: Record<string, (...a: unknown[]) => unknown>;
  try {
    raw = createRequire(import.meta.url)(path) as typeof raw;
  } catch (e) {
    throw new CudaUnavailableError(`addon ${path} did not load: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(raw)) {
    wrapped[name] = (...args: unknown[]) => {
      try {
        return fn(...args);
      } catch (e) {
        throw fromAddon(e);
      }
    };
  }
  loaded = wrapped as unknown as CudaAddon;
  return loaded;
}
