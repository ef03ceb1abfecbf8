// Dawn's completion polls on a timer (src/devices/webgpu/dawn-poll.ts): only
// native, unnamed, argument-less callbacks given to setImmediate are delayed;
// everything else keeps setImmediate; the interval follows the adapter and
// HANDOVER_DAWN_POLL_MS; and a real device still sees its work finish.
import { afterAll, describe, expect, it } from 'vitest';
import { dawnPollMs, dawnPollMsFor, setDawnPollMs, throttleDawnPolling } from '../src/devices/webgpu/dawn-poll.js';
import { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { InvalidRangeError } from '../src/core/errors.js';
import { f32Bits, fill } from '../src/kernels/elementwise.js';

const before = dawnPollMs();
afterAll(() => setDawnPollMs(before));

/** A native function of no name and no parameters, as Dawn's poll is (a promise's resolve has one). */
function nativeUnnamed(calls: number[]): () => void {
  const f = Array.prototype.push.bind(calls, 1) as () => void;
  Object.defineProperty(f, 'name', { value: '' });
  return f;
}

describe('dawn-poll', () => {
  it('delays native unnamed callbacks by the interval; JS callbacks and callbacks with arguments run at the next turn', async () => {
    throttleDawnPolling();
    throttleDawnPolling(); // once only: a second call does not wrap the wrapper
    setDawnPollMs(30);
    const native: number[] = [];
    const js: number[] = [];
    const t0 = performance.now();
    setImmediate(nativeUnnamed(native));
    setImmediate(() => js.push(performance.now() - t0));
    setImmediate((x: number) => js.push(x), -1);
    await new Promise((r) => setImmediate(r)); // a promise's resolve is native and unnamed too, but takes a parameter: not delayed
    expect(js).toHaveLength(2);
    expect(js[1]).toBe(-1);
    expect(native).toHaveLength(0); // still waiting for its timer
    await new Promise((r) => setTimeout(r, 60));
    expect(native).toHaveLength(1);
    setDawnPollMs(0); // off: native callbacks take setImmediate again
    setImmediate(nativeUnnamed(native));
    await new Promise((r) => setImmediate(r));
    expect(native).toHaveLength(2);
  });

  it('1 ms on a CPU adapter and 0 on hardware unless HANDOVER_DAWN_POLL_MS says otherwise; bad values are one-line errors', () => {
    expect(dawnPollMsFor(true, {})).toBe(1);
    expect(dawnPollMsFor(false, {})).toBe(0);
    expect(dawnPollMsFor(false, { HANDOVER_DAWN_POLL_MS: '2' })).toBe(2);
    expect(dawnPollMsFor(true, { HANDOVER_DAWN_POLL_MS: '0' })).toBe(0);
    expect(() => dawnPollMsFor(true, { HANDOVER_DAWN_POLL_MS: 'fast' })).toThrow(/HANDOVER_DAWN_POLL_MS='fast'/);
    expect(() => setDawnPollMs(-1)).toThrow(InvalidRangeError);
  });

  it('a device with polls on a timer still sees its work finish, and reads back what it wrote', async () => {
    const dev = await WebGpuDevice.open();
    setDawnPollMs(dev.info.software ? 1 : 0);
    const b = dev.createBacking(4096);
    const r = { backing: b, offset: 0, bytes: 4096 };
    for (let i = 0; i < 20; i++) {
      dev.launch(fill(r, 1024, f32Bits(i + 0.5)));
      await dev.submit();
    }
    const bytes = await dev.read(r);
    const got = new Float32Array(bytes.buffer, bytes.byteOffset, 1024);
    expect(got.every((x) => x === 19.5)).toBe(true);
    dev.destroy();
  });
});
