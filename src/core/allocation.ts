// An arena allocation: a contiguous run of pages with one owner. Inference
// runs may move (compaction), so kernels resolve the range at launch time.

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
  ) {}

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
