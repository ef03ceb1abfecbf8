// Where a system's requests waited: P50/P99 of each request stage, the admit
// of cold starts apart, and none where no request had a stage.
import { describe, expect, it } from 'vitest';
import { quantile } from '../src/sched/driver.js';
import { stageTimes } from '../src/eval/run-system.js';

describe('request stage times', () => {
  it('takes P50/P99 of each stage, cold admits apart', () => {
    const r = Array.from({ length: 101 }, (_, i) => ({ lagMs: i % 7, admitMs: i % 3 === 0 ? 40 + i : 0, windowMs: 0.5 * i, runMs: 2 + (i % 5), cold: i % 3 === 0 }));
    const st = stageTimes(r);
    const q = (xs: number[], p: number) => quantile([...xs].sort((a, b) => a - b), p);
    for (const [k, f] of [['lag', (x: (typeof r)[0]) => x.lagMs], ['admit', (x: (typeof r)[0]) => x.admitMs], ['window', (x: (typeof r)[0]) => x.windowMs], ['run', (x: (typeof r)[0]) => x.runMs]] as const)
      expect(st[k], k).toEqual({ p50Ms: q(r.map(f), 0.5), p99Ms: q(r.map(f), 0.99) });
    const cold = r.filter((x) => x.cold).map((x) => x.admitMs);
    expect(st.coldAdmit).toEqual({ p50Ms: q(cold, 0.5), p99Ms: q(cold, 0.99) });
    expect(st.coldAdmit!.p50Ms).toBeGreaterThanOrEqual(40); // warm admits (0 ms) are not in it
    expect(st.admit!.p50Ms).toBe(0);
  });

  it('has no numbers without requests', () => {
    expect(stageTimes([])).toEqual({ lag: null, admit: null, coldAdmit: null, window: null, run: null });
    expect(stageTimes([{ lagMs: 1, admitMs: 0, windowMs: 0, runMs: 1, cold: false }]).coldAdmit).toBeNull();
  });
});
