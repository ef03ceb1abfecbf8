// Physical pages of the VMM allocation granularity (2 MiB on H100), created
// with cuMemCreate once and reused: a destroyed backing gives its pages back
// here instead of releasing them, so later backings only reserve and map.
import type { CudaAddon, Handle } from './addon.js';

export class PagePool {
  private readonly free: Handle[] = [];
  /** Physical pages created and not released (free or mapped). */
  created = 0;

  constructor(private readonly cu: CudaAddon, readonly pageBytes: number, private readonly ordinal: number) {}

  get freePages(): number {
    return this.free.length;
  }

  /** Creates pages until at least `pages` are free (ahead of a handover, not during one). */
  grow(pages: number): void {
    while (this.free.length < pages) {
      this.free.push(this.cu.pageCreate(this.pageBytes, this.ordinal));
      this.created++;
    }
  }

  /** Takes n pages, creating the missing ones; on failure nothing is taken. */
  take(n: number): Handle[] {
    const before = this.free.length;
    try {
      this.grow(n);
    } catch (e) {
      this.release(this.free.length - before);
      throw e;
    }
    return this.free.splice(this.free.length - n, n);
  }

  give(pages: readonly Handle[]): void {
    this.free.push(...pages);
  }

  /** Releases up to n free pages back to the driver (all when n is omitted). */
  release(n = this.free.length): void {
    for (const h of this.free.splice(this.free.length - Math.min(n, this.free.length))) {
      this.cu.pageRelease(h);
      this.created--;
    }
  }
}
