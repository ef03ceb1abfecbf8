// Opens the CUDA device if this machine can: for tests and tools that skip,
// with the reason, where there is no GPU, no driver or no built addon.
import { CudaDevice } from './device.js';
import { CudaUnavailableError } from './errors.js';

export type CudaProbe = { device: CudaDevice; reason?: undefined } | { device?: undefined; reason: string };

let shared: Promise<CudaProbe> | null = null;

/** One shared device per process; unavailability is a reason, other failures throw. */
export function probeCuda(): Promise<CudaProbe> {
  shared ??= CudaDevice.open().then(
    (device) => ({ device }),
    (e: unknown) => {
      if (e instanceof CudaUnavailableError) return { reason: e.reason };
      throw e;
    },
  );
  return shared;
}
