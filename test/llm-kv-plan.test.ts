// The KV plan's arithmetic (src/llm/kv-plan.ts), no device: the reserve
// follows the arriving demand (an exponential average, checked against the
// closed form), a busy step asks for exactly what the coming pages plus the
// reserve lack, gives back only beyond twice the reserve, and an idle cache
// gives back what lies beyond the decayed reserve only after releaseAfterMs.
import { describe, expect, it } from 'vitest';
import { KvPlan, type KvPlanState } from '../src/llm/kv-plan.js';

const PAGE = 1 << 20;
const state = (over: Partial<KvPlanState>): KvPlanState => ({ comingPages: 0, unusedPages: 0, askingPages: 0, borrowedPages: 0, pageBytes: PAGE, ...over });

describe('KvPlan', () => {
  it('the reserve is max(W, arriving bytes per ms x horizon), the rate an exponential average that decays in quiet', () => {
    const plan = new KvPlan({ watermarkBytes: 3 * PAGE, horizonMs: 1000, rateTauMs: 2000 });
    expect(plan.reserveBytes(0)).toBe(3 * PAGE); // nothing arrived: W
    // 7 arrivals of 5 pages, 250 ms apart: r_k = r_{k-1} e^{-250/2000} + 5 PAGE / 2000.
    let ref = 0;
    for (let k = 0; k < 7; k++) {
      plan.noteArrival(5 * PAGE, 1000 + 250 * k);
      ref = (k === 0 ? 0 : ref * Math.exp(-250 / 2000)) + (5 * PAGE) / 2000;
    }
    const t = 1000 + 250 * 6;
    expect(plan.rateAt(t) / ref).toBeCloseTo(1, 12);
    expect(plan.reserveBytes(t) / (ref * 1000)).toBeCloseTo(1, 12);
    expect(plan.reserveBytes(t)).toBeGreaterThan(3 * PAGE);
    // 3 s of quiet: the rate decays by e^{-3000/2000}.
    expect(plan.rateAt(t + 3000) / (ref * Math.exp(-1.5))).toBeCloseTo(1, 12);
    // Long quiet: back to the floor.
    expect(plan.reserveBytes(t + 60_000)).toBe(3 * PAGE);
  });

  it('a busy step yields exactly what the coming pages plus the reserve lack, counting pages already asked', () => {
    const plan = new KvPlan({ watermarkBytes: 2 * PAGE });
    expect(plan.busy(state({ comingPages: 9, unusedPages: 4 }), 0)).toEqual({ yieldPages: 9 + 2 - 4, releasePages: 0 });
    expect(plan.busy(state({ comingPages: 9, unusedPages: 4, askingPages: 7 }), 0)).toEqual({ yieldPages: 0, releasePages: 0 });
    // W of 2.5 pages rounds up to 3.
    expect(new KvPlan({ watermarkBytes: 2.5 * PAGE }).busy(state({ comingPages: 1 }), 0).yieldPages).toBe(4);
  });

  it('a busy step gives back only beyond twice the reserve, down to need + reserve, never more than borrowed or unused', () => {
    const plan = new KvPlan({ watermarkBytes: 2 * PAGE });
    // need 5 + 2 x 2 = 9: 9 unused pages keep everything.
    expect(plan.busy(state({ comingPages: 5, unusedPages: 9, borrowedPages: 20 }), 0)).toEqual({ yieldPages: 0, releasePages: 0 });
    // 10 unused: down to 5 + 2 = 7, so 3 go back.
    expect(plan.busy(state({ comingPages: 5, unusedPages: 10, borrowedPages: 20 }), 0)).toEqual({ yieldPages: 0, releasePages: 3 });
    // Never more than was borrowed.
    expect(plan.busy(state({ comingPages: 5, unusedPages: 30, borrowedPages: 4 }), 0).releasePages).toBe(4);
  });

  it('idle: nothing goes back before releaseAfterMs, then what lies beyond the decayed reserve', () => {
    const plan = new KvPlan({ watermarkBytes: 1 * PAGE, horizonMs: 1000, rateTauMs: 1000, releaseAfterMs: 500 });
    plan.noteArrival(8 * PAGE, 0); // rate 8 PAGE / 1000 per ms: reserve 8 pages at t = 0
    const s = state({ unusedPages: 12, borrowedPages: 12 });
    expect(plan.idle(s, 499, 499)).toBe(0);
    const keep = Math.ceil(8 * Math.exp(-0.5));
    expect(plan.idle(s, 500, 500)).toBe(12 - keep);
    expect(plan.idle(s, 10_000, 10_000)).toBe(12 - 1); // the reserve decayed to W
    expect(plan.idle(state({ unusedPages: 12, borrowedPages: 3 }), 10_000, 10_000)).toBe(3);
  });

  it('refuses a negative or non-finite setting', () => {
    expect(() => new KvPlan({ watermarkBytes: -1 })).toThrow(/watermarkBytes/);
    expect(() => new KvPlan({ watermarkBytes: 0, horizonMs: Infinity })).toThrow(/horizonMs/);
  });
});
