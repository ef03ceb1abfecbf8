// What training's micro-batches spent their wall time on, and so what a
// discarded one threw away: GPU work, or waiting. The gate is sampled every
// ~1 ms (it has no events to subscribe to) and each interval since the last
// sample goes to the state seen now:
//   gpu      training command buffers in flight, inference not holding it;
//   beside   in flight while inference holds the gate (its priority window):
//            the training kernels queue behind, or run beside, decode steps;
//   held     training work queued and none in flight: the window keeps it
//            back (waiting, no GPU work);
//   host     neither: the trainer's host work (binding, uploads, kernel
//            preparation), a close in progress.
// The trainer reports each micro-batch as it ends (Trainer.onMicroBatch); its
// interval's samples go to the discarded or the committed tally. The wasted
// share comes out two ways: of micro-batch wall time (the definition,
// the target's number) and of the GPU time training's work was in flight.
import type { Gate } from '../../core/gate.js';
import type { MicroBatchRecord } from '../../train/trainer-types.js';

export const WASTE_STATES = ['gpu', 'beside', 'held', 'host'] as const;
export type WasteState = (typeof WASTE_STATES)[number];
export type StateMs = Record<WasteState, number>;

export interface WasteSplit {
  /** Micro-batches that ended, and those of them discarded. */
  microBatches: number;
  discarded: number;
  /** Milliseconds by state: in the discarded micro-batches, and in all. */
  discardedMs: StateMs;
  allMs: StateMs;
  /** Discarded wall time / all micro-batch wall time (the definition). */
  wallShare: number | null;
  /** Discarded in-flight time (gpu + beside) / all in-flight time. */
  gpuShare: number | null;
  /** The sampling period asked for, and the longest gap seen between samples (the host was busy), ms. */
  everyMs: number;
  maxGapMs: number;
}

const zero = (): StateMs => ({ gpu: 0, beside: 0, held: 0, host: 0 });

/** The state of training's work on the gate now. */
export function gateState(gate: Pick<Gate, 'running' | 'queued' | 'held' | 'paused'>): WasteState {
  const holds = gate.held || gate.paused;
  if (gate.running > 0) return holds ? 'beside' : 'gpu';
  return gate.queued > 0 && holds ? 'held' : 'host';
}

export class WasteLedger {
  /** Sample times and the running tallies at each (since the oldest micro-batch that may still end). */
  private times: number[] = [];
  private tallies: StateMs[] = [];
  private total = zero();
  private last = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly split: WasteSplit;

  constructor(
    readonly gate: Pick<Gate, 'running' | 'queued' | 'held' | 'paused'>,
    readonly everyMs = 1,
    readonly clock: () => number = () => performance.now(),
  ) {
    this.split = { microBatches: 0, discarded: 0, discardedMs: zero(), allMs: zero(), wallShare: null, gpuShare: null, everyMs, maxGapMs: 0 };
  }

  start(): void {
    this.last = this.clock();
    this.times = [this.last];
    this.tallies = [{ ...this.total }];
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  /** One sample: the time since the last goes to the state seen now. */
  sample(): void {
    const now = this.clock();
    this.split.maxGapMs = Math.max(this.split.maxGapMs, now - this.last);
    this.total[gateState(this.gate)] += now - this.last;
    this.last = now;
    this.times.push(now);
    this.tallies.push({ ...this.total });
  }

  /** A micro-batch ended (Trainer.onMicroBatch): its interval's samples are counted, and older ones dropped. */
  readonly onMicroBatch = (m: MicroBatchRecord): void => {
    if (this.times.length === 0) return; // not started
    const from = this.at(m.startMs);
    const to = this.at(m.endMs);
    const into = m.discarded ? [this.split.discardedMs, this.split.allMs] : [this.split.allMs];
    for (const s of WASTE_STATES) for (const t of into) t[s] += to[s] - from[s];
    this.split.microBatches++;
    if (m.discarded) this.split.discarded++;
    const keep = Math.max(0, this.index(m.endMs));
    this.times = this.times.slice(keep);
    this.tallies = this.tallies.slice(keep);
  };

  stop(): WasteSplit {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const sum = (t: StateMs) => WASTE_STATES.reduce((a, s) => a + t[s], 0);
    const inFlight = (t: StateMs) => t.gpu + t.beside;
    const { discardedMs: d, allMs: a } = this.split;
    this.split.wallShare = sum(a) > 0 ? sum(d) / sum(a) : null;
    this.split.gpuShare = inFlight(a) > 0 ? inFlight(d) / inFlight(a) : null;
    return this.split;
  }

  /** The tallies at the last sample at or before `t` (the first one kept when `t` is older). */
  private at(t: number): StateMs {
    return this.tallies[Math.max(0, this.index(t))]!;
  }

  /** Index of the last sample at or before `t` (-1: none). */
  private index(t: number): number {
    let lo = 0;
    let hi = this.times.length - 1;
    if (hi < 0 || this.times[0]! > t) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.times[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** One line: the counts, where the discarded micro-batches' time went, and the wasted share both ways. */
export function wasteText(w: WasteSplit): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
  const split = (t: StateMs) => `GPU ${s(t.gpu)} s, beside inference ${s(t.beside)} s, held by the window ${s(t.held)} s, host ${s(t.host)} s`;
  return `${w.microBatches} ended, ${w.discarded} discarded; discarded: ${split(w.discardedMs)}; all: ${split(w.allMs)}; wasted ${pct(w.wallShare)} of wall time, ${pct(w.gpuShare)} of in-flight GPU time (sampled every ${w.everyMs} ms, longest gap ${w.maxGapMs.toFixed(0)} ms)`;
}
