// Opening a CUDA device by ordinal (a machine without one says so with
// CudaUnavailableError) and what the core is told about it (DeviceInfo).

import type { DeviceInfo } from '../../core/device.js';
import type { CudaAddon, CudaDeviceProps } from './addon.js';
import { CudaError, CudaUnavailableError } from './errors.js';
import type { GreenCuda } from './green.js';

/** The device's properties; no device, no driver or a driver too old is CudaUnavailableError, other failures throw as they are. */
export function openOrdinal(cu: CudaAddon, ordinal: number): CudaDeviceProps {
  try {
    return cu.open(ordinal);
  } catch (e) {
    if (e instanceof CudaError && /NoDevice|InsufficientDriver|NO_DEVICE|SymbolNotFound|InitializationError/i.test(e.code))
      throw new CudaUnavailableError(`${e.code}: ${e.detail}`, e);
    throw e;
  }
}

/** The core's description of the device: VMM pages make it remap, lanes are streams, green contexts confine. */
export function cudaInfo(cu: CudaAddon, props: CudaDeviceProps): DeviceInfo {
  return {
    backend: 'cuda',
    name: props.name,
    vendor: 'nvidia',
    architecture: `sm_${props.major}${props.minor}`,
    software: false,
    limits: {
      maxBackingBytes: props.totalBytes,
      remapPageBytes: props.granularity,
      // Kernels count elements in u32 params: 2^32 - 1 words at most.
      maxBindingBytes: Math.min(props.totalBytes, 2 ** 34 - 256),
      bindingAlignment: 256,
      maxGroupsPerDimension: 2 ** 31 - 1,
    },
    capabilities: { remap: true, timestamps: true, graphs: true, lanes: true, confine: typeof (cu as GreenCuda).greenCreate === 'function' },
  };
}
