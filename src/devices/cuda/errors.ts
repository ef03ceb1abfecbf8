// Typed errors of the CUDA backend. The addon throws plain Errors with the
// fields below; addon.ts turns each into one of these at the call boundary.
import { DeviceError, NoAdapterError } from '../../core/errors.js';

/** Which API failed inside the addon. */
export type CudaApi = 'driver' | 'runtime' | 'cublas' | 'addon';

/** A CUDA driver, runtime or cuBLAS call failed (or the addon was misused). */
export class CudaError extends DeviceError {
  override name = 'CudaError';
  constructor(
    readonly api: CudaApi,
    /** The C++ expression that failed, e.g. `drv.cuMemMap(va, bytes, 0, h, 0)`. */
    call: string,
    readonly file: string,
    readonly line: number,
    /** The API's error name, e.g. CUDA_ERROR_OUT_OF_MEMORY. */
    readonly code: string,
    /** The driver's message. */
    detail: string,
  ) {
    super(call, `${detail} (${code}) at ${file}:${line}`);
  }

  get outOfMemory(): boolean {
    return /OUT_OF_MEMORY|MemoryAllocation|ALLOC_FAILED/i.test(this.code);
  }
}

/** No usable CUDA device: the addon is not built, or there is no driver or GPU. */
export class CudaUnavailableError extends NoAdapterError {
  override name = 'CudaUnavailableError';
  constructor(readonly reason: string, readonly origin?: unknown) {
    super(`CUDA backend unavailable: ${reason}`);
  }
}

interface AddonFailure {
  api?: string;
  call?: string;
  file?: string;
  line?: number;
  code?: string;
  detail?: string;
  message?: string;
}

export function fromAddon(e: unknown): unknown {
  if (!(e instanceof Error) || typeof (e as AddonFailure).call !== 'string') return e;
  const f = e as AddonFailure;
  return new CudaError((f.api ?? 'addon') as CudaApi, f.call!, f.file ?? '?', f.line ?? 0, f.code ?? '?', f.detail ?? e.message);
}
