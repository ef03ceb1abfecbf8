// The handover's page arithmetic and the deferred require's wait, apart from
// the trainer's loop. A require (now) and a deferred require (at the next
// micro-batch boundary) lower training's limit the same way; the deferred one
// then waits until training holds no more than it.
import type { Arena } from '../core/arena.js';
import type { HandoverReport } from './trainer-types.js';

/**
 * Training's new limit for a require of `bytes`: what it could hold now (its
 * limit, capped by the pages it holds plus the free ones it may grow into),
 * less `bytes`, from free pages first, then from the activations; never below
 * its static state. `givenPages`: what leaves the limit (inference's gain).
 */
export function lowerLimit(arena: Arena, staticPages: number, heldPages: number, bytes: number): { quota: number; limit: number; givenPages: number } {
  const quota = Math.min(arena.trainLimit, heldPages + arena.stats().free);
  const limit = Math.max(staticPages, quota - arena.pagesFor(bytes));
  return { quota, limit, givenPages: Math.max(0, arena.trainLimit - limit) };
}

/** A handover's report as the limit drops: nothing freed or timed yet; shortBytes is what training could not give. */
export function handoverReport(arena: Arena, bytes: number, lowered: { quota: number; limit: number; givenPages: number }, microBatch: number): HandoverReport {
  return {
    requestedBytes: bytes, freedBytes: 0, givenPages: lowered.givenPages, discarded: false, waitedForUpdate: false,
    closeMs: 0, discardMs: 0, reclaimMs: 0, totalMs: 0, microBatch,
    shortBytes: Math.max(0, bytes - (lowered.quota - lowered.limit) * arena.pageBytes),
  };
}

/** Deferred requires waiting for training to be within its limit. */
export class BoundaryWaiters {
  private waiters: (() => void)[] = [];

  /** Resolves at once when `within`, else at the first settle() that finds it within. */
  wait(within: boolean): Promise<void> {
    return within ? Promise.resolve() : new Promise<void>((res) => this.waiters.push(res));
  }

  settle(within: boolean): void {
    if (this.waiters.length === 0 || !within) return;
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
}
