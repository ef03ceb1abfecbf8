// The pollution check (src/bench/pollution.ts) on the test device, short: no
// page is readable by another owner (or, isolated, another model) before its
// zero-fill, and no live page is clobbered. It can fail: with the device's
// zero-fill switched off, it counts pollutions.
import { beforeAll, describe, expect, it } from 'vitest';
import type { GpuDevice } from '../src/core/device.js';
import { runPollution } from '../src/bench/pollution.js';
import { testDevice } from './helpers/gpu.js';

let dev: GpuDevice;
beforeAll(async () => {
  dev = await testDevice();
});

const opts = { ops: 400, seed: 7, pages: 24, pageBytes: 16 << 10, models: 3 };

describe('pollution check', () => {
  it('isolated models: 0 pollutions, 0 corruptions', async () => {
    const r = await runPollution(dev, { ...opts, sharedModels: false });
    console.log(`pollution (isolated, ${r.ops} ops): ${JSON.stringify(r)}`);
    expect([r.pollutions, r.corruptions, r.first]).toEqual([0, 0, undefined]);
    expect(r.pagesChecked).toBeGreaterThan(200);
    expect(r.zeroedBytes).toBeGreaterThan(0);
  });

  it('counts pollutions when pages are not zero-filled', async () => {
    const noZero = Object.create(dev, { zero: { value: () => undefined } }) as GpuDevice;
    const r = await runPollution(noZero, { ...opts, sharedModels: false });
    expect(r.pollutions).toBeGreaterThan(0);
    expect(r.first).toMatch(/read [0-9a-f]{8} of (train|infer)/);
  });
});
