// The slice budget and the cost model on a fake clock: estimates learned per
// kernel and shape, a device that slows down gets fewer rows a slice, a
// slower request shrinks the budget itself, and slicing is on only while
// inference runs or is expected.
import { describe, expect, it } from 'vitest';
import { CostModel, costKey } from '../src/core/cost.js';
import { InvalidRangeError } from '../src/core/errors.js';
import { SlicingPolicy, slicingFor } from '../src/core/slicing.js';
import { matmul } from '../src/kernels/matmul.js';

const range = { backing: { id: 1, bytes: 1 << 20 }, offset: 0, bytes: 4096 };

/** A device on a fake clock: a submission of `rows` takes overhead + rows * perRow ms. */
function fakeDevice(perRow: number, overhead = 0.2) {
  let t = 0;
  const dev = { perRow, clock: () => t };
  const submit = (policy: SlicingPolicy, key: string, rows: number) => {
    const t0 = t;
    t += overhead + rows * dev.perRow;
    policy.model.observe([{ key, units: rows }], t - t0);
  };
  return { dev, submit };
}

describe('slice budget', () => {
  it('learns a kernel per shape, and gives a device that slows down fewer rows a slice', () => {
    const { dev, submit } = fakeDevice(0.5);
    const policy = new SlicingPolicy({ clock: dev.clock });
    policy.serve('mlp', 20); // budget 5 ms
    const key = costKey(matmul({ a: range, b: range, c: range, m: 64, n: 64, k: 64 }));
    expect(key).not.toBe(costKey(matmul({ a: range, b: range, c: range, m: 64, n: 64, k: 32 })));
    expect(policy.rowsWithin(key, policy.budgetMs)).toBeNull();
    for (let i = 0; i < 30; i++) submit(policy, key, policy.rowsWithin(key, policy.budgetMs) ?? 8);
    const fast = policy.rowsWithin(key, policy.budgetMs)!;
    expect(fast).toBeGreaterThanOrEqual(8); // the submission fits the budget: (5 - 0.2) / 0.5 = 9.6 rows
    expect(fast).toBeLessThanOrEqual(10);
    dev.perRow = 2; // the CPU under SwiftShader got a second job
    for (let i = 0; i < 30; i++) submit(policy, key, Math.max(1, policy.rowsWithin(key, policy.budgetMs)!));
    const slow = policy.rowsWithin(key, policy.budgetMs)!;
    expect(slow).toBeGreaterThanOrEqual(2);
    expect(slow).toBeLessThanOrEqual(3); // (5 - 0.2) / 2 = 2.4
    expect(policy.model.perUnitMs(key)).toBeCloseTo(2, 0);
  });

  it('shrinks the budget when requests themselves get slower', () => {
    let t = 0;
    const policy = new SlicingPolicy({ clock: () => t });
    policy.serve('a', 40);
    policy.serve('b', 24); // the tightest SLO sets the budget
    expect(policy.budgetMs).toBe(6);
    policy.inferenceRan(6); // a request takes a quarter of its SLO: room for a 6 ms slice
    expect(policy.budgetMs).toBe(6);
    for (let i = 0; i < 20; i++) policy.inferenceRan(16); // the device slowed: 8 ms of SLO left
    expect(policy.budgetMs).toBeCloseTo(4, 1);
    policy.stopServing('b');
    expect(policy.budgetMs).toBeCloseTo(10, 1);
    t += 1;
  });

  it('with no SLO declared, takes 4x the fastest request as the SLO', () => {
    const policy = new SlicingPolicy({ clock: () => 0, budgetMs: 3 });
    expect(policy.budgetMs).toBe(3);
    policy.inferenceRan(8);
    policy.inferenceRan(5);
    policy.inferenceRan(9); // waited behind a slice: the low envelope keeps 5
    expect(policy.tightestSloMs).toBeCloseTo(20 + 0.8, 0);
  });

  it('slices while a request runs or is expected, full size otherwise', () => {
    let t = 0;
    const policy = new SlicingPolicy({ clock: () => t, expectMs: 100 });
    expect(policy.active(false)).toBe(false);
    expect(policy.active(true)).toBe(true);
    policy.inferenceRan(3);
    t = 99;
    expect(policy.active(false)).toBe(true);
    t = 101;
    expect(policy.active(false)).toBe(false);
    policy.forced = true;
    expect(policy.active(false)).toBe(true);
    policy.enabled = false;
    expect(policy.active(true)).toBe(false);
  });

  it('splits a submission among known pieces in proportion to their estimates', () => {
    const m = new CostModel({ alpha: 1 });
    m.observe([{ key: 'a', units: 4 }], 4); // 1 ms a unit
    m.observe([{ key: 'a', units: 1 }, { key: 'b', units: 1 }], 3); // the known piece takes its share first: b 2 ms
    const a = m.perUnitMs('a')!;
    const b = m.perUnitMs('b')!;
    expect([a, b]).toEqual([1, 2]);
    m.observe([{ key: 'a', units: 2 }, { key: 'b', units: 1 }], 2 * (2 * a + b));
    expect(m.perUnitMs('a')! / a).toBeCloseTo(2, 5);
    expect(m.perUnitMs('b')! / b).toBeCloseTo(2, 5);
    expect(() => new CostModel({ alpha: 0 })).toThrow(InvalidRangeError);
  });

  it('auto slices on one queue only; off never; on also with an inference lane', () => {
    const oneQueue = { info: { capabilities: { lanes: false } } };
    const lanes = { info: { capabilities: { lanes: true } } };
    expect(slicingFor(oneQueue, 'auto')).toBeInstanceOf(SlicingPolicy);
    expect(slicingFor(lanes, 'auto')).toBeNull();
    expect(slicingFor(lanes, 'on')).toBeInstanceOf(SlicingPolicy);
    expect(slicingFor(oneQueue, 'off')).toBeNull();
    expect(() => slicingFor(oneQueue, 'sometimes' as 'on')).toThrow(InvalidRangeError);
  });
});
