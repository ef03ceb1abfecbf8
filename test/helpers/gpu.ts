// Test helpers: one WebGPU device per test file, seeded random data, upload
// and readback through a scratch arena, and float64 comparisons.
import { Arena } from '../../src/core/arena.js';
import type { Allocation } from '../../src/core/allocation.js';
import type { GpuDevice } from '../../src/core/device.js';
import { WebGpuDevice } from '../../src/devices/webgpu/device.js';
import { openDevice } from '../../src/cli/open-device.js';
import { fill } from '../../src/kernels/elementwise.js';
import { seeded } from '../../src/train/data.js';
import { afterAll, beforeAll } from 'vitest';

let shared: Promise<GpuDevice> | null = null;

/** The backend the GPU tests run on: HANDOVER_TEST_BACKEND=cuda runs them on the
 * CUDA addon (the GPU machine, scripts/device-run.sh); WebGPU otherwise. */
export const testBackend = process.env.HANDOVER_TEST_BACKEND === 'cuda' ? 'cuda' : 'webgpu';

export function testDevice(): Promise<GpuDevice> {
  shared ??= testBackend === 'cuda' ? openDevice('cuda', () => {}) : WebGpuDevice.open();
  return shared;
}

/**
 * The test device and an arena on it for the enclosing file or describe
 * (made in beforeAll, destroyed in afterAll): read bed.dev / bed.arena inside tests.
 */
export function useTestArena(opts: { bytes: number; pageBytes: number } = { bytes: 8 << 20, pageBytes: 64 << 10 }): { dev: GpuDevice; arena: Arena } {
  const bed = {} as { dev: GpuDevice; arena: Arena };
  beforeAll(async () => {
    bed.dev = await testDevice();
    bed.arena = new Arena(bed.dev, opts);
  });
  afterAll(() => bed.arena.destroy());
  return bed;
}

/** The project's one seeded generator (src/core/random.ts). */
export const rng = seeded;

export function randn(n: number, r: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

/** A NaN with a payload: any element a kernel forgets to write fails the comparison. */
export const POISON = 0x7fc0dead;

export class Scratch {
  readonly arena: Arena;
  private readonly live: Allocation[] = [];
  constructor(readonly device: GpuDevice, bytes = 64 << 20, pageBytes = 64 << 10) {
    this.arena = new Arena(device, { bytes, pageBytes });
  }
  upload(data: Float32Array | Uint32Array | Int32Array): Allocation {
    const a = this.arena.allocate('infer', Math.max(4, data.byteLength));
    this.live.push(a);
    if (data.byteLength > 0) this.device.write({ ...a.range(), bytes: data.byteLength }, data);
    return a;
  }
  poisoned(n: number): Allocation {
    const a = this.arena.allocate('infer', Math.max(4, n * 4));
    this.live.push(a);
    this.device.launch(fill(a, n, POISON));
    return a;
  }
  async readF32(a: Allocation, n: number): Promise<Float32Array> {
    const bytes = await this.device.read({ ...a.range(), bytes: n * 4 });
    return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  }
  async readU32(a: Allocation, n: number): Promise<Uint32Array> {
    const bytes = await this.device.read({ ...a.range(), bytes: n * 4 });
    return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  }
  async reset(): Promise<void> {
    for (const a of this.live.splice(0)) this.arena.free(a);
    this.arena.reclaim(await this.arena.fence());
  }
  destroy(): void {
    this.arena.destroy();
  }
}

/** Largest |got - want| / (atol + rtol |want|); <= 1 passes. NaN anywhere fails. */
export function closeness(got: ArrayLike<number>, want: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} vs ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!Number.isFinite(g)) return Infinity;
    worst = Math.max(worst, Math.abs(g - w) / (atol + rtol * Math.abs(w)));
  }
  return worst;
}
