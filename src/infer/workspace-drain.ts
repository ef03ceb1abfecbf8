// On a device with one queue (WebGPU), a run's workspace goes back to the
// arena after the run has answered: its outputs are read back (the read
// itself proves the run's kernels are done), and the fence that lets the
// arena reclaim the pages runs in the background. Awaiting that fence before
// answering made every request wait for the work issued after its own: the
// first of three requests that arrived together answered only when the third
// had run (SwiftShader, 2026-12-03: p99 10.1 ms against 5.8 ms for the first
// of three; the third's 12.9 against 8.6: docs/time-slicing.md, round 5). On
// CUDA a run still awaits its own inference stream's fence (executor.ts).
//
// Pages whose fence is still in flight are pending, not free: an allocation
// that finds too few free pages waits for the fences in flight on its arena
// and tries once more.
import type { Allocation } from '../core/allocation.js';
import type { Arena } from '../core/arena.js';
import { OutOfMemoryError, type Owner } from '../core/errors.js';

interface Draining {
  fences: Set<Promise<void>>;
  /** The first fence that failed, thrown at the next allocation (the device is most likely lost). */
  failure: unknown;
}

const byArena = new WeakMap<Arena, Draining>();

function draining(arena: Arena): Draining {
  let d = byArena.get(arena);
  if (!d) byArena.set(arena, (d = { fences: new Set(), failure: null }));
  return d;
}

/** Fences inference's lane and reclaims what it had freed, without the caller waiting; resolves when done (never rejects). */
export function reclaimInferenceLater(arena: Arena): Promise<void> {
  const d = draining(arena);
  const tracked = arena
    .fenceInference()
    .then((proof) => {
      arena.reclaim(proof);
    })
    .catch((e: unknown) => {
      d.failure ??= e; // the fence failed, or reclaim() refused (the arena destroyed meanwhile)
    });
  d.fences.add(tracked);
  void tracked.then(() => d.fences.delete(tracked));
  return tracked;
}

/** Fences still in flight on this arena. */
export function fencesInFlight(arena: Arena): number {
  return byArena.get(arena)?.fences.size ?? 0;
}

function rethrowFailure(arena: Arena): void {
  const d = byArena.get(arena);
  if (!d?.failure) return;
  const e = d.failure;
  d.failure = null;
  throw e;
}

/**
 * arena.allocate now, or null when it finds too few free pages while fences
 * of earlier runs are in flight on the arena (then allocateAfterDrains).
 */
export function allocateNow<O extends Owner>(arena: Arena, owner: O, bytes: number, label: string): Allocation<O> | null {
  rethrowFailure(arena);
  try {
    return arena.allocate(owner, bytes, label);
  } catch (e) {
    if (e instanceof OutOfMemoryError && fencesInFlight(arena) > 0) return null;
    throw e;
  }
}

/** Waits for the fences in flight on the arena (their pages become free), then arena.allocate. */
export async function allocateAfterDrains<O extends Owner>(arena: Arena, owner: O, bytes: number, label: string): Promise<Allocation<O>> {
  await Promise.all([...(byArena.get(arena)?.fences ?? [])]);
  rethrowFailure(arena);
  return arena.allocate(owner, bytes, label);
}
