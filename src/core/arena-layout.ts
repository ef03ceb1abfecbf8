// The arena's layout: its page size, how many pages one backing holds, the
// backings themselves (created here, once), and where a page lies in them.
// Whether training tensors may take scattered pages (remap) is settled here
// too, since it depends on the page size and the device's unit.

import type { Placement } from './allocation.js';
import type { ArenaOptions } from './arena-types.js';
import type { Backing, GpuDevice, Range } from './device.js';
import { AllocationTooLargeError, InvalidRangeError } from './errors.js';

export const DEFAULT_PAGE_BYTES = 2 * 1024 * 1024;

export class ArenaLayout {
  readonly pageBytes: number;
  readonly pageCount: number;
  readonly pagesPerBacking: number;
  readonly backings: Backing[] = [];
  /** Whether training tensors may take scattered pages through a view (ArenaOptions.remap). */
  readonly remap: boolean;

  constructor(device: GpuDevice, opts: ArenaOptions) {
    const lim = device.info.limits;
    this.pageBytes = opts.pageBytes ?? DEFAULT_PAGE_BYTES;
    if (this.pageBytes <= 0 || this.pageBytes % lim.bindingAlignment !== 0)
      throw new InvalidRangeError(`page size ${this.pageBytes} must be a positive multiple of ${lim.bindingAlignment}`);
    this.pageCount = Math.floor(opts.bytes / this.pageBytes);
    if (this.pageCount < 1) throw new InvalidRangeError(`arena of ${opts.bytes} bytes holds no page of ${this.pageBytes} bytes`);
    const backingCap = Math.min(lim.maxBackingBytes, lim.maxBindingBytes);
    this.pagesPerBacking = Math.floor(backingCap / this.pageBytes);
    const unit = lim.remapPageBytes ?? 0;
    const canRemap = device.info.capabilities.remap && unit > 0 && this.pageBytes % unit === 0;
    if (opts.remap && !canRemap)
      throw new InvalidRangeError(`remap needs a device that can map pages (capabilities.remap) and a page size that is a multiple of its ${unit || '(none)'}-byte unit; pages here are ${this.pageBytes} bytes`);
    this.remap = opts.remap ?? canRemap;
    if (this.pagesPerBacking < 1) throw new AllocationTooLargeError(this.pageBytes, backingCap, 'backing size');
    for (let first = 0; first < this.pageCount; first += this.pagesPerBacking) {
      const n = Math.min(this.pagesPerBacking, this.pageCount - first);
      this.backings.push(device.createBacking(n * this.pageBytes, `arena${this.backings.length}`));
    }
  }

  placement(first: number): Placement {
    const b = Math.floor(first / this.pagesPerBacking);
    return { backing: this.backings[b]!, firstPage: first, offset: (first - b * this.pagesPerBacking) * this.pageBytes };
  }

  /** Where arena page `page` is, for mapPages. */
  pageRef(page: number): { backing: Backing; offset: number } {
    const p = this.placement(page);
    return { backing: p.backing, offset: p.offset };
  }

  /** Pages [first, first + pages) as byte ranges, one per backing the run crosses (a remapped run may cross). */
  *ranges(first: number, pages: number): Generator<Range> {
    for (let page = first, left = pages; left > 0; ) {
      const p = this.placement(page);
      const n = Math.min(left, this.pagesPerBacking - (page % this.pagesPerBacking));
      yield { backing: p.backing, offset: p.offset, bytes: n * this.pageBytes };
      page += n;
      left -= n;
    }
  }
}
