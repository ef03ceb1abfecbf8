// Inference priority on the device, as policy: while a request (or a
// generation step) runs, and for `priorityMs` after it, training launches no
// new work (the gate is held) and, for the systems that share compute,
// training runs confined (fewer rows on a one-queue device, part of the SMs
// on CUDA). The window after a run keeps a burst of requests from queueing
// behind training kernels launched in its short gaps.
//
// A require must never meet a held gate: training's close would drop gradient
// kernels that were queued but never launched, and the trainer, waiting for
// them, would only wake after the gate reopened. `unheld` lifts every hold
// this window placed for the duration of a require, and puts back the holds
// of the runs still in progress.
//
// Every run is a request arriving for time slicing's arrival-rate predictor
// (src/core/arrivals.ts): in a burst the gate launches no training at all.
// With that burst pause on, the window after a run is not kept: the pause
// keeps training out where requests come close together (mean gap below
// priorityMs), and between requests further apart slicing bounds what the
// next one waits for; holding training for priorityMs after every request
// there would only cost it (a fifth of its time at 6 requests a second).
// Even then the hold ends only after the answer is out (setImmediate): a
// resume launches the next training slice on the host thread, 0.2 ms of
// host work per request on SwiftShader that the request would otherwise
// wait for (docs/time-slicing.md, round 6).
import type { Gate } from '../core/gate.js';
import type { ComputeShare } from './compute-share.js';

export class PriorityWindow {
  private holds = 0;
  private running = 0;
  private sharing = 0;
  /** Window ends not yet run: lingering timers, or the end after an answer (setImmediate). */
  private readonly ends = new Set<{ cancel: () => void }>();

  constructor(
    readonly gate: Gate | null,
    /** Milliseconds the window stays after a run ends (0: only while it runs). */
    readonly priorityMs: number,
    readonly share: ComputeShare | null = null,
  ) {}

  /** Milliseconds training stays held after a run: priorityMs, or 0 where time slicing pauses training in bursts instead. */
  get lingerMs(): number {
    const s = this.gate?.slicing;
    return s && s.enabled && s.burstGapMs > 0 ? 0 : this.priorityMs;
  }

  /** Runs `fn` with training held back (and confined, where the policy shares compute). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.gate?.slicing?.requestArrived();
    this.hold();
    this.running++;
    if (this.share && this.sharing++ === 0) this.share.on();
    const t0 = performance.now();
    try {
      const r = await fn();
      this.gate?.slicing?.inferenceRan(performance.now() - t0); // time slicing expects more requests now
      return r;
    } finally {
      this.running--;
      const end = () => {
        this.unhold();
        if (this.share && --this.sharing === 0) this.share.off();
      };
      this.later(end, this.lingerMs);
    }
  }

  /** Runs `end` after `ms`, or once the answer's callbacks have run (0); unheld() and clear() cancel it. */
  private later(end: () => void, ms: number): void {
    const entry = { cancel: () => undefined as void };
    const fire = () => {
      this.ends.delete(entry);
      end();
    };
    if (ms > 0) {
      const t = setTimeout(fire, ms);
      entry.cancel = () => clearTimeout(t);
    } else if (typeof setImmediate === 'function') {
      const t = setImmediate(fire);
      entry.cancel = () => clearImmediate(t);
    } else {
      const t = setTimeout(fire, 0); // a browser has no setImmediate: the next task, still after the answer's callbacks
      entry.cancel = () => clearTimeout(t);
    }
    this.ends.add(entry);
  }

  /** Runs `fn` with none of this window's holds on the gate; the runs still in progress hold again after. */
  async unheld<T>(fn: () => Promise<T>): Promise<T> {
    for (const e of this.ends) e.cancel();
    const lingering = this.ends.size;
    this.ends.clear();
    while (this.holds > 0) this.unhold();
    if (this.share) {
      this.sharing -= lingering;
      if (this.sharing === 0 && lingering > 0) this.share.off();
    }
    try {
      return await fn();
    } finally {
      for (let i = 0; i < this.running; i++) this.hold();
    }
  }

  /** Ends every lingering window now (the system stops). */
  clear(): void {
    for (const e of this.ends) e.cancel();
    this.ends.clear();
    while (this.holds > 0) this.unhold();
    if (this.share && this.sharing > 0) this.share.off();
    this.sharing = 0;
  }

  private hold(): void {
    if (!this.gate) return;
    this.gate.hold();
    this.holds++;
  }

  private unhold(): void {
    if (this.holds === 0) return;
    this.holds--;
    this.gate!.resume();
  }
}
