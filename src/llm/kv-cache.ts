// The paged KV cache: keys and values live in fixed-size blocks carved from
// infer-owned arena pages. A block holds `blockTokens` positions of every
// layer, k and v, head, token-major: [token][layer][k|v][head][headDim]
// floats, so a step's new tokens are one write per block. Each sequence has a
// block table (its blocks in position order); blocks are taken as the
// sequence grows and handed back when it ends, so KV memory follows the live
// tokens. A block is zero-filled on the GPU whenever it is granted.
//
// Freed blocks are pending until a fence proves the GPU is done with them (the
// arena's one path: free, fence, reclaim); a page none of whose blocks is live
// goes back to the arena in the same pass.
//
// The past a run reads (past_k_l / past_v_l [rows, heads, P, headDim]):
// - 'device' (default): devicePast() gathers it from the blocks on the GPU
//   through the block table (src/llm/device-past.ts), so a step uploads only
//   its new tokens and the table (kept in one infer allocation of the cache);
// - 'host': past() assembles it from a host mirror of the keys and values
//   (a HostKvCache) and the engine uploads it, the whole padded past every run
//   (LLM round 4's path; the reference of the step benchmark).
// readSequence() reads the blocks back (tests).
import type { Allocation } from '../core/allocation.js';
import type { Arena } from '../core/arena.js';
import { OutOfMemoryError } from '../core/errors.js';
import type { Range } from '../core/device.js';
import type { DeviceInputs, TensorData } from '../infer/store.js';
import { newTokens, pastName, presentName, type KvCache, type KvShape } from './cache.js';
import { gatherPast } from './device-past.js';
import { HostKvCache } from './host-cache.js';
import { BlocksExhaustedError, GenerateInputError, SequenceError } from './errors.js';

interface BlockPage {
  alloc: Allocation<'infer'>;
  /** Blocks of this page held by a sequence. */
  live: number;
}

interface PagedSequence {
  length: number;
  /** The block table: block ids in position order. */
  blocks: number[];
}

export interface PagedKvStats {
  liveBlocks: number;
  freeBlocks: number;
  pendingBlocks: number;
  /** Block pages held. */
  pages: number;
  /** Pages of the block-table allocation (device past): taken with the first block page, handed back with the last. */
  tablePages: number;
  liveTokens: number;
  blockBytes: number;
}

export interface PagedKvOptions {
  /** Tokens a block holds (default 16). */
  blockTokens?: number;
  /** Free arena bytes the cache leaves when it takes a page: the runs' workspace (default 0). */
  headroomBytes?: number;
  /** Most pages the cache may hold: a fixed KV capacity (static partitions, SP-50/SP-75); default no limit. */
  maxPages?: number;
  /** Where a run's past comes from: gathered on the GPU ('device', default) or uploaded from a host mirror ('host'). */
  past?: 'device' | 'host';
  /** Bytes of the block-table allocation devicePast() writes its tables in (default one arena page). */
  tableBytes?: number;
}

export class PagedKvCache implements KvCache {
  readonly blockTokens: number;
  readonly headroomBytes: number;
  readonly maxPages: number;
  readonly blockBytes: number;
  readonly blocksPerPage: number;
  private readonly pages = new Map<number, BlockPage>();
  private readonly seqs = new Map<number, PagedSequence>();
  /** The same keys and values in host arrays ('host' past only): past() reads these. */
  private readonly mirror: HostKvCache | null;
  readonly pastOn: 'device' | 'host';
  private readonly tableBytes: number;
  /** devicePast()'s tables on the GPU: taken at the first device past, handed back when the cache holds no block page. */
  private table: Allocation<'infer'> | null = null;
  /** Runs whose past was gathered on the GPU, and the segments (src ranges) their blocks spanned. */
  readonly gathers = { runs: 0, segments: 0 };
  /** Block id -> the sequence holding it. */
  private readonly owner = new Map<number, number>();
  private free: number[] = [];
  private pending: number[] = [];
  private nextPage = 0;
  /** Blocks granted over the cache's life (a block granted twice counts twice). */
  granted = 0;
  /**
   * Take pages only within inference's share: the arena's pages beyond
   * training's limit, less those inference holds (set by a batcher that
   * plans its memory with elastic training). Otherwise a page training's
   * limit still covers, free between its micro-batches, could be taken
   * without training giving it, and training would then not find it.
   */
  withinShare = false;

  constructor(
    readonly arena: Arena,
    readonly shape: KvShape,
    opts: PagedKvOptions = {},
  ) {
    this.blockTokens = opts.blockTokens ?? 16;
    this.headroomBytes = opts.headroomBytes ?? 0;
    this.maxPages = opts.maxPages ?? Infinity;
    const bt = this.blockTokens;
    if (!(Number.isInteger(bt) && bt >= 1)) throw new GenerateInputError('blockTokens', `must be a positive integer, got ${bt}`);
    if (!(this.maxPages >= 0)) throw new GenerateInputError('maxPages', `must be >= 0, got ${this.maxPages}`);
    this.pastOn = opts.past ?? 'device';
    this.mirror = this.pastOn === 'host' ? new HostKvCache(shape) : null;
    this.tableBytes = opts.tableBytes ?? arena.pageBytes;
    this.blockBytes = bt * shape.layers * 2 * shape.heads * shape.headDim * 4;
    this.blocksPerPage = Math.max(1, Math.floor(arena.pageBytes / this.blockBytes));
  }

  /** Arena bytes one more page of blocks takes. */
  get pageAllocBytes(): number {
    return Math.max(this.arena.pageBytes, this.blockBytes * this.blocksPerPage);
  }

  start(seq: number): void {
    if (this.seqs.has(seq)) throw new SequenceError(seq, 'already started');
    this.seqs.set(seq, { length: 0, blocks: [] });
    this.mirror?.start(seq);
  }

  length(seq: number): number {
    return this.get(seq).length;
  }

  blockTable(seq: number): readonly number[] {
    return [...this.get(seq).blocks];
  }

  /** Blocks a sequence of `tokens` more needs beyond those it has. */
  blocksNeeded(seq: number, tokens: number): number {
    const s = this.get(seq);
    return Math.max(0, Math.ceil((s.length + tokens) / this.blockTokens) - s.blocks.length);
  }

  /** Arena bytes `blocks` more blocks would take beyond the free blocks, headroom included, minus what is free. */
  shortfallBytes(blocks: number): number {
    const pages = Math.ceil(Math.max(0, blocks - this.free.length) / this.blocksPerPage);
    const table = pages > 0 ? this.tableToTake() : 0;
    if (this.pages.size + pages > this.maxPages) return 0; // the cap, not the arena, is short: training cannot help
    return pages === 0 ? 0 : Math.max(0, pages * this.pageAllocBytes + table + this.headroomBytes - this.availableBytes());
  }

  /** Arena pages `blocks` more blocks would take beyond the free ones (block pages, and the table a device past takes with the first). */
  pagesToHold(blocks: number): number {
    const pages = Math.ceil(Math.max(0, blocks - this.free.length - this.pending.length) / this.blocksPerPage);
    return pages === 0 ? 0 : pages * Math.ceil(this.pageAllocBytes / this.arena.pageBytes) + this.tableToTake() / this.arena.pageBytes;
  }

  /** Blocks a sequence holds. */
  heldBlocks(seq: number): number {
    return this.get(seq).blocks.length;
  }

  /** Bytes of the table allocation a device past still has to take with the next block page (0: held, or a host past). */
  private tableToTake(): number {
    return this.pastOn === 'device' && !this.table ? Math.ceil(this.tableBytes / this.arena.pageBytes) * this.arena.pageBytes : 0;
  }


  reserve(seq: number, tokens: number): void {
    const s = this.get(seq);
    const need = this.blocksNeeded(seq, tokens);
    const taken: number[] = [];
    try {
      for (let i = 0; i < need; i++) taken.push(this.grant());
    } catch (e) {
      this.free.push(...taken);
      if (e instanceof OutOfMemoryError) throw new BlocksExhaustedError(need, this.free.length);
      throw e;
    }
    for (const b of taken) {
      this.owner.set(b, seq);
      this.pageOf(b).live++;
      const r = this.blockRange(b);
      this.arena.device.zero(r);
      s.blocks.push(b);
    }
    this.granted += taken.length;
    this.mirror?.reserve(seq, tokens);
  }

  /** From the host mirror ('host'); with a 'device' past, read back from the blocks (tests, and callers without device inputs). */
  async past(seqs: number[], pad?: { rows: number; P: number }): Promise<Record<string, TensorData>> {
    if (this.mirror) return this.mirror.past(seqs, pad);
    const { heads: H, headDim: D, layers } = this.shape;
    const P = pad?.P ?? this.length(seqs[0]!);
    const rows = pad?.rows ?? seqs.length;
    const planes = Array.from({ length: layers * 2 }, () => new Float32Array(rows * H * P * D));
    for (const [b, id] of seqs.entries()) {
      const L = this.length(id);
      if (pad ? L > P : L !== P) throw new SequenceError(id, `has ${L} cached tokens; the batch has ${P}`);
      const tokens = await this.readSequence(id);
      for (let t = 0; t < L; t++)
        for (let p = 0; p < layers * 2; p++)
          for (let h = 0; h < H; h++) planes[p]!.set(tokens.subarray(((t * layers * 2 + p) * H + h) * D, ((t * layers * 2 + p) * H + h + 1) * D), ((b * H + h) * P + t) * D);
    }
    const out: Record<string, TensorData> = {};
    planes.forEach((data, p) => (out[pastName(p % 2 === 0 ? 'k' : 'v', p >> 1)] = { type: 'float32', dims: [rows, H, P, D], data }));
    return out;
  }

  /**
   * The run's past as device inputs: [rows, heads, P, headDim] per plane,
   * row b < seqs.length gathered from seqs[b]'s blocks on the GPU, the rest
   * (and positions past a row's length) 0. The table allocation was taken
   * with the first block page (a run with no block at all takes it here).
   */
  devicePast(seqs: number[], pad: { rows: number; P: number }): DeviceInputs {
    if (this.pastOn !== 'device') throw new GenerateInputError('past', "this cache keeps its past on the host (past: 'host')");
    const { heads: H, headDim: D, layers } = this.shape;
    for (const id of seqs) if (this.length(id) > pad.P) throw new SequenceError(id, `has ${this.length(id)} cached tokens; the batch has ${pad.P}`);
    this.table ??= this.arena.allocate('infer', this.tableBytes, 'kv-table');
    const dims: Record<string, number[]> = {};
    for (let l = 0; l < layers; l++) for (const kv of ['k', 'v'] as const) dims[pastName(kv, l)] = [pad.rows, H, pad.P, D];
    const fill = (dst: Record<string, Range>): void => {
      const blocks = seqs.map((id) => this.get(id).blocks.map((b) => this.blockRange(b)));
      const segments = gatherPast({
        dev: this.arena.device, shape: this.shape, blockTokens: this.blockTokens, blockBytes: this.blockBytes, pageBytes: this.arena.pageBytes,
        blocks, lengths: seqs.map((id) => this.length(id)), rows: pad.rows, P: pad.P, table: this.table!.range(), dst,
      });
      this.gathers.runs++;
      this.gathers.segments += segments;
    };
    return { dims, fill };
  }

  /**
   * Writes the new tokens into the sequences' blocks (one write per block a
   * row's new tokens touch: a block is token-major) and into the mirror.
   */
  async append(seqs: number[], present: Record<string, TensorData>, tokens: number | readonly number[], from?: number): Promise<void> {
    const { heads: H, headDim: D, layers } = this.shape;
    const bt = this.blockTokens;
    const tokenFloats = layers * 2 * H * D;
    const planes = Array.from({ length: layers * 2 }, (_, p) => present[presentName(p % 2 === 0 ? 'k' : 'v', p >> 1)]!);
    const L = planes[0]!.dims[2]!;
    for (const [b, id] of seqs.entries()) {
      const s = this.get(id);
      const { n: count, at } = newTokens(tokens, b, L, from);
      this.reserve(id, count);
      for (let pos = s.length; pos < s.length + count; ) {
        const block = s.blocks[Math.floor(pos / bt)]!;
        const slot = pos % bt;
        const n = Math.min(bt - slot, s.length + count - pos);
        const chunk = new Float32Array(n * tokenFloats);
        for (let t = 0; t < n; t++) {
          const src = at + pos - s.length + t;
          for (let p = 0; p < layers * 2; p++) {
            const data = planes[p]!.data as Float32Array;
            for (let h = 0; h < H; h++) {
              const off = ((b * H + h) * L + src) * D;
              chunk.set(data.subarray(off, off + D), ((t * layers * 2 + p) * H + h) * D);
            }
          }
        }
        const base = this.blockRange(block);
        this.arena.device.write({ backing: base.backing, offset: base.offset + slot * tokenFloats * 4, bytes: chunk.byteLength }, chunk, 'infer');
        pos += n;
      }
      s.length += count;
    }
    await this.mirror?.append(seqs, present, tokens, from);
  }

  /** Ends the sequence: its blocks go back once the GPU is done (fence + reclaim). */
  async end(seq: number): Promise<void> {
    const s = this.get(seq);
    this.seqs.delete(seq);
    await this.mirror?.end(seq);
    for (const b of s.blocks) {
      this.owner.delete(b);
      this.pageOf(b).live--;
      this.pending.push(b);
    }
    await this.settle();
  }

  /** Pages with no live block go back to the arena; pending blocks become free after a fence. */
  async settle(): Promise<void> {
    const empty = [...this.pages].filter(([, p]) => p.live === 0);
    const emptyIds = new Set(empty.map(([id]) => id));
    const onEmpty = (b: number) => emptyIds.has(Math.floor(b / this.blocksPerPage));
    for (const [id, p] of empty) {
      this.arena.free(p.alloc);
      this.pages.delete(id);
    }
    if (this.table && this.pages.size === 0) {
      this.arena.free(this.table);
      this.table = null;
    }
    this.free = this.free.filter((b) => !onEmpty(b));
    const pending = this.pending.filter((b) => !onEmpty(b));
    this.pending = [];
    this.arena.reclaim(await this.arena.fence());
    this.free.push(...pending);
  }

  /** The sequence holding a block (undefined: free or pending). */
  ownerOf(block: number): number | undefined {
    return this.owner.get(block);
  }

  /** A block's floats as the GPU holds them (tests). */
  async readBlock(block: number): Promise<Float32Array> {
    const bytes = await this.arena.device.read(this.blockRange(block));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }

  /** A sequence's cached tokens as its blocks hold them on the GPU: [token][layer][k|v][head][headDim] (tests). */
  async readSequence(seq: number): Promise<Float32Array> {
    const s = this.get(seq);
    const tokenFloats = this.blockBytes / 4 / this.blockTokens;
    const out = new Float32Array(s.length * tokenFloats);
    for (const [j, block] of s.blocks.entries()) {
      const n = Math.min(this.blockTokens, s.length - j * this.blockTokens);
      if (n > 0) out.set((await this.readBlock(block)).subarray(0, n * tokenFloats), j * this.blockTokens * tokenFloats);
    }
    return out;
  }

  stats(): PagedKvStats {
    let liveBlocks = 0;
    let liveTokens = 0;
    for (const s of this.seqs.values()) (liveBlocks += s.blocks.length), (liveTokens += s.length);
    return { liveBlocks, freeBlocks: this.free.length, pendingBlocks: this.pending.length, pages: this.pages.size, tablePages: this.table?.pageCount ?? 0, liveTokens, blockBytes: this.blockBytes };
  }

  sequences(): number[] {
    return [...this.seqs.keys()];
  }

  private grant(): number {
    const b = this.free.pop();
    if (b !== undefined) return b;
    // A device past's block table is taken with the first block page: it counts against the headroom like one (the
    // cap is of KV data: block pages; a static partition whose training fills its share loses one block page to it).
    const table = this.tableToTake();
    if (this.pages.size >= this.maxPages)
      throw new OutOfMemoryError(this.pageAllocBytes, 'infer', this.arena.held('infer'), this.arena.freeBytes, `the KV cache is capped at ${this.maxPages} pages`);
    if (this.availableBytes() - this.pageAllocBytes - table < this.headroomBytes)
      throw new OutOfMemoryError(this.pageAllocBytes + table, 'infer', this.arena.held('infer'), this.arena.freeBytes, `the KV cache leaves ${this.headroomBytes} bytes free for run workspaces${this.withinShare ? ' within inference\'s share' : ''}`);
    if (table > 0) this.table = this.arena.allocate('infer', table, 'kv-table');
    const alloc = this.arena.allocate('infer', this.pageAllocBytes, 'kv-blocks');
    const id = this.nextPage++;
    this.pages.set(id, { alloc, live: 0 });
    for (let i = this.blocksPerPage - 1; i > 0; i--) this.free.push(id * this.blocksPerPage + i);
    return id * this.blocksPerPage;
  }

  /** Free bytes the cache may take: all free ones, or (withinShare) those within inference's share too. */
  private availableBytes(): number {
    if (!this.withinShare) return this.arena.freeBytes;
    const s = this.arena.stats();
    return Math.min(this.arena.freeBytes, this.arena.bytesOf(Math.max(0, s.pages - s.trainLimit - s.infer)));
  }

  private pageOf(block: number): BlockPage {
    return this.pages.get(Math.floor(block / this.blocksPerPage))!;
  }

  private blockRange(block: number): { backing: ReturnType<Allocation['range']>['backing']; offset: number; bytes: number } {
    const r = this.pageOf(block).alloc.range();
    return { backing: r.backing, offset: r.offset + (block % this.blocksPerPage) * this.blockBytes, bytes: this.blockBytes };
  }

  private get(seq: number): PagedSequence {
    const s = this.seqs.get(seq);
    if (!s) throw new SequenceError(seq, 'is not in the cache');
    return s;
  }
}
