// What the micro-batches' wall time went to (src/eval/llm/waste.ts): the
// gate's state by sample, each interval to the state seen at its end, a
// micro-batch's samples to the discarded or the committed tally, and the
// wasted share both ways. A scripted gate and clock: no device.
import { describe, expect, it } from 'vitest';
import { gateState, WasteLedger, wasteText } from '../src/eval/llm/waste.js';

class ScriptedGate {
  running = 0;
  queued = 0;
  held = false;
  paused = false;
}

describe('the waste ledger', () => {
  it('names the gate\'s states', () => {
    const g = new ScriptedGate();
    expect(gateState(g)).toBe('host');
    g.queued = 3;
    expect(gateState(g)).toBe('host'); // queued, not held: the pump is about to launch it
    g.held = true;
    expect(gateState(g)).toBe('held');
    g.running = 1;
    expect(gateState(g)).toBe('beside');
    g.held = false;
    expect(gateState(g)).toBe('gpu');
    g.running = 0;
    g.paused = true;
    expect(gateState(g)).toBe('held');
  });

  it('splits a discarded micro-batch into GPU work and waiting, and gives the share both ways', () => {
    const g = new ScriptedGate();
    let now = 1000;
    const ledger = new WasteLedger(g, 1, () => now);
    ledger.start();
    // [ms to advance, the state at the end of it]: micro-batch 1 (committed) 1000..1010, micro-batch 2 (discarded) 1010..1040.
    const at = (ms: number, s: Partial<ScriptedGate>) => {
      Object.assign(g, { running: 0, queued: 0, held: false, paused: false }, s);
      now += ms;
      ledger.sample();
    };
    at(2, {}); // host: binding, upload
    at(8, { running: 1 }); // GPU
    ledger.onMicroBatch({ samples: 4, startMs: 1000, endMs: 1010, discarded: false });
    at(3, { running: 1 }); // GPU
    at(5, { running: 1, held: true }); // beside a decode step
    at(17, { queued: 2, held: true }); // held by the window
    at(5, {}); // host: the close
    ledger.onMicroBatch({ samples: 4, startMs: 1010, endMs: 1040, discarded: true });
    at(7, { running: 1 }); // after the last micro-batch: counted nowhere
    const w = ledger.stop();
    expect(w.microBatches).toBe(2);
    expect(w.discarded).toBe(1);
    expect(w.discardedMs).toEqual({ gpu: 3, beside: 5, held: 17, host: 5 });
    expect(w.allMs).toEqual({ gpu: 11, beside: 5, held: 17, host: 7 });
    expect(w.wallShare).toBeCloseTo(30 / 40, 12);
    expect(w.gpuShare).toBeCloseTo(8 / 16, 12);
    expect(w.maxGapMs).toBe(17);
    expect(wasteText(w)).toContain('wasted 75.0% of wall time, 50.0% of in-flight GPU time');
  });

  it('a micro-batch begun before the ledger started counts from the first sample; no micro-batch, no share', () => {
    const g = new ScriptedGate();
    let now = 50;
    const ledger = new WasteLedger(g, 1, () => now);
    ledger.start();
    g.running = 1;
    now += 4;
    ledger.sample();
    ledger.onMicroBatch({ samples: 1, startMs: 10, endMs: 54, discarded: true });
    expect(ledger.stop().discardedMs.gpu).toBe(4);
    const empty = new WasteLedger(new ScriptedGate(), 1, () => 0);
    empty.start();
    expect(empty.stop()).toMatchObject({ microBatches: 0, wallShare: null, gpuShare: null });
  });
});
