// An arena allocation: pages with one owner, seen by kernels as one
// contiguous range. Usually a run of pages side by side in an arena backing;
// on a device that can remap, a training tensor may instead hold scattered
// pages mapped into a view backing of its own (`pages` lists them, in view
// order). Inference runs may move (compaction), so kernels resolve the range
// at launch time.

import type { Backing, Bindable, Range } from './device.js';
import { InvalidRangeError, type Owner } from './errors.js';

export interface Placement {
  backing: Backing;
  /** First page, as an index into the arena's page table. */
  firstPage: number;
  /** Byte offset of the first page inside its backing. */
  offset: number;
}

export class Allocation<O extends Owner = Owner> implements Bindable {
  /** 'freed': handed back; the pages stay the owner's until a drained reclaim. */
  state: 'live' | 'freed' = 'live';

  constructor(
    readonly id: number,
    readonly owner: O,
    readonly bytes: number,
    readonly pageCount: number,
    public placement: Placement,
    readonly label: string,
    /** Scattered: the arena pages behind the view backing, in view order (placement.firstPage is pages[0]). */
    readonly pages: Int32Array | null = null,
  ) {}

  /** The arena pages held, as runs [first, count] of consecutive pages. */
  runs(): [number, number][] {
    if (!this.pages) return [[this.placement.firstPage, this.pageCount]];
    const sorted = Int32Array.from(this.pages).sort();
    const out: [number, number][] = [];
    for (const p of sorted) {
      const last = out[out.length - 1];
      if (last && last[0] + last[1] === p) last[1]++;
      else out.push([p, 1]);
    }
    return out;
  }

  get firstPage(): number {
    return this.placement.firstPage;
  }

  range(): Range {
    if (this.state !== 'live') throw new InvalidRangeError(`${this.owner} allocation '${this.label}' (#${this.id}) was freed`);
    return { backing: this.placement.backing, offset: this.placement.offset, bytes: this.bytes };
  }

  /** A sub-range [offset, offset + bytes) resolved at launch time. */
  view(offset: number, bytes: number): Bindable {
    if (offset < 0 || bytes < 0 || offset + bytes > this.bytes)
      throw new InvalidRangeError(`view [${offset}, ${offset + bytes}) outside allocation '${this.label}' of ${this.bytes} bytes`);
    return {
      range: () => {
        const r = this.range();
        return { backing: r.backing, offset: r.offset + offset, bytes };
      },
    };
  }
}

export type TrainAllocation = Allocation<'train'>;
export type InferAllocation = Allocation<'infer'>;
