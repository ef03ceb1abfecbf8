// The KV plan (kv-plan.ts) at work beside the batcher: it reads the cache and
// the arena at each step boundary, asks training at its next micro-batch
// boundary for what the plan lacks (yieldAtBoundary: nothing discarded),
// gives back what lies far beyond it while requests run, and, once nothing
// runs or waits, gives back what lies beyond the reserve after the plan's
// releaseAfterMs (a timer that does not hold the process).
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
}

export class KvPlanner {
  /** Bytes asked at training's boundary whose limit has not dropped yet. */
  private asking = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private idleSince = 0;

  constructor(
    readonly plan: KvPlan,
    readonly cache: PagedKvCache,
    readonly memory: MemorySide,
    readonly metrics: PlannerMetrics,
    /** Blocks the running sequences can still take plus the next queued ones' reach. */
    readonly comingBlocks: () => number,
  ) {}

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
    if (!yieldAt) return;
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
    if (this.idleTimer || this.metrics.borrowedBytes <= 0) return;
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
}
