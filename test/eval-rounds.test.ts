// --repeat: each system reports its median-compliance round and every round.
import { describe, expect, it } from 'vitest';
import { medianRound } from '../src/eval/evaluation.js';
import type { SystemResult } from '../src/eval/result.js';

function result(sloCompliance: number, trainSamplesPerSec: number): SystemResult {
  return { system: 'handover', sloCompliance, trainSamplesPerSec, p99Ms: 100 * sloCompliance } as unknown as SystemResult;
}

describe('medianRound', () => {
  it('picks the median-compliance round and lists all rounds in run order', () => {
    const m = medianRound([result(0.8, 10), result(0.6, 20), result(0.9, 30)]);
    expect(m.sloCompliance).toBe(0.8);
    expect(m.trainSamplesPerSec).toBe(10);
    expect(m.rounds!.map((r) => [r.round, r.sloCompliance])).toEqual([[1, 0.8], [2, 0.6], [3, 0.9]]);
  });
  it('takes the lower middle of an even count, and leaves a single round alone', () => {
    expect(medianRound([result(0.7, 1), result(0.5, 2), result(0.9, 3), result(0.6, 4)]).sloCompliance).toBe(0.6);
    const one = result(0.5, 1);
    expect(medianRound([one])).toBe(one);
    expect(medianRound([one]).rounds).toBeUndefined();
  });
});
