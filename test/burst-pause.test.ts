// The arrival-rate predictor of time-sliced training on a fake clock: the rate
// follows a change from light to heavy traffic within its window of arrivals,
// a burst pauses training until the rate says it is over (exact times), a
// REQUIRE lifts the pause, and after a request training stays sliced for a few
// of the recent mean gaps. The gate on a simulated device launches nothing in
// a burst and launches at once when the burst is predicted over; the priority
// window after a request stays only for gates without the burst pause.
import { describe, expect, it } from 'vitest';
import { ArrivalRate } from '../src/core/arrivals.js';
import { InvalidRangeError } from '../src/core/errors.js';
import { Gate } from '../src/core/gate.js';
import { SlicingPolicy } from '../src/core/slicing.js';
import { PriorityWindow } from '../src/sched/priority.js';
import { SimDevice } from '../src/devices/sim/device.js';

function fakeClock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

/** Arrivals every `gap` ms, `n` of them, on the fake clock. */
function arrive(c: { t: number }, r: { arrived(): void }, n: number, gap: number): void {
  for (let i = 0; i < n; i++) {
    c.t += gap;
    r.arrived();
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('arrival rate', () => {
  it('estimates the rate over its window, counting the open silence, and follows a change within the window', () => {
    const c = fakeClock();
    const r = new ArrivalRate({ window: 8, clock: c.now });
    expect(r.rate()).toBe(0);
    expect(r.meanGapMs).toBeNull();
    arrive(c, r, 20, 160); // light: 6.25 req/s
    expect(r.meanGapMs).toBeCloseTo(160, 9);
    expect(r.rate()).toBeCloseTo(8 / (7 * 160), 12); // 8 arrivals over 7 gaps and no silence yet
    expect(r.burst(30)).toBe(false);
    arrive(c, r, 3, 8); // heavy begins: not a burst yet (3 close arrivals among 8)
    expect(r.burst(30)).toBe(false);
    arrive(c, r, 5, 8); // 8 arrivals 8 ms apart: the window holds only the heavy ones
    expect(r.meanGapMs).toBeCloseTo(8, 9);
    expect(r.burst(30)).toBe(true);
    c.t += 40; // a silence longer than the window's span still leaves the mean gap below 30 ms
    expect(r.rate()).toBeCloseTo(8 / (7 * 8 + 40), 12);
    expect(r.burst(30)).toBe(true);
    expect(r.count).toBe(28);
  });

  it('says exactly when a burst is over if no request comes, and one arrival alone is no burst', () => {
    const c = fakeClock();
    const r = new ArrivalRate({ window: 4, clock: c.now });
    r.arrived();
    expect(r.burst(30)).toBe(false); // a single request just arrived: its rate is unbounded, but it is not a burst
    arrive(c, r, 3, 5); // 4 arrivals over 15 ms
    const oldest = c.t - 15;
    const end = r.burstEndsAt(30);
    expect(end).toBe(oldest + 4 * 30);
    c.t = end - 0.01;
    expect(r.burst(30)).toBe(true);
    c.t = end + 0.01;
    expect(r.burst(30)).toBe(false);
  });

  it('expects a request while the silence is shorter than a few recent mean gaps, or a minimum', () => {
    const c = fakeClock();
    const r = new ArrivalRate({ clock: c.now });
    expect(r.expected(3, 250)).toBe(false); // nothing seen
    arrive(c, r, 8, 200); // 5 req/s
    c.t += 590;
    expect(r.expected(3, 250)).toBe(true); // 590 < 3 * 200
    c.t += 20;
    expect(r.expected(3, 250)).toBe(false);
    expect(r.expected(3, 1000)).toBe(true); // the minimum window
  });

  it('refuses a window of fewer than two arrivals', () => {
    expect(() => new ArrivalRate({ window: 1 })).toThrow(InvalidRangeError);
    expect(() => new ArrivalRate({ window: 2.5 })).toThrow(InvalidRangeError);
  });
});

describe('burst pause', () => {
  it('pauses training in a burst, not between light requests, not while a REQUIRE runs, not when switched off', () => {
    const c = fakeClock();
    const p = new SlicingPolicy({ clock: c.now, burstGapMs: 30 });
    arrive(c, p.arrivals, 10, 100);
    expect(p.pausedUntil()).toBeNull();
    for (let i = 0; i < 8; i++) {
      c.t += 10;
      p.requestArrived();
    }
    const until = p.pausedUntil()!;
    expect(until).toBe(c.t - 70 + 8 * 30);
    const lift = p.lift();
    expect(p.pausedUntil()).toBeNull();
    lift();
    lift(); // idempotent
    expect(p.pausedUntil()).toBe(until);
    p.burstGapMs = 0;
    expect(p.pausedUntil()).toBeNull();
    p.burstGapMs = 30;
    p.enabled = false;
    expect(p.pausedUntil()).toBeNull();
    expect(() => new SlicingPolicy({ burstGapMs: -1 })).toThrow(InvalidRangeError);
  });

  it('keeps training sliced after a request for a few of the recent mean gaps', () => {
    const c = fakeClock();
    const p = new SlicingPolicy({ clock: c.now, expectMs: 0, expectGaps: 3 });
    expect(p.active(false)).toBe(false);
    arrive(c, p.arrivals, 8, 100);
    c.t += 299;
    expect(p.active(false)).toBe(true);
    c.t += 2;
    expect(p.active(false)).toBe(false);
    expect(p.active(true)).toBe(true); // a request holds the gate
  });

  it('the gate launches nothing in a burst, and everything queued once the burst is predicted over', async () => {
    const c = fakeClock();
    const dev = new SimDevice();
    const policy = new SlicingPolicy({ clock: c.now, burstGapMs: 30 });
    const gate = new Gate(dev, { maxInFlight: 4, slicing: policy });
    const ran: number[] = [];
    for (let i = 0; i < 8; i++) {
      c.t += 5;
      policy.requestArrived();
    }
    expect(gate.paused).toBe(true);
    for (let i = 0; i < 3; i++) gate.enqueue(dev.op(async () => void ran.push(i)));
    await tick();
    expect(gate.launched).toBe(0);
    expect(gate.queued).toBe(3);
    expect(gate.pauses).toBeGreaterThan(0);
    c.t = policy.arrivals.burstEndsAt(30) + 1; // no request came: the wake-up finds the burst over
    await tick();
    await gate.idle();
    expect(ran).toEqual([0, 1, 2]);
    expect(gate.paused).toBe(false);
  });

  it('a REQUIRE in a burst lets training finish what it must (unpaused), and the pause comes back after', async () => {
    const c = fakeClock();
    const dev = new SimDevice();
    const policy = new SlicingPolicy({ clock: c.now, burstGapMs: 30 });
    const gate = new Gate(dev, { maxInFlight: 4, slicing: policy });
    const window = new PriorityWindow(gate, 0);
    for (let i = 0; i < 8; i++) {
      c.t += 5;
      await window.run(async () => undefined); // each run is an arrival for the predictor
    }
    expect(policy.arrivals.count).toBe(8);
    expect(gate.paused).toBe(true);
    let ran = 0;
    gate.enqueue(dev.op(async () => void ran++));
    await tick();
    expect(ran).toBe(0);
    // A naive handover waits for the running batch: it must be able to finish.
    await window.unheld(() => gate.unpaused(() => gate.idle()));
    expect(ran).toBe(1);
    gate.enqueue(dev.op(async () => void ran++));
    await tick();
    expect(ran).toBe(1);
    expect(gate.paused).toBe(true);
  });

  it('training queued during a run is launched only after the caller has the answer', async () => {
    const dev = new SimDevice();
    const gate = new Gate(dev);
    const window = new PriorityWindow(gate, 0);
    const answer = await window.run(async () => {
      gate.enqueue(dev.op(async () => undefined)); // the trainer queues work while the request runs
      return 42;
    });
    expect(answer).toBe(42);
    expect(gate.launched).toBe(0); // the resume's pump has not launched it on the caller's path
    await new Promise((r) => setImmediate(r));
    expect(gate.launched).toBe(1);
    await gate.idle();
  });

  it('ends the hold after the answer where there is no setImmediate (a browser)', async () => {
    const gate = new Gate(new SimDevice());
    const window = new PriorityWindow(gate, 0);
    const g = globalThis as { setImmediate?: unknown };
    const saved = g.setImmediate;
    g.setImmediate = undefined;
    try {
      expect(await window.run(async () => 7)).toBe(7);
      expect(gate.held).toBe(true);
    } finally {
      g.setImmediate = saved;
    }
    await new Promise((r) => setTimeout(r, 5));
    expect(gate.held).toBe(false);
  });

  it('the priority window after a request stays for gates without slicing and goes where the burst pause replaces it', async () => {
    const dev = new SimDevice();
    const plain = new PriorityWindow(new Gate(dev), 30);
    expect(plain.lingerMs).toBe(30);
    await plain.run(async () => undefined);
    expect(plain.gate!.held).toBe(true); // held for the window after the run
    plain.clear();
    expect(plain.gate!.held).toBe(false);
    const policy = new SlicingPolicy({ burstGapMs: 30 });
    const sliced = new PriorityWindow(new Gate(dev, { slicing: policy }), 30);
    expect(sliced.lingerMs).toBe(0);
    await sliced.run(async () => expect(sliced.gate!.held).toBe(true)); // held while it runs
    expect(sliced.gate!.held).toBe(true); // and until the answer's callbacks have run
    await new Promise((r) => setImmediate(r));
    expect(sliced.gate!.held).toBe(false);
    policy.enabled = false; // the unsliced comparison keeps the window
    expect(sliced.lingerMs).toBe(30);
    policy.enabled = true;
    policy.burstGapMs = 0; // no burst pause: the window again
    expect(sliced.lingerMs).toBe(30);
  });
});
