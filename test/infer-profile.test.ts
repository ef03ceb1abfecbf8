// `handover infer --profile` (src/infer/profile.ts): a Gemm model profiled
// both ways (GPU timestamps where the adapter has them, one submit per step)
// gives one time per step with the ops and kernels that ran, and the run's
// outputs stay right (compared with onnxruntime-node).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { profileLines, profileRun, type Profile } from '../src/infer/profile.js';
import { runOrt } from '../src/infer/ort.js';
import { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { rng, testDevice } from './helpers/gpu.js';
import { caseModel, mismatch } from './helpers/onnx-cases.js';
import type { GpuDevice } from '../src/core/device.js';

const r = rng(Date.now() & 0xffff);
let dev: GpuDevice;
let arena: Arena;
let store: ModelStore;

beforeAll(async () => {
  dev = await testDevice();
  arena = new Arena(dev, { bytes: 16 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena, { poison: true });
});
afterAll(() => arena.destroy());

// One Gemm with a bias C: one step of two launches (the copy of C, the matmul).
const gemm = { name: 'profile', op: 'Gemm', attrs: { transB: 1 }, inputs: [{ dims: [3, 40] }, { dims: [24, 40] }, { dims: [24] }] };

async function profiled(how: Profile['how']): Promise<Profile> {
  const { file, feeds } = caseModel(gemm, r);
  store.register(how, file);
  try {
    const ref = await runOrt(file, feeds);
    const p = await profileRun(store, dev, how, feeds, how);
    expect(mismatch(await store.run(how, feeds), ref, 1e-5, 1e-4)).toBe('');
    return p;
  } finally {
    await store.unload(how);
  }
}

describe('infer --profile', () => {
  it('submit per step: one time per step, named by op', async () => {
    const p = await profiled('submit per step');
    expect(p.how).toBe('submit per step');
    expect(p.steps.map((s) => s.op)).toEqual(['Gemm']);
    expect(p.steps.every((s) => s.ms >= 0 && Number.isFinite(s.ms))).toBe(true);
    expect(p.totalMs).toBeCloseTo(p.steps.reduce((a, s) => a + s.ms, 0), 9);
    expect(profileLines(p).join('\n')).toMatch(/by op:\n {2}Gemm/);
  });

  it('GPU timestamps: each step lists the kernels it launched', async (ctx) => {
    if (!(dev instanceof WebGpuDevice) || !dev.features.timestamps) return ctx.skip('this device has no timestamp-query feature');
    const p = await profiled('gpu timestamps');
    expect(p.steps.map((s) => s.op)).toEqual(['Gemm']);
    // Gemm with a C input: the broadcast copy of C, then the matmul (its tiled variant where the device runs those).
    // (3 rows: matmul_skinny where the device runs the hardware variants)
    const mm = dev.kernelSet === 'tiled' ? 'matmul_skinny' : 'matmul';
    expect(p.steps[0]!.kernels).toEqual(['strided_copy', mm]);
    expect(p.steps[0]!.ms).toBeGreaterThanOrEqual(0);
    // per kernel: the same launches, the same total
    expect(p.byKernel!.map((k) => [k.kernel, k.launches]).sort()).toEqual([[mm, 1], ['strided_copy', 1]].sort());
    expect(p.byKernel!.reduce((a, k) => a + k.ms, 0)).toBeCloseTo(p.totalMs, 9);
    expect(profileLines(p).join('\n')).toMatch(/by kernel:\n {2}(strided_copy|matmul)/);
  });
});
