// A view of a device made with Object.create (a device with smaller limits in
// a test, the lane-bound writer in src/infer/store.ts) shares the device's
// backing ids and byte count. Before, `this.nextBackingId++` on the view grew
// its own counter: the view and the device handed out the same id twice, and
// on CUDA the deferred-unmap queue was copied the same way, freeing one
// virtual range twice (cuMemAddressFree CUDA_ERROR_INVALID_VALUE).
import { describe, expect, it } from 'vitest';
import type { GpuDevice } from '../src/core/device.js';
import { SimDevice } from '../src/devices/sim/device.js';

describe('a device view made with Object.create', () => {
  it('shares backing ids and the byte count with its device', () => {
    const dev = new SimDevice();
    const view = Object.create(dev, { info: { value: { ...dev.info, limits: { ...dev.info.limits, maxBindingBytes: 1024 } } } }) as GpuDevice;
    const a = dev.createBacking(4096);
    const b = view.createBacking(8192);
    const c = dev.createBacking(256);
    const ids = [a.id, b.id, c.id];
    expect(new Set(ids).size).toBe(3);
    expect(dev.bytesInBackings).toBe(4096 + 8192 + 256);
    expect(view.bytesInBackings).toBe(dev.bytesInBackings);
    view.destroyBacking(a); // either side may destroy what the other made
    dev.destroyBacking(b);
    expect(dev.bytesInBackings).toBe(256);
    expect(() => view.destroyBacking(b)).toThrow(/not live/);
    dev.destroyBacking(c);
    expect(view.bytesInBackings).toBe(0);
  });
});
