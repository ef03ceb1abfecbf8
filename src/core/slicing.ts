// Time-sliced training on a device with one queue and no preemption (every
// WebGPU device): while inference is running or expected, the gate keeps at
// most one slice budget of training work on the queue, cutting long kernels
// into ranges of output rows, so a request that arrives waits for at most the
// slice in flight. When no inference is expected, training runs full size.
//
// The budget comes from the tightest SLO being served (a fraction of it, SLO / 4
// by default). How many rows fit in the budget follows the cost model, which
// is re-measured at every submission: a device that slows down gets fewer
// rows a slice, one that speeds up more.
//
// Bursts: while requests come closer together than `burstGapMs` on average
// (the arrival-rate predictor, src/core/arrivals.ts), training submits
// nothing at all: whatever it queued in a gap would meet the next request,
// and on a device that is the host's own CPU (SwiftShader) even a slice takes
// the cores that request needs. Training resumes when the rate says the
// burst is over, or at once for a REQUIRE (lift()).
import { ArrivalRate } from './arrivals.js';
import { CostModel } from './cost.js';
import { InvalidRangeError } from './errors.js';

export interface SlicingOptions {
  /** Share of the tightest SLO one slice may take (default 1/4). */
  sloFraction?: number;
  /** After a request, inference is expected for this long (ms): training stays sliced. */
  expectMs?: number;
  /** Milliseconds on a monotonic clock (default performance.now; tests pass a fake one). */
  clock?: () => number;
  /** Budget used before any SLO is known, ms. */
  budgetMs?: number;
  /**
   * Slices on the queue at once, each 1/depth of the budget (default 2): the
   * next slice is queued while one runs, so the device does not idle while
   * the host learns that a slice ended; together they stay within the budget.
   */
  depth?: number;
  costModel?: CostModel;
  /**
   * Training pauses while requests arrive closer than this on average, ms
   * (default 30, the priority window of `handover run`; 0: never pauses).
   */
  burstGapMs?: number;
  /**
   * After a request, training stays sliced while the silence is shorter than
   * this many recent mean gaps between requests (default 3: under a Poisson
   * arrival a longer silence has probability e^-3 = 5%), and at least expectMs.
   */
  expectGaps?: number;
  /** Arrivals the rate is estimated from (default 8). */
  rateWindow?: number;
  /**
   * Between requests that are no longer expected and this long after the last
   * one (ms, default 5000), training still runs in slices, of a larger share
   * of the tightest SLO (restFraction) and one at a time: a request after a
   * silence (1 in 20 of a Poisson stream comes after 3 mean gaps) then waits
   * for one such slice, not for a whole kernel. Longer quiet: full size. 0: off.
   */
  restMs?: number;
  /** Share of the tightest SLO one slice may take in the rest window (default 0.4). */
  restFraction?: number;
  /**
   * How late the host learns that a submission finished (ms; the device's
   * capabilities.completionLatencyMs, default 0): that part of a submission's
   * round trip does not occupy the device, so it neither takes from the
   * budget nor sets the smallest slice.
   */
  notifyMs?: number;
}

export class SlicingPolicy {
  readonly sloFraction: number;
  expectMs: number;
  readonly clock: () => number;
  readonly model: CostModel;
  readonly depth: number;
  private readonly slos = new Map<string, number>();
  private defaultBudget: number;
  private expectUntil = -Infinity;
  private restUntil = -Infinity;
  readonly restMs: number;
  readonly restFraction: number;
  readonly notifyMs: number;
  /** A low envelope of requests' execution (ms): what one takes with nothing ahead of it. */
  private inferLow: number | null = null;
  /** Executions are reported (inferenceRan), so hold lengths are not taken for them. */
  private told = false;
  /** While true the gate slices whatever the expectation (benchmarks, comparisons). */
  forced = false;
  /** While false the gate never slices (the unsliced comparison). */
  enabled = true;
  readonly arrivals: ArrivalRate;
  burstGapMs: number;
  readonly expectGaps: number;
  /** REQUIREs in progress: training must be able to finish or drop its work, so no pause. */
  private lifts = 0;

  constructor(opts: SlicingOptions = {}) {
    this.sloFraction = opts.sloFraction ?? 0.25;
    this.expectMs = opts.expectMs ?? 1000;
    this.clock = opts.clock ?? (() => performance.now());
    this.model = opts.costModel ?? new CostModel();
    this.defaultBudget = opts.budgetMs ?? 5;
    this.depth = opts.depth ?? 2;
    this.burstGapMs = opts.burstGapMs ?? 30;
    this.expectGaps = opts.expectGaps ?? 3;
    this.restMs = opts.restMs ?? 5000;
    this.restFraction = opts.restFraction ?? 0.4;
    this.notifyMs = opts.notifyMs ?? 0;
    if (!(this.notifyMs >= 0)) throw new InvalidRangeError(`completion latency must be >= 0 ms, got ${opts.notifyMs}`);
    if (!(this.restMs >= 0)) throw new InvalidRangeError(`rest window must be >= 0 ms, got ${opts.restMs}`);
    if (!(this.restFraction > 0 && this.restFraction <= 1)) throw new InvalidRangeError(`rest slice fraction of the SLO must be in (0, 1], got ${opts.restFraction}`);
    this.arrivals = new ArrivalRate({ window: opts.rateWindow, clock: this.clock });
    if (!(this.burstGapMs >= 0)) throw new InvalidRangeError(`burst gap must be >= 0 ms, got ${opts.burstGapMs}`);
    if (!(this.expectGaps >= 0)) throw new InvalidRangeError(`expected-inference gaps must be >= 0, got ${opts.expectGaps}`);
    if (!Number.isInteger(this.depth) || this.depth < 1) throw new InvalidRangeError(`slice depth must be a positive integer, got ${opts.depth}`);
    if (!(this.sloFraction > 0 && this.sloFraction <= 1)) throw new InvalidRangeError(`slice budget fraction of the SLO must be in (0, 1], got ${opts.sloFraction}`);
    if (!(this.expectMs >= 0)) throw new InvalidRangeError(`expected-inference window must be >= 0 ms, got ${opts.expectMs}`);
    if (!(this.defaultBudget > 0)) throw new InvalidRangeError(`slice budget must be > 0 ms, got ${opts.budgetMs}`);
  }

  /** A model served with this SLO (ms); the tightest one sets the budget. */
  serve(model: string, sloMs: number): void {
    if (!(sloMs > 0)) throw new InvalidRangeError(`SLO of ${model} must be > 0 ms, got ${sloMs}`);
    this.slos.set(model, sloMs);
  }

  stopServing(model: string): void {
    this.slos.delete(model);
  }

  /**
   * The tightest SLO served, ms; with none declared, the project's convention
   * (4x a request's standalone execution, from the low envelope of those seen);
   * null before either is known.
   */
  get tightestSloMs(): number | null {
    if (this.slos.size) return Math.min(...this.slos.values());
    return this.inferLow === null ? null : 4 * this.inferLow;
  }

  /**
   * Milliseconds of training work on the queue at once (all slices in
   * flight together): a fraction of the tightest SLO. (A budget that shrank
   * as requests got slower was tried: on a loaded CPU it fed on itself, with
   * slower requests giving smaller slices, more submissions and slower requests.)
   */
  get budgetMs(): number {
    const slo = this.tightestSloMs;
    return slo === null ? this.defaultBudget : slo * (this.resting ? this.restFraction : this.sloFraction);
  }

  /** Requests are no longer expected, but one came less than restMs ago: larger slices, one at a time. */
  get resting(): boolean {
    return !this.forced && !this.expecting && this.clock() < this.restUntil;
  }

  private get expecting(): boolean {
    return this.clock() < this.expectUntil || this.arrivals.expected(this.expectGaps, 0);
  }

  /**
   * Milliseconds a submission occupies the device beyond its kernels: its
   * measured round trip less the time the host may take to learn of its end
   * (notifyMs), which the device spends idle or on the next slice.
   */
  get deviceSubmitMs(): number {
    return Math.max(0, this.model.submitMs - this.notifyMs);
  }

  /**
   * Milliseconds of kernel work one slice may hold: its share of the budget
   * less the submission's fixed cost on the device, but at least that cost
   * plus the host's encoding, so that work is at least half of a slice's
   * device time (a loaded CPU under SwiftShader can take milliseconds a
   * submission: slices then grow rather than drown the device and the host in
   * submissions, and what a request waits for degrades with the device
   * instead of collapsing). The floor counted the whole round trip, poll
   * interval included, until round 4 (docs/time-slicing.md): with Dawn's
   * polls on a 1 ms timer that made 1.2-1.3 ms slices, and the README trace's
   * light interval missed 12-19 requests behind them.
   */
  get sliceWorkMs(): number {
    const o = this.deviceSubmitMs;
    return Math.max(this.budgetMs / this.slicesOnQueue - o, o + this.model.hostMs);
  }

  /** Slices on the queue at once: depth, or 1 when the submission's cost leaves too little of a share. */
  get slicesOnQueue(): number {
    if (this.resting) return 1;
    const o = this.deviceSubmitMs;
    return this.budgetMs / this.depth - o >= 2 * o ? this.depth : 1;
  }

  /**
   * Rows of a sliceable launch (cost key `key`) that fit in `leftMs` of the
   * budget now, from the cost model; null before the launch was measured.
   */
  rowsWithin(key: string, leftMs: number): number | null {
    const per = this.model.perUnitMs(key);
    return per === null ? null : Math.floor(Math.max(0, leftMs) / per);
  }

  /** A request ran for `ms` of execution: inference is expected for expectMs from now. */
  inferenceRan(ms: number): void {
    this.told = true;
    this.learn(ms);
    this.expect();
  }

  /**
   * The gate was held for `ms` by a request (the gate reports every hold):
   * taken as its execution until someone reports executions (inferenceRan),
   * since a hold may outlast the request (a priority window after it).
   */
  inferenceHeld(ms: number): void {
    if (!this.told) this.learn(ms);
    this.expect();
  }

  private learn(ms: number): void {
    if (!(ms >= 0)) return;
    this.inferLow = this.inferLow === null ? ms : Math.min(ms, this.inferLow + 0.02 * (ms - this.inferLow));
  }

  /** Inference is expected from now for `ms` (default expectMs). */
  expect(ms = this.expectMs): void {
    this.expectUntil = Math.max(this.expectUntil, this.clock() + ms);
    this.restUntil = Math.max(this.restUntil, this.expectUntil + this.restMs);
  }

  /** A request arrived (before it runs): the arrival-rate predictor counts it. */
  requestArrived(): void {
    this.arrivals.arrived();
  }

  /**
   * Clock time until which training submits nothing because requests come
   * in a burst (the time the burst is over if no request arrives before),
   * or null: training may submit.
   */
  pausedUntil(): number | null {
    if (!this.enabled || this.lifts > 0 || !(this.burstGapMs > 0)) return null;
    return this.arrivals.burst(this.burstGapMs) ? this.arrivals.burstEndsAt(this.burstGapMs) : null;
  }

  /** A REQUIRE is in progress: no pause until the returned function is called. */
  lift(): () => void {
    this.lifts++;
    let done = false;
    return () => {
      if (!done) this.lifts--;
      done = true;
    };
  }

  /** Whether training is sliced now; `held`: a request holds the gate. */
  active(held: boolean): boolean {
    if (!this.enabled) return false;
    return this.forced || held || this.expecting || this.clock() < this.restUntil;
  }
}

/** on: slice; off: never; auto: slice on devices with one queue (no inference lane). */
export type SliceMode = 'auto' | 'on' | 'off';

export const SLICE_MODES: readonly SliceMode[] = ['auto', 'on', 'off'];

type SlicedDevice = { info: { software?: boolean; capabilities: { lanes?: boolean; completionLatencyMs?: number } } };

/**
 * What the device itself sets in a slicing policy: its completion latency,
 * and on a CPU adapter one slice at a time (there the device is the host's own
 * cores, and a second slice queued behind the first cost the README trace's
 * light interval 18-19 misses against 3-9 with one: docs/time-slicing.md, round 4).
 */
export function deviceSlicing(device: SlicedDevice): SlicingOptions {
  return device.info.software ? { notifyMs: device.info.capabilities.completionLatencyMs, depth: 1 } : { notifyMs: device.info.capabilities.completionLatencyMs };
}

/** The slicing policy a gate on this device gets for `mode`, or null (no slicing). */
export function slicingFor(device: SlicedDevice, mode: SliceMode, opts: SlicingOptions = {}): SlicingPolicy | null {
  if (!SLICE_MODES.includes(mode)) throw new InvalidRangeError(`slicing must be one of ${SLICE_MODES.join(', ')}, got '${mode}'`);
  if (mode === 'off' || (mode === 'auto' && device.info.capabilities.lanes)) return null;
  return new SlicingPolicy({ ...deviceSlicing(device), ...opts });
}
