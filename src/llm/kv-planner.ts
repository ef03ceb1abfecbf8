// The KV plan (kv-plan.ts) at work beside the batcher: it reads the cache and
// the arena at each step boundary, asks training at its next micro-batch
// boundary for what the plan lacks (yieldAtBoundary: nothing discarded),
// gives back what lies far beyond it while requests run, and, once nothing
// runs or waits, gives back what lies beyond the reserve after the plan's
// releaseAfterMs (a timer that does not hold the process). An admission whose
// pages are still leaving training waits for them at most the deferral bound
// (mayDefer); close() stops the idle timer for good.
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
}

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

  constructor(
    readonly plan: KvPlan,
    readonly cache: PagedKvCache,
    readonly memory: MemorySide,
    readonly metrics: PlannerMetrics,
    /** Blocks the running sequences can still take plus the next queued ones' reach. */
    readonly comingBlocks: () => number,
    /** Most milliseconds an admission waits for pages leaving training at its boundary before it requires them. */
    readonly maxDeferMs: number,
  ) {
    if (!(maxDeferMs >= 0 && Number.isFinite(maxDeferMs))) throw new RangeError(`maxDeferMs must be a finite number >= 0, got ${maxDeferMs}`);
  }

  /**
   * An admission short of `short` bytes waits for pages on their way only
   * while the next step boundary, `stepMs` from now (the last step's time),
   * still falls within the bound: the wait, from its first deferral to its
   * admission or its require, stays within maxDeferMs but for a step longer
   * than the last. False: admit or require now (the wait ends).
   */
  mayDefer(job: DeferredAdmission, short: number, stepMs: number): boolean {
    const now = performance.now();
    if (this.onTheirWayBytes() >= short && (now - (job.deferredSince ?? now)) + stepMs < this.maxDeferMs) {
      job.deferredSince ??= now;
      return true;
    }
    if (job.deferredSince !== null && this.onTheirWayBytes() >= short) this.metrics.deferralsExpired++;
    this.waited(job);
    return false;
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
    void yieldAt(ask)
      .then(({ freedBytes }) => {
        this.metrics.yields++;
        this.metrics.yieldedBytes += freedBytes;
        this.metrics.borrowedBytes += freedBytes;
      })
      .catch(() => undefined)
      .finally(() => (this.asking -= ask));
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
