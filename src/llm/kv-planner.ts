// The KV plan (kv-plan.ts) at work beside the batcher: it reads the cache and
// the arena at each step boundary, asks training at its next micro-batch
// boundary for what the plan lacks (yieldAtBoundary: nothing discarded),
// gives back what lies far beyond it while requests run, and, once nothing
// runs or waits, gives back what lies beyond the reserve after the plan's
// releaseAfterMs (a timer that does not hold the process). An admission whose
// pages are still leaving training at its boundary waits for them at most the
// deferral bound: step by step while the next step falls within it
// (mayDefer), then, like a running sequence's next block or a run's workspace
// that pages on their way would cover, with inference's hold on training
// lifted for the rest of the bound (awaitBoundary): a micro-batch held by the
// priority window reaches its boundary instead of being discarded by a
// require. close() stops the idle timer for good.
import type { MemorySide } from '../sched/core.js';
import type { KvPlan, KvPlanState } from './kv-plan.js';
import type { PagedKvCache } from './kv-cache.js';

/** The batcher's counters the planner moves (BatcherMetrics' fields of the same names). */
export interface PlannerMetrics {
  yields: number;
  yieldedBytes: number;
  releases: number;
  releasedBytes: number;
  borrowedBytes: number;
  /** Admissions that waited for pages on their way until the bound and then required them. */
  deferralsExpired: number;
  /** Longest time an admission waited for pages on their way (ms, to its admission or its require). */
  maxDeferWaitMs: number;
  /** Waits for pages on their way with inference's hold lifted (awaitBoundary), and their milliseconds in all. */
  boundaryWaits: number;
  boundaryWaitMs: number;
}

/** Runs `fn` with inference's hold on training lifted, holding again after (the system's priority window). */
export type Unheld = (fn: () => Promise<unknown>) => Promise<unknown>;

/** An admission's wait for pages on their way: when it was first put off (null: not put off). */
export interface DeferredAdmission {
  deferredSince: number | null;
}

export class KvPlanner {
  /** Bytes asked at training's boundary whose limit has not dropped yet. */
  private asking = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private idleSince = 0;
  private closed = false;
  /** Each yield's pages, resolved once they are free (or the yield failed). */
  private readonly arriving = new Set<Promise<void>>();

  constructor(
    readonly plan: KvPlan,
    readonly cache: PagedKvCache,
    readonly memory: MemorySide,
    readonly metrics: PlannerMetrics,
    /** Blocks the running sequences can still take plus the next queued ones' reach. */
    readonly comingBlocks: () => number,
    /** Most milliseconds an admission waits for pages leaving training at its boundary before it requires them. */
    readonly maxDeferMs: number,
    /** Lifts inference's hold while awaitBoundary waits (absent: nothing holds training back). */
    readonly unheld: Unheld | null = null,
    /** false: awaitBoundary never waits (LLM round 7's path, a reference). */
    readonly boundaryWait = true,
  ) {
    if (!(maxDeferMs >= 0 && Number.isFinite(maxDeferMs))) throw new RangeError(`maxDeferMs must be a finite number >= 0, got ${maxDeferMs}`);
  }

  /**
   * An admission short of `short` bytes waits for pages on their way only
   * while the next step boundary, `stepMs` from now (the last step's time),
   * still falls within the bound. False: the step-by-step wait ends here
   * (awaitBoundary may still wait out the rest of the bound).
   */
  mayDefer(job: DeferredAdmission, short: number, stepMs: number): boolean {
    const now = performance.now();
    if (this.onTheirWayBytes() < short || (now - (job.deferredSince ?? now)) + stepMs >= this.maxDeferMs) return false;
    job.deferredSince ??= now;
    return true;
  }

  /**
   * Pages on their way (asked at training's boundary) are short of what is
   * needed now: wait for them with inference's hold on training lifted (a
   * micro-batch held by the priority window cannot reach its boundary), at
   * most what is left of the bound (an admission's, from its first
   * deferral; maxDeferMs otherwise). True: it waited (the caller looks
   * again); false: nothing on its way covers `short`, or no time is left.
   */
  async awaitBoundary(short: number, job: DeferredAdmission | null): Promise<boolean> {
    const now = performance.now();
    const ms = this.maxDeferMs - (now - (job?.deferredSince ?? now));
    if (!this.boundaryWait || ms <= 0 || this.arriving.size === 0 || this.onTheirWayBytes() < short) return false;
    if (job) job.deferredSince ??= now;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = (): Promise<unknown> => Promise.race([Promise.all([...this.arriving]), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    const t0 = performance.now();
    try {
      await (this.unheld ? this.unheld(wait) : wait());
    } finally {
      clearTimeout(timer);
    }
    this.metrics.boundaryWaits++;
    this.metrics.boundaryWaitMs += performance.now() - t0;
    return true;
  }

  /** An admission that waited for pages on their way requires them after all: its wait ran out. */
  expired(job: DeferredAdmission): void {
    if (job.deferredSince !== null) this.metrics.deferralsExpired++;
    this.waited(job);
  }

  /** The admission's wait ends (admitted or required): its longest wait is counted. */
  waited(job: DeferredAdmission): void {
    if (job.deferredSince === null) return;
    this.metrics.maxDeferWaitMs = Math.max(this.metrics.maxDeferWaitMs, performance.now() - job.deferredSince);
    job.deferredSince = null;
  }

  /** A request reaching `reachBlocks` blocks was queued at `now`: it counts in the arriving demand, and the plan looks ahead at once. */
  arrived(reachBlocks: number, now: number): void {
    this.cancelIdle();
    this.plan.noteArrival((reachBlocks * this.cache.pageAllocBytes) / this.cache.blocksPerPage, now);
    this.ahead();
  }

  state(): KvPlanState {
    const arena = this.cache.arena;
    const s = arena.stats();
    return {
      comingPages: this.cache.pagesToHold(this.comingBlocks()),
      unusedPages: s.pages - s.trainLimit - s.infer - Math.ceil(this.cache.headroomBytes / arena.pageBytes),
      askingPages: Math.ceil(this.asking / arena.pageBytes),
      borrowedPages: Math.floor(this.metrics.borrowedBytes / arena.pageBytes),
      pageBytes: arena.pageBytes,
    };
  }

  /** With requests running or waiting: ask training at its next boundary for what the plan lacks, or give back what lies far beyond it. */
  ahead(): void {
    const yieldAt = this.memory.yieldAtBoundary?.bind(this.memory);
    if (!yieldAt || this.closed) return;
    const page = this.cache.arena.pageBytes;
    const d = this.plan.busy(this.state(), performance.now());
    if (d.releasePages > 0) this.giveBack(d.releasePages * page);
    if (d.yieldPages <= 0 || this.memory.atMinimum()) return;
    const ask = d.yieldPages * page;
    this.asking += ask;
    const asked = yieldAt(ask);
    void asked
      .then(({ freedBytes }) => {
        this.metrics.yields++;
        this.metrics.yieldedBytes += freedBytes;
        this.metrics.borrowedBytes += freedBytes;
      })
      .catch(() => undefined)
      .finally(() => (this.asking -= ask));
    const came = asked.then((r) => r.free).catch(() => undefined);
    this.arriving.add(came);
    void came.finally(() => this.arriving.delete(came));
  }

  /** Bytes leaving training: asked at its boundary, or held beyond its lowered limit until the boundary. */
  onTheirWayBytes(): number {
    return this.asking + this.cache.arena.bytesOf(this.cache.arena.trainExcess());
  }

  /** Nothing runs or waits: after releaseAfterMs, give back what lies beyond the (decaying) reserve, and look again later. */
  idle(): void {
    if (this.closed || this.idleTimer || this.metrics.borrowedBytes <= 0) return;
    this.idleSince = performance.now();
    const every = Math.max(this.plan.releaseAfterMs, 100);
    const tick = (): void => {
      this.idleTimer = null;
      const now = performance.now();
      const pages = this.plan.idle(this.state(), now - this.idleSince, now);
      if (pages > 0) this.giveBack(pages * this.cache.arena.pageBytes);
      if (this.metrics.borrowedBytes > this.plan.watermarkBytes) {
        this.idleTimer = setTimeout(tick, every);
        this.idleTimer.unref?.();
      }
    };
    this.idleTimer = setTimeout(tick, this.plan.releaseAfterMs);
    this.idleTimer.unref?.();
  }

  /** Gives `bytes` (at most what was borrowed) back to training. */
  giveBack(bytes: number): void {
    const given = this.memory.release(Math.min(bytes, this.metrics.borrowedBytes));
    if (given <= 0) return;
    this.metrics.releases++;
    this.metrics.releasedBytes += given;
    this.metrics.borrowedBytes -= given;
  }

  cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** No more planning: the idle timer stops and does not start again (the system is stopping; its arena may go next). */
  close(): void {
    this.closed = true;
    this.cancelIdle();
  }
}
