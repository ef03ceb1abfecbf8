// The kernel conformance suite (test/helpers/kernel-suite.ts) on the CUDA
// backend. Skipped, with the reason, where there is no CUDA GPU or no addon.
import { describe, it } from 'vitest';
import { probeCuda } from '../src/devices/cuda/probe.js';
import { kernelSuite } from './helpers/kernel-suite.js';

const probe = await probeCuda();
if (probe.device) {
  const device = probe.device;
  kernelSuite(() => Promise.resolve(device));
} else {
  console.warn(`cuda-kernels: skipped: ${probe.reason}`);
  describe.skip(`CUDA kernels (skipped: ${probe.reason})`, () => {
    it('needs a CUDA GPU and a built addon', () => {});
  });
}
