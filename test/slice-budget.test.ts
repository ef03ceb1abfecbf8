// The slice budget and the cost model on a fake clock: estimates learned per
// kernel and shape, a device that slows down gets fewer rows a slice, the
// budget from the tightest SLO, and slicing on only while inference runs or
// is expected.
import { describe, expect, it } from 'vitest';
import { CostModel, costKey } from '../src/core/cost.js';
import { InvalidRangeError } from '../src/core/errors.js';
import { deviceSlicing, SlicingPolicy, slicingFor } from '../src/core/slicing.js';
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

  it('takes the budget from the tightest SLO served', () => {
    const policy = new SlicingPolicy({ clock: () => 0, sloFraction: 0.25 });
    policy.serve('a', 40);
    policy.serve('b', 24);
    expect(policy.budgetMs).toBe(6);
    policy.inferenceRan(30); // slower requests do not shrink it (that fed on itself on a loaded CPU)
    expect(policy.budgetMs).toBe(6);
    policy.stopServing('b');
    expect(policy.budgetMs).toBe(10);
    expect(() => policy.serve('c', 0)).toThrow(InvalidRangeError);
  });

  it('takes the submission cost off each slice, and grows slices rather than drown in submissions', () => {
    const policy = new SlicingPolicy({ clock: () => 0, depth: 2 });
    policy.serve('a', 40); // budget 10 ms, two slices of 5 ms on the queue
    expect(policy.sliceWorkMs).toBe(5);
    policy.model.observeSubmit(1); // an empty submission takes 1 ms
    expect(policy.sliceWorkMs).toBe(4);
    policy.model.observe([{ key: 'k', units: 10 }], 11); // 10 rows: 1 ms of it was the submission
    expect(policy.model.perUnitMs('k')).toBeCloseTo(1, 6);
    expect(policy.slicesOnQueue).toBe(2);
    for (let i = 0; i < 40; i++) policy.model.observeSubmit(4); // a loaded CPU
    expect(policy.slicesOnQueue).toBe(1); // one slice at a time
    expect(policy.sliceWorkMs).toBeCloseTo(6, 3); // the whole budget less the submission: 10 - 4
    expect(policy.model.hostMs).toBe(0);
    policy.model.observeHost(3); // encoding and submitting a slice takes 3 ms of the host's CPU
    expect(policy.sliceWorkMs).toBeCloseTo(7, 3); // at least what a slice costs beyond its work: 4 + 3
    policy.model.observeHost(0); // a frozen clock says nothing
    expect(policy.model.hostMs).toBe(3);
  });

  it("takes only the device's part of a submission's round trip off a slice: the host learning of its end late (a poll timer) is not device time", () => {
    const policy = new SlicingPolicy({ clock: () => 0, depth: 1, notifyMs: 1 });
    policy.serve('a', 5.6); // budget 1.4 ms
    for (let i = 0; i < 40; i++) policy.model.observeSubmit(1.2); // round trip: 0.2 ms on the device, up to 1 ms to be seen
    expect(policy.deviceSubmitMs).toBeCloseTo(0.2, 3);
    expect(policy.sliceWorkMs).toBeCloseTo(1.2, 3); // 1.4 - 0.2; the whole round trip would have floored it at 1.2 + host
    policy.model.observeHost(0.1);
    for (let i = 0; i < 40; i++) policy.model.observeSubmit(2); // a loaded CPU: 1 ms of it on the device
    expect(policy.sliceWorkMs).toBeCloseTo(1.1, 2); // the floor: 1 + 0.1
    const plain = new SlicingPolicy({ clock: () => 0, depth: 1 });
    plain.serve('a', 5.6);
    plain.model.observeSubmit(1.2);
    expect(plain.deviceSubmitMs).toBe(1.2); // no completion latency declared: the whole round trip is the device's
    expect(() => new SlicingPolicy({ notifyMs: -1 })).toThrow(InvalidRangeError);
  });

  it("takes the device's completion latency, and one slice at a time on a CPU adapter", () => {
    const caps = { lanes: false, completionLatencyMs: 1 };
    expect(deviceSlicing({ info: { software: true, capabilities: caps } })).toEqual({ notifyMs: 1, depth: 1 });
    expect(deviceSlicing({ info: { software: false, capabilities: { lanes: false } } })).toEqual({ notifyMs: undefined });
    const cpu = slicingFor({ info: { software: true, capabilities: caps } }, 'auto', { sloFraction: 0.5 })!;
    expect([cpu.depth, cpu.notifyMs, cpu.sloFraction]).toEqual([1, 1, 0.5]);
    expect(slicingFor({ info: { software: false, capabilities: { lanes: false } } }, 'auto')!.depth).toBe(2);
  });

  it('with no SLO declared, takes 4x the fastest request as the SLO', () => {
    const policy = new SlicingPolicy({ clock: () => 0, budgetMs: 3 });
    expect(policy.budgetMs).toBe(3);
    policy.inferenceRan(8);
    policy.inferenceRan(5);
    policy.inferenceRan(9); // waited behind a slice: the low envelope keeps 5
    expect(policy.tightestSloMs).toBeCloseTo(20 + 0.8, 0);
  });

  it('takes hold lengths for executions only until executions are reported', () => {
    const policy = new SlicingPolicy({ clock: () => 0 });
    policy.inferenceHeld(5); // a face with no priority window: the hold is the request
    expect(policy.tightestSloMs).toBe(20);
    policy.inferenceRan(3);
    expect(policy.tightestSloMs).toBe(12);
    policy.inferenceHeld(35); // a 30 ms priority window after the request: not its execution
    expect(policy.tightestSloMs).toBe(12);
  });

  it('slices while a request runs or is expected, in larger slices one at a time for restMs after, full size otherwise', () => {
    let t = 0;
    const policy = new SlicingPolicy({ clock: () => t, expectMs: 100, restMs: 1000, restFraction: 0.5, depth: 2 });
    policy.serve('a', 40);
    expect(policy.active(false)).toBe(false);
    expect(policy.active(true)).toBe(true);
    policy.inferenceRan(3);
    t = 99;
    expect(policy.active(false)).toBe(true);
    expect([policy.resting, policy.budgetMs, policy.slicesOnQueue]).toEqual([false, 10, 2]); // expected: a quarter of the SLO, two slices
    t = 101;
    expect(policy.active(false)).toBe(true);
    expect([policy.resting, policy.budgetMs, policy.slicesOnQueue]).toEqual([true, 20, 1]); // resting: half the SLO, one slice
    t = 1101;
    expect(policy.active(false)).toBe(false);
    expect(new SlicingPolicy({ clock: () => t, restMs: 0 }).resting).toBe(false);
    expect(() => new SlicingPolicy({ restFraction: 0 })).toThrow(/rest slice fraction/);
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
