// The gate's CPU-side queue of training launches: command buffers as they
// were enqueued, taken whole (no slicing) or as slices of at most one slice's
// worth of work (src/core/slicing.ts), resuming a kernel cut in the middle
// where the last slice ended.
import { costKey, type CostPiece, type SliceableLaunch } from './cost.js';
import { resolve, type GpuDevice, type Launch, type Range } from './device.js';
import type { SlicingPolicy } from './slicing.js';

/** One launch (or slice of one) on the GPU now. */
export interface InFlightWork {
  kernel: string;
  /** Output rows of this launch, or null for a launch that is not sliceable. */
  rows: number | null;
  /** Part of a launch cut into slices. */
  slice: boolean;
}

interface Entry {
  l: SliceableLaunch;
  ranges: Range[];
  key: string;
  /** Rows of a sliceable launch already launched. */
  done: number;
}

interface Item {
  name: string;
  launches: Entry[];
  /** Entries already launched in full. */
  next: number;
}

/** What one submission holds. */
export interface Piece {
  launches: Launch[];
  costs: CostPiece[];
  work: InFlightWork[];
  name: string;
  /** Clock when the GPU was seen done with it (slicing only). */
  end?: number;
}

export class LaunchQueue {
  private items: Item[] = [];
  /** Launches that were a slice of a longer one, since creation. */
  slices = 0;

  constructor(private readonly device: GpuDevice) {}

  /** Command buffers queued (one cut in the middle counts until its last slice is taken). */
  get length(): number {
    return this.items.length;
  }

  /** The head launch is part-way through its slices (a kernel cut in the middle). */
  get midKernel(): boolean {
    const item = this.items[0];
    const e = item?.launches[item.next];
    return !!e && e.done > 0;
  }

  /** Queues one command buffer. Ranges are resolved now: training memory never moves. */
  push(name: string, launches: readonly SliceableLaunch[]): void {
    this.items.push({ name, next: 0, launches: launches.map((l) => ({ l: this.sliceOf(l), ranges: l.bindings.map(resolve), key: costKey(l), done: 0 })) });
  }

  /** Drops everything queued; returns the command buffers dropped. */
  clear(): number {
    const n = this.items.length;
    this.items = [];
    return n;
  }

  /** The launch as the gate keeps it: its slicing only where the device can run the slices. */
  private sliceOf(l: SliceableLaunch): SliceableLaunch {
    if (!l.slice || this.device.sliceable(l)) return l;
    const { slice: _, ...whole } = l;
    return whole;
  }

  /** The rest of the head command buffer, full size (the part of a launch not yet sliced, then the others). */
  takeItem(): Piece {
    const item = this.items[0]!;
    const piece: Piece = { launches: [], costs: [], work: [], name: item.name };
    while (this.items[0] === item) {
      const e = item.launches[item.next]!;
      this.add(piece, e, (e.l.slice?.rows ?? 1) - e.done);
    }
    return piece;
  }

  /**
   * One slice of work (policy.sliceWorkMs) from the head of the queue: whole
   * launches while their estimates fit, then the rows of the next sliceable
   * launch that fit (at least one row). A launch never measured goes alone,
   * a sliceable one as a probe of an eighth of its rows.
   */
  takeSlice(policy: SlicingPolicy): Piece {
    const model = policy.model;
    let left = policy.sliceWorkMs;
    const piece: Piece = { launches: [], costs: [], work: [], name: this.items[0]!.name };
    while (this.items.length > 0) {
      const e = this.items[0]!.launches[this.items[0]!.next]!;
      const rowsLeft = (e.l.slice?.rows ?? 1) - e.done;
      const per = model.perUnitMs(e.key);
      if (per === null) {
        if (piece.launches.length > 0) break;
        this.add(piece, e, e.l.slice ? Math.min(rowsLeft, Math.ceil(e.l.slice.rows / 8)) : 1);
        break;
      }
      if (per * rowsLeft <= left) {
        left -= per * rowsLeft;
        this.add(piece, e, rowsLeft);
        continue;
      }
      if (e.l.slice) {
        const fit = policy.rowsWithin(e.key, left)!;
        if (fit >= 1 || piece.launches.length === 0) this.add(piece, e, Math.max(1, fit));
      } else if (piece.launches.length === 0) this.add(piece, e, 1);
      break;
    }
    return piece;
  }

  /** Adds `rows` of entry e (the head of the queue) to a piece and moves the queue on. */
  private add(piece: Piece, e: Entry, rows: number): void {
    const spec = e.l.slice;
    const whole = !spec || (e.done === 0 && rows === spec.rows);
    const l = whole ? e.l : spec.at(e.done, rows);
    piece.launches.push({ kernel: l.kernel, bindings: e.ranges, params: l.params, threads: l.threads, lane: l.lane });
    piece.costs.push({ key: e.key, units: spec ? rows : 1 });
    piece.work.push({ kernel: l.kernel, rows: spec ? rows : null, slice: !whole });
    if (!whole) this.slices++;
    e.done += spec ? rows : 1;
    const item = this.items[0]!;
    if (e.done >= (spec?.rows ?? 1)) item.next++;
    if (item.next >= item.launches.length) this.items.shift();
  }
}
