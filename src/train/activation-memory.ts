// A micro-batch's activations as one or more training allocations: a device
// caps one allocation (one backing, one binding: 16 GiB on CUDA, 2 GiB on
// Dawn), and a large micro-batch needs more. The model lays its views out as
// if in one allocation (each at a 256-byte-aligned running offset); the
// views are cut into chunks of at most the cap, each view whole inside one,
// and view(offset) finds a view's chunk.
import type { TrainAllocation } from '../core/allocation.js';
import type { Bindable } from '../core/device.js';
import { align256 } from './mlp.js';

/** What a model binds its activation views in. */
export interface ActivationMemory {
  view(offset: number, bytes: number): Bindable;
}

export interface ChunkPlan {
  /** Bytes of each chunk (an allocation each). */
  chunks: number[];
  /** Flat offset of each view -> its chunk and offset there. */
  place: Map<number, { chunk: number; offset: number }>;
}

/** Cuts a plan of view sizes into chunks of at most `cap` bytes; null when one view alone is larger. */
export function chunkPlan(plan: readonly number[], cap: number): ChunkPlan | null {
  const chunks: number[] = [];
  const place = new Map<number, { chunk: number; offset: number }>();
  let flat = 0;
  let used = cap; // forces a first chunk
  for (const bytes of plan) {
    const size = align256(bytes);
    if (size > cap) return null;
    if (used + size > cap) {
      chunks.push(0);
      used = 0;
    }
    place.set(flat, { chunk: chunks.length - 1, offset: used });
    used += size;
    chunks[chunks.length - 1] = used;
    flat += size;
  }
  return { chunks, place };
}

/** Pages the chunks of a plan take (Infinity when a view exceeds the cap). */
export function planPages(plan: readonly number[], cap: number, pageBytes: number): number {
  const c = chunkPlan(plan, cap);
  return c ? c.chunks.reduce((s, b) => s + Math.ceil(b / pageBytes), 0) : Infinity;
}

export class ChunkedActivations implements ActivationMemory {
  constructor(
    readonly allocations: TrainAllocation[],
    private readonly plan: ChunkPlan,
  ) {}

  view(offset: number, bytes: number): Bindable {
    const p = this.plan.place.get(offset);
    if (!p) throw new RangeError(`no activation view starts at offset ${offset}`);
    return this.allocations[p.chunk]!.view(p.offset, bytes);
  }
}
