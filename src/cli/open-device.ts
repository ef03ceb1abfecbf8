// Opens the device of the backend a command asked for.
import type { GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import { WebGpuDevice } from '../devices/webgpu/device.js';

export async function openDevice(backend: string, log: (line: string) => void): Promise<GpuDevice> {
  switch (backend) {
    case 'webgpu':
      return WebGpuDevice.open({ log });
    case 'cuda': {
      const mod = '../devices/cuda/device.js';
      const { CudaDevice } = (await import(mod)) as { CudaDevice: { open(log: (l: string) => void): Promise<GpuDevice> } };
      return CudaDevice.open(log);
    }
    default:
      throw new UsageError(`unknown backend '${backend}': use webgpu or cuda`);
  }
}
