// The WebGPU device's scratch buffer: split-k partial sums that live only
// between the two dispatches of one launch (variants.ts Variant.scratch).
// One buffer per device, grown (never shrunk) to the largest need, so a warm
// run creates none; queue order and WebGPU's ordering of dispatches keep one
// launch's partial sums from meeting another's.
import { DeviceError } from '../../core/errors.js';

/** The scratch buffer's id among the device's buffers (backings have ids >= 0). */
export const SCRATCH_ID = -1;

export class ScratchBuffer {
  private buffer: GPUBuffer | null = null;

  constructor(private readonly gpu: GPUDevice) {}

  /**
   * A buffer of at least `bytes`. Growing destroys the old one: `beforeGrow`
   * must submit encoded work that binds it first, and drop bind groups keyed
   * on it.
   */
  take(bytes: number, beforeGrow: () => void): GPUBuffer {
    if (this.buffer && this.buffer.size >= bytes) return this.buffer;
    if (bytes > this.gpu.limits.maxStorageBufferBindingSize) throw new DeviceError('scratch', `${bytes} bytes of partial sums exceed the adapter's binding limit ${this.gpu.limits.maxStorageBufferBindingSize}`);
    if (this.buffer) {
      beforeGrow();
      this.buffer.destroy();
    }
    const size = Math.max(bytes, 2 * (this.buffer?.size ?? 0)) & ~3;
    this.buffer = this.gpu.createBuffer({ label: 'split-k scratch', size: Math.min(size, this.gpu.limits.maxStorageBufferBindingSize & ~3), usage: GPUBufferUsage.STORAGE });
    return this.buffer;
  }

  destroy(): void {
    this.buffer?.destroy();
    this.buffer = null;
  }
}
