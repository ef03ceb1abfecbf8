// The core replayed on a trace with a virtual clock: what W buys (fewer
// handovers, fewer cold starts) and agreement of its cold-start ratio with the
// per-model expiry chain.
import { describe, expect, it } from 'vitest';
import { coldProbability } from '../src/sched/queueing-per-model.js';
import { replayPolicy } from '../src/sched/replay.js';
import { generateTrace } from '../src/sched/traces.js';

const MiB = 2 ** 20;
const trace = generateTrace({ kind: 'burst', seed: 1, models: 8 });
const modelBytes = new Array<number>(8).fill(64 * MiB);

describe('policy replay', () => {
  it('is deterministic, and a larger W means fewer handovers and fewer cold starts', async () => {
    const a = await replayPolicy({ trace, modelBytes, tIdleS: 1, watermarkBytes: 64 * MiB });
    expect(await replayPolicy({ trace, modelBytes, tIdleS: 1, watermarkBytes: 64 * MiB })).toEqual(a);
    let prev = Infinity;
    let prevCold = Infinity;
    const rows: string[] = [];
    for (const w of [0, 1, 2, 4]) {
      const r = await replayPolicy({ trace, modelBytes, tIdleS: 1, watermarkBytes: w * 64 * MiB });
      rows.push(`W ${w * 64} MiB: ${r.handoversPerSec.toFixed(3)} handovers/s, cold ${(100 * r.coldStartRatio).toFixed(2)}%, holds ${(r.meanInferenceBytes / MiB).toFixed(0)} MiB`);
      expect(r.handoversPerSec).toBeLessThanOrEqual(prev);
      expect(r.coldStartRatio).toBeLessThanOrEqual(prevCold);
      expect(r.maxInferenceBytes).toBeLessThanOrEqual(512 * MiB + 2 * w * 64 * MiB);
      prev = r.handoversPerSec;
      prevCold = r.coldStartRatio;
    }
    console.log(`BURST, T_idle 1 s:\n  ${rows.join('\n  ')}`);
  });

  it('with W = 0, cold starts are what the per-model chain predicts (within 1 point)', async () => {
    for (const tIdleS of [0.5, 1, 5]) {
      const r = await replayPolicy({ trace, modelBytes, tIdleS, watermarkBytes: 0 });
      const shares = new Array<number>(8).fill(1 / 8);
      let predicted = 0;
      let weight = 0;
      trace.rates.forEach((lambda) => {
        predicted += lambda * coldProbability({ lambda, alpha: 1, tIdleS, shares });
        weight += lambda;
      });
      expect(Math.abs(r.coldStartRatio - predicted / weight)).toBeLessThan(0.01);
    }
  });
});

describe('the search with a handover budget', () => {
  it('takes the cheapest pair whose replayed handovers fit the training-time budget', async () => {
    const { tune, tuneWithHandovers } = await import('../src/sched/tune.js');
    const r = tune({ rates: trace.rates, modelBytes, execS: 0.002, loadS: 0.05, sloS: 0.008, sloTarget: 0.9, expiry: 'model' });
    const replayed: number[] = [];
    const choice = await tuneWithHandovers(r, 0.9, { handoverMs: 15, maxTrainShare: 0.01 }, async (c) => {
      replayed.push(c.inferenceBytes);
      return replayPolicy({ trace, modelBytes, tIdleS: c.tIdleS, watermarkBytes: c.watermarkBytes });
    });
    expect(choice.met).toBe(true);
    expect(choice.trainShare).toBeLessThanOrEqual(0.01);
    expect(choice.chosen.compliance).toBeGreaterThanOrEqual(0.9);
    expect(replayed).toEqual(replayed.slice().sort((a, b) => a - b)); // cheapest first
    expect(choice.chosen.inferenceBytes).toBe(replayed.at(-1));
    expect(choice.chosen.watermarkBytes).toBeGreaterThan(0); // W = 0 hands over too often here
    const none = await tuneWithHandovers(r, 0.9, { handoverMs: 15, maxTrainShare: 1e-9, maxReplays: 3 }, async () => ({ handoversPerSec: 1 }));
    expect(none.met).toBe(false);
    expect(none.replays).toBe(3);
  });
});
