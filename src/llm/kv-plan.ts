// The KV cache's memory plan beside elastic training: how much of training's
// memory inference should hold ahead, so that the cache grows in few large
// steps instead of one REQUIRE (and one discarded micro-batch) per page.
//
// - Reach: a sequence admitted with a prompt of p tokens and at most m new
//   ones reaches p + m cached tokens; its blocks still come one at a time
//   (the cache follows the live tokens), but the memory for all of them is
//   counted from admission on, and for the requests next in the queue too.
// - Reserve: on top of that, a watermark sized from the arriving demand:
//   max(W, the reach bytes submitted per ms, averaged over ~rateTauMs, times
//   horizonMs). The plan asks training for the difference at its next
//   micro-batch boundary (nothing discarded: yieldAtBoundary); only a block
//   needed now that the free pages lack is a REQUIRE (a discard).
// - Release, lazily: what inference holds beyond its need plus twice the
//   reserve goes back while requests run; after releaseAfterMs with nothing
//   running or waiting, what lies beyond the reserve (which decays with the
//   arrival rate, down to W) goes back.
//
// Plain arithmetic over numbers the batcher passes in (pages and bytes), so
// it is tested without a device.

export interface KvPlanOptions {
  /** The floor of the reserve, bytes (the batcher's watermark W). */
  watermarkBytes: number;
  /** Milliseconds of arriving demand the reserve covers (default 500). */
  horizonMs?: number;
  /** Time constant of the arriving-demand rate, ms (default 5000). */
  rateTauMs?: number;
  /** Idle milliseconds (nothing running or waiting) before the reserve beyond W goes back (default 1000). */
  releaseAfterMs?: number;
}

/** What the plan reads of the cache and the arena at a step boundary, in pages of the arena. */
export interface KvPlanState {
  /** Block pages still to come for the running sequences (their reach less their blocks, less free blocks) plus the next queued ones' reach. */
  comingPages: number;
  /** Pages inference may still take without training giving more: the arena's pages beyond training's limit, less those inference holds, less the run workspace. */
  unusedPages: number;
  /** Pages asked of training at its boundary that have not yet left its limit (a yield in flight). */
  askingPages: number;
  /** Pages taken from training (requires and yields) and not yet given back. */
  borrowedPages: number;
  /** Arena page bytes. */
  pageBytes: number;
}

export interface KvPlanDecision {
  /** Pages to ask training for at its next boundary (0: none). */
  yieldPages: number;
  /** Pages to give back to training now (0: none). */
  releasePages: number;
}

export class KvPlan {
  readonly watermarkBytes: number;
  readonly horizonMs: number;
  readonly rateTauMs: number;
  readonly releaseAfterMs: number;
  /** Reach bytes submitted per ms, exponentially averaged. */
  private rate = 0;
  private lastArrival: number | null = null;

  constructor(opts: KvPlanOptions) {
    this.watermarkBytes = opts.watermarkBytes;
    this.horizonMs = opts.horizonMs ?? 500;
    this.rateTauMs = opts.rateTauMs ?? 5000;
    this.releaseAfterMs = opts.releaseAfterMs ?? 1000;
    for (const [k, v] of Object.entries({ watermarkBytes: this.watermarkBytes, horizonMs: this.horizonMs, rateTauMs: this.rateTauMs, releaseAfterMs: this.releaseAfterMs }))
      if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`KvPlan ${k} must be a finite number >= 0, got ${v}`);
  }

  /** A request of `reachBytes` (prompt + most new tokens, in block bytes) arrived at `now` ms. */
  noteArrival(reachBytes: number, now: number): void {
    const dt = this.lastArrival === null ? this.rateTauMs : Math.max(0, now - this.lastArrival);
    this.lastArrival = now;
    const keep = Math.exp(-dt / Math.max(1, this.rateTauMs));
    // The rate decays over the gap, then this arrival adds its bytes spread over the time constant.
    this.rate = this.rate * keep + reachBytes / Math.max(1, this.rateTauMs);
  }

  /** Arriving reach bytes per ms at `now` (decayed since the last arrival). */
  rateAt(now: number): number {
    if (this.lastArrival === null) return 0;
    return this.rate * Math.exp(-Math.max(0, now - this.lastArrival) / Math.max(1, this.rateTauMs));
  }

  /** The reserve kept beyond the known need, bytes: max(W, rate x horizon). */
  reserveBytes(now: number): number {
    return Math.max(this.watermarkBytes, this.rateAt(now) * this.horizonMs);
  }

  /**
   * At a step boundary with requests running or waiting: yield what the
   * coming pages plus the reserve lack; or release what lies beyond them plus
   * twice the reserve (the hysteresis keeps a yield and a release from
   * following each other step by step).
   */
  busy(s: KvPlanState, now: number): KvPlanDecision {
    const reserve = Math.ceil(this.reserveBytes(now) / s.pageBytes);
    const have = s.unusedPages + s.askingPages;
    const lack = s.comingPages + reserve - have;
    if (lack > 0) return { yieldPages: lack, releasePages: 0 };
    const spare = have - s.comingPages - 2 * reserve;
    return { yieldPages: 0, releasePages: Math.max(0, Math.min(spare > 0 ? have - s.comingPages - reserve : 0, s.borrowedPages, s.unusedPages)) };
  }

  /**
   * Nothing has run or waited for `idleMs`: once releaseAfterMs passed, what
   * was borrowed beyond the reserve goes back (the reserve decays with the
   * arrival rate, so a longer quiet gives back more, down to W).
   */
  idle(s: KvPlanState, idleMs: number, now: number): number {
    if (idleMs < this.releaseAfterMs) return 0;
    const keep = Math.ceil(this.reserveBytes(now) / s.pageBytes);
    return Math.max(0, Math.min(s.borrowedPages, s.unusedPages - keep));
  }
}
