// The CUDA backend's virtual ranges: a backing is a reserved virtual range
// with physical pages of the pool mapped into it, in order; a view
// (mapPages) maps, into a range of its own, pages that other backings own.
// A physical page goes back to the pool only once no backing and no view
// maps it.

import type { PageRef, Range } from '../../core/device.js';
import { InvalidRangeError } from '../../core/errors.js';
import type { CudaAddon, Handle } from './addon.js';
import type { PagePool } from './page-pool.js';

export interface Reservation {
  va: Handle;
  /** Reserved bytes: whole pages. */
  bytes: number;
  pages: Handle[];
  /** False for a view made by mapPages(): its pages belong to other backings. */
  ownsPages: boolean;
}

export class Reservations {
  private readonly byBacking = new Map<number, Reservation>();
  /** Mappings of a physical page in views (mapPages); a page goes back to the pool only at zero. */
  private readonly aliases = new Map<Handle, number>();
  /** Pages whose backing was destroyed while a view still maps them. */
  private readonly orphans = new Set<Handle>();

  constructor(private readonly cu: CudaAddon, private readonly pool: PagePool, private readonly pageBytes: number, private readonly ordinal: number) {}

  get(backing: number): Reservation | undefined {
    return this.byBacking.get(backing);
  }

  set(backing: number, r: Reservation): void {
    this.byBacking.set(backing, r);
  }

  /** The reservation of a backing being destroyed, no longer listed (its unmap waits for the GPU). */
  remove(backing: number): Reservation {
    const r = this.byBacking.get(backing)!;
    this.byBacking.delete(backing);
    return r;
  }

  /** Device pointer of a range. */
  pointer(r: Range): Handle {
    const res = this.byBacking.get(r.backing.id);
    if (!res) throw new InvalidRangeError(`backing ${r.backing.id} has no CUDA reservation`);
    return res.va + BigInt(r.offset);
  }

  /** The physical pages behind page references into this device's backings. */
  handles(pages: readonly PageRef[]): Handle[] {
    return pages.map((p, i) => {
      const r = this.byBacking.get(p.backing.id);
      if (!r) throw new InvalidRangeError(`mapPages: page ${i} names backing ${p.backing.id}, which has no CUDA reservation`);
      return r.pages[p.offset / this.pageBytes]!;
    });
  }

  /** A view now maps `handles` too. */
  alias(handles: readonly Handle[]): void {
    for (const h of handles) this.aliases.set(h, (this.aliases.get(h) ?? 0) + 1);
  }

  /** Reserves a range and maps the pages into it, in order; undoes its own steps on failure. */
  map(pages: Handle[], ownsPages: boolean): Reservation {
    const size = pages.length * this.pageBytes;
    const va = this.cu.addressReserve(size, this.pageBytes);
    let mapped = 0;
    try {
      for (; mapped < pages.length; mapped++) this.cu.pageMap(va + BigInt(mapped * this.pageBytes), this.pageBytes, pages[mapped]!);
      this.cu.accessSet(va, size, this.ordinal);
    } catch (e) {
      for (let i = 0; i < mapped; i++) this.cu.pageUnmap(va + BigInt(i * this.pageBytes), this.pageBytes);
      this.cu.addressFree(va, size);
      throw e;
    }
    return { va, bytes: size, pages, ownsPages };
  }

  unmap(r: Reservation): void {
    this.cu.pageUnmap(r.va, r.bytes);
    this.cu.addressFree(r.va, r.bytes);
    for (const h of r.pages) {
      if (r.ownsPages) {
        if (this.aliases.has(h)) this.orphans.add(h); // still mapped in a view: reusable when that goes
        else this.pool.give([h]);
        continue;
      }
      const left = this.aliases.get(h)! - 1;
      if (left > 0) this.aliases.set(h, left);
      else {
        this.aliases.delete(h);
        if (this.orphans.delete(h)) this.pool.give([h]);
      }
    }
  }

  /** Every backing's reservation (the device is being destroyed). */
  list(): IterableIterator<Reservation> {
    return this.byBacking.values();
  }

  clear(): void {
    this.byBacking.clear();
  }
}
