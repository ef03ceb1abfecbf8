// NCCL through the CUDA addon (native-cuda/nccl.cpp): a communicator per
// rank, and the all-reduce of a device range on the CudaDevice's training
// stream, so it runs in order with the trainer's kernels.
import type { Range } from '../core/device.js';
import { DeviceError, NoAdapterError } from '../core/errors.js';
import { loadAddon, type Handle } from '../devices/cuda/addon.js';
import type { CudaDevice } from '../devices/cuda/device.js';
import { CudaError } from '../devices/cuda/errors.js';

/** The addon's NCCL functions (registered by nccl.cpp). */
interface NcclAddon {
  ncclVersion(): number;
  ncclUniqueId(): ArrayBuffer;
  ncclCommInitRank(id: Uint8Array, nranks: number, rank: number): Handle;
  ncclAllReduceSum(comm: Handle, send: Handle, recv: Handle, count: number, stream: Handle): void;
  ncclCommAsyncError(comm: Handle): string;
  ncclCommAbort(comm: Handle): void;
  ncclCommDestroy(comm: Handle): void;
}

/** An NCCL call failed. */
export class NcclError extends DeviceError {
  override name = 'NcclError';
  constructor(call: string, readonly code: string, detail: string) {
    super(call, `${detail} (${code})`);
  }
}

/** No NCCL: the library is missing, or the addon was built without nccl.cpp. */
export class NcclUnavailableError extends NoAdapterError {
  override name = 'NcclUnavailableError';
  constructor(readonly reason: string) {
    super(`NCCL unavailable: ${reason}`);
  }
}

export const NCCL_ID_BYTES = 128;

function addon(): NcclAddon {
  const a = loadAddon() as unknown as Partial<NcclAddon>;
  if (typeof a.ncclAllReduceSum !== 'function') throw new NcclUnavailableError('the CUDA addon has no NCCL functions; run npm run build:cuda');
  return a as NcclAddon;
}

/** Runs an addon call, turning its NCCL failures into NcclError / NcclUnavailableError. */
function nccl<T>(call: string, f: (a: NcclAddon) => T): T {
  const a = addon();
  try {
    return f(a);
  } catch (e) {
    if (e instanceof CudaError && e.code === 'NCCL_NOT_FOUND') throw new NcclUnavailableError(e.detail);
    if (e instanceof CudaError && (e.api as string) === 'nccl') throw new NcclError(call, e.code, e.detail);
    throw e;
  }
}

/** NCCL's version as text, e.g. "2.28.5". */
export function ncclVersion(): string {
  const v = nccl('ncclGetVersion', (a) => a.ncclVersion());
  const major = Math.floor(v / 10000);
  return major >= 2 ? `${major}.${Math.floor(v / 100) % 100}.${v % 100}` : `${Math.floor(v / 1000)}.${Math.floor(v / 100) % 10}.${v % 100}`;
}

/** A new communicator id: rank 0 makes it and every rank receives it. */
export function ncclUniqueId(): Uint8Array {
  return new Uint8Array(nccl('ncclGetUniqueId', (a) => a.ncclUniqueId()));
}

/** One rank's NCCL communicator, bound to its CudaDevice's training stream. */
export class NcclComm {
  private comm: Handle | null;

  private constructor(readonly device: CudaDevice, readonly ranks: number, readonly rank: number, comm: Handle) {
    this.comm = comm;
  }

  /** Blocks until all `ranks` ranks have called it with the same id. */
  static init(device: CudaDevice, id: Uint8Array, ranks: number, rank: number): NcclComm {
    if (id.byteLength !== NCCL_ID_BYTES) throw new NcclError('ncclCommInitRank', 'ncclInvalidArgument', `unique id is ${id.byteLength} bytes, not ${NCCL_ID_BYTES}`);
    const comm = nccl('ncclCommInitRank', (a) => a.ncclCommInitRank(id, ranks, rank));
    return new NcclComm(device, ranks, rank, comm);
  }

  /** Sums float32 `r` over all ranks, in place, on the training stream (asynchronous). */
  allReduce(r: Range): void {
    if (r.bytes % 4 !== 0) throw new NcclError('ncclAllReduce', 'ncclInvalidArgument', `range of ${r.bytes} bytes is not whole float32 words`);
    const ptr = this.device.pointer(r);
    nccl('ncclAllReduce', (a) => a.ncclAllReduceSum(this.live(), ptr, ptr, r.bytes / 4, this.device.trainingStream));
  }

  /** 'ncclSuccess' while healthy; a failure name once a collective failed asynchronously. */
  asyncError(): string {
    return nccl('ncclCommGetAsyncError', (a) => a.ncclCommAsyncError(this.live()));
  }

  /** Last resort: frees the communicator at once, ending collectives in flight. */
  abort(): void {
    const c = this.live();
    this.comm = null;
    nccl('ncclCommAbort', (a) => a.ncclCommAbort(c));
  }

  /** Frees the communicator after its work in flight. */
  destroy(): void {
    if (this.comm === null) return;
    const c = this.comm;
    this.comm = null;
    nccl('ncclCommDestroy', (a) => a.ncclCommDestroy(c));
  }

  private live(): Handle {
    if (this.comm === null) throw new NcclError('ncclComm', 'ncclInvalidUsage', `rank ${this.rank}'s communicator was aborted or destroyed`);
    return this.comm;
  }
}
