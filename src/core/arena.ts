// The shared arena: all GPU memory of the system, created once and cut into
// fixed pages. Every page has an owner (train, infer or free) and an epoch.
// Rules (from the paper), enforced here:
// - memory freed by an owner stays that owner's until reclaim() with a
//   Drained proof (no data pollution);
// - a page that changes owner is zero-filled on the GPU before the new owner
//   can touch it;
// - inference runs grow from the low end, training from the high end, and
//   inference runs are compacted when free pages are fragmented;
// - on a device that can remap (CUDA VMM), a training tensor that finds no
//   run of free pages side by side takes scattered free pages instead, mapped
//   into a contiguous view of its own: training never waits for compaction.

import { Allocation } from './allocation.js';
import { ArenaLayout } from './arena-layout.js';
import type { AllocateWhere, ArenaEvent, ArenaOptions, ArenaStats } from './arena-types.js';
import type { Backing, GpuDevice } from './device.js';
import { Drained, nextSeq } from './drained.js';
import { AllocationTooLargeError, InvalidRangeError, OutOfMemoryError, type Owner } from './errors.js';
import { ModelTenants } from './model-tenants.js';
import { CODE, NAME, PageTable, type PageOwner } from './page-table.js';

export type { PageOwner } from './page-table.js';
export type { AllocateWhere, ArenaEvent, ArenaOptions, ArenaStats } from './arena-types.js';
export { DEFAULT_PAGE_BYTES } from './arena-layout.js';

interface Pending {
  alloc: Allocation;
  seq: number;
}

export class Arena {
  readonly pageBytes: number;
  readonly pageCount: number;
  readonly pagesPerBacking: number;
  readonly backings: Backing[];
  /** Page size, backings and where each page lies in them (arena-layout.ts). */
  private readonly layout: ArenaLayout;
  /** Owner, epoch and last writer of every page. */
  readonly table: PageTable;
  private readonly allocs = new Map<number, Allocation>();
  private readonly pending: Pending[] = [];
  private nextId = 1;
  private pendingPages = [0, 0, 0];
  /** Most pages training may hold; changed only through require, release and limitTraining. */
  private limit: number;
  zeroedBytes = 0;
  movedBytes = 0;
  /** Whether training tensors may take scattered pages through a view (ArenaOptions.remap). */
  readonly remap: boolean;
  /** Training tensors made of scattered pages so far. */
  scatteredAllocations = 0;
  private readonly listeners = new Set<(e: ArenaEvent) => void>();
  /** Whether pages moving between inference models are zero-filled (ArenaOptions.isolateModels). */
  readonly isolateModels: boolean;
  private readonly tenants: ModelTenants;

  constructor(readonly device: GpuDevice, opts: ArenaOptions) {
    this.layout = new ArenaLayout(device, opts);
    this.pageBytes = this.layout.pageBytes;
    this.pageCount = this.layout.pageCount;
    this.pagesPerBacking = this.layout.pagesPerBacking;
    this.backings = this.layout.backings;
    this.remap = this.layout.remap;
    this.isolateModels = opts.isolateModels ?? false;
    this.tenants = new ModelTenants(this.isolateModels);
    this.table = new PageTable(this.pageCount, this.pagesPerBacking);
    this.limit = this.pageCount;
  }

  /** Most pages training may hold (read-only: the arena's limit methods change it). */
  get trainLimit(): number {
    return this.limit;
  }

  get bytes(): number {
    return this.pageCount * this.pageBytes;
  }

  /** Pages per owner code (free, train, infer), live and pending. */
  private get counts(): number[] {
    return this.table.counts;
  }

  /** Whole pages covering `bytes` (what asking for `bytes` takes: rounds up). */
  pagesFor(bytes: number): number {
    return Math.ceil(bytes / this.pageBytes);
  }

  /** Whole pages within `bytes` (what giving `bytes` back hands over: rounds down, the rest stays with the giver). */
  pagesWithin(bytes: number): number {
    return Math.floor(bytes / this.pageBytes);
  }

  /** Bytes of `pages` whole pages: the one conversion back from the page ledger. */
  bytesOf(pages: number): number {
    return pages * this.pageBytes;
  }

  /** Bytes an owner holds (live and pending). */
  held(owner: Owner): number {
    return this.counts[CODE[owner]]! * this.pageBytes;
  }

  get freeBytes(): number {
    return this.counts[0]! * this.pageBytes;
  }

  pageOwner(page: number): PageOwner {
    return NAME[this.table.owner[page]!]!;
  }

  /** Live allocation holding a page, if any. */
  allocationAt(page: number): Allocation | undefined {
    const id = this.table.holder(page);
    return id < 0 ? undefined : this.allocs.get(id);
  }

  onEvent(fn: (e: ArenaEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  stats(): ArenaStats {
    return {
      pages: this.pageCount,
      pageBytes: this.pageBytes,
      train: this.counts[1]!,
      infer: this.counts[2]!,
      free: this.counts[0]!,
      trainPending: this.pendingPages[1]!,
      inferPending: this.pendingPages[2]!,
      trainLimit: this.trainLimit,
      zeroedBytes: this.zeroedBytes,
      movedBytes: this.movedBytes,
    };
  }

  /**
   * `where.at`: the first page to take if [at, at + pages) is free (an
   * inference workspace back where its run's CUDA graph was recorded);
   * otherwise, or without it, the usual place. `where.highestFree` (training,
   * on an arena that remaps): the highest free pages, wherever they are, as
   * a plain allocation when they lie side by side and a view otherwise; a
   * training tensor cut into chunks takes the same pages one view of it
   * would, so chunks leave no holes between them (round 8).
   */
  allocate<O extends Owner>(owner: O, bytes: number, label = 'tensor', where: AllocateWhere = {}): Allocation<O> {
    if (!Number.isInteger(bytes) || bytes <= 0) throw new InvalidRangeError(`allocation size must be a positive integer, got ${bytes}`);
    const cap = this.pagesPerBacking * this.pageBytes;
    if (bytes > cap) throw new AllocationTooLargeError(bytes, cap, 'largest contiguous run (one backing, one binding)');
    const pages = this.pagesFor(bytes);
    const oom = (reason: string) => new OutOfMemoryError(bytes, owner, this.held(owner), this.freeBytes, reason);
    if (owner === 'train' && this.counts[1]! + pages > this.trainLimit)
      throw oom(`training may hold ${this.trainLimit} pages; inference required the rest`);
    if (this.counts[0]! < pages) throw oom('not enough free pages');
    const fit = () => (owner === 'infer' ? this.table.lowestFit(pages) : this.table.highestFit(pages));
    let at = where.at;
    if (where.highestFree && owner === 'train' && this.remap) {
      const list = this.table.highestFree(pages);
      const [lo, hi] = [list[0]!, list[pages - 1]!];
      if (hi - lo !== pages - 1 || Math.floor(lo / this.pagesPerBacking) !== Math.floor(hi / this.pagesPerBacking)) return this.allocateScattered(owner, bytes, pages, label);
      at = lo;
    }
    let first = at !== undefined && this.table.freeRunAt(at, pages) ? at : fit();
    if (first < 0 && owner === 'train' && this.remap) return this.allocateScattered(owner, bytes, pages, label);
    if (first < 0) {
      // Enough pages are free but not side by side: pack inference runs
      // towards the low end, which coalesces the free pages between them
      // (for inference) and above them (where training grows).
      this.compactInference();
      first = fit();
    }
    if (first < 0) throw oom('free pages are scattered between training runs');
    const a = new Allocation<O>(this.nextId++, owner, bytes, pages, this.layout.placement(first), label);
    const zeroed = this.take(first, pages, CODE[owner], a.id, this.tenants.of(owner, label));
    this.allocs.set(a.id, a);
    this.emit({ kind: 'allocate', owner, pages, first, zeroedPages: zeroed });
    return a;
  }

  /** Whether `bytes` would fit at page `first` now (free pages side by side in one backing). */
  fitsAt(first: number, bytes: number): boolean {
    return this.table.freeRunAt(first, this.pagesFor(bytes));
  }

  /**
   * A training tensor on the highest free pages, wherever they are, mapped
   * into one view backing (the pages taken as usual: zero-filled where another
   * owner used them last). `allocate` checked the limit and the free count.
   */
  private allocateScattered<O extends Owner>(owner: O, bytes: number, pages: number, label: string): Allocation<O> {
    const list = this.table.highestFree(pages);
    const id = this.nextId++;
    const a = new Allocation<O>(id, owner, bytes, pages, { backing: this.backings[0]!, firstPage: list[0]!, offset: 0 }, label, list);
    let zeroed = 0;
    for (const [first, count] of a.runs()) zeroed += this.take(first, count, CODE[owner], id);
    let view: Backing;
    try {
      view = this.device.mapPages(Array.from(list, (p) => this.layout.pageRef(p)), `${label} (view)`);
    } catch (e) {
      for (const [first, count] of a.runs()) this.table.setRun(first, count, CODE.free, -1, true);
      throw e;
    }
    a.placement = { backing: view, firstPage: list[0]!, offset: 0 };
    this.allocs.set(id, a);
    this.scatteredAllocations++;
    this.emit({ kind: 'allocate', owner, pages, first: list[0]!, zeroedPages: zeroed, scattered: true });
    return a;
  }

  /**
   * Hands an allocation back. Its pages stay the owner's (the GPU may still
   * use them through work already queued) until reclaim() with a proof that
   * the owner's work has drained.
   */
  free(a: Allocation): void {
    if (this.allocs.get(a.id) !== a) throw new InvalidRangeError(`allocation #${a.id} does not belong to this arena`);
    if (a.state !== 'live') throw new InvalidRangeError(`allocation '${a.label}' (#${a.id}) was already freed`);
    a.state = 'freed';
    this.pending.push({ alloc: a, seq: nextSeq() });
    this.pendingPages[CODE[a.owner]]! += a.pageCount;
    this.emit({ kind: 'free', owner: a.owner, pages: a.pageCount, first: a.firstPage });
  }

  /**
   * Turns the owner's pending pages freed before the drain began into free
   * pages. With `zero`, they are zero-filled now (off the next owner's
   * allocation path) and count as clean for any owner.
   */
  reclaim(proof: Drained, opts: { zero?: boolean } = {}): number {
    if (!Drained.isGenuine(proof)) throw new InvalidRangeError('reclaim needs a Drained proof from the gate or a fence');
    let pages = 0;
    for (let i = 0; i < this.pending.length; ) {
      const p = this.pending[i]!;
      if (p.alloc.owner === proof.owner && p.seq < proof.startSeq) {
        this.returnPages(p.alloc);
        if (opts.zero) for (const [first, count] of p.alloc.runs()) this.scrub(first, count);
        pages += p.alloc.pageCount;
        this.pending.splice(i, 1);
      } else i++;
    }
    if (pages > 0) this.emit({ kind: 'reclaim', owner: proof.owner, pages });
    return pages;
  }

  /** A proof for inference: everything issued so far has finished on the GPU. */
  async fence(): Promise<Drained> {
    const start = nextSeq();
    await this.device.fence();
    return Drained.issue('infer', start);
  }

  /**
   * A proof for inference from its own lane: inference pages are touched only
   * by the 'infer' lane and by zero-fills and copies, which that lane waits
   * for, so training's kernels in flight need not finish first.
   */
  async fenceInference(): Promise<Drained> {
    const start = nextSeq();
    await this.device.fenceLane('infer');
    return Drained.issue('infer', start);
  }

  /** Inference needs `bytes` more: training may hold that much less from now on. */
  require(bytes: number): number {
    this.limit = Math.max(0, Math.min(this.limit, this.pageCount) - this.pagesFor(bytes));
    this.emit({ kind: 'limit', trainLimit: this.trainLimit });
    return this.trainLimit;
  }

  /** Inference gives `bytes` back: training may grow into them. */
  release(bytes: number): number {
    this.limit = Math.min(this.pageCount, this.limit + this.pagesFor(bytes));
    this.emit({ kind: 'limit', trainLimit: this.trainLimit });
    return this.trainLimit;
  }

  /** Sets the most pages training may hold (the trainer's own accounting of a require). */
  limitTraining(pages: number): number {
    if (!Number.isInteger(pages) || pages < 0) throw new InvalidRangeError(`training limit must be a non-negative page count, got ${pages}`);
    this.limit = Math.min(this.pageCount, pages);
    this.emit({ kind: 'limit', trainLimit: this.trainLimit });
    return this.trainLimit;
  }

  /** The longest run of free pages inside one backing (what one allocation can get). */
  largestFreeRun(): number {
    return this.table.largestFreeRun();
  }

  /**
   * The most pages one training allocation can get now without moving
   * anything: every free page where the arena remaps scattered pages, else
   * the longest free run.
   */
  largestTrainingPlacement(): number {
    return this.remap ? this.counts[0]! : this.table.largestFreeRun();
  }

  /** Pages training holds beyond its limit: what it still owes inference. */
  trainExcess(): number {
    return Math.max(0, this.counts[1]! - this.trainLimit);
  }

  /** Moves live inference runs to the lowest free pages so free space coalesces. */
  compactInference(): number {
    const live = [...this.allocs.values()].filter((a) => a.owner === 'infer' && a.state === 'live');
    live.sort((x, y) => x.firstPage - y.firstPage);
    let moved = 0;
    for (const a of live) {
      const from = a.firstPage;
      const old = a.range();
      const tenant = this.tenants.of('infer', a.label);
      this.table.setRun(from, a.pageCount, CODE.free, -1, false); // its own pages count as free for the search
      const to = this.table.lowestFit(a.pageCount);
      if (to < 0 || to >= from) {
        this.table.setRun(from, a.pageCount, CODE.infer, a.id, false, tenant);
        continue;
      }
      this.take(to, a.pageCount, CODE.infer, a.id, tenant);
      a.placement = this.layout.placement(to);
      this.device.copy(old, a.range());
      this.movedBytes += a.bytes;
      moved += a.pageCount;
      this.emit({ kind: 'move', pages: a.pageCount, from, to });
    }
    return moved;
  }

  destroy(): void {
    for (const a of this.allocs.values()) if (a.pages) this.device.destroyBacking(a.placement.backing);
    this.allocs.clear();
    for (const b of this.backings) this.device.destroyBacking(b);
    this.backings.length = 0;
  }

  private scrub(first: number, pages: number): void {
    this.zeroPages(first, pages);
    this.table.cleaned(first, pages);
  }

  /** Zero-fills pages [first, first + pages) on the GPU, one call per backing the run crosses (a remapped run may cross). */
  private zeroPages(first: number, pages: number): void {
    for (const range of this.layout.ranges(first, pages)) this.device.zero(range);
    this.zeroedBytes += pages * this.pageBytes;
  }

  private returnPages(a: Allocation): void {
    for (const [first, count] of a.runs()) this.table.setRun(first, count, CODE.free, -1, true);
    // A view's unmap is the device's to defer until work already issued on it is done.
    if (a.pages) this.device.destroyBacking(a.placement.backing);
    this.pendingPages[CODE[a.owner]]! -= a.pageCount;
    this.allocs.delete(a.id);
  }

  /** Claims a free run for an owner; zero-fills the pages another owner (or isolated model) used last. */
  private take(first: number, pages: number, code: number, id: number, tenant = -1): number {
    let zeroed = 0;
    for (const [start, count] of this.table.claimDirty(first, pages, code, tenant)) {
      this.zeroPages(start, count);
      zeroed += count;
    }
    this.table.setRun(first, pages, code, id, false, tenant);
    return zeroed;
  }

  private emit(e: ArenaEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}
