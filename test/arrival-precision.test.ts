// What the serving tail was made of before round 6 (docs/results-scale.md):
// the trace driver woke on millisecond timers, so a request started up to
// 2 ms after its scheduled arrival and the lateness counted as latency; an
// answer's wait for the GPU fell back to 1 ms timers after 2 ms. Now the
// driver polls the clock for the last few ms before an arrival (never early),
// and the CUDA backend's waits for the inference lane stay on setImmediate
// longer than training's.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { INFER_SPIN_MS, SPIN_MS, whenDone } from '../src/devices/cuda/completion.js';
import type { CudaAddon } from '../src/devices/cuda/addon.js';
import { ColocationCore } from '../src/sched/core.js';
import { arrivalSleep, arrivalSleepFor, drive, SPIN_BEFORE_ARRIVAL_MS, timerSleep } from '../src/sched/driver.js';
import type { Trace } from '../src/sched/traces.js';

const idleCore = () =>
  new ColocationCore({ require: async () => ({ freedBytes: 0 }), release: () => 0, atMinimum: () => true }, { bytes: () => 0, load: async () => undefined, unload: async () => undefined }, { tIdleMs: 1000, watermarkBytes: 0 });

const traceOf = (ts: number[]): Trace => ({ name: 'light', durationS: 1, intervalS: 1, models: 1, timeScale: 1, rates: [1], arrivals: ts.map((t) => ({ t, model: 0 })) }) as unknown as Trace;

afterEach(() => vi.restoreAllMocks());

describe('the trace driver starts each request at its arrival, never before', () => {
  it('every request starts at or after its scheduled time (the default arrival sleep)', async () => {
    const ts = [0.004, 0.0071, 0.0123, 0.02, 0.0201, 0.031];
    const started: number[] = [];
    let t0 = 0;
    const now = () => performance.now();
    const res = await drive(traceOf(ts), idleCore(), ['a'], async () => {
      started.push(now() - t0);
      return { model: 'a', path: 'warm', coldStart: false, waitMs: 0 };
    }, { sloMs: 1e9, now: () => (t0 === 0 ? (t0 = now()) : now()) });
    expect(res.requests).toBe(ts.length);
    started.forEach((s, i) => expect(s).toBeGreaterThanOrEqual(ts[i]! * 1000));
  });

  it('the driver waits through the sleep it is given', async () => {
    const waits: number[] = [];
    // A clock the sleep alone moves: how long the host takes cannot merge two waits into one.
    let clock = 0;
    const sleep = (ms: number) => (waits.push(ms), (clock += ms), Promise.resolve());
    await drive(traceOf([0.005, 0.009]), idleCore(), ['a'], async () => ({ model: 'a', path: 'warm', coldStart: false, waitMs: 0 }), { sloMs: 1e9, sleep, now: () => clock });
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits.every((w) => w >= 1)).toBe(true);
  });

  it('arrivalSleep sleeps on a timer only while the arrival is more than the spin margin away', async () => {
    const timer = vi.spyOn(globalThis, 'setTimeout');
    await arrivalSleep(SPIN_BEFORE_ARRIVAL_MS);
    await arrivalSleep(1);
    expect(timer).not.toHaveBeenCalled();
    await arrivalSleep(SPIN_BEFORE_ARRIVAL_MS + 2);
    expect(timer).toHaveBeenCalledTimes(1);
    expect(timer.mock.calls[0]![1]).toBe(2);
  });

  it('a CPU adapter gets timers only (its cores are the device\'s); a hardware adapter the clock polls', async () => {
    expect(arrivalSleepFor({ info: { software: false } })).toBe(arrivalSleep);
    const sleep = arrivalSleepFor({ info: { software: true } });
    expect(sleep).toBe(timerSleep);
    const immediate = vi.spyOn(globalThis, 'setImmediate');
    const timer = vi.spyOn(globalThis, 'setTimeout');
    await sleep(1);
    await sleep(SPIN_BEFORE_ARRIVAL_MS);
    expect(immediate).not.toHaveBeenCalled();
    expect(timer.mock.calls.map((c) => c[1])).toEqual([1, SPIN_BEFORE_ARRIVAL_MS]);
  });
});

describe('waiting for a CUDA event', () => {
  /** An addon whose event completes at the n-th query (or throws). */
  const fake = (doneAt: number, fail = false) => {
    let queries = 0;
    const cu = { eventQuery: () => {
      if (fail) throw new Error('cudaEventQuery failed: an illegal memory access was encountered');
      return ++queries >= doneAt;
    } } as unknown as CudaAddon;
    return { cu, queries: () => queries };
  };

  it('an answer polls on setImmediate within its spin window, with no timer', async () => {
    expect(INFER_SPIN_MS).toBeGreaterThan(SPIN_MS);
    const timer = vi.spyOn(globalThis, 'setTimeout');
    const f = fake(40);
    await whenDone(f.cu, 1n as never, 60_000);
    expect(f.queries()).toBe(40);
    expect(timer).not.toHaveBeenCalled();
  });

  it('past the spin window it polls on timers', async () => {
    const timer = vi.spyOn(globalThis, 'setTimeout');
    const f = fake(3);
    await whenDone(f.cu, 1n as never, 0);
    expect(f.queries()).toBe(3);
    expect(timer).toHaveBeenCalledTimes(2);
  });

  it('a failed query rejects with the driver error', async () => {
    await expect(whenDone(fake(1, true).cu, 1n as never)).rejects.toThrow(/illegal memory access/);
  });
});
