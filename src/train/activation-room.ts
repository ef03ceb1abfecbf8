// How much of the arena a trainer's activations may take, and the largest
// micro-batch that fits there: the room between training's limit and its
// static state (parameters, gradients, optimizer state), a micro-batch's
// activations cut into allocations of at most one backing or the configured
// chunk (activation-memory.ts), and the headroom the colocation core asks
// about before it gives training an idle model's memory.
import type { Arena } from '../core/arena.js';
import type { TrainAllocation } from '../core/allocation.js';
import { OutOfMemoryError, UsageError } from '../core/errors.js';
import { chunkPlan, planPages, type ChunkPlan } from './activation-memory.js';
import { align256 } from './mlp.js';
import { largestFitting, type TrainingModel } from './model.js';
import type { TrainerOptions } from './trainer-types.js';

/** What training holds now: its static pages and its activations' pages. */
export interface Held {
  staticPages: number;
  activationPages: number;
}

export class ActivationRoom<D> {
  private cap: number | null = null;

  constructor(
    private readonly arena: Arena,
    private readonly model: TrainingModel<D>,
    private readonly config: Pick<TrainerOptions, 'microBatch' | 'activationChunkBytes'>,
  ) {}

  /**
   * The most one activation allocation may be: one backing and one binding,
   * or the configured chunk (options.activationChunkBytes) when smaller,
   * never below the largest view of the largest micro-batch.
   */
  get allocationCap(): number {
    if (this.cap !== null) return this.cap;
    const page = this.arena.pageBytes;
    const whole = this.arena.pagesPerBacking * page;
    const chunk = this.config.activationChunkBytes;
    if (chunk === undefined) return (this.cap = whole);
    if (!(Number.isFinite(chunk) && chunk > 0)) throw new UsageError(`activation chunk must be a positive number of bytes, got ${chunk}`);
    const largestView = Math.max(...this.model.activationPlan(this.config.microBatch).map(align256));
    return (this.cap = Math.min(whole, Math.ceil(Math.max(chunk, largestView) / page) * page));
  }

  /** Micro-batch b's activations cut into allocations. */
  plan(b: number): ChunkPlan {
    return chunkPlan(this.model.activationPlan(b), this.allocationCap)!;
  }

  /** Pages micro-batch b's activations take, chunked. */
  pages(b: number): number {
    return planPages(this.model.activationPlan(b), this.allocationCap, this.arena.pageBytes);
  }

  /** Pages training's activations may take now: its limit beyond the static pages, no more than free plus what it holds. */
  roomPages(held: Held): number {
    return Math.min(this.arena.trainLimit - held.staticPages, this.arena.stats().free + held.activationPages);
  }

  /** The largest micro-batch the arena lets training hold now (0: none). */
  fit(held: Held): number {
    const pages = this.roomPages(held);
    const page = this.arena.pageBytes;
    return pages <= 0 ? 0 : largestFitting((b) => this.pages(b) * page, pages * page, this.config.microBatch);
  }

  /**
   * Training's room against its largest micro-batch (config.microBatch):
   * `spareBytes` it holds no use for (a require of at most that much discards
   * nothing and shrinks nothing), `nextBytes` more it needs for a micro-batch
   * one sample larger than the one that fits, `capBytes` more for the
   * largest (both 0 at the cap). The core gives an idle model's memory to
   * training only when it can grow into it (docs/results-scale.md, round 7).
   */
  headroom(held: Held): { spareBytes: number; nextBytes: number; capBytes: number } {
    const page = this.arena.pageBytes;
    const room = this.roomPages(held);
    const cap = this.config.microBatch;
    const capPages = this.pages(cap);
    const fit = this.fit(held);
    return {
      spareBytes: Math.max(0, room - capPages) * page,
      nextBytes: fit >= cap ? 0 : Math.max(0, this.pages(fit + 1) - room) * page,
      capBytes: Math.max(0, capPages - room) * page,
    };
  }

  /**
   * Allocates micro-batch b's activations (the caller checked that they fit);
   * what one chunk's failure leaves allocated is freed again.
   */
  allocate(b: number): { acts: TrainAllocation[]; plan: ChunkPlan } {
    const plan = this.plan(b);
    const acts: TrainAllocation[] = [];
    try {
      // Chunks (options.activationChunkBytes) take the highest free pages as one allocation would: no holes between them.
      const where = { highestFree: this.config.activationChunkBytes !== undefined };
      for (const [i, bytes] of plan.chunks.entries()) acts.push(this.arena.allocate('train', bytes, `activations b=${b}${plan.chunks.length > 1 ? ` part ${i + 1}/${plan.chunks.length}` : ''}`, where));
    } catch (e) {
      for (const a of acts) this.arena.free(a);
      if (!(e instanceof OutOfMemoryError)) throw e;
      throw new OutOfMemoryError(e.requested, 'train', e.inUse, e.free, `activations for micro-batch ${b}: ${e.reason}`);
    }
    return { acts, plan };
  }
}
