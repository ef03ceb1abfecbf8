// The standalone calibration behind every SLO (src/eval/calibrate.ts): each
// architecture is loaded and warmed first, then timed in turns, so a host
// that is slow in its first seconds weighs on every architecture alike; the
// SLO is 4x the median of each one's own timed runs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { calibrate, SLO_FACTOR, WARM_RUNS } from '../src/eval/calibrate.js';
import { DEFAULT_TESTBED } from '../src/eval/testbed.js';
import { ModelStore } from '../src/infer/store.js';
import { testDevice } from './helpers/gpu.js';

afterEach(() => vi.restoreAllMocks());

describe('calibration', () => {
  it('warms every architecture, then times them in turns; each SLO is 4x its own median', async () => {
    const dev = await testDevice();
    const spec = { ...DEFAULT_TESTBED, architectures: [[16, 24, 4], [16, 40, 8, 4], [16, 12, 4]], models: 6 };
    const runs: string[] = [];
    const run = ModelStore.prototype.run;
    vi.spyOn(ModelStore.prototype, 'run').mockImplementation(function (this: ModelStore, ...a: Parameters<ModelStore['run']>) {
      runs.push(a[0]);
      return run.apply(this, a);
    });
    const timed = 6;
    const t = await calibrate(dev, spec, timed);
    expect(t.map((x) => x.architecture)).toEqual([0, 1, 2]);
    expect(t.map((x) => x.label)).toEqual(['MLP 16-24-4', 'MLP 16-40-8-4', 'MLP 16-12-4']);
    const names = runs.slice(0, 3);
    expect(new Set(names).size).toBe(3);
    // Warm-up and timed runs: every architecture once per turn, in the same order, before any reload is timed.
    const turns = runs.slice(0, 3 * (WARM_RUNS + timed));
    expect(turns).toEqual(Array.from({ length: WARM_RUNS + timed }, () => names).flat());
    // Then each architecture's pipelined cold starts (7 runs each), one architecture after the other.
    expect(runs.slice(3 * (WARM_RUNS + timed))).toEqual(names.flatMap((n) => Array(7).fill(n)));
    for (const x of t) {
      expect(x.execMs).toBeGreaterThan(0);
      expect(x.execP90Ms).toBeGreaterThanOrEqual(x.execMs);
      expect(x.sloMs).toBeCloseTo(SLO_FACTOR * x.execMs, 12);
      expect(x.loadMs).toBeGreaterThan(0);
      expect(x.bytes).toBeGreaterThan(0);
    }
  });
});
