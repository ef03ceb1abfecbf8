// The arena's page table: per page its owner, its epoch (bumped when the
// owner changes), the owner that wrote it last (to know which pages need a
// zero-fill) and the allocation holding it; pages per owner; and the searches
// for free pages. A run of pages never crosses a backing (one binding each).
import type { Owner } from './errors.js';

export type PageOwner = Owner | 'free';
export const CODE: Record<PageOwner, number> = { free: 0, train: 1, infer: 2 };
export const NAME: PageOwner[] = ['free', 'train', 'infer'];
/** lastOwner of a page nobody wrote since it was zero-filled (or ever). */
const NEVER = 255;

export class PageTable {
  readonly owner: Uint8Array;
  readonly epoch: Uint32Array;
  private readonly lastOwner: Uint8Array;
  private readonly allocAt: Int32Array;
  /** The inference model that wrote a page last (-1: none or not tracked), for model isolation. */
  private readonly lastTenant: Int32Array;
  /** Pages per owner code (free, train, infer). */
  readonly counts: number[];

  constructor(readonly pageCount: number, readonly pagesPerBacking: number) {
    this.owner = new Uint8Array(pageCount);
    this.epoch = new Uint32Array(pageCount);
    this.lastOwner = new Uint8Array(pageCount).fill(NEVER);
    this.allocAt = new Int32Array(pageCount).fill(-1);
    this.lastTenant = new Int32Array(pageCount).fill(-1);
    this.counts = [pageCount, 0, 0];
  }

  /** Id of the allocation holding a page, or -1. */
  holder(page: number): number {
    return this.allocAt[page]!;
  }

  /**
   * Before `code` claims [first, first + pages): the runs of those pages that
   * another owner wrote last (they must be zero-filled), and the epochs of
   * the pages changing owner bumped. With a `tenant` (>= 0: isolated
   * inference models), a page another tenant of the same owner wrote is dirty too.
   */
  claimDirty(first: number, pages: number, code: number, tenant = -1): [number, number][] {
    const runs: [number, number][] = [];
    let start = -1;
    for (let i = first; i < first + pages; i++) {
      const last = this.lastOwner[i]!;
      const dirty = last !== NEVER && (last !== code || (tenant >= 0 && this.lastTenant[i] !== tenant));
      if (dirty && start < 0) start = i;
      if (!dirty && start >= 0) (runs.push([start, i - start]), (start = -1));
      if (this.owner[i] !== code) this.epoch[i]! += 1;
    }
    if (start >= 0) runs.push([start, first + pages - start]);
    return runs;
  }

  /**
   * Gives [first, first + pages) to `code` (0: free) and allocation `id`;
   * `recordLast` keeps who wrote the pages; `tenant` names the model taking them (-1: none).
   */
  setRun(first: number, pages: number, code: number, id: number, recordLast: boolean, tenant = -1): void {
    for (let i = first; i < first + pages; i++) {
      const was = this.owner[i]!;
      if (recordLast && was !== 0) this.lastOwner[i] = was;
      if (code !== 0) {
        this.lastOwner[i] = code;
        this.lastTenant[i] = tenant;
      }
      this.counts[was]! -= 1;
      this.counts[code]! += 1;
      this.owner[i] = code;
      this.allocAt[i] = id;
    }
  }

  /** The pages were zero-filled: any owner may take them without another fill. */
  cleaned(first: number, pages: number): void {
    this.lastOwner.fill(NEVER, first, first + pages);
  }

  /** The lowest run of `pages` free pages inside one backing, or -1. */
  lowestFit(pages: number): number {
    for (let b = 0; b * this.pagesPerBacking < this.pageCount; b++) {
      const [start, end] = this.backingPages(b);
      let run = 0;
      for (let i = start; i < end; i++) {
        run = this.owner[i] === 0 ? run + 1 : 0;
        if (run === pages) return i - pages + 1;
      }
    }
    return -1;
  }

  /** Whether [first, first + pages) is free and inside one backing. */
  freeRunAt(first: number, pages: number): boolean {
    if (!(Number.isInteger(first) && first >= 0 && pages >= 1 && first + pages <= this.pageCount)) return false;
    if (Math.floor(first / this.pagesPerBacking) !== Math.floor((first + pages - 1) / this.pagesPerBacking)) return false;
    for (let i = first; i < first + pages; i++) if (this.owner[i] !== 0) return false;
    return true;
  }

  /** The highest run of `pages` free pages inside one backing, or -1. */
  highestFit(pages: number): number {
    for (let b = Math.ceil(this.pageCount / this.pagesPerBacking) - 1; b >= 0; b--) {
      const [start, end] = this.backingPages(b);
      let run = 0;
      for (let i = end - 1; i >= start; i--) {
        run = this.owner[i] === 0 ? run + 1 : 0;
        if (run === pages) return i;
      }
    }
    return -1;
  }

  /** The longest run of free pages inside one backing. */
  largestFreeRun(): number {
    let best = 0;
    for (let b = 0; b * this.pagesPerBacking < this.pageCount; b++) {
      const [start, end] = this.backingPages(b);
      let run = 0;
      for (let i = start; i < end; i++) {
        run = this.owner[i] === 0 ? run + 1 : 0;
        best = Math.max(best, run);
      }
    }
    return best;
  }

  /** The `pages` highest free pages, ascending (the caller checked there are that many). */
  highestFree(pages: number): Int32Array {
    const list = new Int32Array(pages);
    for (let i = this.pageCount - 1, n = pages; n > 0; i--) if (this.owner[i] === 0) list[--n] = i;
    return list;
  }

  private backingPages(b: number): [number, number] {
    const start = b * this.pagesPerBacking;
    return [start, Math.min(start + this.pagesPerBacking, this.pageCount)];
  }
}
