// uint32 and float16 tensors on the CUDA backend (test/helpers/dtype-suite.ts).
// Skipped, with the reason, where there is no CUDA GPU or no built addon.
import { describe, it } from 'vitest';
import { probeCuda } from '../src/devices/cuda/probe.js';
import { dtypeSuite } from './helpers/dtype-suite.js';

const probe = await probeCuda();
if (probe.device) {
  const device = probe.device;
  dtypeSuite('CUDA', () => Promise.resolve(device));
} else {
  console.warn(`cuda-dtypes: skipped: ${probe.reason}`);
  describe.skip(`uint32 and float16 on CUDA (skipped: ${probe.reason})`, () => {
    it('needs a CUDA GPU and a built addon', () => {});
  });
}
