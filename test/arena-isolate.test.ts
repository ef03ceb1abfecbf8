// --isolate-models: pages passed from one inference model to another are
// zero-filled on the GPU before the next model can read them; pages reused by
// the same model are not (no cost where nothing can leak). Without the
// option, inference pages pass between models as they are (the default, as
// in the paper: only owner changes between training and inference are zeroed).
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { fill } from '../src/kernels/elementwise.js';
import { testDevice } from './helpers/gpu.js';

const PAGE = 4096;
const CANARY = 0x5eed1e55;
let dev: GpuDevice;

beforeAll(async () => {
  dev = await testDevice();
});

/** Model A writes a canary into 3 pages and frees them; then `label` takes 3 pages. What does it read? */
async function handOver(isolateModels: boolean, label: string): Promise<{ words: Uint32Array; zeroedBytes: number; samePages: boolean }> {
  const arena = new Arena(dev, { bytes: 8 * PAGE, pageBytes: PAGE, isolateModels });
  try {
    const a = arena.allocate('infer', 3 * PAGE, 'model-a:weights');
    dev.launch(fill(a, (3 * PAGE) / 4, CANARY));
    const first = a.firstPage;
    arena.free(a);
    arena.reclaim(await arena.fence());
    const before = arena.zeroedBytes;
    const b = arena.allocate('infer', 3 * PAGE, label);
    const words = new Uint32Array((await dev.read(b.range())).slice().buffer);
    return { words, zeroedBytes: arena.zeroedBytes - before, samePages: b.firstPage === first };
  } finally {
    arena.destroy();
  }
}

describe('--isolate-models', () => {
  it('another model gets the pages zero-filled', async () => {
    const r = await handOver(true, 'model-b:activations');
    expect(r.samePages).toBe(true);
    expect(r.zeroedBytes).toBe(3 * PAGE);
    expect(r.words.every((w) => w === 0)).toBe(true);
  });

  it('the same model reuses its pages without a fill', async () => {
    const r = await handOver(true, 'model-a:activations');
    expect([r.samePages, r.zeroedBytes]).toEqual([true, 0]);
    expect(r.words.every((w) => w === CANARY)).toBe(true);
  });

  it('off (the default): pages pass between models as they are', async () => {
    const r = await handOver(false, 'model-b:activations');
    expect([r.samePages, r.zeroedBytes]).toEqual([true, 0]);
    expect(r.words.every((w) => w === CANARY)).toBe(true);
  });
});
