// The arrival-rate predictor of time-sliced training (src/core/slicing.ts):
// from the last k request arrivals it says whether requests come in a burst
// (so training submits nothing: any work it queued would meet the next request)
// and for how long after a request more are still expected (so training stays
// sliced). Requests are taken as a Poisson process whose rate changes from
// time to time (the traces' light and heavy intervals): the rate is estimated
// over the last k arrivals only, so it follows a change within k requests.
import { InvalidRangeError } from './errors.js';

export interface ArrivalOptions {
  /** Arrivals the rate is estimated from (default 8). */
  window?: number;
  /** Milliseconds on a monotonic clock (default performance.now; tests pass a fake one). */
  clock?: () => number;
}

export class ArrivalRate {
  readonly window: number;
  readonly clock: () => number;
  /** Arrival times, oldest first, at most `window` of them. */
  private readonly times: number[] = [];
  /** Arrivals seen since creation. */
  count = 0;

  constructor(opts: ArrivalOptions = {}) {
    this.window = opts.window ?? 8;
    this.clock = opts.clock ?? (() => performance.now());
    if (!Number.isInteger(this.window) || this.window < 2) throw new InvalidRangeError(`arrival-rate window must be an integer >= 2 arrivals, got ${opts.window}`);
  }

  /** A request arrived now. */
  arrived(): void {
    this.times.push(this.clock());
    if (this.times.length > this.window) this.times.shift();
    this.count++;
  }

  /** Milliseconds since the last arrival (Infinity before any). */
  get silenceMs(): number {
    const last = this.times.at(-1);
    return last === undefined ? Infinity : this.clock() - last;
  }

  /**
   * Mean gap between the recent arrivals, ms (null with fewer than two): the
   * closed gaps only, so it says how far apart requests came, not how long
   * the present silence is.
   */
  get meanGapMs(): number | null {
    const n = this.times.length;
    return n < 2 ? null : (this.times[n - 1]! - this.times[0]!) / (n - 1);
  }

  /**
   * Requests per millisecond now: the recent arrivals over the time from the
   * oldest of them to now. The open silence counts, so the rate decays while
   * no request comes and a burst is over once its silence outlasts it. 0
   * before any arrival.
   */
  rate(): number {
    const n = this.times.length;
    if (n === 0) return 0;
    return n / Math.max(this.clock() - this.times[0]!, 1e-6);
  }

  /**
   * Whether requests come closer than `gapMs` apart on average now (a burst).
   * One arrival alone is not a burst.
   */
  burst(gapMs: number): boolean {
    return this.times.length >= 2 && this.rate() * gapMs > 1;
  }

  /**
   * Clock time at which the burst (mean gap below `gapMs`) is over if no
   * request arrives before then: the rate n / (t - oldest) falls to 1/gapMs.
   */
  burstEndsAt(gapMs: number): number {
    const n = this.times.length;
    return n === 0 ? -Infinity : this.times[0]! + n * gapMs;
  }

  /**
   * Whether a request is still expected: the silence since the last one is
   * shorter than `gaps` mean gaps of the recent ones (under a Poisson process
   * a silence that long happens with probability e^-gaps), and at least
   * shorter than `minMs`.
   */
  expected(gaps: number, minMs: number): boolean {
    const s = this.silenceMs;
    if (s < minMs) return true;
    const g = this.meanGapMs;
    return g !== null && s < gaps * g;
  }
}
