// A WebGPU device opened with forced options (kernel set, pipelining) for a
// test file, with a scratch arena for kernel checks and a poisoning model
// store for whole-model checks; closed together.
import { afterAll, beforeAll } from 'vitest';
import { Arena } from '../../src/core/arena.js';
import { ModelStore } from '../../src/infer/store.js';
import { WebGpuDevice, type WebGpuOptions } from '../../src/devices/webgpu/device.js';
import { Scratch } from './gpu.js';

export interface ForcedEnv {
  dev: WebGpuDevice;
  s: Scratch;
  arena: Arena;
  store: ModelStore;
  close(): void;
}

export async function forcedEnv(opts: WebGpuOptions): Promise<ForcedEnv> {
  const dev = await WebGpuDevice.open(opts);
  const s = new Scratch(dev, 16 << 20);
  const arena = new Arena(dev, { bytes: 32 << 20, pageBytes: 64 << 10 });
  const store = new ModelStore(arena, { poison: true });
  return {
    dev, s, arena, store,
    close() {
      s.destroy();
      arena.destroy();
      dev.destroy();
    },
  };
}

/** forcedEnv() opened before the file's tests and closed after them; its fields are set once they start. */
export function useForcedEnv(opts: WebGpuOptions): ForcedEnv {
  const env = {} as ForcedEnv;
  beforeAll(async () => void Object.assign(env, await forcedEnv(opts)));
  afterAll(() => env.close());
  return env;
}
