// `handover run`'s policy when the command line gives none: the tuner's
// T_idle for the trace and instance count (not a fixed 1 s), W at least one
// model; what the command line gives wins, and the log's source says which.
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../src/eval/evaluation.js';

const tuner = { tIdleMs: 10_000, watermarkBytes: 0 };
const MODEL = 97 << 20;

describe('the default handover policy', () => {
  it("takes the tuner's T_idle and raises W to one model", () => {
    const p = defaultPolicy(undefined, tuner, MODEL, 'tuner: T_idle 10000 ms', 0.93);
    expect(p.tuned).toEqual({ tIdleMs: 10_000, watermarkBytes: MODEL });
    expect(p.source).toMatch(/^T_idle the tuner's, W the tuner's, at least one model; tuner: T_idle 10000 ms$/);
    expect(p.predicted).toBeNull(); // W differs from what the tuner predicted for
  });

  it("keeps the tuner's prediction when its W is already at least one model", () => {
    const p = defaultPolicy({}, { tIdleMs: 5000, watermarkBytes: 2 * MODEL }, MODEL, 't', 0.91);
    expect(p.tuned).toEqual({ tIdleMs: 5000, watermarkBytes: 2 * MODEL });
    expect(p.predicted).toBe(0.91);
  });

  it('uses what the command line gives', () => {
    const p = defaultPolicy({ tIdleMs: 300 }, tuner, MODEL, 't', 0.9);
    expect(p.tuned).toEqual({ tIdleMs: 300, watermarkBytes: MODEL });
    expect(p.source).toMatch(/^T_idle given on the command line, W the tuner's/);
    const q = defaultPolicy({ tIdleMs: 300, watermarkBytes: 32 * 1024 }, tuner, MODEL, 't', 0.9);
    expect(q.tuned).toEqual({ tIdleMs: 300, watermarkBytes: 32 * 1024 });
    expect(q.source).toMatch(/W given on the command line/);
  });
});
